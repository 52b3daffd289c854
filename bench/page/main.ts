/**
 * The bench page. bench/run.mjs opens it in headless Chromium, one fresh browser context per
 * (row, peer), and drives it through `window.__bench`. Peers load lazily, so a peer that cannot even
 * load (a missing Node built-in, say) fails its own cells and nothing else.
 */
import type { ComponentResult, ComponentRow, PageInfo, Peer, PeerId, RowId, RowOptions, RowResult } from './types.js';
import { describe } from './measure.js';

const PEERS: Record<PeerId, () => Promise<Peer>> = {
  quickcage: async () => (await import('./peers/quickcage.js')).quickcage,
  quickcageFull: async () => (await import('./peers/quickcage.js')).quickcageFull,
  raw: async () => (await import('./peers/raw.js')).raw,
  sebastianwessel: async () => (await import('./peers/sebastianwessel.js')).sebastianwessel,
  native: async () => (await import('./peers/floors.js')).native,
  comlink: async () => (await import('./peers/floors.js')).comlink,
};

/**
 * Optional component benches written by other parts of the project. Contract: the module's default
 * export (or a named `bench`/`run`) is `(context) => Promise<ComponentRow[]>`; see docs/benchmarks.md.
 */
const COMPONENTS = import.meta.glob<Record<string, unknown>>('../*.bench.ts');

async function runRow(peer: PeerId, row: RowId, options: RowOptions): Promise<RowResult> {
  try {
    const load = PEERS[peer];
    if (!load) return { status: 'error', error: `unknown peer ${peer}` };
    // The cold row times the engine's import too, so it must not go through the peer module (which
    // imports the engine before the clock could start).
    if (row === 'cold') {
      const sample = await (await import('./cold.js')).cold(peer);
      if (sample) return sample;
    }
    return await (await load()).run(row, options);
  } catch (error) {
    return { status: 'error', error: describe(error) };
  }
}

function probeTimerResolution(): number {
  let smallest = Infinity;
  let last = performance.now();
  const end = last + 20;
  while (last < end) {
    const t = performance.now();
    if (t > last) {
      smallest = Math.min(smallest, t - last);
      last = t;
    }
  }
  return smallest;
}

function info(): PageInfo {
  return {
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    timerResolutionMs: probeTimerResolution(),
    userAgent: navigator.userAgent,
    hardwareConcurrency: navigator.hardwareConcurrency,
    components: Object.keys(COMPONENTS).map((p) => p.replace(/^\.\.\//, 'bench/')),
  };
}

/** Accepts the shapes a component bench may reasonably return and turns them into rows. */
function normalizeRows(value: unknown): ComponentRow[] {
  const list = Array.isArray(value) ? value : value && typeof value === 'object' && Array.isArray((value as { rows?: unknown }).rows) ? (value as { rows: unknown[] }).rows : [value];
  return list.map((item, i) => {
    if (!item || typeof item !== 'object') return { name: `result ${i + 1}`, value: String(item) };
    const r = item as Record<string, unknown>;
    const name = String(r.name ?? r.row ?? r.label ?? `result ${i + 1}`);
    let text: string;
    if (typeof r.value === 'string' || typeof r.value === 'number') text = `${r.value}${typeof r.unit === 'string' && typeof r.value === 'number' ? ` ${r.unit}` : ''}`;
    else if (typeof r.median === 'number' || typeof r.p50 === 'number') {
      const unit = typeof r.unit === 'string' ? ` ${r.unit}` : '';
      const p50 = (r.median ?? r.p50) as number;
      text = `p50 ${p50.toPrecision(3)}${typeof r.p95 === 'number' ? ` / p95 ${r.p95.toPrecision(3)}` : ''}${unit}`;
    } else text = JSON.stringify(r);
    const row: ComponentRow = { name, value: text };
    if (typeof r.target === 'string') row.target = r.target;
    if (typeof r.meets === 'boolean') row.meets = r.meets;
    if (typeof r.n === 'number') row.n = r.n;
    if (typeof r.note === 'string') row.note = r.note;
    return row;
  });
}

async function runComponent(name: string): Promise<ComponentResult> {
  const load = COMPONENTS[`../${name}.bench.ts`];
  if (!load) return { status: 'absent', reason: `bench/${name}.bench.ts does not exist` };
  try {
    const mod = await load();
    const fn = [mod.default, mod.bench, mod.run].find((f) => typeof f === 'function') as ((context: unknown) => unknown) | undefined;
    if (!fn) return { status: 'error', error: `bench/${name}.bench.ts exports no default, bench or run function` };
    const { createSandbox } = await import('../../src/index.js');
    return { status: 'ok', rows: normalizeRows(await fn({ createSandbox })) };
  } catch (error) {
    return { status: 'error', error: describe(error) };
  }
}

/** The audit row's page side (bench/page/audit.ts), driven by bench/run.mjs. */
const audit = {
  setup: async (arms: string[]) => (await import('./audit.js')).setup(arms),
  batch: async (arm: string, n: number) => (await import('./audit.js')).batch(arm, n),
  teardown: async () => (await import('./audit.js')).teardown(),
};

Object.assign(window, { __bench: { runRow, info, runComponent, audit } });
document.body.dataset.ready = 'true';

/**
 * Cost of static validation: checkLimits + parseSource (acorn) + validate, on a ~100 KB source
 * (throughput) and on a small typical snippet (latency, to compare with a warm run).
 *
 * Runs in the bench page's main thread; the worker runs the same code on the same V8, so the
 * numbers carry over. `benchValidate()` is for the lead's bench; the default export follows the
 * component-bench contract of bench/page/main.ts.
 */
import { parseSource } from '../worker/source.js';
import { checkLimits, DEFAULT_MODULES, validate, type ValidateOptions } from '../worker/validate.js';

/** A small, typical guest program (what an agent sends per run). */
export const SMALL_SOURCE = `
import { mean, stdev } from 'quickcage:statistics';
const rows = data.map(({ name, score }) => ({ name: name.trim(), score: Number(score) }));
const valid = rows.filter((r) => Number.isFinite(r.score));
const byName = new Map(valid.map((r) => [r.name, r.score]));
const top = [...byName].sort((a, b) => b[1] - a[1]).slice(0, 3);
export default { mean: mean(valid.map((r) => r.score)), stdev: stdev(valid.map((r) => r.score)), top, note: \`\${valid.length} rows\` };
`;

/** One chunk of realistic code; repeated with fresh names up to the target size. */
function chunk(i: number): string {
  return `
function summarize${i}(items, options = {}) {
  const { limit = 10, key = 'value' } = options;
  const seen = new Set();
  const out = [];
  for (const item of items) {
    if (item == null || seen.has(item.id)) continue;
    seen.add(item.id);
    const value = typeof item[key] === 'number' ? item[key] : Number.parseFloat(String(item[key] ?? '0'));
    out.push({ id: item.id, value, label: \`#\${item.id}: \${value.toFixed(2)}\` });
    if (out.length >= limit) break;
  }
  return out.sort((a, b) => b.value - a.value);
}
class Store${i} {
  #items = new Map();
  static from(list) { const s = new Store${i}(); for (const [k, v] of list) s.set(k, v); return s; }
  get size() { return this.#items.size; }
  set(k, v) { this.#items.set(k, v); return this; }
  get(k, fallback = null) { return this.#items.has(k) ? this.#items.get(k) : fallback; }
  *entries() { yield* this.#items; }
  toJSON() { return Object.fromEntries(this.#items); }
}
const pattern${i} = /^(\\w+)-(\\d{2,4})$/u;
async function load${i}(names) {
  const results = await Promise.all(names.map(async (n) => ({ n, ok: pattern${i}.test(n) })));
  return results.reduce((acc, { n, ok }) => { acc[ok ? 'good' : 'bad'].push(n); return acc; }, { good: [], bad: [] });
}
const table${i} = [[1, 2, 3], [4, 5, 6]].map((row, r) => row.map((x, c) => x * (r + 1) + c));
const config${i} = { retries: 3, delays: [10, 20, 40], nested: { deep: { flag: true, list: ['a', 'b'] } } };
label${i}: for (let r = 0; r < table${i}.length; r++) {
  for (let c = 0; c < table${i}[r].length; c++) { if (table${i}[r][c] > 10) break label${i}; }
}
`;
}

/** A ~`bytes` source made of {@link chunk}s, plus the default modules' sources (real code). */
export function largeSource(bytes = 100 * 1024): string {
  // Each module in its own block, exports dropped, so their top-level names do not collide.
  const parts = Object.values(DEFAULT_MODULES).map((s) => `{\n${s.replace(/^export /gm, '')}\n}`);
  let size = parts.reduce((n, p) => n + p.length, 0);
  for (let i = 0; size < bytes; i++) {
    const c = `{\n${chunk(i)}\n}`;
    parts.push(c);
    size += c.length;
  }
  return parts.join('\n');
}

const OPTIONS: ValidateOptions = { grantedGlobals: ['data'], allowedImports: [] };

/** checkLimits + parseSource + validate; throws if the source does not pass (the bench must measure the pass path). */
function pipeline(code: string): void {
  const limit = checkLimits(code, { maxSourceBytes: 1024 * 1024, maxNestingDepth: 200 });
  if (limit) throw new Error(limit.message);
  const parsed = parseSource(code, 'auto');
  if (!parsed.ok) throw new Error(parsed.message);
  const violations = validate(parsed, code, OPTIONS);
  if (violations.length > 0) throw new Error(violations[0]!.message);
}

function median(samples: number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/**
 * Per-call ms of `f`: median and best over samples taken for about `budgetMs` (at least `min`),
 * after a warm-up. Each sample runs `f` in a batch long enough (>= 2 ms) for the page's coarse
 * timer (100 µs without cross-origin isolation).
 */
function time(f: () => void, budgetMs: number, min: number): { median: number; best: number } {
  for (let i = 0; i < 10; i++) f();
  let batch = 1;
  for (;;) {
    const t = performance.now();
    for (let i = 0; i < batch; i++) f();
    if (performance.now() - t >= 2 || batch >= 1 << 16) break;
    batch *= 2;
  }
  const samples: number[] = [];
  const end = performance.now() + budgetMs;
  while (samples.length < min || performance.now() < end) {
    const t = performance.now();
    for (let i = 0; i < batch; i++) f();
    samples.push((performance.now() - t) / batch);
  }
  return { median: median(samples), best: Math.min(...samples) };
}

/** Detailed numbers: full pipeline and its phases (medians; `best*` are the fastest samples, what a quiet machine gets). */
export interface ValidateBench {
  /** Source bytes per second through checkLimits + parseSource + validate, in MB/s (MB = 10^6 bytes), median. */
  mbPerSec: number;
  /** Same, from the fastest sample. */
  bestMbPerSec: number;
  /** Full pipeline on {@link SMALL_SOURCE}, median ms per call. */
  smallMs: number;
  /** Size of the large source, bytes. */
  largeBytes: number;
  /** Median ms of each phase on the large source. */
  phasesMs: { checkLimits: number; parse: number; validate: number };
}

/** Measures validation throughput (~100 KB source) and small-snippet latency. */
export async function benchValidate(): Promise<ValidateBench> {
  const large = largeSource();
  pipeline(large);
  pipeline(SMALL_SOURCE);
  const bytes = new TextEncoder().encode(large).length;
  const full = time(() => pipeline(large), 2000, 20);
  const parsed = parseSource(large, 'auto');
  if (!parsed.ok) throw new Error(parsed.message);
  const phasesMs = {
    checkLimits: time(() => checkLimits(large, { maxSourceBytes: 1024 * 1024, maxNestingDepth: 200 }), 500, 20).median,
    parse: time(() => parseSource(large, 'auto'), 1000, 20).median,
    validate: time(() => validate(parsed, large, OPTIONS), 1000, 20).median,
  };
  const smallMs = time(() => pipeline(SMALL_SOURCE), 1000, 20).median;
  return { mbPerSec: bytes / 1e6 / (full.median / 1000), bestMbPerSec: bytes / 1e6 / (full.best / 1000), smallMs, largeBytes: bytes, phasesMs };
}

/** Component-bench entry (bench/page/main.ts): rows for the report, with the share of a warm run when a sandbox is available. */
export default async function bench(context?: { createSandbox?: (options?: unknown) => Promise<unknown> }): Promise<unknown[]> {
  const r = await benchValidate();
  const rows: unknown[] = [
    { name: 'validation throughput (~100 KB)', value: `${r.mbPerSec.toFixed(1)} MB/s`, note: `best ${r.bestMbPerSec.toFixed(1)} MB/s; checkLimits ${r.phasesMs.checkLimits.toFixed(2)} ms, acorn ${r.phasesMs.parse.toFixed(2)} ms, rules ${r.phasesMs.validate.toFixed(2)} ms on ${(r.largeBytes / 1024).toFixed(0)} KiB` },
    { name: 'validation of a small snippet', value: `${(r.smallMs * 1000).toFixed(0)} µs`, note: `${SMALL_SOURCE.length} bytes, checkLimits + parse + validate` },
  ];
  const warm = await warmRunMs(context?.createSandbox);
  if (warm !== null) rows.push({ name: 'validation share of a warm run', value: `${((r.smallMs / warm) * 100).toFixed(0)} %`, note: `warm run p50 ${warm.toFixed(3)} ms` });
  return rows;
}

/** p50 of a warm `run('1 + 1')`, or null when no sandbox can be made here. */
async function warmRunMs(createSandbox: ((options?: unknown) => Promise<unknown>) | undefined): Promise<number | null> {
  if (createSandbox === undefined) return null;
  try {
    const sandbox = (await createSandbox()) as { run(code: string): Promise<unknown>; dispose(): Promise<void> | void };
    try {
      for (let i = 0; i < 20; i++) await sandbox.run('1 + 1');
      const samples: number[] = [];
      for (let i = 0; i < 200; i++) {
        const t = performance.now();
        await sandbox.run('1 + 1');
        samples.push(performance.now() - t);
      }
      return median(samples);
    } finally {
      await sandbox.dispose();
    }
  } catch {
    return null;
  }
}

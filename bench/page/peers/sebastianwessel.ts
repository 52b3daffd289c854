/**
 * `@sebastianwessel/quickjs` 3.1.0 used as its README shows: `loadQuickJs(variant)` once, then
 * `runSandboxed(({ evalCode }) => evalCode(code), options)` per run, on the page's own thread (the
 * library has no worker of its own). Its `evalCode` always evaluates a module and returns the default
 * export, so guest programs here end in `export default`. Variant: the same
 * `@jitl/quickjs-wasmfile-release-sync` build the other engines use. It needs Node built-ins
 * (memfs reads `Buffer` from `node:buffer` at load time): bench/run.mjs builds the page with
 * `vite-plugin-node-polyfills`, as its browser instructions do with a bundler.
 */
import variant from '@jitl/quickjs-wasmfile-release-sync';
import type { SandboxOptions, loadQuickJs as LoadQuickJs } from '@sebastianwessel/quickjs';
import {
  BOMB_DEADLINE_MS,
  BOMB_LIMIT_BYTES,
  CODE,
  DEADLINE_MS,
  FIB_25,
  FIB_WARMUP,
  HANG_GRACE_MS,
  MIB,
  STUCK_DEADLINE_MS,
  THROUGHPUT_BATCH,
  collect,
  describe,
  tally,
  throughput,
  time,
  warmUp,
  within,
} from '../measure.js';
import type { Peer, RowOptions, RowResult } from '../types.js';

type Loaded = Awaited<ReturnType<typeof LoadQuickJs>>;

/** Imported on first use, so a failure to even load the package lands in this peer's cells. */
async function loadQuickJs(v: typeof variant): Promise<Loaded> {
  const lib = await import('@sebastianwessel/quickjs');
  return lib.loadQuickJs(v);
}
type Outcome = { ok: true; data: unknown } | { ok: false; error: { name: string; message: string } };

const MODULE = {
  tiny: 'export default 1+1',
  loop: 'while(true){}\nexport default 0',
  stuck: CODE.stuck,
  bomb: `${CODE.bomb}\nexport default 0`,
  fib: 'function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }\nexport default fib(25)',
};

/** The same defaults quickcage uses: 5 s deadline, 50 MiB memory. */
const DEFAULTS: SandboxOptions = { executionTimeout: 5_000, memoryLimit: 50 * MIB };

function run(loaded: Loaded, code: string, options: SandboxOptions = {}): Promise<Outcome> {
  return loaded.runSandboxed(async ({ evalCode }) => evalCode(code), { ...DEFAULTS, ...options }) as Promise<Outcome>;
}

async function expectValue(loaded: Loaded, code: string, expected: unknown, options: SandboxOptions = {}): Promise<void> {
  const r = await run(loaded, code, options);
  if (!r.ok) throw new Error(`guest failed: ${r.error.name}: ${r.error.message}`);
  if (r.data !== expected) throw new Error(`expected ${JSON.stringify(expected)}, got ${JSON.stringify(r.data)}`);
}

function outcomeOf(r: Outcome): string {
  return r.ok ? 'resolved' : `${r.error.name}: ${r.error.message}`.slice(0, 80);
}

/** The cold row's sample (bench/page/cold.ts): load the package and the WASM, first result. */
export async function coldRun(): Promise<void> {
  await expectValue(await loadQuickJs(variant), MODULE.tiny, 2);
}

const rows: Record<string, (o: RowOptions) => Promise<RowResult>> = {
  async coldInPage(o) {
    await expectValue(await loadQuickJs(variant), MODULE.tiny, 2);
    const samples = await collect(o, () => time(async () => expectValue(await loadQuickJs(variant), MODULE.tiny, 2)));
    return { status: 'ok', unit: 'ms', samples, note: 'on the page thread' };
  },

  async warm(o) {
    const loaded = await loadQuickJs(variant);
    await warmUp(50, () => expectValue(loaded, MODULE.tiny, 2));
    const samples = await collect(o, () => time(() => expectValue(loaded, MODULE.tiny, 2)));
    return { status: 'ok', unit: 'ms', samples, note: 'on the page thread' };
  },

  async deadline(o) {
    const loaded = await loadQuickJs(variant);
    const outcomes: string[] = [];
    const samples = await collect(o, async (i) => {
      const t0 = performance.now();
      const r = await run(loaded, MODULE.loop, { executionTimeout: DEADLINE_MS });
      if (i >= 0) outcomes.push(outcomeOf(r));
      return performance.now() - t0 - DEADLINE_MS;
    }, 2);
    return { status: 'ok', unit: 'ms', samples, outcomes: tally(outcomes), note: 'the page thread is blocked until the deadline' };
  },

  async stuck(o) {
    const loaded = await loadQuickJs(variant);
    await warmUp(5, () => expectValue(loaded, MODULE.tiny, 2));
    const outcomes: string[] = [];
    const next: number[] = [];
    const samples = await collect(o, async (i) => {
      const t0 = performance.now();
      const r = await within(run(loaded, MODULE.stuck, { executionTimeout: STUCK_DEADLINE_MS }), STUCK_DEADLINE_MS + HANG_GRACE_MS);
      const ms = performance.now() - t0;
      if (!r.settled) {
        outcomes.push('hung');
        return null;
      }
      const after = await time(() => expectValue(loaded, MODULE.tiny, 2));
      if (i >= 0) {
        outcomes.push('value' in r ? outcomeOf(r.value) : describe(r.error));
        next.push(after);
      }
      return ms;
    }, 1);
    return { status: 'ok', unit: 'ms', samples, extra: { next }, outcomes: tally(outcomes) };
  },

  async memory(o) {
    const outcomes: string[] = [];
    const peaks: number[] = [];
    const samples = await collect(o, async (i) => {
      // A fresh module per sample: WASM memory never shrinks, so a reused one would start pre-grown.
      const loaded = await loadQuickJs(variant);
      const t0 = performance.now();
      const r = await run(loaded, MODULE.bomb, { executionTimeout: BOMB_DEADLINE_MS, memoryLimit: BOMB_LIMIT_BYTES }).catch(
        (error: unknown): Outcome => ({ ok: false, error: { name: 'thrown', message: describe(error) } }),
      );
      const ms = performance.now() - t0;
      if (i >= 0) {
        outcomes.push(outcomeOf(r));
        peaks.push(loaded.module.getWasmMemory().buffer.byteLength);
      }
      return ms;
    }, 1);
    return { status: 'ok', unit: 'ms', samples, extra: { peakBytes: peaks }, outcomes: tally(outcomes), note: 'on the page thread' };
  },

  async throughput(o) {
    const loaded = await loadQuickJs(variant);
    // Its runs take milliseconds each on the page thread: smaller batches keep the row inside its time budget.
    const batch = THROUGHPUT_BATCH / 4;
    const samples = await throughput(o, batch, () => expectValue(loaded, MODULE.tiny, 2));
    return { status: 'ok', unit: 'runs/s', samples, note: `one thread (no pool), batches of ${batch}` };
  },

  async fib(o) {
    const loaded = await loadQuickJs(variant);
    const options = { executionTimeout: 60_000 };
    await warmUp(FIB_WARMUP, () => expectValue(loaded, MODULE.fib, FIB_25, options));
    const samples = await collect(o, () => time(() => expectValue(loaded, MODULE.fib, FIB_25, options)));
    return { status: 'ok', unit: 'ms', samples };
  },
};

/**
 * Without Node polyfills the package fails as soon as it is imported: it depends on memfs, whose
 * @jsonjoy.com/fs-node-builtins reads `Buffer.allocUnsafe` from `node:buffer` at module load, and
 * Vite leaves Node built-ins empty in browser builds. bench/run.mjs adds the polyfills; this names
 * the cause should they ever be missing.
 */
function explain(error: unknown): string {
  const text = describe(error);
  if (/allocUnsafe|Buffer/.test(text)) {
    return `importing it loads memfs, which reads Buffer.allocUnsafe from node:buffer at load time, and this build has no Node polyfill for it (${text})`;
  }
  return text;
}

export const sebastianwessel: Peer = {
  run: async (row, options) => {
    try {
      return await rows[row]!(options);
    } catch (error) {
      return { status: 'error', error: explain(error) };
    }
  },
};

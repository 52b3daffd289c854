/** Raw quickjs-emscripten in a worker through comlink (bench/page/raw-worker.ts): the by-hand baseline. */
import * as Comlink from 'comlink';
import type { RawRunOptions, RawRunResult, RawWorkerApi } from '../raw-worker.js';
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

/** The same defaults quickcage uses: 5 s deadline, 50 MiB memory. */
const DEFAULTS: RawRunOptions = { timeoutMs: 5_000, memoryLimitBytes: 50 * MIB };

interface RawWorker {
  remote: Comlink.Remote<RawWorkerApi>;
  dispose(): void;
}

async function spawn(): Promise<RawWorker> {
  const worker = new Worker(new URL('../raw-worker.ts', import.meta.url), { type: 'module', name: 'raw-quickjs' });
  const remote = Comlink.wrap<RawWorkerApi>(worker);
  await remote.init();
  return {
    remote,
    dispose() {
      remote[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
}

async function withWorkers<T>(count: number, fn: (workers: RawWorker[]) => Promise<T>): Promise<T> {
  const workers = await Promise.all(Array.from({ length: count }, spawn));
  try {
    return await fn(workers);
  } finally {
    for (const w of workers) w.dispose();
  }
}

async function expectValue(w: RawWorker, code: string, expected: unknown, options: Partial<RawRunOptions> = {}): Promise<void> {
  const r = await w.remote.run(code, { ...DEFAULTS, ...options });
  if (!r.ok) throw new Error(`guest failed: ${describe(r.error)}`);
  if (r.value !== expected) throw new Error(`expected ${JSON.stringify(expected)}, got ${JSON.stringify(r.value)}`);
}

/** How a failed run ended, in words comparable to quickcage's codes. */
function outcomeOf(r: RawRunResult): string {
  if (r.ok) return 'resolved';
  if (r.threw) return `threw out of WASM: ${describe(r.error).slice(0, 80)}`;
  const e = r.error as { name?: string; message?: string } | null;
  if (e === null) return 'null (out of memory)';
  if (typeof e === 'object' && e.message === 'interrupted') return 'InternalError: interrupted';
  if (typeof e === 'object' && e.message === 'out of memory') return 'InternalError: out of memory';
  return describe(e).slice(0, 80);
}

const rows: Record<string, (o: RowOptions) => Promise<RowResult>> = {
  async coldInPage(o) {
    await withWorkers(1, ([w]) => expectValue(w!, CODE.tiny, 2));
    const samples = await collect(o, () => time(() => withWorkers(1, ([w]) => expectValue(w!, CODE.tiny, 2))));
    return { status: 'ok', unit: 'ms', samples };
  },

  warm: (o) =>
    withWorkers(1, async ([w]) => {
      await warmUp(50, () => expectValue(w!, CODE.tiny, 2));
      const samples = await collect(o, () => time(() => expectValue(w!, CODE.tiny, 2)));
      return { status: 'ok', unit: 'ms', samples };
    }),

  deadline: (o) =>
    withWorkers(1, async ([w]) => {
      await warmUp(5, () => expectValue(w!, CODE.tiny, 2));
      const outcomes: string[] = [];
      const samples = await collect(o, async (i) => {
        const t0 = performance.now();
        const r = await w!.remote.run(CODE.loop, { ...DEFAULTS, timeoutMs: DEADLINE_MS });
        const ms = performance.now() - t0;
        if (i >= 0) outcomes.push(outcomeOf(r));
        return ms - DEADLINE_MS;
      }, 2);
      return { status: 'ok', unit: 'ms', samples, outcomes: tally(outcomes) };
    }),

  stuck: (o) =>
    withWorkers(1, async ([w]) => {
      await warmUp(5, () => expectValue(w!, CODE.tiny, 2));
      const outcomes: string[] = [];
      const next: number[] = [];
      let hung = false;
      const samples = await collect(o, async () => {
        const t0 = performance.now();
        const call = w!.remote.run(CODE.stuck, { ...DEFAULTS, timeoutMs: STUCK_DEADLINE_MS, module: true }) as Promise<RawRunResult>;
        const r = await within(call, STUCK_DEADLINE_MS + HANG_GRACE_MS);
        const ms = performance.now() - t0;
        if (!r.settled) {
          hung = true;
          outcomes.push('hung');
          // The worker itself is idle (the guest waits on a promise), so the next run can still be timed.
          next.push(await time(() => expectValue(w!, CODE.tiny, 2)));
          return null;
        }
        outcomes.push('value' in r ? outcomeOf(r.value) : describe(r.error));
        next.push(await time(() => expectValue(w!, CODE.tiny, 2)));
        return ms;
      });
      const note = hung
        ? `never rejected: still pending ${STUCK_DEADLINE_MS + HANG_GRACE_MS} ms after the call (the interrupt handler does not run while a guest awaits); its runtime stays allocated`
        : undefined;
      return { status: 'ok', unit: 'ms', samples, extra: { next }, outcomes: tally(outcomes), ...(note ? { note } : {}) };
    }),

  async memory(o) {
    const outcomes: string[] = [];
    const peaks: number[] = [];
    const samples = await collect(o, (i) =>
      // A fresh worker per sample: WASM memory never shrinks, so a reused one would start pre-grown.
      withWorkers(1, async ([w]) => {
        const t0 = performance.now();
        const r = await w!.remote.run(CODE.bomb, { timeoutMs: BOMB_DEADLINE_MS, memoryLimitBytes: BOMB_LIMIT_BYTES });
        const ms = performance.now() - t0;
        const peak = await w!.remote.wasmMemoryBytes();
        if (i >= 0) {
          outcomes.push(outcomeOf(r));
          peaks.push(peak);
        }
        return ms;
      }),
    1);
    return { status: 'ok', unit: 'ms', samples, extra: { peakBytes: peaks }, outcomes: tally(outcomes) };
  },

  throughput: (o) =>
    withWorkers(2, async (workers) => {
      const samples = await throughput(o, THROUGHPUT_BATCH, (i) => expectValue(workers[i % 2]!, CODE.tiny, 2));
      return { status: 'ok', unit: 'runs/s', samples, note: `2 workers, round-robin, batches of ${THROUGHPUT_BATCH}` };
    }),

  fib: (o) =>
    withWorkers(1, async ([w]) => {
      await warmUp(FIB_WARMUP, () => expectValue(w!, CODE.fib, FIB_25, { timeoutMs: 60_000 }));
      const samples = await collect(o, () => time(() => expectValue(w!, CODE.fib, FIB_25, { timeoutMs: 60_000 })));
      return { status: 'ok', unit: 'ms', samples };
    }),
};

/** The cold row's sample (bench/page/cold.ts): a new worker, its first result; returns the clean-up. */
export async function coldRun(): Promise<() => void> {
  const w = await spawn();
  try {
    await expectValue(w, CODE.tiny, 2);
  } catch (error) {
    w.dispose();
    throw error;
  }
  return () => w.dispose();
}

/**
 * A raw worker that runs fib(25) on demand, for the head-to-head fib samples the quickcage peer takes
 * in the same page (alternating, so both engines see the same machine).
 */
export async function rawFib(): Promise<{ run(): Promise<number>; dispose(): void }> {
  const w = await spawn();
  return {
    run: () => time(() => expectValue(w, CODE.fib, FIB_25, { timeoutMs: 60_000 })),
    dispose: () => w.dispose(),
  };
}

/** A raw worker that runs `1+1` on demand (the audit row's page-thread baseline, bench/page/audit.ts). */
export async function rawTiny(): Promise<{ run(): Promise<void>; dispose(): void }> {
  const w = await spawn();
  return {
    run: () => expectValue(w, CODE.tiny, 2),
    dispose: () => w.dispose(),
  };
}

export const raw: Peer = {
  run: (row, options) => rows[row]!(options),
};

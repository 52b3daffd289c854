/** quickcage through its public API only (`createSandbox` from src/index.ts), default options unless a row says otherwise. */
import { PRESETS, createSandbox, isSandboxError, type Sandbox } from '../../../src/index.js';
import {
  BOMB_DEADLINE_MS,
  BOMB_LIMIT_BYTES,
  CODE,
  DEADLINE_MS,
  FIB_25,
  HANG_GRACE_MS,
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
import { rawFib } from './raw.js';

/** Idle time before each diagnostic "after idle" warm run. */
const IDLE_MS = 5;

/** The error code, marked when the watchdog had to terminate the worker (a deadline the interrupt missed). */
function codeOf(error: unknown): string {
  if (!isSandboxError(error)) return describe(error);
  return error.details.workerTerminated === true ? `${error.code} (worker terminated)` : error.code;
}

async function expectValue(sandbox: Sandbox, code: string, expected: unknown, timeoutMs?: number): Promise<void> {
  const out = await sandbox.run(code, timeoutMs === undefined ? {} : { timeoutMs });
  if (out.value !== expected) throw new Error(`expected ${JSON.stringify(expected)}, got ${JSON.stringify(out.value)}`);
}

async function withSandbox<T>(options: Parameters<typeof createSandbox>[0], fn: (sandbox: Sandbox) => Promise<T>): Promise<T> {
  const sandbox = createSandbox(options);
  try {
    return await fn(sandbox);
  } finally {
    await sandbox.dispose();
  }
}

/** Time from the call to the rejection, and the code it rejected with. */
async function rejection(promise: Promise<unknown>): Promise<{ ms: number; code: string }> {
  const t0 = performance.now();
  try {
    await promise;
    return { ms: performance.now() - t0, code: 'resolved' };
  } catch (error) {
    return { ms: performance.now() - t0, code: codeOf(error) };
  }
}

const rows: Record<string, (o: RowOptions) => Promise<RowResult>> = {
  async cold(o) {
    const samples = await collect(o, () =>
      time(() => withSandbox({}, (sandbox) => expectValue(sandbox, CODE.tiny, 2))),
    );
    return { status: 'ok', unit: 'ms', samples };
  },

  async coldInPage(o) {
    // The page has compiled the WASM once already; every sample is a new sandbox with new workers.
    await withSandbox({}, (sandbox) => expectValue(sandbox, CODE.tiny, 2));
    const samples = await collect(o, () => time(() => withSandbox({}, (sandbox) => expectValue(sandbox, CODE.tiny, 2))));
    // Diagnostic: without the warm standby, whose start-up competes for the same cores.
    const noStandby = await collect({ ...o, budgetMs: o.budgetMs / 2 }, () =>
      time(() => withSandbox({ standby: false }, (sandbox) => expectValue(sandbox, CODE.tiny, 2))),
    );
    return { status: 'ok', unit: 'ms', samples, extra: { noStandbyMs: noStandby } };
  },

  warm: (o) =>
    withSandbox({}, async (sandbox) => {
      // ready() includes the standby worker, which would otherwise start up during the first samples.
      await sandbox.ready();
      await warmUp(50, () => expectValue(sandbox, CODE.tiny, 2));
      const inWorker: number[] = [];
      const samples = await collect(o, async () => {
        const t0 = performance.now();
        const out = await sandbox.run(CODE.tiny);
        const ms = performance.now() - t0;
        if (out.value !== 2) throw new Error(`expected 2, got ${JSON.stringify(out.value)}`);
        inWorker.push(out.stats.wallMs);
        return ms;
      });
      // Diagnostic: the same run when the worker had idle time to prepare its next context first.
      const afterIdle = await collect({ samples: 200, minSamples: 20, budgetMs: 1_500 }, async () => {
        await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
        return time(() => expectValue(sandbox, CODE.tiny, 2));
      });
      return { status: 'ok', unit: 'ms', samples, extra: { inWorkerMs: inWorker, afterIdleMs: afterIdle } };
    }),

  deadline: (o) =>
    withSandbox({}, async (sandbox) => {
      await sandbox.ready();
      const outcomes: string[] = [];
      const samples = await collect(o, async (i) => {
        const r = await rejection(sandbox.run(CODE.loop, { timeoutMs: DEADLINE_MS }));
        if (i >= 0) outcomes.push(r.code);
        return r.ms - DEADLINE_MS;
      }, 2);
      return { status: 'ok', unit: 'ms', samples, outcomes: tally(outcomes) };
    }),

  stuck: (o) =>
    withSandbox({}, async (sandbox) => {
      await sandbox.ready();
      await warmUp(5, () => expectValue(sandbox, CODE.tiny, 2));
      const outcomes: string[] = [];
      const next: number[] = [];
      const samples = await collect(o, async (i) => {
        const t0 = performance.now();
        const r = await within(sandbox.run(CODE.stuck, { timeoutMs: STUCK_DEADLINE_MS }), STUCK_DEADLINE_MS + HANG_GRACE_MS);
        const ms = performance.now() - t0;
        if (!r.settled) {
          outcomes.push('hung');
          return null;
        }
        const after = await time(() => expectValue(sandbox, CODE.tiny, 2));
        if (i >= 0) {
          outcomes.push('error' in r ? codeOf(r.error) : 'resolved');
          next.push(after);
        }
        return ms;
      }, 1);
      return { status: 'ok', unit: 'ms', samples, extra: { next }, outcomes: tally(outcomes) };
    }),

  async memory(o) {
    const outcomes: string[] = [];
    const peaks: number[] = [];
    const samples = await collect(o, (i) =>
      // A fresh sandbox per sample, so every bomb starts from a fresh WASM memory.
      withSandbox({ policy: { limits: { ...PRESETS.webApi.limits, memoryLimitBytes: BOMB_LIMIT_BYTES, timeoutMs: BOMB_DEADLINE_MS } } }, async (sandbox) => {
        await sandbox.ready();
        const r = await rejection(sandbox.run(CODE.bomb));
        const info = await sandbox.workerInfo();
        if (i >= 0) {
          outcomes.push(r.code);
          peaks.push(Math.max(...info.map((w) => w.wasmMemoryBytes)));
        }
        return r.ms;
      }),
    1);
    return { status: 'ok', unit: 'ms', samples, extra: { peakBytes: peaks }, outcomes: tally(outcomes) };
  },

  throughput: (o) =>
    withSandbox({ workers: 2 }, async (sandbox) => {
      await sandbox.ready();
      const samples = await throughput(o, THROUGHPUT_BATCH, () => sandbox.run(CODE.tiny));
      return { status: 'ok', unit: 'runs/s', samples, note: `workers: 2, batches of ${THROUGHPUT_BATCH}` };
    }),

  fib: (o) =>
    withSandbox({}, async (sandbox) => {
      await sandbox.ready();
      // Head-to-head: a raw quickjs-emscripten worker in the same page, sampled alternately, so a
      // busy machine slows both engines alike (the columns come from separate pages and moments).
      const rival = await rawFib();
      try {
        await warmUp(2, () => expectValue(sandbox, CODE.fib, FIB_25, 60_000));
        await warmUp(2, () => rival.run());
        const inWorker: number[] = [];
        const rawAlternating: number[] = [];
        const samples = await collect(o, async () => {
          const t0 = performance.now();
          const out = await sandbox.run(CODE.fib, { timeoutMs: 60_000 });
          const ms = performance.now() - t0;
          if (out.value !== FIB_25) throw new Error(`expected ${FIB_25}, got ${JSON.stringify(out.value)}`);
          inWorker.push(out.stats.wallMs);
          rawAlternating.push(await rival.run());
          return ms;
        });
        return { status: 'ok', unit: 'ms', samples, extra: { inWorkerMs: inWorker, rawAlternatingMs: rawAlternating } };
      } finally {
        rival.dispose();
      }
    }),
};

export const quickcage: Peer = {
  run: (row, options) => rows[row]!(options),
};

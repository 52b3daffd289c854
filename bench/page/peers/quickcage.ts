/**
 * quickcage through its public API only (`createSandbox` from src/index.ts), default options unless a
 * row says otherwise, in two columns: the default sandbox, and the full pipeline (the same sandbox
 * with `createAuditLog()` + `createRateLimiter()` wired, bench/page/pipeline.ts).
 */
import * as lib from '../../../src/index.js';
import { PRESETS, isSandboxError, type Sandbox } from '../../../src/index.js';
import {
  BOMB_DEADLINE_MS,
  BOMB_LIMIT_BYTES,
  CODE,
  DEADLINE_MS,
  FIB_25,
  FIB_WARMUP,
  HANG_GRACE_MS,
  STUCK_DEADLINE_MS,
  THROUGHPUT_BATCH,
  collect,
  describe,
  tally,
  sustainedThroughput,
  time,
  warmUp,
  within,
} from '../measure.js';
import { USER, pipeline, type Pipeline } from '../pipeline.js';
import type { Peer, RowOptions, RowResult } from '../types.js';
import { rawFib } from './raw.js';

type SandboxOptions = NonNullable<Parameters<typeof lib.createSandbox>[0]>;
type PolicyInput = Parameters<typeof lib.definePolicy>[0];

/** Idle time before each diagnostic "after idle" warm run. */
const IDLE_MS = 5;

/** The error code, marked when the watchdog had to terminate the worker (a deadline the interrupt missed). */
function codeOf(error: unknown): string {
  if (!isSandboxError(error)) return describe(error);
  return error.details.workerTerminated === true ? `${error.code} (worker terminated)` : error.code;
}

async function expectValue(sandbox: Sandbox, code: string, expected: unknown, timeoutMs?: number): Promise<void> {
  const out = await sandbox.run(code, timeoutMs === undefined ? { user: USER } : { timeoutMs, user: USER });
  if (out.value !== expected) throw new Error(`expected ${JSON.stringify(expected)}, got ${JSON.stringify(out.value)}`);
}

/**
 * Every run is made as a user (quotas and audit records are per user); the default sandbox gets the
 * same `user` so both columns make the same calls. Runs meant to fail (deadline, stuck, memory) use a
 * fresh user per sample: the audit log's auto-disable would otherwise disable a user after a few
 * violations, and every later run would end as `USER_DISABLED`.
 */
let violator = 0;
const freshUser = () => `bench-violator-${violator++}`;

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

/** Builds one column's rows: `full` wires the audit log and the rate limiter. */
function rowsFor(full: boolean): Record<string, (o: RowOptions) => Promise<RowResult>> {
  async function withSandbox<T>(options: SandboxOptions, fn: (sandbox: Sandbox, wiring: Pipeline) => Promise<T>, policy: PolicyInput = {}): Promise<T> {
    const wiring = pipeline(lib, full, options, policy);
    const sandbox = lib.createSandbox(wiring.options);
    try {
      return await fn(sandbox, wiring);
    } finally {
      await sandbox.dispose();
      await wiring.dispose();
    }
  }

  return {
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
          const out = await sandbox.run(CODE.tiny, { user: USER });
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
          const r = await rejection(sandbox.run(CODE.loop, { timeoutMs: DEADLINE_MS, user: freshUser() }));
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
          const r = await within(sandbox.run(CODE.stuck, { timeoutMs: STUCK_DEADLINE_MS, user: freshUser() }), STUCK_DEADLINE_MS + HANG_GRACE_MS);
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
        withSandbox({}, async (sandbox) => {
          await sandbox.ready();
          const r = await rejection(sandbox.run(CODE.bomb, { user: freshUser() }));
          const info = await sandbox.workerInfo();
          if (i >= 0) {
            outcomes.push(r.code);
            peaks.push(Math.max(...info.map((w) => w.wasmMemoryBytes)));
          }
          return r.ms;
        }, { limits: { ...PRESETS.webApi.limits, memoryLimitBytes: BOMB_LIMIT_BYTES, timeoutMs: BOMB_DEADLINE_MS } }),
      1);
      return { status: 'ok', unit: 'ms', samples, extra: { peakBytes: peaks }, outcomes: tally(outcomes) };
    },

    throughput: (o) =>
      withSandbox({ workers: 2 }, async (sandbox, wiring) => {
        await sandbox.ready();
        const { samples, sustained } = await sustainedThroughput(o, THROUGHPUT_BATCH, () => sandbox.run(CODE.tiny, { user: USER }), () => wiring.flush());
        return { status: 'ok', unit: 'runs/s', samples, note: `workers: 2, batches of ${THROUGHPUT_BATCH}; sustained (all sampled rounds, their audit records written): ${Math.round(sustained)} runs/s` };
      }),

    fib: (o) =>
      withSandbox({}, async (sandbox) => {
        await sandbox.ready();
        // Head-to-head: a raw quickjs-emscripten worker in the same page, sampled alternately, so a
        // busy machine slows both engines alike (the columns come from separate pages and moments).
        const rival = await rawFib();
        try {
          await warmUp(FIB_WARMUP, () => expectValue(sandbox, CODE.fib, FIB_25, 60_000));
          await warmUp(FIB_WARMUP, () => rival.run());
          const inWorker: number[] = [];
          const rawAlternating: number[] = [];
          let pair = 0;
          const samples = await collect(o, async () => {
            // Which engine goes first alternates: what one leaves running after its answer (the
            // snapshot restore, a collection) then overlaps each engine's runs alike.
            const rawFirst = pair++ % 2 === 1;
            if (rawFirst) rawAlternating.push(await rival.run());
            const t0 = performance.now();
            const out = await sandbox.run(CODE.fib, { timeoutMs: 60_000, user: USER });
            const ms = performance.now() - t0;
            if (out.value !== FIB_25) throw new Error(`expected ${FIB_25}, got ${JSON.stringify(out.value)}`);
            inWorker.push(out.stats.wallMs);
            if (!rawFirst) rawAlternating.push(await rival.run());
            return ms;
          });
          return { status: 'ok', unit: 'ms', samples, extra: { inWorkerMs: inWorker, rawAlternatingMs: rawAlternating } };
        } finally {
          rival.dispose();
        }
      }),
  };

}

const defaultRows = rowsFor(false);
const fullRows = rowsFor(true);

export const quickcage: Peer = {
  run: (row, options) => defaultRows[row]!(options),
};

export const quickcageFull: Peer = {
  run: (row, options) => fullRows[row]!(options),
};

/**
 * Sampling helpers for the bench page. Every loop is bounded twice: by a sample count and by a time
 * budget, so one slow peer cannot eat the whole benchmark.
 */
import type { RowOptions, RowResult } from './types.js';

export const MIB = 1024 * 1024;

/** Guest programs, the same for every engine (sebastianwessel's API needs modules, see its peer). */
export const CODE = {
  tiny: '1+1',
  loop: 'while(true){}',
  stuck: 'export default await new Promise(() => {})',
  bomb: 'const a=[]; for(;;) a.push({i:a.length})',
  fib: 'function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); } fib(25)',
} as const;

export const FIB_25 = 75025;
/**
 * Unrecorded fib(25) runs per engine before its samples, the same for every engine. With 2,
 * quickcage's first samples were 1.5-2x its later ones (17-22 ms, then about 10; V8 still tiering
 * up QuickJS's hot WASM functions in that worker), so its p50 moved with how many of them a run had.
 */
export const FIB_WARMUP = 6;
export const DEADLINE_MS = 100;
export const STUCK_DEADLINE_MS = 200;
export const BOMB_LIMIT_BYTES = 50 * MIB;
/** Every engine gets the same deadline for the memory bomb (quickcage's default). */
export const BOMB_DEADLINE_MS = 5_000;
/** How long past its deadline a stuck run may stay pending before the bench calls it hung. */
export const HANG_GRACE_MS = 1_000;
export const THROUGHPUT_BATCH = 200;

/**
 * Calls `one(i)` until `options.samples` samples exist or the budget is spent (never fewer than
 * `minSamples`). `one` returns the sample, or `null` to stop early (e.g. the peer hung). With
 * `warmUp`, `one` first runs that many times with a negative `i` and its results are dropped (first
 * runs pay for JIT tier-up and lazy set-up, which is not what these rows measure).
 */
export async function collect(options: RowOptions, one: (i: number) => Promise<number | null>, warmUp = 0): Promise<number[]> {
  for (let i = -warmUp; i < 0; i++) await one(i);
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < options.samples; i++) {
    if (i >= options.minSamples && performance.now() - started > options.budgetMs) break;
    const value = await one(i);
    if (value === null) break;
    samples.push(value);
  }
  return samples;
}

/** Runs `fn` `count` times without recording (JIT, caches, worker start-up). */
export async function warmUp(count: number, fn: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < count; i++) await fn();
}

/** Milliseconds taken by `fn`. */
export async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Counts how each sample ended. */
export function tally(outcomes: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[o] = (counts[o] ?? 0) + 1;
  return counts;
}

/** Settles with `{ settled: false }` when `promise` has not settled within `ms`. */
export function within<T>(promise: Promise<T>, ms: number): Promise<{ settled: true; value: T } | { settled: true; error: unknown } | { settled: false }> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ settled: false }), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve({ settled: true, value });
      },
      (error: unknown) => {
        clearTimeout(timer);
        resolve({ settled: true, error });
      },
    );
  });
}

/**
 * Warm-up rounds before throughput is sampled. Every column, empty comlink calls included, runs its
 * first thousand or so calls several times slower than later ones (V8 tiers up the page's and the
 * workers' code; QuickJS's WASM tiers up; quota leases grow): with one warm-up round the samples
 * climbed 2-4x from the first to the last in every column, so p50 measured the warm-up, not the rate.
 */
export const THROUGHPUT_WARMUP_ROUNDS = 5;

/** Throughput: `batches` rounds of `batch` concurrent calls; one runs/s sample per round. */
export async function throughput(options: RowOptions, batch: number, call: (i: number) => Promise<unknown>): Promise<number[]> {
  return (await sustainedThroughput(options, batch, call, async () => undefined)).samples;
}

/**
 * {@link throughput}, plus the rate over all sampled rounds together with the work they leave
 * behind (`settle`, e.g. writing the audit records a round queued): what a steady stream sustains.
 */
export async function sustainedThroughput(options: RowOptions, batch: number, call: (i: number) => Promise<unknown>, settle: () => Promise<void>): Promise<{ samples: number[]; sustained: number }> {
  for (let round = 0; round < THROUGHPUT_WARMUP_ROUNDS; round++) await Promise.all(Array.from({ length: batch }, (_, i) => call(i)));
  await settle();
  const start = performance.now();
  const samples = await collect(options, async () => {
    const t0 = performance.now();
    await Promise.all(Array.from({ length: batch }, (_, i) => call(i)));
    return batch / ((performance.now() - t0) / 1000);
  });
  await settle();
  return { samples, sustained: (samples.length * batch) / ((performance.now() - start) / 1000) };
}

export function na(reason: string): RowResult {
  return { status: 'na', reason };
}

export function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

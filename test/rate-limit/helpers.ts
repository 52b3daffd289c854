/** Helpers of the rate-limit tests: fresh databases, a settable clock, a sliding-window checker. */
import { deleteDB } from 'idb';
import { afterEach } from 'vitest';
import { createRateLimiter, type RateLimiter, type RateLimiterOptions } from '../../src/rate-limit.js';

export function fakeClock(start = Date.UTC(2025, 0, 1)) {
  let now = start;
  return { now: () => now, set: (t: number) => { now = t; }, advance: (ms: number) => { now += ms; } };
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const task of cleanup.splice(0).reverse()) await task();
});

export function freshDbName(): string {
  const name = `quota-test-${crypto.randomUUID()}`;
  cleanup.push(() => deleteDB(name));
  return name;
}

/** A limiter on a fresh database (or `dbName`), disposed after the test. */
export async function makeLimiter(options: RateLimiterOptions = {}): Promise<RateLimiter> {
  const limiter = createRateLimiter({ dbName: freshDbName(), warn: () => undefined, ...options });
  cleanup.push(() => limiter.dispose());
  await limiter.ready;
  return limiter;
}

/** The largest number of `times` inside any half-open window [t, t + windowMs). */
export function maxInAnyWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= windowMs) start += 1;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

/**
 * True when `promise` settles within a few microtasks, i.e. without waiting for any IndexedDB
 * request (those complete in later tasks). Deterministic, unlike a timing threshold.
 */
export async function answeredWithoutStorage(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(() => { settled = true; }, () => { settled = true; });
  for (let i = 0; i < 10; i++) await Promise.resolve();
  const early = settled;
  await promise;
  return early;
}

/**
 * The sliding-window arithmetic of the rate limiter, shared by its IndexedDB and memory paths:
 * the stored record of one (user, action) key, its admission stamps and lease entries, and the one
 * decision on it at E (admit or deny, remaining, resetAt). Pure functions over plain data: the
 * transactions, leases held by this tab and the clock live in rate-limit.ts.
 */
import type { DBSchema } from 'idb';
import type { Quota } from './policy.js';
import type { ConsumeResult } from './rate-limit.js';

/** Schema version history: 1 = buckets. */
export const QUOTA_DB_VERSION = 1;

export interface Lease {
  id: string;
  /** Counted as `count` admissions at this time. */
  until: number;
  count: number;
}

export interface Bucket {
  key: string;
  user: string;
  action: string;
  /** Highest E any decision on this key has used (monotonic clock guard). */
  lastSeen: number;
  /** Admission times, ascending. */
  stamps: number[];
  leases: Lease[];
}

export interface QuotaDB extends DBSchema {
  buckets: { key: string; value: Bucket };
}

/** A lease held by this tab. */
export interface LocalLease {
  id: string;
  until: number;
  left: number;
  /** Slots of this lease used so far. */
  used: number;
  /** Remaining capacity outside the lease when it was granted. */
  outside: number;
  resetAt: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export const MAX_USER = 256;

/** A checked call. */
export interface Call {
  key: string;
  user: string;
  action: string;
  quotas: Quota[];
  now: number | undefined;
}

export const emptyBucket = (call: Call): Bucket =>
  ({ key: call.key, user: call.user, action: call.action, lastSeen: Number.NEGATIVE_INFINITY, stamps: [], leases: [] });
export const DEFAULT_LEASE = { maxSlots: 8, ttlMs: 1000 };
/**
 * Largest lease a tab grows to when `lease.maxSlots` is not set: a steady stream of calls doubles
 * its lease (from 8) each time a renewal comes sooner than `ttlMs / 4` after the last grant, so
 * thousands of runs per second cost one background transaction every few milliseconds instead of
 * one per 4 calls. Still never more than 1/8 of what is left.
 */
export const ADAPTIVE_MAX_SLOTS = 1024;

/** Entries counted by `quota` at E: stamps and lease slots younger than the window. */
export function counted(bucket: Bucket, windowMs: number, e: number): { time: number; count: number }[] {
  const entries: { time: number; count: number }[] = [];
  for (const time of bucket.stamps) if (time > e - windowMs) entries.push({ time, count: 1 });
  for (const lease of bucket.leases) if (lease.until > e - windowMs) entries.push({ time: lease.until, count: lease.count });
  return entries.sort((a, b) => a.time - b.time);
}

export const total = (entries: readonly { count: number }[]) => entries.reduce((sum, entry) => sum + entry.count, 0);

/** Earliest time at which `excess` counted entries have left the window. */
export function expiryOf(entries: readonly { time: number; count: number }[], excess: number, windowMs: number, e: number): number {
  let expired = 0;
  for (const entry of entries) {
    expired += entry.count;
    if (expired >= excess) return entry.time + windowMs;
  }
  return e + windowMs; // limit 0: nothing ever frees a slot; say "one window from now"
}

/**
 * The decision on one bucket at E, shared by the IndexedDB and memory paths. Mutates `bucket` when
 * admitting (`take`), never when denying or peeking (except `lastSeen`).
 */
export function decide(bucket: Bucket, quotas: readonly Quota[], e: number, take: boolean, extraWanted: (available: number) => number): ConsumeResult & { extra: number } {
  const maxWindow = Math.max(...quotas.map((q) => q.windowMs));
  bucket.lastSeen = Math.max(bucket.lastSeen, e);
  bucket.stamps = bucket.stamps.filter((t) => t > e - maxWindow);
  bucket.leases = bucket.leases.filter((l) => l.until > e - maxWindow);
  let available = Number.POSITIVE_INFINITY;
  for (const quota of quotas) available = Math.min(available, quota.limit - total(counted(bucket, quota.windowMs, e)));
  if (available <= 0) {
    let resetAt = e;
    for (const quota of quotas) {
      const entries = counted(bucket, quota.windowMs, e);
      const excess = total(entries) - quota.limit + 1;
      if (excess > 0) resetAt = Math.max(resetAt, expiryOf(entries, excess, quota.windowMs, e));
    }
    return { allowed: false, remaining: 0, resetAt, extra: 0 };
  }
  let extra = 0;
  if (take) {
    bucket.stamps.push(e); // e >= lastSeen >= every direct stamp: stays sorted
    extra = extraWanted(available - 1);
  }
  // Remaining and reset of the tightest quota after this call (lease slots count as this tab's).
  let remaining = Number.POSITIVE_INFINITY;
  let resetAt = e;
  for (const quota of quotas) {
    const entries = counted(bucket, quota.windowMs, e);
    const left = quota.limit - total(entries) - extra;
    if (left < remaining) {
      remaining = left;
      resetAt = entries.length > 0 ? entries[0]!.time + quota.windowMs : e + quota.windowMs;
    }
  }
  // Taking: what is left after this call, this tab's reserved slots included. Peeking: what is left now.
  return { allowed: true, remaining: take ? remaining + extra : remaining, resetAt, extra };
}

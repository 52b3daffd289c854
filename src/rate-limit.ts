/**
 * Sliding-window quotas per user and action, shared by every tab and worker of the origin through
 * IndexedDB. Main thread by design (worker/** never imports it), although it would work in a worker.
 *
 * Guarantee: for every quota `{ limit, windowMs }` of an action, no window of `windowMs` contains
 * more than `limit` admitted calls for one user, whatever the number of tabs.
 *
 * How:
 * - Per (user, action) one record holds the admission times ("stamps", sorted) and leases. Every
 *   decision that touches it is ONE readwrite transaction (read, prune, decide, write, nothing else
 *   awaited), and IndexedDB serializes readwrite transactions on the same store across tabs and
 *   workers, so racing tabs cannot both take the last slot.
 * - Clock: every decision uses E = max(clock, the record's `lastSeen`, this tab's last E). A clock
 *   moved back therefore freezes time instead of bringing old stamps back into "the past": nothing
 *   is refunded. (A clock moved FORWARD does expire stamps early; no browser API can tell that from
 *   real elapsed time across page lifetimes. See docs/design/quota-leases.md.)
 * - Leases (the warm-path optimisation; one transaction costs ~1.4 ms median in Chromium, measured):
 *   when the same tab consumes the same key again within `lease.ttlMs`, the transaction also
 *   reserves up to `lease.maxSlots` extra slots, stored as ONE lease entry `{ count, until: E + ttlMs }`
 *   that counts as `count` admissions at time `until`. Once that transaction has committed (never
 *   before), the tab admits calls from those slots in memory while its own E <= until. Each such call
 *   happens at some E' <= until and its slot is counted from the reservation until
 *   `until + windowMs` >= E' + windowMs, so every window that contains the call sees it: the
 *   guarantee holds with leases exactly as without. When a tab's slots run low it reserves the next
 *   lease in a background transaction, so a steady stream of calls rarely waits for IndexedDB.
 *   Unused slots are returned (the lease entry's count cut to the slots used, still counted at
 *   `until`) by the next transaction on that key, after `ttlMs`, on `settle()`, `pagehide` and
 *   `dispose()`. Without an explicit `lease.maxSlots` the size adapts to the stream (8 to 1024,
 *   see docs/design/quota-leases.md). A tab that dies holding a
 *   lease keeps its unused slots counted until `until + windowMs`: the failure mode is
 *   under-admission, never over-admission. Leases are only taken while plenty remains (at most 1/8
 *   of what is left), so near the limit every call is decided by a transaction.
 */
import { checkInt, checkOptions, isPlainObject } from './internal/checks.js';
import type { IDBPDatabase } from 'idb';
import {
  ADAPTIVE_MAX_SLOTS, DEFAULT_LEASE, MAX_USER, QUOTA_DB_VERSION, decide, emptyBucket,
  type Bucket, type Call, type LocalLease, type QuotaDB,
} from './quota-window.js';
import { STORAGE_OPTION_KEYS, openDatabase, openOrFallback, resolveStorage, type FallbackReason } from './internal/idb.js';
import type { EventSink } from './audit/types.js';
import { DisposedError, RateLimitedError, invalidArgument } from './errors.js';
import type { Policy, Quota } from './policy.js';
import { randomId } from './internal/ids.js';

export { QUOTA_DB_VERSION } from './quota-window.js';

/** Result of {@link RateLimiter.consume}. */
export interface ConsumeResult {
  allowed: boolean;
  /**
   * Calls left in the tightest quota after this one, as this tab knows it. Exact when leases are
   * off; with leases it counts this tab's reserved slots and may lag other tabs by one lease.
   */
  remaining: number;
  /**
   * Epoch ms (on the limiter's clock). Denied: when the next call can be admitted, assuming no
   * lease is returned early. Allowed: when `remaining` next grows.
   */
  resetAt: number;
}

/** Options of {@link createRateLimiter}. */
export interface RateLimiterOptions {
  /** `indexeddb` (default) or `memory`: the same as `indexedDB: null` (quotas per tab, one loud warning). */
  storage?: 'indexeddb' | 'memory';
  /** Quotas from a policy: `execution` ← `quotas.executions`, `toolCreation` ← `quotas.toolCreations`. */
  policy?: Pick<Policy, 'quotas'>;
  /** Quotas per action name; adds actions or replaces the policy's. Several quotas per action all apply. */
  quotas?: Record<string, Quota | readonly Quota[]>;
  /** IndexedDB database name. Default `quickcage-quotas`. */
  dbName?: string;
  /** IndexedDB factory; `null` forces the per-tab memory fallback. Default `globalThis.indexedDB`. */
  indexedDB?: IDBFactory | null;
  /** Clock in epoch ms. Default `Date.now`. */
  now?: () => number;
  /** Leases (see the module comment), or `false` for one transaction per call. Default `{ maxSlots: 8, ttlMs: 1000 }`. */
  lease?: { maxSlots?: number; ttlMs?: number } | false;
  /** When set, every denial records a `rate_limit_exceeded` event here. */
  events?: EventSink;
  /** Where the one loud warning about the fallback goes. Default `console.warn`. */
  warn?: (message: string) => void;
}

/** The rate limiter. */
export interface RateLimiter {
  /** Resolves when storage is open (or the fallback is in place). Never rejects. */
  readonly ready: Promise<void>;
  /** True when quotas are kept per tab in memory (IndexedDB unavailable): not shared across tabs. */
  readonly degraded: boolean;
  /** Action names this limiter knows. */
  readonly actions: readonly string[];
  /**
   * Takes one call from every quota of `action` for `user`, or none if any quota is exhausted.
   * @throws {InvalidArgumentError} `INVALID_ARGUMENT` for an empty/oversized user or an unknown action.
   * @throws {DisposedError} `DISPOSED` after `dispose()`.
   */
  consume(user: string, action: string, options?: { now?: number }): Promise<ConsumeResult>;
  /**
   * {@link consume}, but a denial throws.
   * @throws {RateLimitedError} `RATE_LIMITED` with `remaining` and `resetAt` when denied.
   * @throws {InvalidArgumentError} `INVALID_ARGUMENT` as for `consume`.
   */
  enforce(user: string, action: string, options?: { now?: number }): Promise<ConsumeResult>;
  /**
   * What `consume` would answer, without taking anything.
   * @throws {InvalidArgumentError} `INVALID_ARGUMENT` as for `consume`.
   */
  peek(user: string, action: string, options?: { now?: number }): Promise<ConsumeResult>;
  /** Returns this tab's unused leased slots now. */
  settle(): Promise<void>;
  /** Returns leases and closes storage. Later calls reject with `DISPOSED`. */
  dispose(): Promise<void>;
  /** `dispose()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

const checkQuota = (field: string, value: unknown): Quota => {
  checkOptions(field, value, ['limit', 'windowMs']);
  const q = value as Quota;
  return { limit: checkInt(`${field}.limit`, q.limit, 0, 1_000_000_000), windowMs: checkInt(`${field}.windowMs`, q.windowMs, 1, 365 * 86_400_000) };
};

/**
 * Creates a rate limiter. Defaults come from the `webApi` policy's quotas (100 executions and 5
 * tool creations per user per day) unless `policy` or `quotas` say otherwise.
 *
 * @throws {InvalidArgumentError} `INVALID_ARGUMENT` for an unknown option or a bad quota.
 */
export function createRateLimiter(options: RateLimiterOptions = {}): RateLimiter {
  const o = checkOptions('options', options, ['policy', 'quotas', ...STORAGE_OPTION_KEYS, 'now', 'lease', 'events', 'warn']) as RateLimiterOptions;
  const DAY = 86_400_000;
  const quotas = new Map<string, Quota[]>();
  const policyQuotas = o.policy?.quotas ?? { executions: { limit: 100, windowMs: DAY }, toolCreations: { limit: 5, windowMs: DAY } };
  if (o.policy !== undefined && !isPlainObject(o.policy?.quotas)) throw invalidArgument('options.policy', 'a Policy (from definePolicy)', o.policy);
  quotas.set('execution', [checkQuota('options.policy.quotas.executions', policyQuotas.executions)]);
  quotas.set('toolCreation', [checkQuota('options.policy.quotas.toolCreations', policyQuotas.toolCreations)]);
  for (const [action, value] of Object.entries(checkOptions('options.quotas', o.quotas ?? {}, Object.keys(o.quotas ?? {})))) {
    // A plain name: it is half of the record key, so it must not contain the separator (\u0000).
    if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(action)) throw invalidArgument('options.quotas', 'action names of 1 to 64 letters, digits or _ . : -', action);
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0 || list.length > 8) throw invalidArgument(`options.quotas.${action}`, 'a quota or an array of 1 to 8 quotas', value);
    quotas.set(action, list.map((q, i) => checkQuota(Array.isArray(value) ? `options.quotas.${action}[${i}]` : `options.quotas.${action}`, q)));
  }
  const { dbName, factory } = resolveStorage('options', o, { storage: 'indexeddb', dbName: 'quickcage-quotas' });
  if (o.now !== undefined && typeof o.now !== 'function') throw invalidArgument('options.now', 'a function returning epoch milliseconds', o.now);
  if (o.warn !== undefined && typeof o.warn !== 'function') throw invalidArgument('options.warn', 'a function', o.warn);
  if (o.events !== undefined && typeof (o.events as { record?: unknown })?.record !== 'function') throw invalidArgument('options.events', 'an EventSink (an object with record(event))', o.events);
  let lease: { maxSlots: number; ttlMs: number; adaptive: boolean } | false = false;
  if (o.lease !== false) {
    const l = checkOptions('options.lease', o.lease ?? {}, ['maxSlots', 'ttlMs']) as { maxSlots?: number; ttlMs?: number };
    lease = {
      maxSlots: l.maxSlots === undefined ? DEFAULT_LEASE.maxSlots : checkInt('options.lease.maxSlots', l.maxSlots, 0, 1000),
      adaptive: l.maxSlots === undefined,
      ttlMs: l.ttlMs === undefined ? DEFAULT_LEASE.ttlMs : checkInt('options.lease.ttlMs', l.ttlMs, 1, 60_000),
    };
  }
  const clock = o.now ?? Date.now;
  const warnSink = o.warn ?? ((message: string) => console.warn(message));

  let db: IDBPDatabase<QuotaDB> | undefined;
  let memory: Map<string, Bucket> | undefined;
  let disposed = false;
  const highWater = new Map<string, number>();
  /** Leases this tab holds, per key, oldest first. */
  const held = new Map<string, LocalLease[]>();
  /** Background renewals in flight, per key. */
  const renewing = new Map<string, Promise<void>>();
  /** Admission transactions in flight, per key, and how many calls of this tab wait for each. */
  const deciding = new Map<string, Promise<void>>();
  const waiting = new Map<string, number>();
  const lastGrant = new Map<string, number>();
  /** Current lease size per key (adaptive leases only; absent = `lease.maxSlots`). */
  const sizes = new Map<string, number>();
  const sizeOf = (key: string): number => (lease ? sizes.get(key) ?? lease.maxSlots : 0);
  /** Adaptive leases: a renewal this soon after the last grant means the stream outruns the lease. */
  const grow = (key: string, sinceGrant: number) => {
    if (!lease || !lease.adaptive || sinceGrant >= lease.ttlMs / 4) return;
    sizes.set(key, Math.min(ADAPTIVE_MAX_SLOTS, sizeOf(key) * 2));
    if (sizes.size > 10_000) sizes.delete(sizes.keys().next().value!);
  };

  const degrade = ({ reason, detail }: FallbackReason) => {
    memory = new Map();
    try {
      warnSink(`quickcage rate limiter: IndexedDB is unavailable (${reason}: ${detail}). Quotas are enforced per tab in memory only, not across tabs, and reset when the page reloads.`);
    } catch { /* ignore a broken warn sink */ }
    o.events?.record({ type: 'audit_degraded', severity: 'high', details: { component: 'rate-limit', reason, error: detail } });
  };

  const open = () => openOrFallback(factory, async (f) => {
    db = await openDatabase<QuotaDB>({
      factory: f,
      name: dbName,
      version: QUOTA_DB_VERSION,
      upgrade(database, oldVersion) {
        if (oldVersion < 1) database.createObjectStore('buckets', { keyPath: 'key' });
      },
    });
  }, degrade);
  const ready = open();

  const checkCall = (user: unknown, action: unknown, callOptions: unknown): Call => {
    if (disposed) throw new DisposedError('The rate limiter was disposed (DISPOSED)');
    if (typeof user !== 'string' || user.length === 0 || user.length > MAX_USER) throw invalidArgument('user', `a non-empty string of at most ${MAX_USER} characters`, user);
    const list = typeof action === 'string' ? quotas.get(action) : undefined;
    if (!list) throw invalidArgument('action', `one of ${[...quotas.keys()].map((a) => `'${a}'`).join(', ')}`, action);
    const opts = checkOptions('options', callOptions ?? {}, ['now']) as { now?: unknown };
    if (opts.now !== undefined && (typeof opts.now !== 'number' || !Number.isFinite(opts.now))) throw invalidArgument('options.now', 'a finite number of epoch milliseconds', opts.now);
    // Action names cannot contain \u0000 (checked at creation), so (user, action) pairs never collide.
    return { key: `${action as string}\u0000${user}`, user, action: action as string, quotas: list, now: opts.now as number | undefined };
  };

  /** E for a key: the clock, never below what this tab (or the record) has already seen. */
  const effectiveNow = (key: string, now: number | undefined, lastSeen = Number.NEGATIVE_INFINITY): number => {
    const e = Math.max(now ?? clock(), highWater.get(key) ?? Number.NEGATIVE_INFINITY, lastSeen);
    highWater.delete(key); // re-insert: Map order then tracks recency for the cap below
    highWater.set(key, e);
    // Bounded memory with many users: the record's lastSeen stays the durable guard for forgotten keys.
    if (highWater.size > 10_000) highWater.delete(highWater.keys().next().value!);
    return e;
  };

  /**
   * Returns this tab's leases on `bucket` that are used up or past their end (all of them with
   * `all`): each lease entry keeps only its used slots (at `until`), so unused slots go back.
   */
  const settleInto = (bucket: Bucket, key: string, e: number, all: boolean) => {
    const list = held.get(key);
    if (!list) return;
    for (const local of [...list]) {
      if (!all && local.left > 0 && e <= local.until) continue;
      list.splice(list.indexOf(local), 1);
      if (local.timer !== undefined) clearTimeout(local.timer);
      const before = bucket.leases.length;
      bucket.leases = bucket.leases.filter((l) => l.id !== local.id);
      // Only if the lease was still there (if a window passed and pruning removed it, its uses are
      // old too): its used slots stay counted, as one entry at the lease's end. A slot used at
      // E' <= until counts until until + windowMs >= E' + windowMs, as while the lease was live, and
      // the record grows by one entry per lease instead of one number per call.
      if (bucket.leases.length < before && local.used > 0) bucket.leases.push({ id: local.id, until: local.until, count: local.used });
      // A lease that ended with slots unused was bigger than the stream needed: shrink it.
      if (lease && lease.adaptive && local.left > 0 && !all) sizes.set(key, Math.max(lease.maxSlots, Math.floor(sizeOf(key) / 2)));
    }
    if (list.length === 0) held.delete(key);
  };

  const leaseSize = (key: string, e: number, demand: number) => (available: number): number => {
    if (!lease || lease.maxSlots === 0) return 0;
    const previous = lastGrant.get(key);
    lastGrant.delete(key);
    lastGrant.set(key, e);
    if (lastGrant.size > 10_000) lastGrant.delete(lastGrant.keys().next().value!);
    // Only a tab that is actually calling in a burst reserves (a call before this one within ttlMs,
    // or calls of this tab waiting for this transaction), and never more than 1/8 of what is left.
    const burst = demand > 0 || (previous !== undefined && e - previous <= lease.ttlMs);
    if (!burst) return 0;
    if (previous !== undefined) grow(key, e - previous);
    return Math.min(Math.max(sizeOf(key), demand), Math.floor(available / 8));
  };

  /** Writes a lease entry into `bucket` (inside the transaction); returns the local lease to adopt after commit. */
  const reserve = (bucket: Bucket, e: number, count: number, outside: number, resetAt: number): LocalLease | undefined => {
    if (!lease || count <= 0) return undefined;
    const local: LocalLease = { id: randomId(), until: e + lease.ttlMs, left: count, used: 0, outside, resetAt, timer: undefined };
    bucket.leases.push({ id: local.id, until: local.until, count });
    return local;
  };

  /**
   * Makes a committed lease usable. Never before the commit: a slot handed out from a lease whose
   * transaction then aborted would be an admission nobody recorded.
   */
  const adopt = (key: string, local: LocalLease) => {
    // Returned once it has ended by the limiter's clock (checked every ttlMs of real time).
    const arm = () => {
      local.timer = setTimeout(() => {
        if (Math.max(clock(), highWater.get(key) ?? Number.NEGATIVE_INFINITY) <= local.until) arm();
        else settleKey(key, local.id).catch(() => undefined);
      }, lease ? lease.ttlMs : 0);
    };
    arm();
    const list = held.get(key) ?? [];
    list.push(local);
    held.set(key, list);
  };

  /** Admits from one of this tab's leases if one has a usable slot; renews ahead when running low. */
  const fromLease = (call: Call, e: number): ConsumeResult | undefined => {
    const list = held.get(call.key);
    const local = list?.find((l) => l.left > 0 && e <= l.until);
    if (!local || !list) return undefined;
    local.left -= 1;
    local.used += 1;
    const left = list.reduce((sum, l) => sum + (e <= l.until ? l.left : 0), 0);
    // Renew in the background before the slots run out, so a steady burst never waits for IndexedDB.
    if (lease && left <= Math.floor(sizeOf(call.key) / 2)) renew(call);
    return { allowed: true, remaining: left + local.outside, resetAt: local.resetAt };
  };

  /** Reserves the next lease in a transaction of its own, off the caller's path. */
  const renew = (call: Call) => {
    if (!db || !lease || renewing.has(call.key) || disposed) return;
    const run = async () => {
      const tx = db!.transaction('buckets', 'readwrite', { durability: 'relaxed' });
      const bucket = (await tx.store.get(call.key)) ?? emptyBucket(call);
      const e = effectiveNow(call.key, undefined, bucket.lastSeen);
      settleInto(bucket, call.key, e, false);
      const peeked = decide(bucket, call.quotas, e, false, () => 0);
      const previous = lastGrant.get(call.key);
      if (previous !== undefined) grow(call.key, e - previous);
      lastGrant.delete(call.key);
      lastGrant.set(call.key, e);
      const count = peeked.allowed ? Math.min(sizeOf(call.key), Math.floor(peeked.remaining / 8)) : 0;
      const local = reserve(bucket, e, count, peeked.remaining - count, peeked.resetAt);
      tx.store.put(bucket).catch(() => undefined);
      await tx.done;
      if (local) adopt(call.key, local);
    };
    renewing.set(call.key, run().catch(() => undefined).finally(() => renewing.delete(call.key)));
  };

  /** Returns leases of `key` (one lease, or all) in their own transaction. */
  const settleKey = async (key: string, id?: string): Promise<void> => {
    const list = held.get(key);
    if (!list || (id !== undefined && !list.some((l) => l.id === id))) return;
    if (!db) { held.delete(key); return; }
    const tx = db.transaction('buckets', 'readwrite', { durability: 'relaxed' });
    const bucket = await tx.store.get(key);
    if (bucket) {
      if (id === undefined) settleInto(bucket, key, Number.POSITIVE_INFINITY, true);
      else {
        // Only the lease whose timer fired: mark it ended, keep the others.
        const local = list.find((l) => l.id === id)!;
        local.until = Number.NEGATIVE_INFINITY;
        settleInto(bucket, key, effectiveNow(key, undefined, bucket.lastSeen), false);
      }
      tx.store.put(bucket).catch(() => undefined);
    } else {
      held.delete(key);
    }
    await tx.done;
  };

  const denied = (user: string, action: string, list: readonly Quota[], result: ConsumeResult) => {
    o.events?.record({
      type: 'rate_limit_exceeded', user,
      details: { action, limit: list[0]!.limit, windowMs: list[0]!.windowMs, quotas: list.map((q) => ({ limit: q.limit, windowMs: q.windowMs })), resetAt: result.resetAt },
    });
  };

  const consume = async (user: string, action: string, callOptions?: { now?: number }): Promise<ConsumeResult> => {
    const call = checkCall(user, action, callOptions);
    // Warm path: a slot this tab already holds. No storage round trip.
    const fast = fromLease(call, effectiveNow(call.key, call.now));
    if (fast) return fast;
    if (!db && !memory) await ready;
    if (memory) {
      const bucket = memory.get(call.key) ?? emptyBucket(call);
      const result = decide(bucket, call.quotas, effectiveNow(call.key, call.now, bucket.lastSeen), true, () => 0);
      memory.set(call.key, bucket);
      const { extra: _extra, ...out } = result;
      if (!out.allowed) denied(call.user, call.action, call.quotas, out);
      return out;
    }
    // One transaction per key at a time: calls that miss the lease while one is in flight (a burst
    // of runs started together) wait for it and take from the lease it reserves for them.
    for (let busy = deciding.get(call.key) ?? renewing.get(call.key); busy; busy = deciding.get(call.key) ?? renewing.get(call.key)) {
      waiting.set(call.key, (waiting.get(call.key) ?? 0) + 1);
      try {
        await busy;
      } finally {
        const left = (waiting.get(call.key) ?? 1) - 1;
        if (left > 0) waiting.set(call.key, left);
        else waiting.delete(call.key);
      }
      const late = fromLease(call, effectiveNow(call.key, call.now));
      if (late) return late;
    }
    const decided = decideInTransaction(call);
    deciding.set(call.key, decided.then(() => undefined, () => undefined));
    try {
      return await decided;
    } finally {
      deciding.delete(call.key);
    }
  };

  /** ONE readwrite transaction: read, decide, write. Nothing but its own requests is awaited inside. */
  const decideInTransaction = async (call: Call): Promise<ConsumeResult> => {
    const tx = db!.transaction('buckets', 'readwrite', { durability: 'relaxed' });
    const bucket = (await tx.store.get(call.key)) ?? emptyBucket(call);
    const e = effectiveNow(call.key, call.now, bucket.lastSeen);
    // Another call of this tab may have got a lease while this transaction waited its turn.
    const late = fromLease(call, e);
    if (late) {
      tx.abort();
      await tx.done.catch(() => undefined);
      return late;
    }
    settleInto(bucket, call.key, e, false);
    const result = decide(bucket, call.quotas, e, true, leaseSize(call.key, e, waiting.get(call.key) ?? 0));
    const local = reserve(bucket, e, result.extra, result.remaining - result.extra, result.resetAt);
    tx.store.put(bucket).catch(() => undefined);
    // If the commit fails this throws and nothing was admitted; the lease is never adopted.
    await tx.done;
    if (local) adopt(call.key, local);
    const { extra: _extra, ...out } = result;
    if (!out.allowed) denied(call.user, call.action, call.quotas, out);
    return out;
  };

  const peek = async (user: string, action: string, callOptions?: { now?: number }): Promise<ConsumeResult> => {
    const call = checkCall(user, action, callOptions);
    if (!db && !memory) await ready;
    const stored = memory ? memory.get(call.key) : await db!.get('buckets', call.key);
    const bucket = structuredClone(stored ?? emptyBucket(call));
    const e = Math.max(call.now ?? clock(), highWater.get(call.key) ?? Number.NEGATIVE_INFINITY, bucket.lastSeen);
    const local = held.get(call.key)?.find((l) => l.left > 0 && e <= l.until);
    if (local) return { allowed: true, remaining: local.left + local.outside, resetAt: local.resetAt };
    const { extra: _extra, ...out } = decide(bucket, call.quotas, e, false, () => 0);
    return out;
  };

  const onPageHide = () => {
    // Issue the returns synchronously; if the page dies before they commit the slots stay counted
    // (under-admission until they expire), never the reverse.
    for (const key of [...held.keys()]) settleKey(key).catch(() => undefined);
  };
  if (typeof addEventListener === 'function') addEventListener('pagehide', onPageHide);

  return {
    ready,
    get degraded() { return memory !== undefined; },
    actions: Object.freeze([...quotas.keys()]),
    consume,
    async enforce(user, action, callOptions) {
      const result = await consume(user, action, callOptions);
      if (!result.allowed) {
        throw new RateLimitedError(
          `Rate limit exceeded for \`${action}\` by user ${JSON.stringify(user.slice(0, 80))}: try again after ${new Date(result.resetAt).toISOString()} (RATE_LIMITED)`,
          { remaining: result.remaining, resetAt: result.resetAt },
          { details: { action, user: user.slice(0, MAX_USER) } },
        );
      }
      return result;
    },
    peek,
    async settle() {
      await Promise.all(renewing.values());
      await Promise.all([...held.keys()].map((key) => settleKey(key)));
    },
    async dispose() {
      if (disposed) return;
      disposed = true; // no new renewals from here on
      await Promise.all(renewing.values());
      await Promise.all([...held.keys()].map((key) => settleKey(key).catch(() => undefined)));
      if (typeof removeEventListener === 'function') removeEventListener('pagehide', onPageHide);
      db?.close();
    },
    [Symbol.asyncDispose](this: RateLimiter) {
      return this.dispose();
    },
  };
}

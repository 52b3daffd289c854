/**
 * Sliding-window quotas in real IndexedDB: semantics with a fake clock, defaults from the policy,
 * clock changes, leases, atomicity between several limiters (tabs) on one database, fallback.
 */
import { describe, expect, test, vi } from 'vitest';
import { definePolicy } from '../../src/policy.js';
import { createRateLimiter } from '../../src/rate-limit.js';
import { answeredWithoutStorage, fakeClock, freshDbName, makeLimiter, maxInAnyWindow } from './helpers.js';

const DAY = 86_400_000;

describe('sliding window', () => {
  test('admits limit calls per window, then denies with remaining 0 and the exact resetAt', async () => {
    const clock = fakeClock(0);
    const limiter = await makeLimiter({ now: clock.now, quotas: { execution: { limit: 3, windowMs: 1000 } }, lease: false });
    const at = async (t: number) => { clock.set(t); return limiter.consume('u', 'execution'); };
    expect(await at(0)).toEqual({ allowed: true, remaining: 2, resetAt: 1000 });
    expect(await at(100)).toEqual({ allowed: true, remaining: 1, resetAt: 1000 });
    expect(await at(200)).toEqual({ allowed: true, remaining: 0, resetAt: 1000 });
    expect(await at(300)).toEqual({ allowed: false, remaining: 0, resetAt: 1000 });
    expect(await at(999)).toEqual({ allowed: false, remaining: 0, resetAt: 1000 }); // near miss
    expect(await at(1000)).toEqual({ allowed: true, remaining: 0, resetAt: 1100 });
    expect(await at(1050)).toEqual({ allowed: false, remaining: 0, resetAt: 1100 });
    expect(await at(1100)).toMatchObject({ allowed: true });
  });

  test('denials do not use up the quota', async () => {
    const clock = fakeClock(0);
    const limiter = await makeLimiter({ now: clock.now, quotas: { execution: { limit: 1, windowMs: 1000 } }, lease: false });
    expect((await limiter.consume('u', 'execution')).allowed).toBe(true);
    for (let t = 1; t < 1000; t += 100) {
      clock.set(t);
      expect((await limiter.consume('u', 'execution')).allowed).toBe(false);
    }
    clock.set(1000);
    expect((await limiter.consume('u', 'execution')).allowed).toBe(true);
  });

  test('users and actions are counted separately', async () => {
    const limiter = await makeLimiter({ quotas: { execution: { limit: 1, windowMs: DAY }, toolCreation: { limit: 1, windowMs: DAY } } });
    expect((await limiter.consume('a', 'execution')).allowed).toBe(true);
    expect((await limiter.consume('b', 'execution')).allowed).toBe(true);
    expect((await limiter.consume('a', 'toolCreation')).allowed).toBe(true);
    expect((await limiter.consume('a', 'execution')).allowed).toBe(false);
  });

  test('several quotas on one action all apply, and a denial takes nothing from any', async () => {
    const clock = fakeClock(0);
    const limiter = await makeLimiter({ now: clock.now, lease: false, quotas: { execution: [{ limit: 2, windowMs: 1000 }, { limit: 3, windowMs: 10_000 }] } });
    const results: boolean[] = [];
    for (const t of [0, 1, 2, 1000, 1001, 5000, 10_000]) {
      clock.set(t);
      results.push((await limiter.consume('u', 'execution')).allowed);
    }
    expect(results).toEqual([true, true, false, true, false, false, true]);
  });

  test('limit 0 always denies', async () => {
    const limiter = await makeLimiter({ quotas: { execution: { limit: 0, windowMs: 1000 } } });
    expect(await limiter.consume('u', 'execution', { now: 5 })).toEqual({ allowed: false, remaining: 0, resetAt: 1005 });
  });

  test('never more than N in any window W, over random traffic from four limiters (tabs) with leases', async () => {
    const clock = fakeClock(0);
    const dbName = freshDbName();
    const quotas = { execution: { limit: 20, windowMs: 1000 } };
    const tabs = await Promise.all(Array.from({ length: 4 }, () => makeLimiter({ dbName, now: clock.now, quotas, lease: { maxSlots: 4, ttlMs: 300 } })));
    const admitted: number[] = [];
    let seed = 7;
    const random = () => { seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31; return seed / 2 ** 31; };
    for (let step = 0; step < 120; step++) {
      clock.advance(Math.floor(random() * 60));
      const calls = tabs.map(async (tab) => {
        for (let k = Math.floor(random() * 4); k > 0; k--) if ((await tab.consume('u', 'execution')).allowed) admitted.push(clock.now());
      });
      await Promise.all(calls);
    }
    expect(admitted.length).toBeGreaterThan(40);
    expect(maxInAnyWindow(admitted, 1000)).toBeLessThanOrEqual(20);
  });
});

describe('leases keep the guarantee', () => {
  test('slots used at the very end of a lease count for a full window after it (adversarial timing)', async () => {
    const clock = fakeClock(0);
    const dbName = freshDbName();
    const quotas = { execution: { limit: 100, windowMs: 1000 } };
    const a = await makeLimiter({ dbName, now: clock.now, quotas, lease: { maxSlots: 8, ttlMs: 1000 } });
    const b = await makeLimiter({ dbName, now: clock.now, quotas, lease: false });
    const admitted: number[] = [];
    const take = async (limiter: typeof a, times: number) => {
      for (let i = 0; i < times; i++) if ((await limiter.consume('u', 'execution')).allowed) admitted.push(clock.now());
    };
    await take(a, 2); // the second call reserves 8 slots until t = 1000
    await take(b, 200);
    clock.set(999); // A uses lease slots just before the lease ends (3: not low enough to renew)
    await take(a, 3);
    clock.set(1000); // the direct stamps of t = 0 expire; the lease, used at 999, must still count
    await take(b, 200);
    clock.set(1999);
    await take(b, 200);
    expect(admitted.filter((t) => t === 999)).toHaveLength(3);
    expect(admitted.filter((t) => t === 1000)).toHaveLength(92);
    expect(maxInAnyWindow(admitted, 1000)).toBeLessThanOrEqual(100);
  });
});

describe('defaults and policy', () => {
  test('without options: 100 executions and 5 tool creations per user per day', async () => {
    const clock = fakeClock();
    const limiter = await makeLimiter({ now: clock.now });
    const executions = [];
    for (let i = 0; i < 101; i++) executions.push((await limiter.consume('u', 'execution')).allowed);
    expect(executions.filter(Boolean)).toHaveLength(100);
    expect(executions.at(-1)).toBe(false);
    const creations = [];
    for (let i = 0; i < 6; i++) creations.push((await limiter.consume('u', 'toolCreation')).allowed);
    expect(creations).toEqual([true, true, true, true, true, false]);
    clock.advance(DAY);
    expect((await limiter.consume('u', 'toolCreation')).allowed).toBe(true);
  });

  test('takes quotas from a policy', async () => {
    const policy = definePolicy({ quotas: { executions: { limit: 2, windowMs: 60_000 } } });
    const limiter = await makeLimiter({ policy });
    const results = [];
    for (let i = 0; i < 3; i++) results.push((await limiter.consume('u', 'execution')).allowed);
    expect(results).toEqual([true, true, false]);
    expect(limiter.actions).toEqual(['execution', 'toolCreation']);
  });
});

describe('clock changes', () => {
  test('a clock moved back refunds nothing: time stands still until the clock catches up', async () => {
    const clock = fakeClock(10 * DAY);
    const limiter = await makeLimiter({ now: clock.now, quotas: { execution: { limit: 2, windowMs: 1000 } }, lease: false });
    expect((await limiter.consume('u', 'execution')).allowed).toBe(true);
    expect((await limiter.consume('u', 'execution')).allowed).toBe(true);
    clock.advance(-DAY);
    expect(await limiter.consume('u', 'execution')).toEqual({ allowed: false, remaining: 0, resetAt: 10 * DAY + 1000 });
    clock.advance(DAY + 999);
    expect((await limiter.consume('u', 'execution')).allowed).toBe(false);
    clock.advance(1);
    expect((await limiter.consume('u', 'execution')).allowed).toBe(true);
  });

  test('the guard is stored: a new limiter (another tab, a reload) with the clock moved back refunds nothing either', async () => {
    const dbName = freshDbName();
    const quotas = { execution: { limit: 1, windowMs: 1000 } };
    const first = await makeLimiter({ dbName, quotas, lease: false });
    expect((await first.consume('u', 'execution', { now: 50_000 })).allowed).toBe(true);
    const second = await makeLimiter({ dbName, quotas, lease: false });
    expect((await second.consume('u', 'execution', { now: 1 })).allowed).toBe(false);
  });

  test('a per-call now behaves like the clock', async () => {
    const limiter = await makeLimiter({ quotas: { execution: { limit: 1, windowMs: 1000 } }, lease: false });
    expect((await limiter.consume('u', 'execution', { now: 0 })).allowed).toBe(true);
    expect((await limiter.consume('u', 'execution', { now: 999 })).allowed).toBe(false);
    expect((await limiter.consume('u', 'execution', { now: 1000 })).allowed).toBe(true);
  });
});

describe('atomic across limiters (tabs) on one database', () => {
  test.each([
    ['with leases', undefined],
    ['without leases', false as const],
  ])('four limiters racing 100 consumes each against a limit of 100 admit exactly 100 (%s)', async (_name, lease) => {
    const dbName = freshDbName();
    const quotas = { execution: { limit: 100, windowMs: DAY } };
    const tabs = await Promise.all(Array.from({ length: 4 }, () => makeLimiter({ dbName, quotas, ...(lease === false ? { lease } : {}) })));
    const perTab = await Promise.all(tabs.map(async (tab) => {
      let allowed = 0;
      for (let i = 0; i < 100; i++) if ((await tab.consume('racer', 'execution')).allowed) allowed += 1;
      return allowed;
    }));
    expect(perTab.reduce((a, b) => a + b, 0)).toBe(100);
  });

  test('200 concurrent consumes from one limiter admit exactly 100', async () => {
    const limiter = await makeLimiter({ quotas: { execution: { limit: 100, windowMs: DAY } } });
    const results = await Promise.all(Array.from({ length: 200 }, () => limiter.consume('u', 'execution')));
    expect(results.filter((r) => r.allowed)).toHaveLength(100);
  });
});

describe('leases', () => {
  test('a burst takes a lease: the next calls are answered without a storage round trip', async () => {
    const limiter = await makeLimiter({ quotas: { execution: { limit: 100, windowMs: DAY } }, lease: { maxSlots: 8, ttlMs: 60_000 } });
    expect(await answeredWithoutStorage(limiter.consume('u', 'execution'))).toBe(false);
    expect(await answeredWithoutStorage(limiter.consume('u', 'execution'))).toBe(false); // second within ttl: reserves 8
    for (let i = 0; i < 8; i++) expect(await answeredWithoutStorage(limiter.consume('u', 'execution'))).toBe(true);
    await limiter.settle();
    expect((await limiter.peek('u', 'execution')).remaining).toBe(90);
  });

  test('a lease running low is renewed in the background, not by the call that notices', async () => {
    const dbName = freshDbName();
    const quotas = { execution: { limit: 1000, windowMs: DAY } };
    const limiter = await makeLimiter({ dbName, quotas, lease: { maxSlots: 8, ttlMs: 60_000 } });
    const other = await makeLimiter({ dbName, quotas, lease: false });
    await limiter.consume('u', 'execution');
    await limiter.consume('u', 'execution'); // lease of 8
    for (let i = 0; i < 3; i++) await limiter.consume('u', 'execution');
    const spy = vi.spyOn(IDBDatabase.prototype, 'transaction');
    try {
      // The fourth slot leaves 4 (= maxSlots / 2): the renewal starts, the call itself does not wait.
      expect(await answeredWithoutStorage(limiter.consume('u', 'execution'))).toBe(true);
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
    // 2 direct + 8 + 8 reserved: the other tab sees 18 taken once the renewal has committed.
    await vi.waitFor(async () => expect((await other.peek('u', 'execution')).remaining).toBe(1000 - 18));
    for (let i = 0; i < 4 + 8; i++) expect(await answeredWithoutStorage(limiter.consume('u', 'execution'))).toBe(true);
  });

  test('settle() returns unused slots; used ones stay counted', async () => {
    const limiter = await makeLimiter({ quotas: { execution: { limit: 100, windowMs: DAY } }, lease: { maxSlots: 8, ttlMs: 60_000 } });
    await limiter.consume('u', 'execution');
    await limiter.consume('u', 'execution');
    await limiter.consume('u', 'execution'); // one leased slot used
    await limiter.settle();
    expect(await limiter.peek('u', 'execution')).toMatchObject({ allowed: true, remaining: 97 });
  });

  test('another tab sees leased slots as taken until they are returned', async () => {
    const dbName = freshDbName();
    const quotas = { execution: { limit: 100, windowMs: DAY } };
    const holder = await makeLimiter({ dbName, quotas, lease: { maxSlots: 8, ttlMs: 60_000 } });
    const other = await makeLimiter({ dbName, quotas, lease: false });
    await holder.consume('u', 'execution');
    await holder.consume('u', 'execution');
    expect((await other.peek('u', 'execution')).remaining).toBe(90);
    await holder.settle();
    expect((await other.peek('u', 'execution')).remaining).toBe(98);
  });

  test('a lease its tab never returned (crash) stays counted until until + window, then frees', async () => {
    const clock = fakeClock(0);
    const dbName = freshDbName();
    const quotas = { execution: { limit: 16, windowMs: 1000 } };
    const crashed = await makeLimiter({ dbName, now: clock.now, quotas, lease: { maxSlots: 8, ttlMs: 50_000 } });
    const other = await makeLimiter({ dbName, now: clock.now, quotas, lease: false });
    await crashed.consume('u', 'execution');
    await crashed.consume('u', 'execution'); // leases floor(14 / 8) = 1 slot, counted at 0 + 50,000
    expect((await other.peek('u', 'execution')).remaining).toBe(13);
    clock.set(1000);
    expect((await other.peek('u', 'execution')).remaining).toBe(15);
    clock.set(50_999);
    expect((await other.peek('u', 'execution')).remaining).toBe(15);
    clock.set(51_000);
    expect((await other.peek('u', 'execution')).remaining).toBe(16);
  });

  test('a lease is not used past its end: the next call goes back to IndexedDB', async () => {
    const clock = fakeClock(0);
    const limiter = await makeLimiter({ now: clock.now, quotas: { execution: { limit: 100, windowMs: DAY } }, lease: { maxSlots: 8, ttlMs: 1000 } });
    await limiter.consume('u', 'execution');
    await limiter.consume('u', 'execution');
    clock.set(1001);
    const spy = vi.spyOn(IDBDatabase.prototype, 'transaction');
    try {
      await limiter.consume('u', 'execution');
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
    await limiter.settle();
    expect((await limiter.peek('u', 'execution')).remaining).toBe(97);
  });

  test('no lease near the limit: every call is decided by IndexedDB', async () => {
    const limiter = await makeLimiter({ quotas: { execution: { limit: 5, windowMs: DAY } } });
    const spy = vi.spyOn(IDBDatabase.prototype, 'transaction');
    try {
      for (let i = 0; i < 5; i++) await limiter.consume('u', 'execution');
      expect(spy).toHaveBeenCalledTimes(5);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('enforce() and peek()', () => {
  test('enforce throws RATE_LIMITED with remaining and resetAt when denied', async () => {
    const limiter = await makeLimiter({ quotas: { execution: { limit: 1, windowMs: 1000 } } });
    await expect(limiter.enforce('u', 'execution', { now: 0 })).resolves.toMatchObject({ allowed: true });
    await expect(limiter.enforce('u', 'execution', { now: 10 })).rejects.toMatchObject({
      name: 'RateLimitedError', code: 'RATE_LIMITED', remaining: 0, resetAt: 1000, details: { action: 'execution', user: 'u', remaining: 0, resetAt: 1000 },
    });
  });

  test('peek does not consume', async () => {
    const limiter = await makeLimiter({ quotas: { execution: { limit: 1, windowMs: 1000 } } });
    for (let i = 0; i < 3; i++) expect(await limiter.peek('u', 'execution', { now: 0 })).toMatchObject({ allowed: true, remaining: 1 });
    expect((await limiter.consume('u', 'execution', { now: 0 })).allowed).toBe(true);
    expect(await limiter.peek('u', 'execution', { now: 1 })).toEqual({ allowed: false, remaining: 0, resetAt: 1000 });
  });

  test('records rate_limit_exceeded in the events sink when one is given', async () => {
    const record = vi.fn();
    const limiter = await makeLimiter({ quotas: { execution: { limit: 1, windowMs: 1000 } }, events: { record } });
    await limiter.consume('u', 'execution', { now: 0 });
    expect(record).not.toHaveBeenCalled();
    await limiter.consume('u', 'execution', { now: 1 });
    expect(record).toHaveBeenCalledWith({ type: 'rate_limit_exceeded', user: 'u', details: expect.objectContaining({ action: 'execution', limit: 1, windowMs: 1000, resetAt: 1000 }) });
  });
});

describe('arguments', () => {
  test.each<[string, unknown, unknown, unknown, string]>([
    ['an empty user', '', 'execution', undefined, 'user'],
    ['a user of 257 characters', 'u'.repeat(257), 'execution', undefined, 'user'],
    ['a non-string user', 42, 'execution', undefined, 'user'],
    ['an unknown action (near miss of execution)', 'u', 'executions', undefined, 'action'],
    ['a NaN now', 'u', 'execution', { now: Number.NaN }, 'options.now'],
    ['an unknown call option', 'u', 'execution', { cost: 2 }, 'options.cost'],
  ])('consume rejects %s with INVALID_ARGUMENT naming the field', async (_name, user, action, options, field) => {
    const limiter = await makeLimiter();
    await expect(limiter.consume(user as string, action as string, options as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field });
  });

  test('accepts a user of exactly 256 characters', async () => {
    const limiter = await makeLimiter();
    await expect(limiter.consume('u'.repeat(256), 'execution')).resolves.toMatchObject({ allowed: true });
  });

  test.each<[string, unknown, string]>([
    ['an unknown option', { quota: {} }, 'options.quota'],
    ['a negative limit', { quotas: { execution: { limit: -1, windowMs: 1000 } } }, 'options.quotas.execution.limit'],
    ['a zero window', { quotas: { execution: { limit: 1, windowMs: 0 } } }, 'options.quotas.execution.windowMs'],
    ['a bad quota in a list', { quotas: { execution: [{ limit: 1, windowMs: 1000 }, { limit: 1.5, windowMs: 1000 }] } }, 'options.quotas.execution[1].limit'],
    ['an empty quota list', { quotas: { execution: [] } }, 'options.quotas.execution'],
    ['a bad lease', { lease: { ttlMs: 0 } }, 'options.lease.ttlMs'],
    ['an events object without record', { events: {} }, 'options.events'],
    ['an action name with a NUL (key separator)', { quotas: { 'a\u0000b': { limit: 1, windowMs: 1000 } } }, 'options.quotas'],
  ])('createRateLimiter rejects %s with INVALID_ARGUMENT naming the field', (_name, options, field) => {
    expect(() => createRateLimiter(options as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field }));
  });

  test('calls after dispose reject with DISPOSED', async () => {
    const limiter = createRateLimiter({ dbName: freshDbName() });
    await limiter.dispose();
    await expect(limiter.consume('u', 'execution')).rejects.toMatchObject({ code: 'DISPOSED' });
  });
});

describe('fallback', () => {
  test('without IndexedDB: degraded, warns once, records audit_degraded, still limits within the tab', async () => {
    const warn = vi.fn();
    const record = vi.fn();
    const limiter = createRateLimiter({ indexedDB: null, warn, events: { record }, quotas: { execution: { limit: 2, windowMs: 1000 } } });
    await limiter.ready;
    expect(limiter.degraded).toBe(true);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toMatch(/per tab in memory only/);
    expect(record).toHaveBeenCalledWith(expect.objectContaining({ type: 'audit_degraded', severity: 'high' }));
    const results = [];
    for (let i = 0; i < 3; i++) results.push((await limiter.consume('u', 'execution', { now: 0 })).allowed);
    expect(results).toEqual([true, true, false]);
    await limiter.dispose();
  });

  test('the happy path is not degraded', async () => {
    const warn = vi.fn();
    const limiter = await makeLimiter({ warn });
    expect(limiter.degraded).toBe(false);
    expect(warn).not.toHaveBeenCalled();
  });
});

describe('adaptive leases (lease.maxSlots not set)', () => {
  test('a steady stream grows its lease: 600 calls cost a handful of transactions, and every call is counted', async () => {
    const clock = fakeClock(0);
    const limiter = await makeLimiter({ now: clock.now, quotas: { execution: { limit: 1_000_000, windowMs: DAY } } });
    const spy = vi.spyOn(IDBDatabase.prototype, 'transaction');
    try {
      for (let i = 0; i < 600; i++) {
        expect((await limiter.consume('u', 'execution')).allowed).toBe(true);
        // A few event-loop turns now and then, as runs give: background renewals can commit.
        if (i % 4 === 3) await new Promise((resolve) => setTimeout(resolve, 0));
      }
      // Fixed leases of 8 would need one transaction per 4 calls (150+); doubling from 8 needs about 7.
      expect(spy.mock.calls.length).toBeLessThan(40);
    } finally {
      spy.mockRestore();
    }
    await limiter.settle();
    expect((await limiter.peek('u', 'execution')).remaining).toBe(1_000_000 - 600);
  });

  test('a burst of concurrent calls shares one transaction and its lease: a handful of transactions, every call counted', async () => {
    const clock = fakeClock(0);
    const limiter = await makeLimiter({ now: clock.now, quotas: { execution: { limit: 10_000, windowMs: DAY } } });
    const spy = vi.spyOn(IDBDatabase.prototype, 'transaction');
    try {
      const results = await Promise.all(Array.from({ length: 200 }, () => limiter.consume('u', 'execution')));
      expect(results.every((r) => r.allowed)).toBe(true);
      // One transaction per call would be 200: the calls that wait take slots from one shared lease.
      expect(spy.mock.calls.length).toBeLessThan(10);
    } finally {
      spy.mockRestore();
    }
    await limiter.settle();
    expect((await limiter.peek('u', 'execution')).remaining).toBe(10_000 - 200);
  });

  test('a burst over the limit is still decided exactly: 150 of 200 admitted, 50 refused', async () => {
    const clock = fakeClock(0);
    const limiter = await makeLimiter({ now: clock.now, quotas: { execution: { limit: 150, windowMs: DAY } } });
    const results = await Promise.all(Array.from({ length: 200 }, () => limiter.consume('u', 'execution')));
    expect(results.filter((r) => r.allowed)).toHaveLength(150);
    expect(results.filter((r) => !r.allowed)).toHaveLength(50);
    await limiter.settle();
    expect((await limiter.peek('u', 'execution')).remaining).toBe(0);
  });

  test('an explicit maxSlots stays the cap: the same stream with maxSlots 8 keeps leases of 8', async () => {
    const clock = fakeClock(0);
    const limiter = await makeLimiter({ now: clock.now, quotas: { execution: { limit: 1_000_000, windowMs: DAY } }, lease: { maxSlots: 8, ttlMs: 1000 } });
    const spy = vi.spyOn(IDBDatabase.prototype, 'transaction');
    try {
      for (let i = 0; i < 200; i++) {
        await limiter.consume('u', 'execution');
        if (i % 4 === 3) await new Promise((resolve) => setTimeout(resolve, 0));
      }
      expect(spy.mock.calls.length).toBeGreaterThanOrEqual(200 / 8 - 1);
    } finally {
      spy.mockRestore();
    }
  });

  test('grown leases keep the guarantee: four tabs streaming against a limit of 1000 never admit more', async () => {
    const clock = fakeClock(0);
    const dbName = freshDbName();
    const quotas = { execution: { limit: 1000, windowMs: DAY } };
    const tabs = await Promise.all(Array.from({ length: 4 }, () => makeLimiter({ dbName, now: clock.now, quotas })));
    let admitted = 0;
    await Promise.all(tabs.map(async (tab) => {
      for (let i = 0; i < 400; i++) {
        if ((await tab.consume('u', 'execution')).allowed) admitted++;
        if (i % 4 === 3) await new Promise((resolve) => setTimeout(resolve, 0));
      }
    }));
    expect(admitted).toBeLessThanOrEqual(1000);
    // Leases still held are returned; then the rest of the quota is admitted, and not one more.
    await Promise.all(tabs.map((tab) => tab.settle()));
    for (let i = 0; i < 1100 && admitted < 1001; i++) if ((await tabs[i % 4]!.consume('u', 'execution')).allowed) admitted++;
    expect(admitted).toBe(1000);
  });
});

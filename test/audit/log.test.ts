/** record(), batching, durability across instances, input checks and dispose. */
import { describe, expect, test, vi } from 'vitest';
import { createAuditLog, type AuditEvent } from '../../src/audit/index.js';
import type { SecurityEventInput } from '../../src/audit/types.js';
import { fakeClock, freshDbName, makeLog } from './helpers.js';

describe('record()', () => {
  test('stores every field, fills id, time, default severity, count and the chain links', async () => {
    const clock = fakeClock();
    const log = await makeLog({ now: clock.now });
    log.record({ type: 'sandbox_violation', user: 'alice', agent: 'coder', tool: 'fetch', runId: 'run-1', codeHash: 'ab'.repeat(32), details: { rule: 'no-eval' } });
    const [event] = await log.query();
    expect(event).toMatchObject({
      seq: 1, time: clock.now(), type: 'sandbox_violation', severity: 'high', count: 1, rank: 6,
      user: 'alice', agent: 'coder', tool: 'fetch', runId: 'run-1', codeHash: 'ab'.repeat(32), details: { rule: 'no-eval' },
      prevHash: '0'.repeat(64),
    });
    expect(event!.id).toMatch(/^[0-9a-f-]{32,36}$/);
    expect(event!.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  test('an explicit severity overrides the default mapping', async () => {
    const log = await makeLog();
    log.record({ type: 'execution', severity: 'critical' });
    expect((await log.query())[0]!.severity).toBe('critical');
  });

  test('returns before touching IndexedDB: no transaction starts synchronously', async () => {
    const log = await makeLog();
    const spy = vi.spyOn(IDBDatabase.prototype, 'transaction');
    try {
      for (let i = 0; i < 50; i++) log.record({ type: 'execution', user: 'u', runId: `r${i}` });
      expect(spy).not.toHaveBeenCalled();
      await log.flush();
      // 50 routine events, one batch: one readwrite transaction.
      expect(spy.mock.calls.filter((call) => call[1] === 'readwrite')).toHaveLength(1);
    } finally {
      spy.mockRestore();
    }
    expect((await log.query({ limit: 100 })).map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 50 - i));
  });

  test('writes batches of at most batch.maxSize events per transaction', async () => {
    const log = await makeLog({ batch: { maxSize: 10 } });
    const spy = vi.spyOn(IDBDatabase.prototype, 'transaction');
    try {
      for (let i = 0; i < 35; i++) log.record({ type: 'execution', runId: `r${i}` });
      await log.flush();
      expect(spy.mock.calls.filter((call) => call[1] === 'readwrite')).toHaveLength(4);
    } finally {
      spy.mockRestore();
    }
  });

  test('events recorded during a write wait for the batch delay, not for that write to end (one transaction per batch under steady traffic)', async () => {
    const log = await makeLog({ batch: { maxDelayMs: 2000 } });
    const spy = vi.spyOn(IDBDatabase.prototype, 'transaction');
    const writes = () => spy.mock.calls.filter((call) => call[1] === 'readwrite').length;
    try {
      const firstStored = new Promise<void>((resolve) => {
        log.subscribe((event) => { if (event.runId === 'urgent') resolve(); });
      });
      // A high event is written at once; three routine ones arrive while that write is under way.
      log.record({ type: 'sandbox_violation', runId: 'urgent' });
      while (writes() === 0) await new Promise((resolve) => setTimeout(resolve, 0));
      for (let i = 0; i < 3; i++) log.record({ type: 'execution', runId: `r${i}` });
      await firstStored;
      await new Promise((resolve) => setTimeout(resolve, 50));
      // They wait (half of maxDelayMs, then an idle moment) instead of a transaction of their own now.
      expect(writes()).toBe(1);
      await log.flush();
      expect(writes()).toBe(2);
      expect((await log.query()).map((e) => e.runId)).toEqual(['r2', 'r1', 'r0', 'urgent']);
    } finally {
      spy.mockRestore();
    }
  });

  test('writes on its own without flush() (idle batching)', async () => {
    const log = await makeLog({ batch: { maxDelayMs: 5 } });
    const seen = new Promise<AuditEvent>((resolve) => log.subscribe(resolve));
    log.record({ type: 'execution', user: 'u' });
    expect((await seen).seq).toBe(1);
  });

  test.each<[string, unknown]>([
    ['undefined', undefined],
    ['a string', 'execution'],
    ['an unknown type', { type: 'execution ' }],
    ['an unknown severity', { type: 'execution', severity: 'urgent' }],
    ['a throwing getter', Object.defineProperty({}, 'type', { get() { throw new Error('boom'); } })],
  ])('never throws for %s and records the malformed input as audit_degraded evidence', async (_name, input) => {
    const log = await makeLog();
    expect(() => log.record(input as SecurityEventInput)).not.toThrow();
    const events = await log.query();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'audit_degraded', severity: 'medium' });
    expect(['invalid event', 'record failed']).toContain(events[0]!.details?.reason);
  });

  test('guest-controlled fields cannot set id, seq, time, type or hashes', async () => {
    const log = await makeLog();
    log.record({ type: 'tool_call', details: { id: 'forged', seq: 99, hash: 'x', type: 'execution' }, ...({ id: 'forged', seq: 99, hash: 'x', time: 0 } as object) } as SecurityEventInput);
    const [event] = await log.query();
    expect(event!.id).not.toBe('forged');
    expect(event!.seq).toBe(1);
    expect(event!.time).not.toBe(0);
    expect(event!.type).toBe('tool_call');
    expect(event!.details).toEqual({ id: 'forged', seq: 99, hash: 'x', type: 'execution' });
  });

  test.each([
    ['user', 256, 'u'.repeat(300)],
    ['tool', 256, 't'.repeat(257)],
    ['runId', 128, 'r'.repeat(129)],
  ] as const)('caps %s at %i characters plus a marker', async (field, cap, value) => {
    const log = await makeLog();
    log.record({ type: 'tool_call', [field]: value });
    const stored = (await log.query())[0]![field]!;
    expect(stored.startsWith(value.slice(0, cap))).toBe(true);
    expect(stored).toMatch(/…\[\+\d+ chars\]$/);
  });
});

describe('durability', () => {
  test('flush() resolves once events are stored: a second instance on the same database reads them', async () => {
    const dbName = freshDbName();
    const first = createAuditLog({ dbName, lifecycle: false });
    first.record({ type: 'execution', user: 'a' });
    first.record({ type: 'sandbox_violation', user: 'a' });
    await first.flush();
    await first.dispose();
    const second = createAuditLog({ dbName, lifecycle: false });
    try {
      expect((await second.query()).map((e) => e.type)).toEqual(['sandbox_violation', 'execution']);
      second.record({ type: 'execution' });
      expect((await second.query({ limit: 1 }))[0]!.seq).toBe(3);
      expect((await second.verify()).ok).toBe(true);
    } finally {
      await second.dispose();
    }
  });

  test('events recorded before storage is open are kept', async () => {
    const log = createAuditLog({ dbName: freshDbName(), lifecycle: false });
    log.record({ type: 'execution' });
    expect(log.storage).toBe('opening');
    try {
      expect(await log.query()).toHaveLength(1);
      expect(log.storage).toBe('indexeddb');
    } finally {
      await log.dispose();
    }
  });
});

describe('options and arguments', () => {
  test.each<[string, unknown, string]>([
    ['an unknown option', { maxEvent: 10 }, 'options.maxEvent'],
    ['maxEvents below 10', { maxEvents: 9 }, 'options.maxEvents'],
    ['a fractional batch size', { batch: { maxSize: 1.5 } }, 'options.batch.maxSize'],
    ['an unknown aggregate key', { aggregate: { treshold: 1 } }, 'options.aggregate.treshold'],
    ['a bad minSeverity', { autoDisable: { minSeverity: 'severe' } }, 'options.autoDisable.minSeverity'],
    ['a negative risk weight', { risk: { weights: { high: -1 } } }, 'options.risk.weights.high'],
    ['a non-factory indexedDB', { indexedDB: {} }, 'options.indexedDB'],
  ])('createAuditLog rejects %s with INVALID_ARGUMENT naming the field', (_name, options, field) => {
    expect(() => createAuditLog(options as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field }));
  });

  test.each([
    ['maxEvents 10', { maxEvents: 10 }],
    ['aggregate false', { aggregate: false }],
    ['autoDisable false', { autoDisable: false }],
    ['risk weight 0', { risk: { weights: { low: 0 } } }],
  ] as const)('createAuditLog accepts the near miss %s', async (_name, options) => {
    await expect(makeLog(options)).resolves.toBeDefined();
  });

  test.each<[string, unknown, string]>([
    ['since after until', { since: 2, until: 1 }, 'filter.until'],
    ['a non-finite since', { since: Number.NaN }, 'filter.since'],
    ['limit 0', { limit: 0 }, 'filter.limit'],
    ['an unknown type', { type: 'exec' }, 'filter.type'],
    ['an unknown type in a list', { type: ['execution', 'exec'] }, 'filter.type[1]'],
    ['an unknown severity', { severity: 'urgent' }, 'filter.severity'],
    ['an empty user', { user: '' }, 'filter.user'],
    ['an unknown key', { users: 'a' }, 'filter.users'],
  ])('query rejects %s with INVALID_ARGUMENT naming the field', async (_name, filter, field) => {
    const log = await makeLog();
    await expect(log.query(filter as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field });
  });

  test('subscribe and isDisabled reject bad arguments with INVALID_ARGUMENT naming the field', async () => {
    const log = await makeLog();
    expect(() => log.subscribe('x' as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'listener' }));
    expect(() => log.isDisabled('group' as never, 'a')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'kind' }));
    expect(() => log.isDisabled('user', '')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'id' }));
    expect(log.isDisabled('user', 'a')).toBe(false);
  });
});

describe('dispose()', () => {
  test('flushes first; afterwards queries reject with DISPOSED and record() only warns', async () => {
    const dbName = freshDbName();
    const warn = vi.fn();
    const log = createAuditLog({ dbName, lifecycle: false, warn });
    log.record({ type: 'execution' });
    await log.dispose();
    await expect(log.query()).rejects.toMatchObject({ code: 'DISPOSED' });
    expect(() => log.record({ type: 'execution' })).not.toThrow();
    expect(warn).toHaveBeenCalledTimes(1);
    const reader = createAuditLog({ dbName, lifecycle: false });
    try {
      expect(await reader.query()).toHaveLength(1);
    } finally {
      await reader.dispose();
    }
  });
});

/**
 * One `execution` event with `runId`, stored by a log that is then closed, and that event as a spill
 * holds it (without what the seal adds): what a page leaves when its write committed after all.
 */
async function storedThenSpillable(dbName: string, runId: string) {
  const first = await makeLog({ dbName, aggregate: false });
  first.record({ type: 'execution', runId });
  const [stored] = await first.query();
  await first.dispose();
  const { seq: _seq, rank: _rank, prevHash: _prev, hash: _hash, ...prepared } = stored!;
  return { stored: stored!, prepared };
}

describe('page lifecycle', () => {
  const settleMicrotasks = async () => { for (let i = 0; i < 20; i++) await Promise.resolve(); };

  test('starts writing as soon as the page becomes hidden, before any idle callback', async () => {
    const log = await makeLog({ lifecycle: true, batch: { maxDelayMs: 60_000 } });
    log.record({ type: 'execution' });
    const spy = vi.spyOn(IDBDatabase.prototype, 'transaction');
    const state = Object.getOwnPropertyDescriptor(Document.prototype, 'visibilityState')!;
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    try {
      document.dispatchEvent(new Event('visibilitychange'));
      await settleMicrotasks();
      expect(spy.mock.calls.filter((call) => call[1] === 'readwrite')).toHaveLength(1);
    } finally {
      delete (document as unknown as Record<string, unknown>).visibilityState;
      expect(Object.getOwnPropertyDescriptor(Document.prototype, 'visibilityState')).toEqual(state);
      spy.mockRestore();
    }
  });

  test('pagehide saves unwritten events to localStorage; the next log on that database stores them once', async () => {
    const dbName = freshDbName();
    const first = createAuditLog({ dbName, lifecycle: true, aggregate: false, batch: { maxDelayMs: 60_000 }, warn: () => undefined });
    await first.ready;
    first.record({ type: 'execution', runId: 'stored' });
    await first.flush();
    for (let i = 0; i < 3; i++) first.record({ type: 'tool_call', runId: `queued-${i}` });
    dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }));
    const keys = Object.keys(localStorage).filter((k) => k.startsWith(`quickcage-audit:${dbName}:spill:`));
    expect(keys).toHaveLength(1);
    // The page did not actually go away here: this instance must not write the spilled events itself.
    await first.dispose();
    const second = createAuditLog({ dbName, lifecycle: false });
    try {
      const events = (await second.query()).reverse();
      expect(events.map((e) => e.runId)).toEqual(['stored', 'queued-0', 'queued-1', 'queued-2']);
      expect((await second.verify()).ok).toBe(true);
      expect(Object.keys(localStorage).filter((k) => k.startsWith(`quickcage-audit:${dbName}:spill:`))).toEqual([]);
    } finally {
      await second.dispose();
    }
  });

  test('a corrupt spill is ignored, a duplicate of a stored event is not stored twice', async () => {
    const dbName = freshDbName();
    const { prepared } = await storedThenSpillable(dbName, 'once');
    localStorage.setItem(`quickcage-audit:${dbName}:spill:a`, JSON.stringify({ events: [prepared, { type: 'nonsense' }, 42] }));
    localStorage.setItem(`quickcage-audit:${dbName}:spill:c`, JSON.stringify([prepared]));
    localStorage.setItem(`quickcage-audit:${dbName}:spill:b`, '{not json');
    const second = createAuditLog({ dbName, lifecycle: false });
    try {
      expect((await second.query()).map((e) => e.runId)).toEqual(['once']);
      expect(Object.keys(localStorage).filter((k) => k.startsWith(`quickcage-audit:${dbName}:spill:`))).toEqual([]);
    } finally {
      await second.dispose();
    }
  });

  test('a spilled event its own transaction stored after all is handed to subscribers once, not stored twice', async () => {
    // The page went away after its write committed but before it handed the events on (an exporter
    // subscribed there never saw them); they were spilled on pagehide as well.
    const dbName = freshDbName();
    const { stored, prepared } = await storedThenSpillable(dbName, 'committed');
    localStorage.setItem(`quickcage-audit:${dbName}:spill:a`, JSON.stringify({ events: [prepared, { ...prepared, id: crypto.randomUUID(), runId: 'lost' }] }));
    const second = createAuditLog({ dbName, lifecycle: false, broadcast: false });
    const seen: AuditEvent[] = [];
    second.subscribe((event) => seen.push(event));
    try {
      await second.ready;
      expect(seen.map((e) => [e.runId, e.seq])).toEqual([['committed', 1], ['lost', 2]]);
      expect(seen[0]).toEqual(stored);
      expect((await second.query()).map((e) => e.runId)).toEqual(['lost', 'committed']);
      expect((await second.flush()).stored).toBe(1);
    } finally {
      await second.dispose();
    }
  });
});

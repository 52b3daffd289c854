/**
 * Evidence an operator can act on: the id `record()` returns, queries by run, the first event of each
 * (type, rule, user) kept out of flood aggregates, `flush()` saying what happened, and eviction that
 * takes routine events before security events.
 */
import { describe, expect, test } from 'vitest';
import { indexedDbBackend, openAuditDb } from '../../src/audit/backend.js';
import type { PreparedEvent } from '../../src/audit/model.js';
import type { SecurityEventType, Severity } from '../../src/audit/types.js';
import { freshDbName, makeLog } from './helpers.js';

describe('record() returns the event id', () => {
  test('the id returned is the id the event is stored under', async () => {
    const log = await makeLog();
    const id = log.record({ type: 'tool_call', runId: 'r1', tool: 'fetch', details: { outcome: 'denied' } });
    expect(id).toEqual(expect.any(String));
    const [stored] = await log.query({ runId: 'r1' });
    expect(stored!.id).toBe(id);
  });

  test('a folded event returns the id of the aggregate entry that holds it', async () => {
    const log = await makeLog({ aggregate: { threshold: 1, windowMs: 60_000 } });
    const first = log.record({ type: 'execution', runId: 'r' });
    const second = log.record({ type: 'execution', runId: 'r' });
    const third = log.record({ type: 'execution', runId: 'r' });
    expect(second).toBe(third);
    const events = await log.query({ runId: 'r' });
    expect(events.map((e) => [e.id, e.count])).toEqual([[second, 2], [first, 1]]);
  });

  test('a malformed event returns the id of the audit_degraded event stored instead; after dispose, undefined', async () => {
    const log = await makeLog();
    const id = log.record({ type: 'no_such_type' } as never);
    const [degraded] = await log.query({ type: 'audit_degraded' });
    expect(degraded!.id).toBe(id);
    await log.dispose();
    expect(log.record({ type: 'execution' })).toBeUndefined();
  });
});

describe('query({ runId })', () => {
  test('returns the events of that run only, combined with other filters', async () => {
    const log = await makeLog();
    log.record({ type: 'execution', runId: 'run-a', user: 'u' });
    log.record({ type: 'tool_call', runId: 'run-a', user: 'u', tool: 'readFile' });
    log.record({ type: 'execution', runId: 'run-b', user: 'u' });
    log.record({ type: 'execution', user: 'u' });
    expect((await log.query({ runId: 'run-a' })).map((e) => e.type).sort()).toEqual(['execution', 'tool_call']);
    expect((await log.query({ runId: 'run-a', type: 'tool_call' })).map((e) => e.tool)).toEqual(['readFile']);
    expect(await log.query({ runId: 'run-c' })).toEqual([]);
    expect((await log.exportJsonl({ runId: 'run-b' })).trim().split('\n')).toHaveLength(1);
  });

  test.each([[''], [42]])('rejects runId %j with INVALID_ARGUMENT naming filter.runId', async (runId) => {
    const log = await makeLog();
    await expect(log.query({ runId: runId as string })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'filter.runId' });
  });
});

describe('aggregation keeps the first event of each (type, rule, user)', () => {
  test('under key pressure, each new rule and each new user is stored one by one; repeats are folded', async () => {
    const log = await makeLog({ aggregate: { threshold: 1, windowMs: 60_000, maxKeys: 1 } });
    const denied = (user: string, rule: string) => ({ type: 'tool_call' as const, severity: 'medium' as const, runId: 'r', user, tool: 'readFile', details: { outcome: 'denied', rule } });
    // One key (same run, type, severity, tool): without the rule only the first would stand alone.
    log.record(denied('mallory', 'path.outside'));
    log.record(denied('mallory', 'path.traversal'));
    log.record(denied('mallory', 'path.outside'));
    log.record(denied('eve', 'path.outside'));
    log.record(denied('mallory', 'path.traversal'));
    const events = (await log.query({ limit: 100 })).reverse();
    const single = events.filter((e) => e.details?.aggregated === undefined).map((e) => [e.user, e.details?.rule]);
    expect(single).toEqual([['mallory', 'path.outside'], ['mallory', 'path.traversal'], ['eve', 'path.outside']]);
    const aggregate = events.find((e) => e.details?.aggregated === true);
    expect(aggregate).toMatchObject({ count: 2, user: 'mallory' });
  });
});

describe('flush() reports what happened', () => {
  test('complete when every event accepted before it is stored', async () => {
    const log = await makeLog();
    for (let i = 0; i < 5; i++) log.record({ type: 'execution', runId: `r${i}` });
    expect(await log.flush()).toEqual({ stored: 5, memoryOnly: 0, deleted: 0, deletedSecurity: 0, notStored: 0, complete: true });
    // Counted since the previous flush; a query in between does not take the report.
    log.record({ type: 'execution' });
    await log.query();
    expect(await log.flush()).toMatchObject({ stored: 1, complete: true });
  });

  test('retention deletions are reported, routine events go first and security events stay', async () => {
    const log = await makeLog({ maxEvents: 20, aggregate: false });
    for (let i = 0; i < 10; i++) log.record({ type: 'sandbox_violation', severity: 'high', runId: `attack-${i}` });
    for (let i = 0; i < 40; i++) log.record({ type: 'execution', runId: `routine-${i}` });
    const report = await log.flush();
    expect(report.complete).toBe(false);
    expect(report.deleted).toBeGreaterThan(0);
    expect(report.deletedSecurity).toBe(0);
    expect(await log.query({ type: 'sandbox_violation', limit: 100 })).toHaveLength(10);
  });

  test('memory-only storage is reported as such', async () => {
    const log = await makeLog({ indexedDB: null });
    log.record({ type: 'execution' });
    const report = await log.flush();
    expect(report).toMatchObject({ stored: 0, complete: false });
    expect(report.memoryOnly).toBeGreaterThanOrEqual(2); // the event and the audit_degraded notice
  });
});

describe('eviction under storage pressure (deleteForRoom, the quota recovery step)', () => {
  const prepared = (type: SecurityEventType, severity: Severity, i: number): PreparedEvent => ({ id: `${type}-${severity}-${i}`, time: 1_000 + i, type, severity, count: 1 });
  const ctx = { now: 5_000, maxEvents: 100_000, autoDisable: false as const, newId: () => crypto.randomUUID() };

  async function backendWith(events: PreparedEvent[]) {
    const db = await openAuditDb(indexedDB, freshDbName('evict'), { onVersionChange: () => undefined, onTerminated: () => undefined });
    const backend = indexedDbBackend(db);
    await backend.append(events, ctx);
    return backend;
  }

  test('takes routine events (lowest severity, oldest first) before any security event', async () => {
    // Security events are older than the routine ones: age alone must not decide.
    const events = [
      ...Array.from({ length: 5 }, (_, i) => prepared('sandbox_violation', 'high', i)),
      ...Array.from({ length: 5 }, (_, i) => prepared('validation_failure', 'medium', 10 + i)),
      ...Array.from({ length: 5 }, (_, i) => prepared('execution', 'low', 20 + i)),
      ...Array.from({ length: 5 }, (_, i) => prepared('tool_call', 'medium', 30 + i)),
    ];
    const backend = await backendWith(events);
    const deleted = await backend.deleteForRoom(10, 7);
    expect(deleted).toMatchObject({ entries: 10, securityEntries: 0, byType: { execution: 5, tool_call: 5 } });
    const left = await backend.query({ since: 0, until: 1e13, limit: 100, order: 'asc' });
    expect(left.map((e) => e.type)).toEqual([...Array(5).fill('sandbox_violation'), ...Array(5).fill('validation_failure')]);
    backend.close();
  });

  test('with a routine floor, security events are never deleted even when more room is asked for', async () => {
    const backend = await backendWith([prepared('execution', 'low', 0), prepared('sandbox_violation', 'high', 1), prepared('execution', 'low', 2)]);
    // Rank 3 is the highest routine rank: the floor a batch of routine events sets.
    expect(await backend.deleteForRoom(10, 3)).toMatchObject({ entries: 2, securityEntries: 0 });
    expect((await backend.query({ since: 0, until: 1e13, limit: 10, order: 'asc' })).map((e) => e.type)).toEqual(['sandbox_violation']);
    expect(await backend.deleteForRoom(10, 3)).toBeUndefined();
    backend.close();
  });
});

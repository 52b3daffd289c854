/**
 * Tamper evidence: every stored event links to the previous one by SHA-256; verify() names the
 * first broken link. Retention leaves verifiable gaps and an events_dropped marker that accounts
 * for them. Edits are made straight in IndexedDB, as a bug or a partial tamperer would.
 */
import { describe, expect, test } from 'vitest';
import { createAuditLog, type AuditEvent } from '../../src/audit/index.js';
import { canonicalJson } from '../../src/audit/model.js';
import { SEAL_CHUNK } from '../../src/audit/chain.js';
import { sha256Hex } from '../../src/sha256.js';
import { BLOCK_EVENTS, type AuditBlock } from '../../src/audit/backend.js';
import { freshDbName, makeLog, rawDb, rawDeleteEvent, rawEvent, rawEvents, rawPutEvent } from './helpers.js';

async function logWithEvents(count: number, options = {}) {
  const dbName = freshDbName();
  const log = await makeLog({ dbName, aggregate: false, autoDisable: false, ...options });
  for (let i = 1; i <= count; i++) log.record({ type: 'tool_call', user: `u${i % 3}`, tool: 'fetch', details: { i } });
  await log.flush();
  return { log, dbName };
}

describe('hash chain', () => {
  test('each event links to the previous hash and hashes its canonical JSON', async () => {
    const { log } = await logWithEvents(5);
    const events = (await log.query()).reverse();
    let previous = '0'.repeat(64);
    for (const event of events) {
      expect(event.prevHash).toBe(previous);
      const { hash, ...rest } = event;
      expect(sha256Hex(canonicalJson(rest))).toBe(hash);
      previous = hash;
    }
    expect(await log.verify()).toEqual({ ok: true, checked: 5, dropped: 0, head: previous });
  });

  test('a large batch is linked SEAL_CHUNK events per page task and stored as blocks of BLOCK_EVENTS, still one verifiable chain', async () => {
    // A task counter: a MessageChannel ping-pong advances it once per task of the page.
    let task = 0;
    let ticking = true;
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      task++;
      if (ticking) channel.port2.postMessage(null);
    };
    channel.port2.postMessage(null);
    // The task in which each block was put, and its size; the tasks in which the seal let others run.
    const puts: { task: number; events: number }[] = [];
    const yields: number[] = [];
    const { put, getKey } = IDBObjectStore.prototype;
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (this.name === 'blocks') puts.push({ task, events: (args[0] as AuditBlock).events.length });
      return put.apply(this, args);
    };
    IDBObjectStore.prototype.getKey = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['getKey']>) {
      if (this.name === 'meta') yields.push(task);
      return getKey.apply(this, args);
    };
    const count = 4 * BLOCK_EVENTS;
    let log;
    try {
      ({ log } = await logWithEvents(count));
    } finally {
      IDBObjectStore.prototype.put = put;
      IDBObjectStore.prototype.getKey = getKey;
      ticking = false;
      channel.port1.close();
    }
    // One record per BLOCK_EVENTS events, not one per event.
    expect(puts.map((p) => p.events)).toEqual([BLOCK_EVENTS, BLOCK_EVENTS, BLOCK_EVENTS, BLOCK_EVENTS]);
    // The seal gives the page back after every SEAL_CHUNK events (not after the last), each time in a
    // new task: other tasks (a run's answer) run between the chunks.
    expect(yields).toHaveLength(count / SEAL_CHUNK - 1);
    expect(new Set(yields).size).toBe(yields.length);
    expect(new Set(puts.map((p) => p.task)).size).toBe(4);
    expect(await log.verify()).toMatchObject({ ok: true, checked: count });
  });

  test('an empty log verifies', async () => {
    const log = await makeLog();
    expect(await log.verify()).toMatchObject({ ok: true, checked: 0 });
  });

  test.each<[string, (e: AuditEvent) => void]>([
    ['details changed', (e) => { e.details = { i: 999 }; }],
    ['user changed', (e) => { e.user = 'someone-else'; }],
    ['severity changed', (e) => { e.severity = 'critical'; }],
    ['type changed', (e) => { e.type = 'execution'; }],
    ['time moved', (e) => { e.time -= 1; }],
    ['a field added', (e) => { (e as unknown as Record<string, unknown>).note = 'x'; }],
  ])('detects an edited event (%s) at that event', async (_name, edit) => {
    const { log, dbName } = await logWithEvents(5);
    const db = await rawDb(dbName);
    const target = (await rawEvent(db, 3))!;
    edit(target);
    await rawPutEvent(db, target);
    expect(await log.verify()).toMatchObject({ ok: false, brokenAt: target.id, seq: 3, reason: expect.stringContaining('edited') });
  });

  test('detects an edited event whose hash was recomputed, at the next event', async () => {
    const { log, dbName } = await logWithEvents(5);
    const db = await rawDb(dbName);
    const target = (await rawEvent(db, 2))!;
    target.details = { i: 'rewritten' };
    const { hash: _old, ...rest } = target;
    target.hash = sha256Hex(canonicalJson(rest));
    await rawPutEvent(db, target);
    const next = (await rawEvent(db, 3))!;
    expect(await log.verify()).toMatchObject({ ok: false, brokenAt: next.id, seq: 3, reason: expect.stringContaining('prevHash') });
  });

  test('detects an event deleted from the middle', async () => {
    const { log, dbName } = await logWithEvents(5);
    const db = await rawDb(dbName);
    await rawDeleteEvent(db, 3);
    const next = (await rawEvent(db, 4))!;
    expect(await log.verify()).toMatchObject({ ok: false, brokenAt: next.id, seq: 4, reason: expect.stringContaining('events 3..3 are missing') });
  });

  test('detects an event deleted from a chain that also has legitimate retention holes', async () => {
    const { log, dbName } = await logWithEvents(0, { maxEvents: 10 });
    for (let i = 0; i < 15; i++) log.record({ type: 'execution', runId: `r${i}` });
    log.record({ type: 'sandbox_violation', user: 'u' });
    log.record({ type: 'sandbox_violation', user: 'u' });
    await log.flush();
    expect((await log.verify()).ok).toBe(true);
    const db = await rawDb(dbName);
    const [victim] = (await rawEvents(db)).filter((e) => e.type === 'sandbox_violation');
    await rawDeleteEvent(db, victim!.seq);
    expect(await log.verify()).toMatchObject({ ok: false, reason: expect.stringContaining('deleted outside retention') });
  });

  test('detects the newest events deleted (the head remembers the end)', async () => {
    const { log, dbName } = await logWithEvents(5);
    const db = await rawDb(dbName);
    await rawDeleteEvent(db, 5);
    await rawDeleteEvent(db, 4);
    expect(await log.verify()).toMatchObject({ ok: false, seq: 3, reason: expect.stringContaining('head says 5') });
  });

  test('detects a marker whose count was changed to cover a deletion', async () => {
    const { log, dbName } = await logWithEvents(0, { maxEvents: 10 });
    for (let i = 0; i < 15; i++) log.record({ type: 'execution', runId: `r${i}` });
    await log.flush();
    expect((await log.verify()).ok).toBe(true);
    const db = await rawDb(dbName);
    const [marker] = (await rawEvents(db)).filter((e) => e.type === 'events_dropped');
    marker!.details!.totalDropped = (marker!.details!.totalDropped as number) + 1;
    await rawPutEvent(db, marker!);
    expect(await log.verify()).toMatchObject({ ok: false, brokenAt: marker!.id, reason: expect.stringContaining('edited') });
  });

  test('stays linear when two writers (tabs) on one database append at the same time', async () => {
    const dbName = freshDbName();
    const a = await makeLog({ dbName, aggregate: false, batch: { maxSize: 7 } });
    const b = await makeLog({ dbName, aggregate: false, batch: { maxSize: 5 } });
    for (let i = 0; i < 60; i++) {
      a.record({ type: 'execution', runId: `a${i}` });
      b.record({ type: 'execution', runId: `b${i}` });
    }
    await Promise.all([a.flush(), b.flush()]);
    const all = await a.query({ limit: 1000 });
    expect(all).toHaveLength(120);
    expect(new Set(all.map((e) => e.seq)).size).toBe(120);
    expect(await b.verify()).toMatchObject({ ok: true, checked: 120 });
  });
});

describe('retention', () => {
  test('drops routine low events first, keeps every security event, leaves a marker and a verifiable chain', async () => {
    const { log } = await logWithEvents(0, { maxEvents: 20 });
    for (let i = 0; i < 5; i++) log.record({ type: 'sandbox_violation', severity: 'medium', user: 'mallory', details: { i } });
    for (let i = 0; i < 40; i++) log.record({ type: 'execution', runId: `r${i}` });
    await log.flush();
    const kept = await log.query({ limit: 1000 });
    expect(kept.filter((e) => e.type === 'sandbox_violation')).toHaveLength(5);
    expect(kept.length).toBeLessThanOrEqual(20);
    const markers = kept.filter((e) => e.type === 'events_dropped');
    expect(markers.length).toBeGreaterThanOrEqual(1);
    const dropped = markers.reduce((sum, m) => sum + (m.details!.entries as number), 0);
    expect(kept.filter((e) => e.type === 'execution').length + dropped).toBe(40);
    expect(markers[0]!.details).toMatchObject({ reason: 'max_events', securityEntries: 0, bySeverity: { low: expect.any(Number) } });
    const verdict = await log.verify();
    expect(verdict).toMatchObject({ ok: true, dropped });
  });

  test('drops security events only when nothing routine is left, oldest and lowest first, and says so', async () => {
    const { log } = await logWithEvents(0, { maxEvents: 10 });
    for (let i = 0; i < 8; i++) log.record({ type: 'validation_failure', user: 'u', details: { i } }); // medium
    for (let i = 0; i < 8; i++) log.record({ type: 'sandbox_violation', user: 'u', details: { i } }); // high
    await log.flush();
    const kept = await log.query({ limit: 1000 });
    expect(kept.filter((e) => e.type === 'sandbox_violation')).toHaveLength(8);
    const markers = kept.filter((e) => e.type === 'events_dropped');
    expect(markers[0]).toMatchObject({ severity: 'high', details: { securityEntries: expect.any(Number), byType: { validation_failure: expect.any(Number) } } });
    // The oldest medium ones went first.
    const remainingMedium = kept.filter((e) => e.type === 'validation_failure').map((e) => e.details!.i as number);
    expect(remainingMedium).toEqual([...remainingMedium].sort((x, y) => y - x));
    expect(Math.min(...remainingMedium, 8)).toBeGreaterThan(0);
    expect((await log.verify()).ok).toBe(true);
  });

  test('many retention passes leave a chain that verifies after reopen', async () => {
    const { log, dbName } = await logWithEvents(0, { maxEvents: 10 });
    for (let round = 0; round < 5; round++) {
      log.record({ type: 'suspicious_pattern', user: 'u', details: { round } });
      for (let i = 0; i < 12; i++) log.record({ type: 'execution', runId: `r${round}-${i}` });
      await log.flush();
    }
    await log.dispose();
    const reopened = createAuditLog({ dbName, lifecycle: false });
    try {
      const verdict = await reopened.verify();
      expect(verdict).toMatchObject({ ok: true });
      expect(verdict.ok && verdict.dropped).toBeGreaterThan(40);
      expect(await reopened.query({ type: 'suspicious_pattern' })).toHaveLength(5);
    } finally {
      await reopened.dispose();
    }
  });
});

/**
 * Block storage: events are stored as one IndexedDB record per sealed chunk (backend.ts). Queries,
 * retention, exports and verification read events out of blocks and must answer exactly as the
 * memory backend, which stores events one by one. Also: version-1 databases (one record per event)
 * are migrated on open.
 */
import { deleteDB, openDB } from 'idb';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { createAuditLog, AUDIT_DB_VERSION, type AuditQuery } from '../../src/audit/index.js';
import { verifyChain } from '../../src/audit/chain.js';
import { BLOCK_EVENTS, indexedDbBackend, memoryBackend, openAuditDb, type AuditBlock } from '../../src/audit/backend.js';
import { prepareEvent } from '../../src/audit/events.js';
import { normalizeQuery } from '../../src/audit/options.js';
import { EVENT_TYPES, SEVERITIES, type SecurityEventInput } from '../../src/audit/types.js';
import { freshDbName, makeLog, rawDb, rawEvents } from './helpers.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const USERS = ['alice', 'bob', 'carol'];
const TOOLS = ['fetch', 'readFile'];

const eventArb = fc.record({
  type: fc.constantFrom(...EVENT_TYPES.filter((t) => !t.endsWith('_disabled') && !t.endsWith('_enabled') && t !== 'events_dropped' && t !== 'audit_degraded')),
  severity: fc.constantFrom(...SEVERITIES),
  user: fc.option(fc.constantFrom(...USERS), { nil: undefined }),
  tool: fc.option(fc.constantFrom(...TOOLS), { nil: undefined }),
  runId: fc.option(fc.constantFrom('r1', 'r2', 'r3'), { nil: undefined }),
  // Times go back as well as forward (another tab's clock, a recovered spill): blocks' time keys are
  // maxima, not the time of their first event. Equal times are common (many events in one
  // millisecond): ties are ordered by seq.
  dt: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: -5_000, max: 20_000 })),
});

const queryArb: fc.Arbitrary<AuditQuery> = fc.record({
  since: fc.option(fc.integer({ min: T0 - 10_000, max: T0 + 400_000 }), { nil: undefined }),
  until: fc.option(fc.integer({ min: T0 + 400_000, max: T0 + 800_000 }), { nil: undefined }),
  user: fc.option(fc.constantFrom(...USERS), { nil: undefined }),
  tool: fc.option(fc.constantFrom(...TOOLS), { nil: undefined }),
  runId: fc.option(fc.constantFrom('r1', 'r2'), { nil: undefined }),
  type: fc.option(fc.constantFrom(...EVENT_TYPES), { nil: undefined }),
  severity: fc.option(fc.subarray([...SEVERITIES], { minLength: 1 }), { nil: undefined }),
  limit: fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }),
}, { requiredKeys: [] }).map((q) => Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined)) as AuditQuery);

describe('block storage', () => {
  test('queries (both orders, every filter) and retention answer exactly as the one-record-per-event memory backend', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(eventArb, { minLength: 1, maxLength: 3 * BLOCK_EVENTS + 5 }),
      fc.integer({ min: 10, max: 120 }),
      fc.integer({ min: 1, max: 2 * BLOCK_EVENTS + 3 }),
      fc.array(queryArb, { minLength: 4, maxLength: 8 }),
      async (inputs, maxEvents, batchSize, queries) => {
        const name = freshDbName('audit-blocks');
        const db = await openAuditDb(indexedDB, name, { onVersionChange: () => undefined, onTerminated: () => undefined });
        const stored = indexedDbBackend(db);
        const memory = memoryBackend();
        try {
          // The same prepared events (same ids) and the same marker ids: both chains must be identical.
          let time = T0;
          const prepared = inputs.map(({ dt, ...input }, i) => {
            time += dt;
            return prepareEvent(Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as unknown as SecurityEventInput, time, `e${i}`);
          });
          const ctx = () => {
            let marker = 0;
            return { now: time, maxEvents, autoDisable: false as const, newId: () => `m${marker++}` };
          };
          for (let i = 0; i < prepared.length; i += batchSize) {
            const batch = prepared.slice(i, i + batchSize);
            expect(await stored.append(batch, ctx())).toEqual(await memory.append(batch, ctx()));
          }
          const chain = await stored.readChain();
          expect(chain).toEqual(await memory.readChain());
          expect(await verifyChain(chain.records, chain.head)).toMatchObject({ ok: true });
          // Small unfiltered limits too: an `asc` walk stops early, and blocks of other ranks from the
          // same seal hold seqs between those it has found.
          for (const filter of [{ limit: 10_000 }, { limit: 1 }, { limit: 5 }, ...queries]) {
            for (const order of ['desc', 'asc'] as const) {
              const q = normalizeQuery(filter, 100, order);
              expect(await stored.query(q), `${order} ${JSON.stringify(filter)}`).toEqual(await memory.query(q));
            }
          }
        } finally {
          stored.close();
        }
      },
    ), { numRuns: 40 });
  });

  test('retention removes events from inside blocks, rewrites those blocks and deletes emptied ones', async () => {
    const dbName = freshDbName();
    const log = await makeLog({ dbName, aggregate: false, autoDisable: false, maxEvents: 40 });
    // Security events in the first block, routine ones after them: retention takes the routine ones
    // first, out of the middle of the chain.
    for (let i = 0; i < 10; i++) log.record({ type: 'sandbox_violation', user: 'mallory', runId: `v${i}` });
    for (let i = 0; i < 60; i++) log.record({ type: 'execution', runId: `e${i}` });
    await log.flush();
    const db = await rawDb(dbName);
    const blocks = (await db.getAll('blocks')) as AuditBlock[];
    const events = await rawEvents(db);
    expect(events.filter((e) => e.type === 'sandbox_violation')).toHaveLength(10);
    expect(events.length).toBeLessThanOrEqual(40);
    // Every block holds events, and its index keys describe exactly what it holds.
    for (const block of blocks) {
      expect(block.events.length).toBeGreaterThan(0);
      expect(block.last).toBe(Math.max(...block.events.map((e) => e.time)));
      expect(block.ranks.map(([rank]) => rank).sort()).toEqual([...new Set(block.events.map((e) => e.rank))].sort());
      expect(block.users.map(([user]) => user)).toEqual([...new Set(block.events.flatMap((e) => (e.user ? [e.user] : [])))]);
    }
    expect(await log.verify()).toMatchObject({ ok: true, checked: events.length });
    const [marker] = await log.query({ type: 'events_dropped' });
    expect(marker!.details).toMatchObject({ reason: 'max_events', securityEntries: 0 });
    expect((await log.query({ user: 'mallory', limit: 100 }))).toHaveLength(10);
  });

  test('a version-1 database (one record per event) is migrated on open: same chain, still verifiable, appends link on', async () => {
    // A chain written by this version, then laid out as version 1 stored it.
    const source = freshDbName();
    const writer = await makeLog({ dbName: source, aggregate: false, autoDisable: false });
    for (let i = 0; i < 2 * BLOCK_EVENTS + 7; i++) writer.record({ type: i % 5 === 0 ? 'sandbox_violation' : 'tool_call', user: `u${i % 3}`, tool: 'fetch', details: { i } });
    await writer.flush();
    const sourceDb = await rawDb(source);
    const events = await rawEvents(sourceDb);
    const head = await sourceDb.get('meta', 'head');
    await writer.dispose();

    const dbName = freshDbName();
    const v1 = await openDB(dbName, 1, {
      upgrade(db) {
        const store = db.createObjectStore('events', { keyPath: 'seq' });
        store.createIndex('id', 'id', { unique: true });
        store.createIndex('time', 'time');
        store.createIndex('user_time', ['user', 'time']);
        store.createIndex('tool_time', ['tool', 'time']);
        store.createIndex('type_time', ['type', 'time']);
        store.createIndex('severity_time', ['severity', 'time']);
        store.createIndex('rank_seq', ['rank', 'seq']);
        db.createObjectStore('pending', { keyPath: 'id' });
        db.createObjectStore('meta');
        db.createObjectStore('disabled', { keyPath: ['kind', 'id'] });
      },
    });
    for (const event of events) await v1.put('events', event);
    await v1.put('meta', head, 'head');
    v1.close();

    const log = await makeLog({ dbName, aggregate: false, autoDisable: false });
    expect(log.storage).toBe('indexeddb');
    expect(await log.verify()).toEqual({ ok: true, checked: events.length, dropped: 0, head: head.hash });
    expect((await log.query({ limit: 1000 })).map((e) => e.id)).toEqual(events.map((e) => e.id).reverse());
    log.record({ type: 'execution', runId: 'after' });
    await log.flush();
    expect(await log.verify()).toMatchObject({ ok: true, checked: events.length + 1 });

    const db = await rawDb(dbName);
    expect(db.version).toBe(AUDIT_DB_VERSION);
    expect([...db.objectStoreNames]).not.toContain('events');
    // Per chunk of BLOCK_EVENTS consecutive events, one block per retention rank.
    const expected: number[][] = [];
    for (let i = 0; i < events.length; i += BLOCK_EVENTS) {
      const chunk = events.slice(i, i + BLOCK_EVENTS);
      for (const rank of new Set(chunk.map((e) => e.rank))) expected.push(chunk.filter((e) => e.rank === rank).map((e) => e.seq));
    }
    const blocks = ((await db.getAll('blocks')) as AuditBlock[]).map((b) => b.events.map((e) => e.seq));
    expect(blocks.slice(0, -1).sort((a, b) => a[0]! - b[0]!)).toEqual(expected.sort((a, b) => a[0]! - b[0]!));
    expect(blocks.at(-1)).toEqual([events.length + 1]);
  });

  test('a version-1 database whose events cannot be read into blocks is left untouched (the log falls back to memory)', async () => {
    const dbName = freshDbName();
    const v1 = await openDB(dbName, 1, {
      upgrade(db) {
        db.createObjectStore('pending', { keyPath: 'id' });
        db.createObjectStore('meta');
        db.createObjectStore('disabled', { keyPath: ['kind', 'id'] });
        // No `events` store: a database version 1 never had; the migration fails and aborts.
      },
    });
    await v1.put('meta', { seq: 3, hash: 'x'.repeat(64), count: 3, dropped: 0 }, 'head');
    v1.close();
    const warnings: string[] = [];
    const log = createAuditLog({ dbName, lifecycle: false, warn: (m) => warnings.push(m) });
    await log.ready;
    expect(log.storage).toBe('memory');
    expect(warnings.join('\n')).toMatch(/IndexedDB is unavailable/);
    await log.dispose();
    const db = await openDB(dbName);
    expect(db.version).toBe(1);
    expect(await db.get('meta', 'head')).toMatchObject({ seq: 3 });
    db.close();
    await deleteDB(dbName);
  });
});

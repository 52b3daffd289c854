/** Shared helpers of the audit tests: a fresh database per test, a fake clock, raw store access. */
import { deleteDB, openDB } from 'idb';
import { afterEach } from 'vitest';
import { createAuditLog, type AuditEvent, type AuditLog, type AuditLogOptions } from '../../src/audit/index.js';
import type { AuditBlock } from '../../src/audit/backend.js';

/** A settable clock: tests move time by hand, never wait for it. */
export function fakeClock(start = Date.UTC(2025, 0, 1, 12, 0, 0)) {
  let now = start;
  return {
    now: () => now,
    set: (t: number) => { now = t; },
    advance: (ms: number) => { now += ms; },
  };
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const task of cleanup.splice(0).reverse()) await task();
});

/** A unique database name, deleted after the test. */
export function freshDbName(prefix = 'audit-test'): string {
  const name = `${prefix}-${crypto.randomUUID()}`;
  cleanup.push(() => deleteDB(name));
  return name;
}

/** A log on a fresh database (or `dbName`), disposed after the test. Silent unless `warn` is given. */
export async function makeLog(options: AuditLogOptions = {}): Promise<AuditLog> {
  const log = createAuditLog({ dbName: freshDbName(), lifecycle: false, warn: () => undefined, ...options });
  cleanup.push(() => log.dispose());
  await log.ready;
  return log;
}

/** Opens the audit database directly, as an attacker with page access (or a bug) could. */
export async function rawDb(name: string) {
  const db = await openDB(name);
  cleanup.push(async () => db.close());
  return db;
}

type RawDb = Awaited<ReturnType<typeof rawDb>>;

/** Every stored event, in seq order, read out of the database's block records. */
export async function rawEvents(db: RawDb): Promise<AuditEvent[]> {
  const blocks = (await db.getAll('blocks')) as AuditBlock[];
  return blocks.flatMap((block) => block.events).sort((a, b) => a.seq - b.seq);
}

/** The stored event `seq` (a copy to edit), or undefined. */
export async function rawEvent(db: RawDb, seq: number): Promise<AuditEvent | undefined> {
  return (await rawEvents(db)).find((event) => event.seq === seq);
}

/** Rewrites one event in its block (by seq), as a tamperer with page access could. */
export async function rawPutEvent(db: RawDb, event: AuditEvent): Promise<void> {
  await editBlockOf(db, event.seq, (events) => events.map((e) => (e.seq === event.seq ? event : e)));
}

/** Deletes one event from its block (by seq), leaving the block's other events. */
export async function rawDeleteEvent(db: RawDb, seq: number): Promise<void> {
  await editBlockOf(db, seq, (events) => events.filter((e) => e.seq !== seq));
}

async function editBlockOf(db: RawDb, seq: number, edit: (events: AuditEvent[]) => AuditEvent[]): Promise<void> {
  const blocks = (await db.getAll('blocks')) as AuditBlock[];
  const block = blocks.find((b) => b.events.some((e) => e.seq === seq));
  if (!block) throw new Error(`no stored event ${seq}`);
  await db.put('blocks', { ...block, events: edit(block.events) });
}

/**
 * Every line break some reader honours: \n, \r, VT, FF, FS/GS/RS, NEL, LS, PS (Python's
 * str.splitlines() splits on all of them).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point here
export const ANY_LINE_BREAK = /\r\n|[\n\r\u000b\u000c\u001c-\u001e\u0085\u2028\u2029]/;

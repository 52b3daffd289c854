/** Shared helpers of the audit tests: a fresh database per test, a fake clock, raw store access. */
import { deleteDB, openDB } from 'idb';
import { afterEach } from 'vitest';
import { createAuditLog, type AuditLog, type AuditLogOptions } from '../../src/audit/index.js';

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

/**
 * Every line break some reader honours: \n, \r, VT, FF, FS/GS/RS, NEL, LS, PS (Python's
 * str.splitlines() splits on all of them).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point here
export const ANY_LINE_BREAK = /\r\n|[\n\r\u000b\u000c\u001c-\u001e\u0085\u2028\u2029]/;

/**
 * The exporter's outbox: records waiting for the collector's acknowledgement, in IndexedDB so they
 * survive a reload, a crash or a collector that is down for hours. Keyed by the audit event id, so
 * putting the same event twice (two tabs, a spill recovered after the write committed after all)
 * keeps one copy. Capped: past `max` records the oldest go, counted in the same transaction.
 * Falls back to memory (said so by `kind`, and why by `fallback`) when IndexedDB cannot be opened,
 * through the storage kit (src/internal/idb.ts).
 */
import type { DBSchema, IDBPDatabase } from 'idb';
import { openDatabase, openOrFallback, type FallbackReason } from '../internal/idb.js';
import type { OtlpRecord } from './mapping.js';

interface OutboxSchema extends DBSchema {
  records: { key: string; value: OtlpRecord; indexes: { time: number } };
  meta: { key: string; value: number };
}

/** What a put did to the cap. */
export interface PutResult {
  /** Records deleted (oldest first) to stay within the cap. */
  dropped: number;
  /** Everything ever dropped by this outbox. */
  droppedTotal: number;
}

/** Storage of pending records, oldest first. */
export interface Outbox {
  readonly kind: 'indexeddb' | 'memory';
  /** Why the outbox is in memory (absent for IndexedDB). */
  readonly fallback?: FallbackReason;
  put(records: readonly OtlpRecord[]): Promise<PutResult>;
  /** The oldest `limit` records. */
  peek(limit: number): Promise<OtlpRecord[]>;
  remove(ids: readonly string[]): Promise<void>;
  size(): Promise<number>;
  close(): void;
}

const DROPPED = 'dropped';
const OUTBOX_DB_VERSION = 1;

/** Opens the outbox in `dbName` through `factory`; memory when `factory` is null or opening fails. */
export function openOutbox(dbName: string, max: number, factory: IDBFactory | null): Promise<Outbox> {
  return openOrFallback(factory, async (f) => indexedDbOutbox(await openDatabase<OutboxSchema>({
    factory: f,
    name: dbName,
    version: OUTBOX_DB_VERSION,
    upgrade(database, oldVersion) {
      if (oldVersion < 1) {
        database.createObjectStore('records', { keyPath: 'id' }).createIndex('time', 'time');
        database.createObjectStore('meta');
      }
    },
  }), max), (why) => memoryOutbox(max, why));
}

function indexedDbOutbox(db: IDBPDatabase<OutboxSchema>, max: number): Outbox {
  return {
    kind: 'indexeddb',
    async put(records) {
      // One readwrite transaction: the cap check sees the puts, and two tabs cannot both overshoot.
      const tx = db.transaction(['records', 'meta'], 'readwrite');
      const store = tx.objectStore('records');
      for (const record of records) void store.put(record);
      const count = await store.count();
      let dropped = 0;
      if (count > max) {
        let cursor = await store.index('time').openCursor();
        while (cursor && dropped < count - max) {
          void cursor.delete();
          dropped += 1;
          cursor = await cursor.continue();
        }
      }
      const meta = tx.objectStore('meta');
      const droppedTotal = ((await meta.get(DROPPED)) ?? 0) + dropped;
      if (dropped > 0) void meta.put(droppedTotal, DROPPED);
      await tx.done;
      return { dropped, droppedTotal };
    },
    async peek(limit) {
      const out: OtlpRecord[] = [];
      let cursor = await db.transaction('records').store.index('time').openCursor();
      while (cursor && out.length < limit) {
        out.push(cursor.value);
        cursor = await cursor.continue();
      }
      return out;
    },
    async remove(ids) {
      const tx = db.transaction('records', 'readwrite');
      for (const id of ids) void tx.store.delete(id);
      await tx.done;
    },
    size: () => db.count('records'),
    close: () => db.close(),
  };
}

function memoryOutbox(max: number, fallback: FallbackReason): Outbox {
  const records = new Map<string, OtlpRecord>();
  let droppedTotal = 0;
  const ordered = () => [...records.values()].sort((a, b) => a.time - b.time);
  return {
    kind: 'memory',
    fallback,
    async put(batch) {
      for (const record of batch) records.set(record.id, record);
      const dropped = Math.max(0, records.size - max);
      for (const record of ordered().slice(0, dropped)) records.delete(record.id);
      droppedTotal += dropped;
      return { dropped, droppedTotal };
    },
    async peek(limit) { return ordered().slice(0, limit); },
    async remove(ids) { for (const id of ids) records.delete(id); },
    async size() { return records.size; },
    close() { records.clear(); },
  };
}

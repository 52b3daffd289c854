/**
 * The exporter's outbox: records waiting for the collector's acknowledgement, in IndexedDB so they
 * survive a reload, a crash or a collector that is down for hours. Keyed by the audit event id, so
 * putting the same event twice (two tabs, a spill recovered after the write committed after all)
 * keeps one copy. Capped: past `max` records the oldest go, counted in the same transaction.
 * Falls back to memory (said so by `kind`) when IndexedDB cannot be opened.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
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
  put(records: readonly OtlpRecord[]): Promise<PutResult>;
  /** The oldest `limit` records. */
  peek(limit: number): Promise<OtlpRecord[]>;
  remove(ids: readonly string[]): Promise<void>;
  size(): Promise<number>;
  close(): void;
}

const DROPPED = 'dropped';

/** Opens the outbox in `dbName`; memory when `factory` is null or opening fails. */
export async function openOutbox(dbName: string, max: number, factory: IDBFactory | null): Promise<Outbox> {
  if (factory === null) return memoryOutbox(max);
  let db: IDBPDatabase<OutboxSchema>;
  try {
    // idb's openDB uses the global indexedDB; an injected factory is only honoured for `null`.
    db = await openDB<OutboxSchema>(dbName, 1, {
      upgrade(database) {
        database.createObjectStore('records', { keyPath: 'id' }).createIndex('time', 'time');
        database.createObjectStore('meta');
      },
      blocking() { db.close(); },
    });
  } catch {
    return memoryOutbox(max);
  }
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

function memoryOutbox(max: number): Outbox {
  const records = new Map<string, OtlpRecord>();
  let droppedTotal = 0;
  const ordered = () => [...records.values()].sort((a, b) => a.time - b.time);
  return {
    kind: 'memory',
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

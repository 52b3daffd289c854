/**
 * Storage backends of the audit log: IndexedDB (the normal case) and memory (the loud fallback).
 * Both run the same chain code (chain.ts) and answer the same queries.
 */
import type { DBSchema, IDBPDatabase, IDBPTransaction } from 'idb';
import { openDatabase } from '../internal/idb.js';
import { deleteForRoom, seal, type ChainOps, type DisableKind, type DisabledEntry, type DropSummary, type SealContext, type SealExtras, type SealResult } from './chain.js';
import type { AuditEvent, ChainHead, PreparedEvent } from './model.js';
import type { SecurityEventType, Severity } from './types.js';

/** Normalized query (see `AuditQuery` in log.ts for the public shape). */
export interface NormalizedQuery {
  since: number;
  until: number;
  user?: string;
  tool?: string;
  runId?: string;
  types?: ReadonlySet<SecurityEventType>;
  severities?: ReadonlySet<Severity>;
  limit: number;
  /** `desc`: most recent first (queries); `asc`: chain order (export). */
  order: 'desc' | 'asc';
}

/** One storage backend. */
export interface AuditBackend {
  readonly kind: 'indexeddb' | 'memory';
  /**
   * Seals `batch` (and `extras`, see chain.ts) in one atomic step; `decisions` are written in the
   * same step.
   */
  append(batch: readonly PreparedEvent[], ctx: SealContext, decisions?: readonly DisabledEntry[], extras?: SealExtras): Promise<SealResult>;
  /**
   * Deletes up to `count` events of rank <= `maxRank` in retention order, in a transaction that
   * writes nothing (quota recovery).
   */
  deleteForRoom(count: number, maxRank: number): Promise<DropSummary | undefined>;
  query(query: NormalizedQuery): Promise<AuditEvent[]>;
  /** The whole chain and its head, read in one consistent snapshot. */
  readChain(): Promise<{ records: AuditEvent[]; head: ChainHead | undefined }>;
  loadDisabled(): Promise<DisabledEntry[]>;
  /**
   * Writes `events` to the pending area with every request issued synchronously and the
   * transaction committed at once. Best effort: Chromium may still abort it when the page unloads
   * (measured), so the log spills to localStorage first and uses this only when that fails.
   * Returns false when it is impossible (memory backend, closed database).
   */
  spill(events: readonly PreparedEvent[]): boolean;
  close(): void;
}

const matches = (event: AuditEvent, q: NormalizedQuery): boolean =>
  event.time >= q.since && event.time <= q.until
  && (q.user === undefined || event.user === q.user)
  && (q.tool === undefined || event.tool === q.tool)
  && (q.runId === undefined || event.runId === q.runId)
  && (q.types === undefined || q.types.has(event.type))
  && (q.severities === undefined || q.severities.has(event.severity));

// ---------------------------------------------------------------------------------------------
// IndexedDB

/** Schema version history: 1 = events, pending, meta, disabled. Bump and add a step to upgrade. */
export const AUDIT_DB_VERSION = 1;

/** The one schema of the audit database. */
export interface AuditDB extends DBSchema {
  events: {
    key: number;
    value: AuditEvent;
    indexes: {
      id: string;
      time: number;
      user_time: [string, number];
      tool_time: [string, number];
      type_time: [string, number];
      severity_time: [string, number];
      rank_seq: [number, number];
    };
  };
  pending: { key: string; value: PreparedEvent };
  meta: { key: string; value: ChainHead };
  disabled: { key: [string, string]; value: DisabledEntry };
}

type Db = IDBPDatabase<AuditDB>;
type RwTx = IDBPTransaction<AuditDB, ('events' | 'pending' | 'meta' | 'disabled')[], 'readwrite'>;

/**
 * Opens (and creates or upgrades) the audit database through `factory`. The factory is injectable
 * so tests can make opening fail without faking IndexedDB on the happy path.
 */
export function openAuditDb(factory: IDBFactory, name: string, hooks: { onVersionChange(): void; onTerminated(): void }): Promise<Db> {
  return openDatabase<AuditDB>({
    factory,
    name,
    version: AUDIT_DB_VERSION,
    upgrade(db, oldVersion) {
      if (oldVersion < 1) {
        const events = db.createObjectStore('events', { keyPath: 'seq' });
        events.createIndex('id', 'id', { unique: true });
        events.createIndex('time', 'time');
        events.createIndex('user_time', ['user', 'time']);
        events.createIndex('tool_time', ['tool', 'time']);
        events.createIndex('type_time', ['type', 'time']);
        events.createIndex('severity_time', ['severity', 'time']);
        events.createIndex('rank_seq', ['rank', 'seq']);
        db.createObjectStore('pending', { keyPath: 'id' });
        db.createObjectStore('meta');
        db.createObjectStore('disabled', { keyPath: ['kind', 'id'] });
      }
    },
    // A newer version in another tab wants to upgrade: the kit closes the connection; the log reopens or degrades.
    onVersionChange: hooks.onVersionChange,
    onClose: hooks.onTerminated,
  });
}

function chainOps(tx: RwTx): ChainOps {
  const events = tx.objectStore('events');
  const pending = tx.objectStore('pending');
  // Puts are not awaited one by one (that would cost a round trip each); a failing put aborts the
  // transaction and `tx.done` rejects, which the caller handles.
  const swallow = (p: Promise<unknown>) => { p.catch(() => undefined); };
  let last: Promise<unknown> | undefined;
  return {
    getHead: () => tx.objectStore('meta').get('head'),
    putHead: (head) => swallow(tx.objectStore('meta').put(head, 'head')),
    takePending: async () => {
      const all = await pending.getAll();
      if (all.length > 0) swallow(pending.clear());
      return all;
    },
    hasId: async (id) => (await events.index('id').getKey(id)) !== undefined,
    put: (event) => {
      last = events.put(event);
      swallow(last);
    },
    // Its own request only: the transaction stays active while it waits.
    drain: async () => {
      await last?.catch(() => undefined);
    },
    remove: (seq) => swallow(events.delete(seq)),
    victims: (limit, maxRank = 7) => events.index('rank_seq').getAll(IDBKeyRange.upperBound([maxRank, Number.POSITIVE_INFINITY]), limit),
    byActor: (kind, id, since) => events.index(kind === 'user' ? 'user_time' : 'tool_time')
      .getAll(IDBKeyRange.bound([id, since], [id, Number.POSITIVE_INFINITY])),
    getDisabled: (kind, id) => tx.objectStore('disabled').get([kind, id]),
    putDisabled: (entry) => swallow(tx.objectStore('disabled').put(entry)),
  };
}

/** The IndexedDB backend over an open database. */
export function indexedDbBackend(db: Db): AuditBackend {
  let closed = false;
  const stores = ['events', 'pending', 'meta', 'disabled'] as const;
  const readwrite = (): RwTx => db.transaction([...stores], 'readwrite') as RwTx;

  return {
    kind: 'indexeddb',
    async append(batch, ctx, decisions = [], extras) {
      const tx = readwrite();
      try {
        const ops = chainOps(tx);
        for (const decision of decisions) ops.putDisabled(decision);
        const result = await seal(ops, batch, ctx, extras);
        await tx.done;
        return result;
      } catch (error) {
        // Surface the transaction's own error (QuotaExceededError) rather than a follow-on AbortError.
        tx.done.catch(() => undefined);
        throw tx.error ?? error;
      }
    },
    async deleteForRoom(count, maxRank) {
      const tx = readwrite();
      try {
        const summary = await deleteForRoom(chainOps(tx), count, maxRank);
        await tx.done;
        return summary;
      } catch (error) {
        tx.done.catch(() => undefined);
        throw tx.error ?? error;
      }
    },
    async query(q) {
      const tx = db.transaction('events', 'readonly');
      const store = tx.objectStore('events');
      const direction = q.order === 'desc' ? 'prev' : 'next';
      const single = <T>(set: ReadonlySet<T> | undefined): T | undefined => (set?.size === 1 ? [...set][0] : undefined);
      // Pick the most selective index that matches a filter; the rest is filtered while walking.
      let cursor;
      const type = single(q.types);
      const severity = single(q.severities);
      if (q.user !== undefined) cursor = await store.index('user_time').openCursor(IDBKeyRange.bound([q.user, q.since], [q.user, q.until]), direction);
      else if (q.tool !== undefined) cursor = await store.index('tool_time').openCursor(IDBKeyRange.bound([q.tool, q.since], [q.tool, q.until]), direction);
      else if (type !== undefined) cursor = await store.index('type_time').openCursor(IDBKeyRange.bound([type, q.since], [type, q.until]), direction);
      else if (severity !== undefined) cursor = await store.index('severity_time').openCursor(IDBKeyRange.bound([severity, q.since], [severity, q.until]), direction);
      else cursor = await store.index('time').openCursor(IDBKeyRange.bound(q.since, q.until), direction);
      const out: AuditEvent[] = [];
      while (cursor && out.length < q.limit) {
        if (matches(cursor.value, q)) out.push(cursor.value);
        cursor = await cursor.continue();
      }
      if (q.order === 'asc') out.sort((a, b) => a.seq - b.seq);
      return out;
    },
    async readChain() {
      // One readonly transaction: a consistent snapshot even while other tabs append.
      const tx = db.transaction(['events', 'meta'], 'readonly');
      const [records, head] = await Promise.all([tx.objectStore('events').getAll(), tx.objectStore('meta').get('head')]);
      return { records, head };
    },
    loadDisabled: () => db.getAll('disabled'),
    spill(events) {
      if (closed || events.length === 0) return !closed;
      try {
        const tx = db.transaction('pending', 'readwrite');
        const store = tx.objectStore('pending');
        for (const event of events) store.put(event).catch(() => undefined);
        // commit() hands the transaction to the browser now instead of waiting for the event loop,
        // which may never turn again once the page is being unloaded.
        tx.commit();
        tx.done.catch(() => undefined);
        return true;
      } catch {
        return false;
      }
    },
    close() {
      closed = true;
      db.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Memory

/** The memory backend: same chain, same retention, nothing survives the page. */
export function memoryBackend(): AuditBackend {
  const events = new Map<number, AuditEvent>();
  const ids = new Set<string>();
  const disabled = new Map<string, DisabledEntry>();
  let head: ChainHead | undefined;
  // Serialize seals so the chain stays linear even though ops are async.
  let lock: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(task: () => Promise<T>): Promise<T> => {
    const run = lock.then(task, task);
    lock = run.catch(() => undefined);
    return run;
  };
  const ops: ChainOps = {
    getHead: async () => head,
    putHead: (next) => { head = { ...next }; },
    takePending: async () => [],
    hasId: async (id) => ids.has(id),
    put: (event) => { events.set(event.seq, event); ids.add(event.id); },
    drain: async () => undefined,
    remove: (seq) => {
      const event = events.get(seq);
      if (!event) return;
      events.delete(seq);
      ids.delete(event.id);
    },
    victims: async (limit, maxRank = 7) => [...events.values()].filter((e) => e.rank <= maxRank)
      .sort((a, b) => a.rank - b.rank || a.seq - b.seq).slice(0, limit),
    byActor: async (kind, id, since) => [...events.values()].filter((e) => (kind === 'user' ? e.user : e.tool) === id && e.time >= since),
    getDisabled: async (kind, id) => disabled.get(disabledKey(kind, id)),
    putDisabled: (entry) => { disabled.set(disabledKey(entry.kind, entry.id), { ...entry }); },
  };
  // Copies out: a caller editing a returned event must not edit the chain itself.
  const sorted = () => [...events.values()].sort((a, b) => a.seq - b.seq);
  return {
    kind: 'memory',
    append: (batch, ctx, decisions = [], extras) => exclusive(async () => {
      for (const decision of decisions) ops.putDisabled(decision);
      return seal(ops, batch, ctx, extras);
    }),
    deleteForRoom: (count, maxRank) => exclusive(() => deleteForRoom(ops, count, maxRank)),
    query: async (q) => {
      const out = sorted().filter((e) => matches(e, q));
      if (q.order === 'desc') out.sort((a, b) => b.time - a.time || b.seq - a.seq);
      return structuredClone(out.slice(0, q.limit));
    },
    readChain: async () => ({ records: structuredClone(sorted()), head: head && { ...head } }),
    loadDisabled: async () => [...disabled.values()].map((e) => ({ ...e })),
    spill: () => false,
    close: () => undefined,
  };
}

/** Key of a disable decision in caches. */
export const disabledKey = (kind: DisableKind, id: string): string => `${kind}\u0000${id}`;

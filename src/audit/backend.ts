/**
 * Storage backends of the audit log: IndexedDB (the normal case) and memory (the loud fallback).
 * Both run the same chain code (chain.ts) and answer the same queries.
 */
import type { DBSchema, IDBPDatabase, IDBPObjectStore, IDBPTransaction } from 'idb';
import { openDatabase, type OpenDatabaseOptions } from '../internal/idb.js';
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

/**
 * Schema version history:
 * 1. `events` (one record per event, seven indexes), `pending`, `meta`, `disabled`.
 * 2. `blocks` instead of `events`: one record per chunk of a seal (at most {@link BLOCK_EVENTS}
 *    events) and retention rank. The browser stores one record and a few index entries instead of
 *    one record and seven index entries per event: about a quarter of its CPU per event (measured
 *    in Chromium, 0.04 to 0.06 ms against 0.14 to 0.19 ms). Opening a version-1 database moves its
 *    events into blocks.
 */
export const AUDIT_DB_VERSION = 2;

/**
 * The most events of one block record. A put costs the browser a record and its index entries
 * whatever its size, and the page one structured clone (about 55 µs for 32 events).
 */
export const BLOCK_EVENTS = 32;

/**
 * One stored block: events of one rank from one chunk of a seal, in seq order, and the keys its
 * indexes need. Retention rewrites a block without the events it drops (and deletes an empty one);
 * quota recovery deletes whole blocks only.
 */
export interface AuditBlock {
  /** The seq of the block's first event when it was written; its key, never changed. */
  key: number;
  events: AuditEvent[];
  /** The latest event time in the block (index `last`: time-range queries). */
  last: number;
  /** `[user, that user's latest event time]` per user (multi-entry index `users`). */
  users: [string, number][];
  /** `[tool, that tool's latest event time]` per tool (multi-entry index `tools`). */
  tools: [string, number][];
  /** `[rank, key]` per retention rank present (multi-entry index `ranks`: retention order). */
  ranks: [number, number][];
}

/**
 * The blocks of `events` (seq order): one per retention rank present, so each block holds events of
 * one rank. Retention then takes blocks in exactly its order, and quota recovery frees room by
 * deleting whole records (over quota Chromium refuses every write, a shrunk block too).
 */
export function blocksOf(events: readonly AuditEvent[]): AuditBlock[] {
  const byRank = new Map<number, AuditEvent[]>();
  for (const event of events) {
    const list = byRank.get(event.rank);
    if (list) list.push(event);
    else byRank.set(event.rank, [event]);
  }
  return [...byRank.values()].map((list) => makeBlock(list[0]!.seq, list));
}

/** A block's record, its index keys derived from `events` (non-empty, seq order). */
export function makeBlock(key: number, events: AuditEvent[]): AuditBlock {
  const users = new Map<string, number>();
  const tools = new Map<string, number>();
  const ranks = new Set<number>();
  let last = Number.NEGATIVE_INFINITY;
  for (const event of events) {
    last = Math.max(last, event.time);
    if (event.user !== undefined) users.set(event.user, Math.max(users.get(event.user) ?? Number.NEGATIVE_INFINITY, event.time));
    if (event.tool !== undefined) tools.set(event.tool, Math.max(tools.get(event.tool) ?? Number.NEGATIVE_INFINITY, event.time));
    ranks.add(event.rank);
  }
  return { key, events, last, users: [...users], tools: [...tools], ranks: [...ranks].map((rank) => [rank, key]) };
}

/** The one schema of the audit database. */
export interface AuditDB extends DBSchema {
  blocks: {
    key: number;
    value: AuditBlock;
    indexes: {
      last: number;
      users: [string, number];
      tools: [string, number];
      ranks: [number, number];
    };
  };
  pending: { key: string; value: PreparedEvent };
  meta: { key: string; value: ChainHead };
  disabled: { key: [string, string]; value: DisabledEntry };
}

type Db = IDBPDatabase<AuditDB>;
type RwTx = IDBPTransaction<AuditDB, ('blocks' | 'pending' | 'meta' | 'disabled')[], 'readwrite'>;

/**
 * Opens (and creates or upgrades) the audit database through `factory`. The factory is injectable
 * so tests can make opening fail without faking IndexedDB on the happy path.
 */
export function openAuditDb(factory: IDBFactory, name: string, hooks: { onVersionChange(): void; onTerminated(): void }): Promise<Db> {
  return openDatabase<AuditDB>({
    factory,
    name,
    version: AUDIT_DB_VERSION,
    upgrade(db, oldVersion, tx) {
      if (oldVersion < 1) {
        db.createObjectStore('pending', { keyPath: 'id' });
        db.createObjectStore('meta');
        db.createObjectStore('disabled', { keyPath: ['kind', 'id'] });
      }
      if (oldVersion < 2) {
        const blocks = db.createObjectStore('blocks', { keyPath: 'key' });
        blocks.createIndex('last', 'last');
        blocks.createIndex('users', 'users', { multiEntry: true });
        blocks.createIndex('tools', 'tools', { multiEntry: true });
        blocks.createIndex('ranks', 'ranks', { multiEntry: true });
      }
      if (oldVersion === 1) migrateEventsToBlocks(tx);
    },
    // A newer version in another tab wants to upgrade: the kit closes the connection; the log reopens or degrades.
    onVersionChange: hooks.onVersionChange,
    onClose: hooks.onTerminated,
  });
}

/**
 * Version 1 to 2, inside the upgrade transaction: the `events` store's records become blocks (per
 * {@link BLOCK_EVENTS} consecutive events, one per rank), then the store is deleted. Any failure
 * aborts the upgrade, which leaves the version-1 database as it was (and the log on its memory
 * fallback).
 */
function migrateEventsToBlocks(tx: UpgradeTx): void {
  // Version 1's store is not in the current schema.
  const raw = tx as unknown as { objectStore(name: string): { getAll(): Promise<AuditEvent[]> }; abort(): void };
  const abort = () => {
    try { raw.abort(); } catch { /* already finished */ }
  };
  // The open request reports the abort; the transaction's own promise must not go unhandled.
  tx.done.catch(() => undefined);
  let reading: Promise<AuditEvent[]>;
  try {
    reading = raw.objectStore('events').getAll();
  } catch {
    abort();
    return;
  }
  reading.then((events) => {
    const blocks = tx.objectStore('blocks');
    events.sort((a, b) => a.seq - b.seq);
    for (let i = 0; i < events.length; i += BLOCK_EVENTS) {
      for (const block of blocksOf(events.slice(i, i + BLOCK_EVENTS))) blocks.put(block).catch(() => undefined);
    }
    tx.db.deleteObjectStore('events' as never);
  }).catch(abort);
}

type UpgradeTx = Parameters<OpenDatabaseOptions<AuditDB>['upgrade']>[2];

/**
 * Chain operations on one readwrite transaction. Puts are collected into blocks, stored once
 * {@link BLOCK_EVENTS} are collected (at a `drain`), at the `flush` that ends a seal, and before
 * anything reads the store; blocks read by `victims` are kept so `remove` rewrites exactly those.
 */
function chainOps(tx: RwTx): ChainOps {
  const blocks = tx.objectStore('blocks');
  const pending = tx.objectStore('pending');
  // Requests are not awaited one by one (that would cost a round trip each); a failing one aborts
  // the transaction and `tx.done` rejects, which the caller handles.
  const swallow = (p: Promise<unknown>) => { p.catch(() => undefined); };
  const meta = tx.objectStore('meta');
  let open: AuditEvent[] = [];
  /**
   * Blocks `victims` read in this transaction, by key, and the block each of their events is in, for
   * `remove`. (Blocks written here need no entry: requests run in order, so a later read sees them.)
   */
  const loaded = new Map<number, AuditBlock>();
  const blockOf = new Map<number, AuditBlock>();
  const remember = (block: AuditBlock): AuditBlock => {
    const known = loaded.get(block.key);
    if (known) return known;
    loaded.set(block.key, block);
    for (const event of block.events) blockOf.set(event.seq, block);
    return block;
  };
  const flush = () => {
    for (const block of blocksOf(open)) swallow(blocks.put(block));
    open = [];
  };
  const actorIndex = (kind: DisableKind) => blocks.index(kind === 'user' ? 'users' : 'tools');
  return {
    getHead: () => meta.get('head'),
    putHead: (head) => swallow(meta.put(head, 'head')),
    takePending: async () => {
      const all = await pending.getAll();
      if (all.length > 0) swallow(pending.clear());
      return all;
    },
    storedSince: async (since) => {
      flush();
      const found = new Map<string, AuditEvent>();
      for (const block of await blocks.index('last').getAll(IDBKeyRange.lowerBound(since))) {
        for (const event of block.events) if (event.time >= since) found.set(event.id, event);
      }
      return found;
    },
    put: (event) => { open.push(event); },
    drain: async () => {
      if (open.length >= BLOCK_EVENTS) flush();
      // Its own request only, the cheapest there is (after the put, in request order): the
      // transaction stays active while the page does other work.
      await meta.getKey('head').catch(() => undefined);
    },
    flush,
    remove: (victims) => {
      const touched = new Set<AuditBlock>();
      for (const victim of victims) {
        const block = blockOf.get(victim.seq);
        if (!block) throw new Error(`audit: event ${victim.seq} was not read in this transaction`);
        block.events = block.events.filter((event) => event.seq !== victim.seq);
        blockOf.delete(victim.seq);
        touched.add(block);
      }
      for (const block of touched) {
        if (block.events.length === 0) {
          loaded.delete(block.key);
          swallow(blocks.delete(block.key));
        } else {
          const rewritten = makeBlock(block.key, block.events);
          Object.assign(block, rewritten);
          swallow(blocks.put(rewritten));
        }
      }
    },
    victims: async (limit, maxRank = 7, whole = false) => {
      flush();
      const out: AuditEvent[] = [];
      // Per rank, the blocks of that rank in seq order: exactly retention order, reading only the
      // blocks it needs.
      for (let rank = 0; rank <= maxRank && out.length < limit; rank++) {
        let cursor = await blocks.index('ranks').openCursor(IDBKeyRange.bound([rank, Number.NEGATIVE_INFINITY], [rank, Number.POSITIVE_INFINITY]));
        while (cursor && out.length < limit) {
          const block = remember(cursor.value);
          // A block of another rank too (only a tampered or hand-made store has one) is never taken whole.
          const takeAll = whole && block.events.every((event) => event.rank <= maxRank);
          for (const event of block.events) {
            if (event.rank === rank && (takeAll || out.length < limit)) out.push(event);
          }
          cursor = await cursor.continue();
        }
      }
      return out;
    },
    byActor: async (kind, id, since) => {
      flush();
      const out: AuditEvent[] = [];
      for (const block of await actorIndex(kind).getAll(IDBKeyRange.bound([id, since], [id, Number.POSITIVE_INFINITY]))) {
        for (const event of block.events) {
          if ((kind === 'user' ? event.user : event.tool) === id && event.time >= since) out.push(event);
        }
      }
      return out;
    },
    getDisabled: (kind, id) => tx.objectStore('disabled').get([kind, id]),
    putDisabled: (entry) => swallow(tx.objectStore('disabled').put(entry)),
  };
}

/** Most recent first, ties by seq: the order of `desc` queries. */
const newestFirst = (a: AuditEvent, b: AuditEvent) => b.time - a.time || b.seq - a.seq;
const bySeq = (a: AuditEvent, b: AuditEvent) => a.seq - b.seq;

/**
 * An `asc` query without a user or tool filter: the first `limit` matching events of the chain. The
 * blocks that can hold one are those whose latest time is in `range` (index `last`, keys only); from
 * the lowest of their keys the store is walked in key order. A block's key is the seq of its first
 * event when written and retention only takes events out, so every event of a block has a seq >= its
 * key: the walk stops at the first key above the `limit`-th seq found.
 */
async function chainOrder(store: IDBPObjectStore<AuditDB, ['blocks'], 'blocks', 'readonly'>, range: IDBKeyRange, q: NormalizedQuery): Promise<AuditEvent[]> {
  const keys = await store.index('last').getAllKeys(range);
  if (keys.length === 0) return [];
  let out: AuditEvent[] = [];
  let cursor = await store.openCursor(IDBKeyRange.lowerBound(keys.reduce((a, b) => (b < a ? b : a))));
  while (cursor) {
    if (out.length >= q.limit && cursor.key > out[q.limit - 1]!.seq) break;
    let added = false;
    for (const event of cursor.value.events) {
      if (matches(event, q)) { out.push(event); added = true; }
    }
    if (added && out.length >= q.limit) out = out.sort(bySeq).slice(0, q.limit);
    cursor = await cursor.continue();
  }
  return out.sort(bySeq).slice(0, q.limit);
}

/** The IndexedDB backend over an open database. */
export function indexedDbBackend(db: Db): AuditBackend {
  let closed = false;
  const stores = ['blocks', 'pending', 'meta', 'disabled'] as const;
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
      const tx = db.transaction('blocks', 'readonly');
      const store = tx.objectStore('blocks');
      // A user or tool filter walks that index, every other `desc` query the time index (`asc` ones:
      // chainOrder). Each key's time is the latest time of a matching event in its block, so a `desc`
      // walk stops once `limit` events are newer than anything left.
      const [index, range, timeOf] = q.user !== undefined
        ? [store.index('users'), IDBKeyRange.bound([q.user, q.since], [q.user, Number.POSITIVE_INFINITY]), (key: unknown) => (key as [string, number])[1]] as const
        : q.tool !== undefined
          ? [store.index('tools'), IDBKeyRange.bound([q.tool, q.since], [q.tool, Number.POSITIVE_INFINITY]), (key: unknown) => (key as [string, number])[1]] as const
          : [store.index('last'), IDBKeyRange.lowerBound(q.since), (key: unknown) => key as number] as const;
      const desc = q.order === 'desc';
      if (!desc && q.user === undefined && q.tool === undefined) return chainOrder(store, range, q);
      let out: AuditEvent[] = [];
      let cursor = await index.openCursor(range, desc ? 'prev' : 'next');
      while (cursor) {
        if (desc && out.length >= q.limit && timeOf(cursor.key) < out[q.limit - 1]!.time) break;
        let added = false;
        for (const event of cursor.value.events) {
          if (matches(event, q)) { out.push(event); added = true; }
        }
        if (desc && added && out.length >= q.limit) out = out.sort(newestFirst).slice(0, q.limit);
        cursor = await cursor.continue();
      }
      if (desc) return out.sort(newestFirst).slice(0, q.limit);
      // Chain order: the first `limit` events of the chain.
      return out.sort(bySeq).slice(0, q.limit);
    },
    async readChain() {
      // One readonly transaction: a consistent snapshot even while other tabs append.
      const tx = db.transaction(['blocks', 'meta'], 'readonly');
      const [blocks, head] = await Promise.all([tx.objectStore('blocks').getAll(), tx.objectStore('meta').get('head')]);
      return { records: blocks.flatMap((block) => block.events).sort((a, b) => a.seq - b.seq), head };
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
    storedSince: async (since) => new Map([...events.values()].filter((e) => e.time >= since).map((e) => [e.id, e])),
    put: (event) => { events.set(event.seq, event); },
    drain: async () => undefined,
    flush: () => undefined,
    remove: (victims) => {
      for (const victim of victims) events.delete(victim.seq);
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

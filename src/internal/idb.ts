/**
 * The IndexedDB kit: one way to open a database (versioned upgrade, out of the way of a newer tab),
 * one way to fall back to memory when IndexedDB is missing or refuses to open, one storage option
 * vocabulary, and one disposal shape (`dispose()` + `Symbol.asyncDispose`).
 *
 * Users: the audit log (audit/backend.ts), the rate limiter, the virtual file system, approvals and
 * dynamic tools. Each keeps its own schema (one `DBSchema` and one `upgrade` per database) and its
 * own memory backend; the kit owns what they used to write five times.
 */
import { wrap, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import { invalidArgument } from '../errors.js';

/** Where a component keeps its data: `indexeddb` (per origin, shared by tabs) or `memory` (per page). */
export type StorageKind = 'indexeddb' | 'memory';

/**
 * The storage options every IndexedDB-backed component accepts. `indexedDB` injects the factory
 * (tests make opening fail with it); `null` means "no IndexedDB here", which falls back to memory
 * as loudly as a failed open.
 */
export interface StorageOptions {
  /** `indexeddb` or `memory`; each component documents its default. */
  storage?: StorageKind;
  /** Database name (one per component; two instances with one name share their data). */
  dbName?: string;
  /** The IndexedDB factory. Default `globalThis.indexedDB`; `null` forces the memory fallback. */
  indexedDB?: IDBFactory | null;
}

/** The option keys of {@link StorageOptions}, for unknown-key checks. */
export const STORAGE_OPTION_KEYS = ['storage', 'dbName', 'indexedDB'] as const;

/** Checked storage options: the kind asked for, the database name, and the factory to open it with. */
export interface ResolvedStorage {
  storage: StorageKind;
  dbName: string;
  /** Null when `storage` is `memory` or no factory exists: the caller uses its memory backend. */
  factory: IDBFactory | null;
}

/**
 * Checks {@link StorageOptions} (fields named under `field`, e.g. `options.storage`) and fills the
 * defaults. Throws `INVALID_ARGUMENT` naming the field for a bad value.
 */
export function resolveStorage(field: string, options: StorageOptions, defaults: { storage: StorageKind; dbName: string }): ResolvedStorage {
  const at = (name: string) => (field ? `${field}.${name}` : name);
  const { storage = defaults.storage, dbName = defaults.dbName, indexedDB } = options;
  if (storage !== 'indexeddb' && storage !== 'memory') throw invalidArgument(at('storage'), "'indexeddb' or 'memory'", storage);
  if (typeof dbName !== 'string' || dbName.length === 0 || dbName.length > 200) throw invalidArgument(at('dbName'), 'a non-empty string of at most 200 characters', dbName);
  if (indexedDB !== undefined && indexedDB !== null && typeof (indexedDB as { open?: unknown }).open !== 'function') {
    throw invalidArgument(at('indexedDB'), 'an IDBFactory or null', indexedDB);
  }
  const factory = storage === 'memory' ? null : indexedDB === undefined ? (globalThis.indexedDB ?? null) : indexedDB;
  return { storage, dbName, factory };
}

/** How to open one database. */
export interface OpenDatabaseOptions<S extends DBSchema> {
  factory: IDBFactory;
  name: string;
  /** Schema version; bump it and add a step to `upgrade`. */
  version: number;
  /**
   * Creates or migrates stores, given the version the database had (0 when new). `tx` is the upgrade
   * transaction, for migrations that move records (only its own requests may be awaited).
   */
  upgrade(db: IDBPDatabase<S>, oldVersion: number, tx: IDBPTransaction<S, StoreNames<S>[], 'versionchange'>): void;
  /** After the connection closed itself because another tab opened a newer version. */
  onVersionChange?(): void;
  /** After the browser closed the connection (storage cleared, disk error). */
  onClose?(): void;
}

/**
 * Opens (creating or upgrading) a database through an injectable factory. When another tab asks
 * for a newer version, the connection closes at once so that tab's upgrade is not blocked; the
 * owner reopens or degrades (`onVersionChange`).
 *
 * @throws whatever the factory's open request fails with (`InvalidStateError`, `UnknownError`, ...).
 */
export async function openDatabase<S extends DBSchema>(options: OpenDatabaseOptions<S>): Promise<IDBPDatabase<S>> {
  const request = options.factory.open(options.name, options.version);
  request.addEventListener('upgradeneeded', (event) => {
    options.upgrade(wrap(request.result) as unknown as IDBPDatabase<S>, event.oldVersion, wrap(request.transaction!) as unknown as IDBPTransaction<S, StoreNames<S>[], 'versionchange'>);
  });
  const db = (await wrap(request)) as unknown as IDBPDatabase<S>;
  db.addEventListener('versionchange', () => {
    db.close();
    options.onVersionChange?.();
  });
  if (options.onClose) db.addEventListener('close', options.onClose);
  return db;
}

/** A database opened on first use (see {@link lazyDatabase}). */
export interface LazyDatabase<S extends DBSchema> {
  /** The open database; the first call opens it. Rejects when there is no factory or the open fails. */
  get(): Promise<IDBPDatabase<S>>;
  /** Closes the connection if one was opened; the next `get()` opens again. */
  close(): void;
}

/**
 * A database opened on first use, for components without a memory fallback (the file system, dynamic
 * tools): with no factory every `get()` rejects (`InvalidStateError`), so each operation fails clearly.
 */
export function lazyDatabase<S extends DBSchema>(factory: IDBFactory | null, options: Omit<OpenDatabaseOptions<S>, 'factory'>): LazyDatabase<S> {
  let opening: Promise<IDBPDatabase<S>> | undefined;
  return {
    get: () => (opening ??= factory === null
      ? Promise.reject(new DOMException('indexedDB is not available in this context', 'InvalidStateError'))
      : openDatabase<S>({ ...options, factory })),
    close: () => {
      void opening?.then((db) => db.close()).catch(() => {});
      opening = undefined;
    },
  };
}

/** A storage error as one line: `name: message` for errors and DOMExceptions, else the text. */
export function describeStorageError(error: unknown): string {
  return error instanceof Error || error instanceof DOMException ? `${error.name}: ${error.message}` : String(error);
}

/** Why a component runs on its memory backend. `reason` is one of two fixed strings. */
export interface FallbackReason {
  reason: 'no IndexedDB' | 'open failed';
  detail: string;
}

/**
 * Opens storage or falls back: `open(factory)` when there is a factory and it succeeds, else
 * `fallback(why)`. The component decides how loud the fallback is (a warning, an audit event, a
 * `degraded` flag); the kit makes sure it is never silent about which case happened.
 */
export async function openOrFallback<T>(factory: IDBFactory | null, open: (factory: IDBFactory) => Promise<T>, fallback: (why: FallbackReason) => T): Promise<T> {
  if (!factory) return fallback({ reason: 'no IndexedDB', detail: 'indexedDB is not available in this context' });
  try {
    return await open(factory);
  } catch (error) {
    return fallback({ reason: 'open failed', detail: describeStorageError(error) });
  }
}

/** The disposal shape of every component that holds storage, channels or timers. */
export interface AsyncDisposableResource {
  /** Releases what the component holds. Idempotent. */
  dispose(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * The virtual file system behind the built-in file tools. Text files keyed by canonical absolute path;
 * directories are implicit (a directory exists while a file lives below it). In memory by default, or
 * persisted per origin in IndexedDB. Nothing here touches the real file system of the machine.
 */
import { checkKnownKeys } from '../internal/checks.js';
import type { DBSchema } from 'idb';
import { STORAGE_OPTION_KEYS, lazyDatabase, resolveStorage } from '../internal/idb.js';
import { ToolError, invalidArgument } from '../errors.js';
import { normalizeVirtualPath } from './guards.js';
import { utf8Length } from './json.js';

/** Metadata of a file or an implicit directory. Sizes in UTF-8 bytes, times in epoch ms. */
export interface FileStat {
  path: string;
  type: 'file' | 'directory';
  size: number;
  mtime: number;
}

/** One child in {@link VirtualFileSystem.listDir}. */
export interface DirEntry {
  name: string;
  type: 'file' | 'directory';
  /** Bytes of a file; 0 for a directory. */
  size: number;
}

/** Options of {@link createVirtualFileSystem}. */
export interface VirtualFileSystemOptions {
  /** `memory` (default): gone with the page. `indexeddb`: kept per origin in database `dbName`. */
  storage?: 'memory' | 'indexeddb';
  /** IndexedDB factory. Default `globalThis.indexedDB`. */
  indexedDB?: IDBFactory | null;
  /** IndexedDB database name. Default `quickcage-files`. */
  dbName?: string;
  /** Largest file in bytes. Default 1 MiB. */
  maxFileBytes?: number;
  /** Sum of all file sizes in bytes. Default 50 MiB. */
  maxTotalBytes?: number;
  /** Number of files. Default 10,000. */
  maxFiles?: number;
}

/**
 * A virtual file system. Paths must be canonical absolute paths (see `normalizeVirtualPath`).
 *
 * An app may supply its own backend (for example one bridged to a real file system). If that file
 * system can hold symbolic links (or any alias: hard-linked directories, bind mounts, junctions), the
 * text of a path does not say where it leads, so the backend must either implement {@link realpath}
 * or declare `links: 'none'`. The file tools refuse a backend that does neither.
 */
export interface VirtualFileSystem {
  readonly storage: 'memory' | 'indexeddb';
  /**
   * `'none'`: this backend has no links or aliases; a path means exactly itself. The built-in
   * backends declare it. Omit it when the backend implements {@link realpath}.
   */
  readonly links?: 'none';
  /**
   * Where `path` really leads: every existing component with its links followed (as POSIX
   * `realpath`), components that do not exist yet appended as written. Must return a canonical
   * absolute virtual path. The file tools call it on every call, for the path and for each of its
   * ancestors below the allowed root, check confinement on each answer, and then operate on the
   * resolved path (never on the one the guest wrote).
   */
  realpath?(path: string): Promise<string>;
  /**
   * Reads a text file.
   * @throws {ToolError} `TOOL_FAILED` when the file does not exist or is a directory.
   * @throws {InvalidArgumentError} `INVALID_ARGUMENT` for a non-canonical path.
   */
  readFile(path: string): Promise<string>;
  /**
   * Creates or replaces a text file; parent directories appear implicitly.
   * @throws {ToolError} `TOOL_FAILED` when the path or a parent is in the way (file vs directory) or a size cap is hit.
   * @throws {InvalidArgumentError} `INVALID_ARGUMENT` for a non-canonical path or non-string content.
   */
  writeFile(path: string, content: string): Promise<FileStat>;
  /**
   * Lists the direct children of a directory, sorted by name (an empty or absent directory lists as `[]`).
   * @throws {ToolError} `TOOL_FAILED` when the path is a file.
   * @throws {InvalidArgumentError} `INVALID_ARGUMENT` for a non-canonical path.
   */
  listDir(path: string): Promise<DirEntry[]>;
  /**
   * Deletes a file; returns false when there was none.
   * @throws {ToolError} `TOOL_FAILED` when the path is a directory.
   * @throws {InvalidArgumentError} `INVALID_ARGUMENT` for a non-canonical path.
   */
  deleteFile(path: string): Promise<boolean>;
  /**
   * Metadata of a file or directory, or null when nothing is there.
   * @throws {InvalidArgumentError} `INVALID_ARGUMENT` for a non-canonical path.
   */
  stat(path: string): Promise<FileStat | null>;
  /** Closes the IndexedDB connection (no-op in memory). The synchronous form of `dispose()`. */
  close(): void;
  /**
   * Closes the IndexedDB connection (no-op in memory). Idempotent. Always present on file systems
   * from {@link createVirtualFileSystem}; optional for hand-written ones (links, tests).
   */
  dispose?(): Promise<void>;
  [Symbol.asyncDispose]?(): Promise<void>;
}

interface FileRecord {
  path: string;
  content: string;
  size: number;
  mtime: number;
}

interface FilesDB extends DBSchema {
  files: { key: string; value: FileRecord };
  meta: { key: string; value: { key: string; totalBytes: number; count: number } };
}

const MiB = 1024 * 1024;

function canonical(path: unknown, field = 'path'): string {
  const result = normalizeVirtualPath(path);
  if (!result.ok || result.value !== path) throw invalidArgument(field, `a canonical absolute path${result.ok ? '' : ` (${result.reason})`}`, path);
  return result.value;
}

const fsError = (reason: string, message: string, path: string): ToolError =>
  new ToolError('TOOL_FAILED', `${message}: \`${path}\` (TOOL_FAILED)`, { details: { reason, path } });

const childPrefix = (dir: string): string => (dir === '/' ? '/' : `${dir}/`);
const ancestors = (path: string): string[] => {
  const out: string[] = [];
  for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) out.push(path.slice(0, i));
  return out;
};

/** Builds the direct-children list of `dir` from the records below it. */
function children(dir: string, records: Iterable<FileRecord>): DirEntry[] {
  const prefix = childPrefix(dir);
  const byName = new Map<string, DirEntry>();
  for (const record of records) {
    if (!record.path.startsWith(prefix)) continue;
    const rest = record.path.slice(prefix.length);
    const slash = rest.indexOf('/');
    const name = slash === -1 ? rest : rest.slice(0, slash);
    if (slash === -1) byName.set(name, { name, type: 'file', size: record.size });
    else if (!byName.has(name)) byName.set(name, { name, type: 'directory', size: 0 });
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Creates a virtual file system.
 *
 * @throws {InvalidArgumentError} `INVALID_ARGUMENT` for a bad option (the message names it).
 */
export function createVirtualFileSystem(options: VirtualFileSystemOptions = {}): VirtualFileSystem {
  if (typeof options !== 'object' || options === null) throw invalidArgument('options', 'an object', options);
  checkKnownKeys('options', options, [...STORAGE_OPTION_KEYS, 'maxFileBytes', 'maxTotalBytes', 'maxFiles']);
  const { storage, dbName, factory } = resolveStorage('', options, { storage: 'memory', dbName: 'quickcage-files' });
  const { maxFileBytes = MiB, maxTotalBytes = 50 * MiB, maxFiles = 10_000 } = options;
  const int = (field: string, v: unknown) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw invalidArgument(field, 'a non-negative integer', v);
  };
  int('maxFileBytes', maxFileBytes);
  int('maxTotalBytes', maxTotalBytes);
  int('maxFiles', maxFiles);

  const checkContent = (path: string, content: unknown): number => {
    if (typeof content !== 'string') throw invalidArgument('content', 'a string', content);
    const size = utf8Length(content);
    if (size > maxFileBytes) throw fsError('too-large', `file of ${size} bytes exceeds the limit of ${maxFileBytes} bytes`, path);
    return size;
  };
  const checkTotals = (path: string, totalBytes: number, count: number): void => {
    if (totalBytes > maxTotalBytes) throw fsError('quota', `file system would exceed its limit of ${maxTotalBytes} bytes`, path);
    if (count > maxFiles) throw fsError('quota', `file system would exceed its limit of ${maxFiles} files`, path);
  };

  if (storage === 'memory') {
    const files = new Map<string, FileRecord>();
    let totalBytes = 0;
    const isDir = (path: string) => path === '/' || [...files.keys()].some((p) => p.startsWith(childPrefix(path)));
    return Object.freeze({
      storage,
      links: 'none' as const,
      async readFile(path: string) {
        const p = canonical(path);
        const record = files.get(p);
        if (record === undefined) throw isDir(p) ? fsError('is-directory', 'is a directory', p) : fsError('not-found', 'no such file', p);
        return record.content;
      },
      async writeFile(path: string, content: string) {
        const p = canonical(path);
        const size = checkContent(p, content);
        if (p === '/' || isDir(p)) throw fsError('is-directory', 'is a directory', p);
        const blocking = ancestors(p).find((a) => files.has(a));
        if (blocking !== undefined) throw fsError('not-directory', 'a parent is a file', blocking);
        const previous = files.get(p);
        const nextTotal = totalBytes - (previous?.size ?? 0) + size;
        checkTotals(p, nextTotal, files.size + (previous ? 0 : 1));
        const record = { path: p, content, size, mtime: Date.now() };
        files.set(p, record);
        totalBytes = nextTotal;
        return { path: p, type: 'file' as const, size, mtime: record.mtime };
      },
      async listDir(path: string) {
        const p = canonical(path);
        if (files.has(p)) throw fsError('not-directory', 'is a file, not a directory', p);
        return children(p, files.values());
      },
      async deleteFile(path: string) {
        const p = canonical(path);
        const record = files.get(p);
        if (record === undefined) {
          if (isDir(p)) throw fsError('is-directory', 'is a directory', p);
          return false;
        }
        files.delete(p);
        totalBytes -= record.size;
        return true;
      },
      async stat(path: string) {
        const p = canonical(path);
        const record = files.get(p);
        if (record !== undefined) return { path: p, type: 'file' as const, size: record.size, mtime: record.mtime };
        return isDir(p) ? { path: p, type: 'directory' as const, size: 0, mtime: 0 } : null;
      },
      close() {},
      dispose: () => Promise.resolve(),
      [Symbol.asyncDispose]: () => Promise.resolve(),
    });
  }

  const database = lazyDatabase<FilesDB>(factory, {
    name: dbName,
    version: 1,
    upgrade(db, oldVersion) {
      if (oldVersion < 1) {
        db.createObjectStore('files', { keyPath: 'path' });
        db.createObjectStore('meta', { keyPath: 'key' });
      }
    },
  });
  const db = database.get;
  const close = database.close;
  const below = (path: string) => IDBKeyRange.bound(childPrefix(path), `${childPrefix(path)}\uffff`);

  return Object.freeze({
    storage,
    links: 'none' as const,
    async readFile(path: string) {
      const p = canonical(path);
      const tx = (await db()).transaction('files');
      const record = await tx.store.get(p);
      if (record !== undefined) return record.content;
      const dir = p === '/' || (await tx.store.count(below(p))) > 0;
      throw dir ? fsError('is-directory', 'is a directory', p) : fsError('not-found', 'no such file', p);
    },
    async writeFile(path: string, content: string) {
      const p = canonical(path);
      const size = checkContent(p, content);
      // One readwrite transaction for the checks and the write: no other tab can slip a file in between.
      const tx = (await db()).transaction(['files', 'meta'], 'readwrite');
      const files = tx.objectStore('files');
      const meta = tx.objectStore('meta');
      try {
        if (p === '/' || (await files.count(below(p))) > 0) throw fsError('is-directory', 'is a directory', p);
        for (const a of ancestors(p)) if ((await files.getKey(a)) !== undefined) throw fsError('not-directory', 'a parent is a file', a);
        const previous = await files.get(p);
        const totals = (await meta.get('totals')) ?? { key: 'totals', totalBytes: 0, count: 0 };
        const next = { key: 'totals', totalBytes: totals.totalBytes - (previous?.size ?? 0) + size, count: totals.count + (previous ? 0 : 1) };
        checkTotals(p, next.totalBytes, next.count);
        const record = { path: p, content, size, mtime: Date.now() };
        await files.put(record);
        await meta.put(next);
        await tx.done;
        return { path: p, type: 'file' as const, size, mtime: record.mtime };
      } catch (error) {
        try {
          tx.abort();
        } catch {
          // already finished
        }
        tx.done.catch(() => {});
        throw error;
      }
    },
    async listDir(path: string) {
      const p = canonical(path);
      const tx = (await db()).transaction('files');
      if ((await tx.store.getKey(p)) !== undefined) throw fsError('not-directory', 'is a file, not a directory', p);
      return children(p, await tx.store.getAll(below(p)));
    },
    async deleteFile(path: string) {
      const p = canonical(path);
      const tx = (await db()).transaction(['files', 'meta'], 'readwrite');
      const files = tx.objectStore('files');
      const meta = tx.objectStore('meta');
      const record = await files.get(p);
      if (record === undefined) {
        const dir = p === '/' || (await files.count(below(p))) > 0;
        await tx.done;
        if (dir) throw fsError('is-directory', 'is a directory', p);
        return false;
      }
      const totals = (await meta.get('totals')) ?? { key: 'totals', totalBytes: record.size, count: 1 };
      await files.delete(p);
      await meta.put({ key: 'totals', totalBytes: Math.max(0, totals.totalBytes - record.size), count: Math.max(0, totals.count - 1) });
      await tx.done;
      return true;
    },
    async stat(path: string) {
      const p = canonical(path);
      const tx = (await db()).transaction('files');
      const record = await tx.store.get(p);
      if (record !== undefined) return { path: p, type: 'file' as const, size: record.size, mtime: record.mtime };
      const dir = p === '/' || (await tx.store.count(below(p))) > 0;
      return dir ? { path: p, type: 'directory' as const, size: 0, mtime: 0 } : null;
    },
    close,
    async dispose() {
      close();
    },
    async [Symbol.asyncDispose]() {
      close();
    },
  });
}

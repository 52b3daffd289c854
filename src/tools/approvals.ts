/**
 * Human in the loop. A tool call that needs approval becomes an {@link ApprovalRecord} in IndexedDB
 * (database `quickcage-approvals`), bound to the SHA-256 of the exact canonical arguments, and waits
 * until a person decides, the approval timeout passes (denial), or the run is aborted.
 *
 * State machine of a record, every transition one readwrite transaction:
 *
 *   pending --decide(approve)--> approved --consumed by exactly one call--> consumed
 *   pending --decide(deny)-----> denied
 *   pending --timeout----------> expired
 *
 * A decision applies once: a second `decide` on the same record changes nothing and says so. An
 * approval is consumed by one call only: the call that is waiting for it, or (after a page reload or
 * an aborted run left the record pending) the next call with the same tool, agent, user and argument
 * digest within `reuseWindowMs` of the decision.
 */
import { checkKnownKeys } from '../internal/checks.js';
import type { DBSchema, IDBPDatabase } from 'idb';
import { STORAGE_OPTION_KEYS, openDatabase, openOrFallback, resolveStorage } from '../internal/idb.js';
import type { EventSink, SecurityEventInput } from '../audit/types.js';
import { AbortedError, ToolError, invalidArgument } from '../errors.js';
import { canonicalJson, deepFreeze, sha256Hex } from './json.js';
import { randomId } from '../internal/ids.js';

/** Where a record is in its life. */
export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'consumed';

/** What a person is asked to decide. A frozen copy: changing it changes nothing. */
export interface ApprovalRequest {
  readonly id: string;
  readonly tool: string;
  readonly agent: string;
  readonly user?: string;
  readonly runId: string;
  /** The exact arguments the call will run with (canonical JSON data). */
  readonly args: unknown;
  /** SHA-256 hex of the canonical JSON of `args`; the decision is bound to it. */
  readonly argsDigest: string;
  readonly createdAt: number;
  /** When the request times out to denial (epoch ms). */
  readonly expiresAt: number;
}

/** A stored approval request with its state. */
export interface ApprovalRecord extends ApprovalRequest {
  readonly status: ApprovalStatus;
  readonly decidedAt?: number;
  /** For `approved` records: until when a matching call may consume the approval. */
  readonly usableUntil?: number;
}

/** A person's answer. Anything else counts as `deny`. */
export type ApprovalAnswer = 'approve' | 'deny';

/** Options of {@link createApprovalManager}. */
export interface ApprovalManagerOptions {
  /** Asks a person. May take as long as it likes; after `timeoutMs` its answer no longer counts. */
  onApproval?: (request: ApprovalRequest) => ApprovalAnswer | Promise<ApprovalAnswer>;
  /** How long a request waits before it times out to denial. Default 5 minutes. */
  timeoutMs?: number;
  /** How long an approval decided while no call was waiting stays usable by an identical call. Default 15 minutes. */
  reuseWindowMs?: number;
  /** `indexeddb` (default; survives reloads) or `memory`. */
  storage?: 'indexeddb' | 'memory';
  /** IndexedDB factory. Default `globalThis.indexedDB`; `null` keeps records in memory (`persistent` false). */
  indexedDB?: IDBFactory | null;
  /** IndexedDB database name. Default `quickcage-approvals`. */
  dbName?: string;
  /** Records decisions made while no call in this tab was waiting (after a reload). */
  sink?: EventSink;
  /** Clock (epoch ms). Default `Date.now`. */
  now?: () => number;
}

/** What the registry passes for one call. */
export interface ApprovalCall {
  tool: string;
  agent: string;
  user?: string;
  runId: string;
  /** Canonical, frozen arguments. */
  args: unknown;
}

/** The call-side context of a wait. */
export interface ApprovalWaitContext {
  signal: AbortSignal;
  pauseDeadline(): () => void;
  sink?: EventSink;
}

/** Result of {@link ApprovalManager.decide}. */
export interface DecideResult {
  /** True when this decision changed the record; false when it was already decided, expired or unknown. */
  applied: boolean;
  status: ApprovalStatus | 'unknown';
}

/** The approvals of one app. */
export interface ApprovalManager {
  /** False when IndexedDB could not be opened and records live in memory only (known after the first use). */
  readonly persistent: boolean;
  /**
   * Waits for approval of one call. Resolves when approved (the approval is consumed); rejects otherwise.
   * @throws {ToolError} `APPROVAL_DENIED` when denied, timed out, or the approval was consumed elsewhere.
   * @throws {AbortedError} `ABORTED` when `ctx.signal` aborts; the record stays pending and can still be decided.
   */
  request(call: ApprovalCall, ctx: ApprovalWaitContext): Promise<void>;
  /**
   * Decides a pending request. Safe to call from any tab and at any time.
   * @throws {InvalidArgumentError} `INVALID_ARGUMENT` for a non-string id.
   */
  decide(id: string, answer: ApprovalAnswer): Promise<DecideResult>;
  /** All records, newest first; pending ones whose time has passed are reported (and stored) as expired. */
  list(filter?: { status?: ApprovalStatus }): Promise<ApprovalRecord[]>;
  /** Shorthand for `list({ status: 'pending' })`. */
  pending(): Promise<ApprovalRecord[]>;
  /** Closes the database connection and the cross-tab channel. The synchronous form of `dispose()`. */
  close(): void;
  /** Closes the database connection and the cross-tab channel. Idempotent. */
  dispose(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

interface Stored extends ApprovalRecord {
  /** `[tool, agent, user, digest]` joined: the index a reusable approval is found by. */
  match: string;
}

interface ApprovalsDB extends DBSchema {
  requests: { key: string; value: Stored; indexes: { match: string; createdAt: number } };
}

/** Storage operations; each one is atomic (one IndexedDB transaction, or synchronous in memory). */
interface Store {
  persistent: boolean;
  add(record: Stored, purgeBefore: number): Promise<void>;
  /** Applies `change` to record `id` when `when(record)` holds; returns the record as it is afterwards. */
  update(id: string, change: (r: Stored) => Stored | undefined): Promise<Stored | undefined>;
  /** Finds one record with `match` for which `change` returns a new value, stores it, returns it. */
  updateFirst(match: string, change: (r: Stored) => Stored | undefined): Promise<Stored | undefined>;
  all(): Promise<Stored[]>;
  close(): void;
}

const MINUTE = 60_000;
const RETAIN_MS = 24 * 60 * MINUTE;
const TERMINAL: readonly ApprovalStatus[] = ['denied', 'expired', 'consumed'];

function memoryStore(): Store {
  const records = new Map<string, Stored>();
  return {
    persistent: false,
    async add(record, purgeBefore) {
      for (const [id, r] of records) if (r.createdAt < purgeBefore && TERMINAL.includes(r.status)) records.delete(id);
      records.set(record.id, record);
    },
    async update(id, change) {
      const current = records.get(id);
      if (current === undefined) return undefined;
      const next = change(current);
      if (next !== undefined) records.set(id, next);
      return next ?? current;
    },
    async updateFirst(match, change) {
      for (const r of records.values()) {
        if (r.match !== match) continue;
        const next = change(r);
        if (next !== undefined) {
          records.set(r.id, next);
          return next;
        }
      }
      return undefined;
    },
    async all() {
      return [...records.values()];
    },
    close() {},
  };
}

async function indexedDbStore(factory: IDBFactory, dbName: string): Promise<Store> {
  const db: IDBPDatabase<ApprovalsDB> = await openDatabase<ApprovalsDB>({
    factory,
    name: dbName,
    version: 1,
    upgrade(database, oldVersion) {
      if (oldVersion < 1) {
        const store = database.createObjectStore('requests', { keyPath: 'id' });
        store.createIndex('match', 'match');
        store.createIndex('createdAt', 'createdAt');
      }
    },
  });
  return {
    persistent: true,
    async add(record, purgeBefore) {
      const tx = db.transaction('requests', 'readwrite');
      let cursor = await tx.store.index('createdAt').openCursor(IDBKeyRange.upperBound(purgeBefore, true));
      while (cursor) {
        if (TERMINAL.includes(cursor.value.status)) await cursor.delete();
        cursor = await cursor.continue();
      }
      await tx.store.add(record);
      await tx.done;
    },
    async update(id, change) {
      const tx = db.transaction('requests', 'readwrite');
      const current = await tx.store.get(id);
      const next = current === undefined ? undefined : change(current);
      if (next !== undefined) await tx.store.put(next);
      await tx.done;
      return next ?? current;
    },
    async updateFirst(match, change) {
      const tx = db.transaction('requests', 'readwrite');
      let found: Stored | undefined;
      for (const r of await tx.store.index('match').getAll(match)) {
        const next = change(r);
        if (next !== undefined) {
          await tx.store.put(next);
          found = next;
          break;
        }
      }
      await tx.done;
      return found;
    },
    async all() {
      return db.getAll('requests');
    },
    close() {
      db.close();
    },
  };
}

const emit = (sink: EventSink | undefined, event: SecurityEventInput): void => {
  try {
    sink?.record(event);
  } catch {
    // A sink must not throw; if one does, the call's outcome must not depend on it.
  }
};

const publicRecord = ({ match: _match, ...record }: Stored): ApprovalRecord => deepFreeze(structuredClone(record));
const requestOf = (r: Stored): ApprovalRequest => {
  const { id, tool, agent, user, runId, args, argsDigest, createdAt, expiresAt } = r;
  return deepFreeze(structuredClone({ id, tool, agent, ...(user === undefined ? {} : { user }), runId, args, argsDigest, createdAt, expiresAt }));
};

/**
 * Creates the approval manager of an app. Give it to `createToolRegistry({ approvals })`.
 *
 * What happens on a page reload while a call waits: the run is gone with the page. Its record stays
 * `pending` in IndexedDB until it times out. `pending()` lists it and `decide()` still works; an
 * approval given then is consumed once by the next identical call (same tool, agent, user and argument
 * digest) within `reuseWindowMs`. A denial or a timeout leaves nothing to reuse.
 *
 * @throws {InvalidArgumentError} `INVALID_ARGUMENT` for a bad option (the message names it).
 */
export function createApprovalManager(options: ApprovalManagerOptions = {}): ApprovalManager {
  if (typeof options !== 'object' || options === null) throw invalidArgument('options', 'an object', options);
  const known = ['onApproval', 'timeoutMs', 'reuseWindowMs', ...STORAGE_OPTION_KEYS, 'sink', 'now'];
  checkKnownKeys('options', options, known);
  const { onApproval, timeoutMs = 5 * MINUTE, reuseWindowMs = 15 * MINUTE, sink, now = Date.now } = options;
  const { storage, dbName, factory } = resolveStorage('', options, { storage: 'indexeddb', dbName: 'quickcage-approvals' });
  if (onApproval !== undefined && typeof onApproval !== 'function') throw invalidArgument('onApproval', 'a function', onApproval);
  for (const [field, value] of [['timeoutMs', timeoutMs], ['reuseWindowMs', reuseWindowMs]] as const) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 7 * 24 * 60 * MINUTE) throw invalidArgument(field, 'an integer number of ms from 1 to 604800000', value);
  }
  if (sink !== undefined && typeof sink?.record !== 'function') throw invalidArgument('sink', 'an EventSink', sink);
  if (typeof now !== 'function') throw invalidArgument('now', 'a function returning epoch ms', now);

  let degraded = false;
  let storePromise: Promise<Store> | undefined;
  const store = (): Promise<Store> =>
    (storePromise ??= storage === 'memory'
      ? Promise.resolve(memoryStore())
      : openOrFallback(factory, (f) => indexedDbStore(f, dbName), () => {
          // Private modes and exhausted quotas refuse IndexedDB. Keep working, in memory, and say so:
          // `persistent` turns false and every approval event carries `degraded: true`.
          degraded = true;
          return memoryStore();
        }));

  /** Live waiters in this tab, by record id. */
  const waiters = new Map<string, (status: ApprovalStatus) => void>();
  let channel: BroadcastChannel | undefined;
  if (typeof BroadcastChannel === 'function') {
    channel = new BroadcastChannel(`quickcage-approvals:${dbName}`);
    channel.onmessage = (event: MessageEvent<unknown>) => {
      const data = event.data as { id?: unknown; status?: unknown } | null;
      if (typeof data?.id === 'string' && typeof data.status === 'string') waiters.get(data.id)?.(data.status as ApprovalStatus);
    };
  }
  const announce = (id: string, status: ApprovalStatus) => {
    waiters.get(id)?.(status);
    try {
      channel?.postMessage({ id, status });
    } catch {
      // closed channel: other tabs still see the record when they look
    }
  };

  const expireIfDue = (r: Stored, at: number): Stored | undefined => (r.status === 'pending' && at >= r.expiresAt ? { ...r, status: 'expired', decidedAt: at } : undefined);

  const decide = async (id: string, answer: ApprovalAnswer): Promise<DecideResult> => {
    if (typeof id !== 'string') throw invalidArgument('id', 'an approval id string', id);
    const s = await store();
    const at = now();
    let applied = false;
    const after = await s.update(id, (r) => {
      const expired = expireIfDue(r, at);
      if (expired) return expired;
      if (r.status !== 'pending') return undefined;
      applied = true;
      return answer === 'approve'
        ? { ...r, status: 'approved', decidedAt: at, usableUntil: at + reuseWindowMs }
        : { ...r, status: 'denied', decidedAt: at };
    });
    if (after === undefined) return { applied: false, status: 'unknown' };
    if (after.status !== 'pending') announce(id, after.status);
    if (applied && !waiters.has(id)) {
      emit(sink, {
        type: 'approval',
        severity: after.status === 'approved' ? 'low' : 'medium',
        tool: after.tool,
        agent: after.agent,
        user: after.user,
        runId: after.runId,
        details: { decision: after.status, requestId: id, argsDigest: after.argsDigest, live: false, ...(degraded ? { degraded } : {}) },
      });
    }
    return { applied, status: after.status };
  };

  const request = async (call: ApprovalCall, ctx: ApprovalWaitContext): Promise<void> => {
    // Stop the run's clock first: opening storage and hashing are part of waiting for a person, and
    // on a busy page they can take longer than what is left of a tight deadline.
    const resume = ctx.pauseDeadline();
    try {
      return await waitForApproval(call, ctx);
    } finally {
      resume();
    }
  };

  const waitForApproval = async (call: ApprovalCall, ctx: ApprovalWaitContext): Promise<void> => {
    const s = await store();
    const argsDigest = await sha256Hex(canonicalJson(call.args));
    const user = call.user ?? '';
    const match = [call.tool, call.agent, user, argsDigest].join('\u0000');
    const event = (decision: string, severity: SecurityEventInput['severity'], extra: Record<string, unknown> = {}) =>
      emit(ctx.sink, { type: 'approval', severity, tool: call.tool, agent: call.agent, user: call.user, runId: call.runId, details: { decision, argsDigest, ...extra, ...(degraded ? { degraded } : {}) } });

    // An approval given while no call was waiting (after a reload) is used once by an identical call.
    const at = now();
    const reused = await s.updateFirst(match, (r) =>
      r.status === 'approved' && r.usableUntil !== undefined && at < r.usableUntil ? { ...r, status: 'consumed' } : undefined,
    );
    if (reused !== undefined) {
      event('reused', 'low', { requestId: reused.id });
      return;
    }
    if (ctx.signal.aborted) throw new AbortedError('The run was aborted before approval was requested (ABORTED)', { runId: call.runId });

    const record: Stored = {
      id: randomId(),
      tool: call.tool,
      agent: call.agent,
      ...(call.user === undefined ? {} : { user: call.user }),
      runId: call.runId,
      args: call.args,
      argsDigest,
      createdAt: at,
      expiresAt: at + timeoutMs,
      status: 'pending',
      match,
    };
    await s.add(record, at - RETAIN_MS);
    event('requested', 'low', { requestId: record.id, expiresAt: record.expiresAt });

    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    try {
      const outcome = await new Promise<ApprovalStatus | 'aborted'>((resolve) => {
        waiters.set(record.id, (status) => {
          if (status !== 'pending') resolve(status);
        });
        // A decision from another tab may have landed between our write and this line.
        void s.update(record.id, () => undefined).then((r) => {
          if (r !== undefined && r.status !== 'pending') resolve(r.status);
        }, () => {});
        onAbort = () => resolve('aborted');
        ctx.signal.addEventListener('abort', onAbort, { once: true });
        timer = setTimeout(() => {
          void s.update(record.id, (r) => (r.status === 'pending' ? { ...r, status: 'expired', decidedAt: now() } : undefined))
            .then((r) => resolve(r?.status ?? 'expired'), () => resolve('expired'));
        }, Math.max(0, record.expiresAt - now()));
        if (onApproval !== undefined) {
          // The person sees a frozen copy; whatever they (or the UI) do to it, the call runs with `call.args`.
          Promise.resolve()
            .then(() => onApproval(requestOf(record)))
            .then(
              (answer) => decide(record.id, answer === 'approve' ? 'approve' : 'deny'),
              () => decide(record.id, 'deny'),
            )
            .catch(() => {});
        }
      });
      if (outcome === 'aborted') {
        event('abandoned', 'low', { requestId: record.id });
        throw new AbortedError('The run was aborted while waiting for approval (ABORTED); the request stays pending', { runId: call.runId });
      }
      if (outcome === 'approved') {
        // Consume it ourselves: an identical call elsewhere may have taken it first (then we lose).
        let mine = false;
        await s.update(record.id, (r) => {
          if (r.status !== 'approved') return undefined;
          mine = true;
          return { ...r, status: 'consumed' };
        });
        if (mine) {
          event('approved', 'low', { requestId: record.id });
          return;
        }
      }
      const reason = outcome === 'expired' ? 'timed out' : outcome === 'denied' ? 'was denied' : 'was already used';
      event(outcome === 'expired' ? 'expired' : 'denied', 'medium', { requestId: record.id });
      throw new ToolError('APPROVAL_DENIED', `Approval for tool \`${call.tool}\` ${reason} (APPROVAL_DENIED)`, {
        runId: call.runId,
        details: { tool: call.tool, requestId: record.id, status: outcome },
      });
    } finally {
      clearTimeout(timer);
      if (onAbort) ctx.signal.removeEventListener('abort', onAbort);
      waiters.delete(record.id);
    }
  };

  const list = async (filter: { status?: ApprovalStatus } = {}): Promise<ApprovalRecord[]> => {
    const s = await store();
    const at = now();
    const out: ApprovalRecord[] = [];
    for (const r of await s.all()) {
      let current = r;
      if (expireIfDue(r, at)) current = (await s.update(r.id, (x) => expireIfDue(x, at))) ?? r;
      if (filter.status === undefined || current.status === filter.status) out.push(publicRecord(current));
    }
    return out.sort((a, b) => b.createdAt - a.createdAt);
  };

  const close = () => {
    channel?.close();
    channel = undefined;
    void storePromise?.then((s) => s.close());
    storePromise = undefined;
  };

  return Object.freeze({
    get persistent() {
      return !degraded && storage === 'indexeddb';
    },
    request,
    decide,
    list,
    pending: () => list({ status: 'pending' }),
    close,
    async dispose() {
      close();
    },
    async [Symbol.asyncDispose]() {
      close();
    },
  });
}

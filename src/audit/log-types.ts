/**
 * The public shapes of the audit log: its options, queries, reports and the `AuditLog` interface.
 * The implementation is log.ts (facade and writer), spill.ts (what a page saves at pagehide) and
 * options.ts (option and query checks).
 */
import type { AggregateConfig } from './aggregate.js';
import type { AutoDisableConfig, DisableKind, DisabledEntry, VerifyResult } from './chain.js';
import type { AuditEvent } from './model.js';
import type { RiskScore } from './risk.js';
import type { EventSink, SecurityEventInput, SecurityEventType, Severity } from './types.js';

/** Options of {@link createAuditLog}. Every field is optional. */
export interface AuditLogOptions {
  /**
   * `indexeddb` (default) or `memory`. `memory` is the fallback asked for: the same as
   * `indexedDB: null`, and as loud (an `audit_degraded` event and one warning).
   */
  storage?: 'indexeddb' | 'memory';
  /** IndexedDB database name. Default `quickcage-audit`. Also names the BroadcastChannel. */
  dbName?: string;
  /**
   * The IndexedDB factory. Default `globalThis.indexedDB`. `null` forces the memory fallback
   * (still loud). Tests inject a factory whose `open` fails to exercise the fallback.
   */
  indexedDB?: IDBFactory | null;
  /** Clock in epoch ms. Default `Date.now`. */
  now?: () => number;
  /** Stored events (gaps excluded) before retention drops the lowest ranks. Default 20,000. */
  maxEvents?: number;
  /** Batching: `maxDelayMs` (default 20) before a routine batch is written; `maxSize` (default 200) per transaction. */
  batch?: { maxDelayMs?: number; maxSize?: number };
  /** Flood aggregation (see aggregate.ts) or `false` to store every event. */
  aggregate?: Partial<AggregateConfig> | false;
  /** Auto-disable thresholds or `false`. Default 5 violations of severity ≥ high within 1 hour, users and tools. */
  autoDisable?: Partial<AutoDisableConfig> | false;
  /** Risk weights and half-life (see risk.ts). */
  risk?: { weights?: Partial<Record<Severity, number>>; halfLifeMs?: number };
  /** Share sealed events with other tabs through a BroadcastChannel. Default true. */
  broadcast?: boolean;
  /** Flush on `visibilitychange`/`pagehide`. Default true when a `document` exists. */
  lifecycle?: boolean;
  /** Where the one loud warning goes. Default `console.warn`. */
  warn?: (message: string) => void;
}

/** Filters of {@link AuditLog.query} and {@link AuditLog.exportJsonl}. Times are epoch ms, inclusive. */
export interface AuditQuery {
  since?: number;
  until?: number;
  user?: string;
  tool?: string;
  /** Events of one run (the `runId` a sandbox run or tool call carried). */
  runId?: string;
  type?: SecurityEventType | readonly SecurityEventType[];
  severity?: Severity | readonly Severity[];
  /** Maximum events returned. Default 100 for `query`, unlimited for `exportJsonl`. */
  limit?: number;
}

/** One row of {@link AuditLog.hourlySummary}. */
export interface HourlyBucket {
  /** Start of the hour, epoch ms (UTC hour boundaries). */
  hour: number;
  type: SecurityEventType;
  severity: Severity;
  /** Occurrences, aggregates expanded. */
  count: number;
}

/**
 * What {@link AuditLog.flush} did, counted since the previous `flush()` resolved (or since the log
 * was created). Entries, not occurrences: an aggregate counts once.
 */
export interface FlushReport {
  /** Entries written to IndexedDB (events, aggregates and `events_dropped` markers). */
  stored: number;
  /** Entries kept in memory only because IndexedDB is unavailable: lost when the page closes. */
  memoryOnly: number;
  /** Stored entries deleted to make room (storage quota, or `maxEvents` retention). */
  deleted: number;
  /** How many of `deleted` were security events (anything but routine traffic). */
  deletedSecurity: number;
  /** Accepted events never stored: shed under storage pressure (routine events only). */
  notStored: number;
  /** True when nothing was deleted, shed or kept in memory only. */
  complete: boolean;
}

/** The audit log. Every method but `record` and `isDisabled` is async. */
export interface AuditLog extends EventSink {
  /** Resolves when storage is open (or the fallback is in place). Never rejects. */
  readonly ready: Promise<void>;
  /** True when events are kept in memory only. */
  readonly degraded: boolean;
  /** `indexeddb`, `memory`, or `opening` before `ready`. */
  readonly storage: 'indexeddb' | 'memory' | 'opening';
  /**
   * Accepts an event. Synchronous, never throws, never waits for storage. Returns the id the event
   * will be stored under (use it to tie an acknowledgement to the event), or the id of the aggregate
   * entry a flood folded it into, or `undefined` after `dispose()` (the event is not stored).
   * A malformed event is stored as an `audit_degraded` event, whose id is returned.
   */
  record(event: SecurityEventInput): string | undefined;
  /**
   * Resolves when every event accepted before the call (aggregates included) is written, with what
   * happened since the previous flush: stored, deleted and never stored. Check `complete`.
   */
  flush(): Promise<FlushReport>;
  /**
   * Events matching `filter`, most recent first (flushes first).
   * @throws {InvalidArgumentError} `INVALID_ARGUMENT` (rejects) for a bad filter, naming `filter.<field>`.
   * @throws {DisposedError} `DISPOSED` (rejects) after `dispose()`.
   */
  query(filter?: AuditQuery): Promise<AuditEvent[]>;
  /**
   * Occurrences per UTC hour, type and severity.
   * @throws {InvalidArgumentError} `INVALID_ARGUMENT` (rejects) for a bad range, naming `range.<field>`.
   * @throws {DisposedError} `DISPOSED` (rejects) after `dispose()`.
   */
  hourlySummary(range?: { since?: number; until?: number }): Promise<HourlyBucket[]>;
  /**
   * The user's decayed risk score (formula in risk.ts and docs/audit.md).
   * @throws {InvalidArgumentError} `INVALID_ARGUMENT` (rejects) for an empty user or a non-finite `options.now`.
   * @throws {DisposedError} `DISPOSED` (rejects) after `dispose()`.
   */
  riskScore(user: string, options?: { now?: number }): Promise<RiskScore>;
  /**
   * Matching events in chain order as JSON Lines (canonical JSON, one event per line).
   * @throws {InvalidArgumentError} `INVALID_ARGUMENT` (rejects) for a bad filter.
   * @throws {DisposedError} `DISPOSED` (rejects) after `dispose()`.
   */
  exportJsonl(filter?: AuditQuery): Promise<string>;
  /**
   * Walks the chain and reports the first broken link (a result, never a rejection, for a broken chain).
   * @throws {DisposedError} `DISPOSED` (rejects) after `dispose()`.
   */
  verify(): Promise<VerifyResult>;
  /**
   * Calls `listener` with every stored event, from this tab and others. Returns the unsubscribe.
   * @throws {InvalidArgumentError} `INVALID_ARGUMENT` when `listener` is not a function.
   */
  subscribe(listener: (event: AuditEvent) => void): () => void;
  /**
   * True when the user or tool is disabled (from a cache kept current across tabs; await `ready` first).
   * @throws {InvalidArgumentError} `INVALID_ARGUMENT` for a kind other than 'user'/'tool' or an empty id.
   */
  isDisabled(kind: DisableKind, id: string): boolean;
  /** Every disable decision known, enabled ones included. */
  disabledEntries(): DisabledEntry[];
  /**
   * Disables a user or tool by hand; recorded as `user_disabled`/`tool_disabled`.
   * @throws {InvalidArgumentError} `INVALID_ARGUMENT` (rejects) for a bad kind, id or option.
   * @throws {DisposedError} `DISPOSED` (rejects) after `dispose()`.
   */
  disable(kind: DisableKind, id: string, options?: { reason?: string; by?: string }): Promise<void>;
  /**
   * Re-enables; recorded as an `approval` event. Violations before now stop counting.
   * @throws {InvalidArgumentError} `INVALID_ARGUMENT` (rejects) for a bad kind, id or option.
   * @throws {DisposedError} `DISPOSED` (rejects) after `dispose()`.
   */
  enable(kind: DisableKind, id: string, options?: { by?: string }): Promise<void>;
  /** Flushes, then releases storage, listeners and timers. */
  dispose(): Promise<void>;
  /** `dispose()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

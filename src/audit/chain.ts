/**
 * The hash chain: sealing a batch (link, hash, auto-disable, retention) and verifying the chain.
 *
 * `seal` runs against {@link ChainOps}, which the IndexedDB backend implements on ONE readwrite
 * transaction and the memory backend on plain arrays. Everything `seal` awaits is a request of that
 * transaction (hashing is synchronous, see sha256.ts), so the transaction never auto-commits half
 * way and two tabs sealing at once are serialized by IndexedDB: read head → link → write head is
 * atomic, and the chain cannot fork.
 *
 * Retention deletes events and leaves holes in the sequence. A hole needs no record of its own:
 * the hashes that would bridge it are the neighbours' own `hash`/`prevHash`, so a stored "gap" would
 * add nothing an editor could not forge. What makes holes accountable is the `events_dropped` marker,
 * appended in the same transaction, whose `totalDropped` must equal the number of missing sequence
 * numbers: a deletion that no marker accounts for is reported by `verify()`.
 */
import {
  GENESIS_HASH, hashInput, isViolation, retentionRank, severityRank,
  type AuditEvent, type ChainHead, type JsonValue, type PreparedEvent,
} from './model.js';
import { sha256Hex, subtleSha256Hex } from '../sha256.js';
import type { Severity } from './types.js';

/** What can be disabled. */
export type DisableKind = 'user' | 'tool';

/** A persisted disable/enable decision. */
export interface DisabledEntry {
  kind: DisableKind;
  id: string;
  disabled: boolean;
  /** Why, e.g. "multiple security violations". */
  reason?: string;
  /** Epoch ms of the last change. */
  since: number;
  /** Violations counted when auto-disable fired. */
  violations?: number;
  /** When an operator re-enabled it; violations before this no longer count. */
  enabledAt?: number;
  /** Who changed it by hand, as the caller said. */
  by?: string;
}

/** Auto-disable thresholds: `threshold` violations of severity ≥ `minSeverity` within `windowMs`. */
export interface AutoDisableConfig {
  threshold: number;
  windowMs: number;
  minSeverity: Severity;
  users: boolean;
  tools: boolean;
}

/** Storage operations of one atomic seal. Implementations must not await anything but their own storage. */
export interface ChainOps {
  getHead(): Promise<ChainHead | undefined>;
  putHead(head: ChainHead): void;
  /** Events spilled by `pagehide` and not sealed yet; removes them from the pending area. */
  takePending(): Promise<PreparedEvent[]>;
  /** The stored events whose time is >= `since`, by id (recovered spills are checked against them). */
  storedSince(since: number): Promise<Map<string, AuditEvent>>;
  /** Adds a linked event. The IndexedDB backend collects them into one block record (see backend.ts). */
  put(event: AuditEvent): void;
  /**
   * Resolves after a request of the transaction (which stays active), so the page runs whatever else
   * is waiting, such as a run's answer. The seal calls it every {@link SEAL_CHUNK} events: a large
   * batch is linked in several short tasks instead of one long one. The IndexedDB backend also
   * stores the events put so far when they fill a block.
   */
  drain(): Promise<void>;
  /** Stores the events put so far without waiting (the end of a seal). */
  flush(): void;
  /** Removes stored events (ones `victims` returned in this transaction). */
  remove(events: readonly AuditEvent[]): void;
  /**
   * The first `limit` events in retention order (rank, then seq), of rank <= `maxRank` (default all).
   * `whole`: removing them must not rewrite any record (over quota, Chromium refuses every write but
   * lets deletions through), so the IndexedDB backend returns whole blocks, up to one block's worth
   * of events more than `limit`.
   */
  victims(limit: number, maxRank?: number, whole?: boolean): Promise<AuditEvent[]>;
  /** Events naming `id` as user or tool with time >= since. */
  byActor(kind: DisableKind, id: string, since: number): Promise<AuditEvent[]>;
  getDisabled(kind: DisableKind, id: string): Promise<DisabledEntry | undefined>;
  putDisabled(entry: DisabledEntry): void;
}

/** Counts of dropped events for an `events_dropped` marker. */
export interface DropSummary {
  entries: number;
  securityEntries: number;
  bySeverity: Record<string, number>;
  byType: Record<string, number>;
  oldest: number;
  newest: number;
}

/**
 * What a quota recovery removed, to be accounted by the next seal: `deleted` stored events (in a
 * write-free transaction) and `shed` events of the batch that were never stored.
 */
export interface QuotaDrops {
  deleted?: DropSummary;
  shed?: DropSummary;
}

/** Extra inputs of one seal besides the batch. */
export interface SealExtras {
  /** Quota-recovery drops to account for with a marker. */
  drops?: QuotaDrops;
  /** Events saved by an earlier page on `pagehide` (localStorage); skipped when already stored. */
  recovered?: readonly PreparedEvent[];
}

/** Context of one seal. */
export interface SealContext {
  now: number;
  maxEvents: number;
  autoDisable: AutoDisableConfig | false;
  newId(): string;
}

/** What a seal wrote. */
export interface SealResult {
  sealed: AuditEvent[];
  disabled: DisabledEntry[];
  /**
   * Recovered spills that were stored already: the transaction of a page that went away committed
   * after all, maybe without that page handing them to its subscribers. They are handed to this
   * page's subscribers (at least once), not stored again.
   */
  alreadyStored?: AuditEvent[];
}

/**
 * Events a seal links per page task. Linking costs the page about 15 µs per event (canonical JSON,
 * SHA-256; measured in V8 on this project's bench machine), so a task of 8 stays near 0.1 ms; with
 * 32 per task, plus the block's structured clone, a run's answer that arrived meanwhile waited about
 * half a millisecond.
 */
export const SEAL_CHUNK = 8;

const EMPTY_HEAD: ChainHead = { seq: 0, hash: GENESIS_HASH, count: 0, dropped: 0 };

/** Links `prepared` after the head, hashes it and queues the write. */
function link(ops: ChainOps, head: ChainHead, prepared: PreparedEvent): AuditEvent {
  const event: AuditEvent = {
    ...prepared,
    seq: head.seq + 1,
    rank: retentionRank(prepared.type, prepared.severity),
    prevHash: head.hash,
    hash: '',
  };
  event.hash = sha256Hex(hashInput(event));
  ops.put(event);
  head.seq = event.seq;
  head.hash = event.hash;
  head.count += 1;
  return event;
}

/**
 * Appends `batch` (plus any spilled pending events) to the chain, applies auto-disable and
 * retention, and updates the head. Runs entirely inside the caller's transaction.
 */
export async function seal(ops: ChainOps, batch: readonly PreparedEvent[], ctx: SealContext, extra: SealExtras = {}): Promise<SealResult> {
  const { drops, recovered = [] } = extra;
  const head: ChainHead = { ...((await ops.getHead()) ?? EMPTY_HEAD) };
  const sealed: AuditEvent[] = [];
  const disabled: DisabledEntry[] = [];

  // A quota recovery deleted events in a transaction of its own (one that writes nothing, the only
  // kind Chromium lets through over quota); account for them first.
  if (drops && (drops.deleted || drops.shed)) {
    const deleted = drops.deleted ?? summarize([]);
    head.count -= deleted.entries;
    head.dropped += deleted.entries;
    const event = marker(deleted, 'quota_exceeded', head, ctx);
    if (drops.shed) {
      // Never stored, so never in the chain: reported, but not part of totalDropped.
      const { entries, securityEntries, bySeverity, byType, oldest, newest } = drops.shed;
      event.details!.notStored = { entries, securityEntries, bySeverity, byType, oldest, newest };
      if (securityEntries > 0) event.severity = 'high';
    }
    sealed.push(link(ops, head, event));
  }

  // Spilled events may also have been written by a transaction that committed after all, or be
  // recovered by two tabs at once: the unique id decides, so nothing is stored twice.
  const pending = [...(await ops.takePending()), ...recovered].sort((a, b) => a.time - b.time);
  const alreadyStored: AuditEvent[] = [];
  if (pending.length > 0) {
    const stored = await ops.storedSince(pending[0]!.time);
    const seen = new Set<string>();
    for (const event of pending) {
      if (seen.has(event.id)) continue;
      seen.add(event.id);
      const existing = stored.get(event.id);
      if (existing) {
        alreadyStored.push(existing);
        continue;
      }
      sealed.push(link(ops, head, event));
      if (sealed.length % SEAL_CHUNK === 0) await ops.drain();
    }
  }
  for (let i = 0; i < batch.length; i++) {
    sealed.push(link(ops, head, batch[i]!));
    if (sealed.length % SEAL_CHUNK === 0 && i < batch.length - 1) await ops.drain();
  }

  if (ctx.autoDisable) {
    const config = ctx.autoDisable;
    const candidates = new Map<string, { kind: DisableKind; id: string }>();
    for (const event of sealed) {
      if (!isViolation(event) || severityRank(event.severity) < severityRank(config.minSeverity)) continue;
      if (config.users && event.user !== undefined) candidates.set(`user\u0000${event.user}`, { kind: 'user', id: event.user });
      if (config.tools && event.tool !== undefined) candidates.set(`tool\u0000${event.tool}`, { kind: 'tool', id: event.tool });
    }
    for (const { kind, id } of candidates.values()) {
      const entry = await ops.getDisabled(kind, id);
      if (entry?.disabled) continue;
      const since = Math.max(ctx.now - config.windowMs, entry?.enabledAt ?? Number.NEGATIVE_INFINITY);
      let violations = 0;
      for (const event of await ops.byActor(kind, id, since)) {
        if (isViolation(event) && severityRank(event.severity) >= severityRank(config.minSeverity)) violations += event.count;
      }
      if (violations < config.threshold) continue;
      const decision: DisabledEntry = { kind, id, disabled: true, reason: 'multiple security violations', since: ctx.now, violations };
      ops.putDisabled(decision);
      disabled.push(decision);
      sealed.push(link(ops, head, {
        id: ctx.newId(),
        time: ctx.now,
        type: kind === 'user' ? 'user_disabled' : 'tool_disabled',
        severity: 'high',
        count: 1,
        ...(kind === 'user' ? { user: id } : { tool: id }),
        details: { reason: decision.reason!, violations, threshold: config.threshold, windowMs: config.windowMs, automatic: true },
      }));
    }
  }

  if (head.count > ctx.maxEvents) {
    // Slack: drop a little more than needed so retention does not run on every single write.
    const excess = head.count - ctx.maxEvents + Math.max(1, Math.floor(ctx.maxEvents / 20));
    const marker = await dropEvents(ops, head, excess, 'max_events', ctx);
    if (marker) sealed.push(marker);
  }
  ops.flush();
  if (sealed.length > 0) ops.putHead(head);
  return alreadyStored.length > 0 ? { sealed, disabled, alreadyStored } : { sealed, disabled };
}

/**
 * Deletes `count` events in retention order and writes nothing else: after a QuotaExceededError
 * Chromium refuses every transaction that writes, but lets deletions through. The caller then
 * seals with the returned summary, which appends the marker and fixes the head.
 */
export async function deleteForRoom(ops: ChainOps, count: number, maxRank: number): Promise<DropSummary | undefined> {
  const victims = await ops.victims(count, maxRank, true);
  if (victims.length === 0) return undefined;
  ops.remove(victims);
  return summarize(victims);
}

/** Counts per severity and type (occurrences), entries, and the time span of `victims`. */
export function summarize(victims: readonly PreparedEvent[]): DropSummary {
  const summary: DropSummary = {
    entries: victims.length, securityEntries: 0, bySeverity: {}, byType: {},
    oldest: victims.length ? Math.min(...victims.map((v) => v.time)) : 0, newest: victims.length ? Math.max(...victims.map((v) => v.time)) : 0,
  };
  for (const victim of victims) {
    summary.bySeverity[victim.severity] = (summary.bySeverity[victim.severity] ?? 0) + victim.count;
    summary.byType[victim.type] = (summary.byType[victim.type] ?? 0) + victim.count;
    if (retentionRank(victim.type, victim.severity) >= 4) summary.securityEntries += 1;
  }
  return summary;
}

function marker(summary: DropSummary, reason: string, head: ChainHead, ctx: SealContext): PreparedEvent {
  return {
    id: ctx.newId(),
    time: ctx.now,
    type: 'events_dropped',
    severity: summary.securityEntries > 0 ? 'high' : 'medium',
    count: 1,
    details: { reason, ...summary, totalDropped: head.dropped } as Record<string, JsonValue>,
  };
}

async function dropEvents(ops: ChainOps, head: ChainHead, count: number, reason: string, ctx: SealContext): Promise<AuditEvent | undefined> {
  const victims = await ops.victims(count);
  if (victims.length === 0) return undefined;
  ops.remove(victims);
  head.count -= victims.length;
  head.dropped += victims.length;
  return link(ops, head, marker(summarize(victims), reason, head, ctx));
}

/** Outcome of `AuditLog.verify()`. */
export type VerifyResult =
  | { ok: true; checked: number; dropped: number; head: string }
  | { ok: false; brokenAt: string; seq: number; reason: string; checked: number };

/**
 * Walks the chain in seq order and reports the first broken link. Hashes are recomputed with
 * SubtleCrypto, independently of the synchronous implementation that wrote them. Holes left by
 * retention must add up to the last `events_dropped` marker's `totalDropped`, plus `unaccounted`:
 * events the caller itself deleted for quota and could not write the marker for yet.
 */
export async function verifyChain(events: readonly AuditEvent[], head: ChainHead | undefined, unaccounted = 0): Promise<VerifyResult> {
  let expectedSeq = 1;
  let previousHash = GENESIS_HASH;
  let missing = 0;
  let firstHole: { after: AuditEvent; from: number; to: number } | undefined;
  let checked = 0;
  let accounted = 0;
  const broken = (event: AuditEvent, reason: string): VerifyResult => ({ ok: false, brokenAt: event.id, seq: event.seq, reason, checked });

  for (const event of events) {
    if (event.seq < expectedSeq) return broken(event, `seq ${event.seq} repeats (expected ${expectedSeq} or later)`);
    if (event.seq > expectedSeq) {
      // A hole: its neighbours' link cannot be checked, only accounted for (below).
      missing += event.seq - expectedSeq;
      firstHole ??= { after: event, from: expectedSeq, to: event.seq - 1 };
    } else if (event.prevHash !== previousHash) {
      return broken(event, 'prevHash does not match the previous event\'s hash (an event before it was changed or inserted)');
    }
    const recomputed = await subtleSha256Hex(hashInput(event));
    if (recomputed !== event.hash) return broken(event, 'hash does not match the event\'s content (the event was edited)');
    if (event.rank !== retentionRank(event.type, event.severity)) return broken(event, 'rank does not match type and severity');
    if (event.type === 'events_dropped') {
      const total = event.details?.totalDropped;
      accounted = typeof total === 'number' ? total : Number.NaN;
    }
    checked += 1;
    previousHash = event.hash;
    expectedSeq = event.seq + 1;
  }
  const last = events.at(-1);
  if (head && head.seq > 0 && (!last || head.seq !== last.seq || head.hash !== last.hash)) {
    return {
      ok: false, brokenAt: last ? last.id : 'head', seq: last?.seq ?? 0, checked,
      reason: `the chain ends at seq ${last?.seq ?? 0} but its head says ${head.seq}: events at the end were removed or the head was changed`,
    };
  }
  accounted += unaccounted;
  if (missing !== accounted) {
    const at = firstHole?.after ?? last!;
    return {
      ok: false, brokenAt: at.id, seq: at.seq, checked,
      reason: firstHole
        ? `events ${firstHole.from}..${firstHole.to} are missing: ${missing} events are missing in all but retention markers account for ${accounted} (deleted outside retention)`
        : `retention markers account for ${accounted} dropped events but none are missing (a marker was changed)`,
    };
  }
  return { ok: true, checked, dropped: missing, head: previousHash };
}

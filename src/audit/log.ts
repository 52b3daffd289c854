/**
 * The audit log: an {@link EventSink} that batches events off the caller's path, seals them into a
 * SHA-256 hash chain in IndexedDB, and answers queries, risk scores, exports and verification.
 *
 * Life of an event: `record()` checks and caps it synchronously (never throws), the flood
 * aggregator may fold it, and it waits in a memory queue. A write starts in an idle callback (at
 * most `batch.maxDelayMs` later), in a microtask for high/critical events or a full batch, and
 * always on `flush()`, `visibilitychange` → hidden and `dispose()`. One readwrite transaction per
 * batch links, hashes, applies auto-disable and retention. On `pagehide` whatever is still queued
 * or in flight is saved to localStorage (synchronous; an IndexedDB transaction started there is
 * often aborted by the unload); a tab still open seals it into the chain at once (`storage`
 * event), else the next page to open the log does. Quota errors free room by retention and retry; if IndexedDB cannot be opened or keeps
 * failing, the log falls back to memory and says so (`degraded`, one console warning, an
 * `audit_degraded` event).
 */
import { ACCEPTS_CODE_SOURCE, materializeCodeHash } from './code-hash.js';
import { describeStorageError, openOrFallback } from '../internal/idb.js';
import { checkOptions, isPlainObject } from '../internal/checks.js';
import { FloodAggregator } from './aggregate.js';
import { disabledKey, indexedDbBackend, memoryBackend, openAuditDb, type AuditBackend } from './backend.js';
import { summarize, verifyChain, type DisabledEntry, type DropSummary, type QuotaDrops, type SealContext, type SealResult } from './chain.js';
import { describeInputProblem, isEventType, retentionRank, severityRank, type AuditEvent, type PreparedEvent } from './model.js';
import { computeRisk, riskLookbackMs } from './risk.js';
import type { SecurityEventInput, Severity } from './types.js';
import { DisposedError, invalidArgument } from '../errors.js';
import type { AuditLog, AuditLogOptions, FlushReport } from './log-types.js';
import { checkId, checkKind, checkTime, newId, normalizeLogOptions, normalizeQuery } from './options.js';
import { SpillStore, mergeQuotaDrops } from './spill.js';
import { hourlyBuckets, prepareEvent, toJsonLine } from './events.js';

export type { AuditLog, AuditLogOptions, AuditQuery, FlushReport, HourlyBucket } from './log-types.js';
export { toJsonLine } from './events.js';


/**
 * Creates an audit log. Opening IndexedDB starts at once; events recorded before it is open are
 * queued. Await `ready` before relying on `isDisabled`.
 *
 * @throws {InvalidArgumentError} `INVALID_ARGUMENT` when an option has a bad value or an unknown key.
 */
export function createAuditLog(options: AuditLogOptions = {}): AuditLog {
  const {
    dbName, factory, now, maxEvents, maxDelayMs, maxSize, aggregateConfig, autoDisable, risk, broadcast, lifecycle, warnSink,
  } = normalizeLogOptions(options);

  // ---- state
  let backend: AuditBackend | undefined;
  let degraded = false;
  let disposed = false;
  let warned = false;
  let queue: PreparedEvent[] = [];
  let inFlight: readonly PreparedEvent[] = [];
  let writing: Promise<void> | undefined;
  /** The write under way must take everything queued (a flush joined it). */
  let drainAll = false;
  let batchTimer: { cancel(): void } | undefined;
  let aggregateTimer: ReturnType<typeof setTimeout> | undefined;
  let reopenNeeded = false;
  /** Dropped by a quota recovery, not yet accounted by a marker. */
  let pendingDrops: QuotaDrops = {};
  const listeners = new Set<(event: AuditEvent) => void>();
  /** What happened since the last flush report (see FlushReport). */
  let tally = { stored: 0, memoryOnly: 0, deleted: 0, deletedSecurity: 0, notStored: 0 };
  const disabledCache = new Map<string, DisabledEntry>();
  const aggregator = aggregateConfig ? new FloodAggregator(aggregateConfig, newId) : undefined;
  const channel = broadcast ? new BroadcastChannel(`quickcage-audit:${dbName}`) : undefined;
  const spills = new SpillStore(dbName, newId);

  const warnOnce = (message: string) => {
    if (warned) return;
    warned = true;
    try { warnSink(message); } catch { /* a broken warn sink must not break record() */ }
  };
  const ctx = (): SealContext => ({ now: now(), maxEvents, autoDisable, newId });

  const prepare = (input: SecurityEventInput): PreparedEvent => prepareEvent(input, now(), newId());

  const deliver = (result: SealResult, fromOtherTab: boolean) => {
    if (!fromOtherTab) {
      if (backend?.kind === 'memory') tally.memoryOnly += result.sealed.length;
      else tally.stored += result.sealed.length;
      for (const event of result.sealed) {
        // Retention by maxEvents deletes inside the seal; quota deletions are counted where they happen.
        if (event.type === 'events_dropped' && event.details?.reason === 'max_events') {
          tally.deleted += Number(event.details.entries) || 0;
          tally.deletedSecurity += Number(event.details.securityEntries) || 0;
        }
      }
    }
    for (const entry of result.disabled) disabledCache.set(disabledKey(entry.kind, entry.id), entry);
    // Recovered events stored by a page that went away before it handed them on: subscribers get
    // them at least once (an exporter keys by the stable id).
    const handed = result.alreadyStored ? [...result.alreadyStored, ...result.sealed] : result.sealed;
    for (const event of handed) {
      for (const listener of [...listeners]) {
        try { listener(event); } catch { /* a failing subscriber must not stop the others or the log */ }
      }
    }
    if (!fromOtherTab && channel && (handed.length > 0 || result.disabled.length > 0)) {
      try { channel.postMessage({ v: 1, sealed: handed, disabled: result.disabled }); } catch { /* closed channel */ }
    }
  };

  channel?.addEventListener('message', (message: MessageEvent) => {
    const data = message.data as { v?: unknown; sealed?: unknown; disabled?: unknown } | null;
    if (!isPlainObject(data) || data.v !== 1 || !Array.isArray(data.sealed) || !Array.isArray(data.disabled)) return;
    const sealed = (data.sealed as unknown[]).filter((e): e is AuditEvent => isPlainObject(e) && typeof e.seq === 'number' && isEventType(e.type));
    const disabled = (data.disabled as unknown[]).filter((e): e is DisabledEntry => isPlainObject(e) && (e.kind === 'user' || e.kind === 'tool') && typeof e.id === 'string');
    deliver({ sealed, disabled }, true);
  });

  const degrade = (reason: string, error: unknown) => {
    if (backend?.kind === 'memory') return;
    try { backend?.close(); } catch { /* already closed */ }
    backend = memoryBackend();
    degraded = true;
    const detail = describeStorageError(error);
    warnOnce(`quickcage audit log: IndexedDB is unavailable (${reason}: ${detail}). Audit events are kept in memory only and will be lost when this page closes.`);
    queue.unshift(prepare({ type: 'audit_degraded', severity: 'high', details: { reason, error: detail, storage: 'memory' } }));
    schedule('high');
  };

  const open = (): Promise<void> => openOrFallback(factory, async (f) => {
    const db = await openAuditDb(f, dbName, {
      onVersionChange: () => { reopenNeeded = true; },
      onTerminated: () => { reopenNeeded = true; },
    });
    backend = indexedDbBackend(db);
    reopenNeeded = false;
    for (const entry of await backend.loadDisabled()) disabledCache.set(disabledKey(entry.kind, entry.id), entry);
  }, ({ reason, detail }) => degrade(reason, detail));
  // Assigned at the end of createAuditLog, once every helper above and below exists.
  let opening: Promise<void> = Promise.resolve();
  let ready: Promise<void> = Promise.resolve();

  /**
   * Writes one batch. On QuotaExceededError, retention makes room without ever giving up a more
   * important event for a less important one: it deletes stored events of rank <= the batch's
   * lowest rank (oldest first); when there are none, it sheds the batch's own lowest-rank events.
   * Both are accounted by the `events_dropped` marker of the append that finally succeeds.
   * Persistent failure degrades to memory.
   */
  const write = async (
    input: readonly PreparedEvent[],
    { decisions = [], recovered = [], drops: recoveredDrops }: {
      decisions?: readonly DisabledEntry[]; recovered?: readonly PreparedEvent[]; drops?: QuotaDrops;
    } = {},
  ): Promise<SealResult & { deferred?: true }> => {
    await opening;
    materializeCodeHash(input);
    materializeCodeHash(recovered);
    let batch = [...input];
    // Spilled by an earlier page: accounted only if this write succeeds; they stay in localStorage otherwise.
    const spilled: QuotaDrops = recoveredDrops ?? {};
    const fromSpills = recovered.length > 0 || spilled.deleted !== undefined || spilled.shed !== undefined;
    let lastError: unknown;
    /** Deletion rounds made per rank floor during this write. */
    const rounds = new Map<number, number>();
    for (let attempt = 0; attempt < 48; attempt++) {
      if (reopenNeeded && backend?.kind === 'indexeddb') {
        reopenNeeded = false;
        backend.close();
        await open();
      }
      const current = backend!;
      // Taken out while in use, so two concurrent writes never account for the same drops twice.
      const own = pendingDrops;
      pendingDrops = {};
      try {
        return await current.append(batch, ctx(), decisions, { drops: mergeQuotaDrops(own, spilled), recovered });
      } catch (error) {
        pendingDrops = mergeQuotaDrops(pendingDrops, own);
        lastError = error;
        if (current.kind === 'memory') throw error;
        const name = (error as { name?: unknown } | null)?.name;
        if (name === 'InvalidStateError') {
          reopenNeeded = true; // connection closed under us (versionchange, storage cleared)
          continue;
        }
        if (name !== 'QuotaExceededError') {
          if (attempt >= 3) break;
          continue;
        }
        // Only the marker is left to write: never delete for it (that would make new holes to
        // account for); keep the counts for the next write that succeeds.
        const mustStore = [...batch, ...recovered].map((e) => retentionRank(e.type, e.severity));
        if (mustStore.length === 0) return { sealed: [], disabled: [], deferred: true };
        // Room is made only at the expense of events ranked no higher than the least important
        // event this write must store.
        const floor = Math.min(...mustStore);
        // Chromium frees quota after deletions only in steps (measured), so delete in growing
        // rounds, at most four per level: a bounded loss, not the whole store.
        const round = rounds.get(floor) ?? 0;
        if (round < 4) {
          rounds.set(floor, round + 1);
          let deleted: DropSummary | undefined;
          try {
            // Over quota Chromium refuses every transaction that writes; a delete-only one passes.
            deleted = await current.deleteForRoom(Math.max(mustStore.length, 10) * 2 ** round, floor);
          } catch { /* counts as a round */ }
          if (deleted) {
            tally.deleted += deleted.entries;
            tally.deletedSecurity += deleted.securityEntries;
            pendingDrops = mergeQuotaDrops(pendingDrops, { deleted });
            continue;
          }
        }
        // Deleting at this level did not help. Routine events of this write may be shed (counted in
        // the marker); security events are never shed: they go to the memory fallback below.
        const atFloor = batch.filter((e) => retentionRank(e.type, e.severity) === floor);
        if (atFloor.length > 0 && floor < 4 && decisions.length === 0) {
          batch = batch.filter((e) => retentionRank(e.type, e.severity) !== floor);
          tally.notStored += atFloor.length;
          pendingDrops = mergeQuotaDrops(pendingDrops, { shed: summarize(atFloor) });
          continue;
        }
        // Only spills of earlier pages are left: keep them in localStorage for a later attempt.
        if (batch.length === 0 && decisions.length === 0) return { sealed: [], disabled: [], deferred: true };
        break;
      }
    }
    // Deleted from IndexedDB but not yet accounted there: leave the counts for a later page.
    if (pendingDrops.deleted) spills.save({ events: [], deleted: pendingDrops.deleted });
    const shed = pendingDrops.shed;
    pendingDrops = {};
    degrade('write failed', lastError);
    // New events go to memory; spills of earlier pages stay in localStorage for a page that can store them.
    const result = await backend!.append(batch, ctx(), decisions, shed ? { drops: { shed } } : {});
    return fromSpills ? { ...result, deferred: true } : result;
  };

  /**
   * Writes what is queued: everything when `drainAll` (flush, hidden page, dispose), else one batch.
   * Events recorded during that write wait for the next one, scheduled like any record(): a write
   * that took whatever arrived while the last one ran would make batches of a few events under
   * steady traffic, and a transaction costs the browser far more than the records in it.
   */
  const drainQueue = async (): Promise<void> => {
    // A marker that could not be written before (quota) goes with the next write, or alone here.
    if (queue.length === 0 && (pendingDrops.deleted || pendingDrops.shed) && backend?.kind === 'indexeddb') {
      deliver(await write([]), false);
    }
    for (let first = true; queue.length > 0 && (drainAll || first); first = false) {
      const batch = queue.splice(0, maxSize);
      inFlight = batch;
      try {
        deliver(await write(batch), false);
      } catch (error) {
        // Only the memory backend can land here, and it does not fail on valid input; keep the
        // events rather than drop them.
        queue.unshift(...batch);
        warnOnce(`quickcage audit log: writing events failed (${String(error)}).`);
        throw error;
      } finally {
        inFlight = [];
      }
    }
  };

  /** `all`: write everything queued, also when joining a write already under way. */
  const startWrite = (all = false): Promise<void> => {
    batchTimer?.cancel();
    batchTimer = undefined;
    if (all) drainAll = true;
    writing ??= drainQueue().finally(() => {
      writing = undefined;
      drainAll = false;
      // What was recorded meanwhile is scheduled as record() would have: at once when it holds an
      // urgent event or a full batch, else after the batch delay.
      if (queue.length > 0 && !disposed) schedule(queue.some((e) => severityRank(e.severity) >= 2) ? 'high' : 'low');
    });
    return writing;
  };

  const schedule = (severity: Severity) => {
    if (disposed) return;
    if (queue.length >= maxSize || severityRank(severity) >= 2 || maxDelayMs === 0) {
      queueMicrotask(() => { startWrite().catch(() => undefined); });
      return;
    }
    if (batchTimer || writing) return; // the running write drains everything queued meanwhile
    const fire = () => { batchTimer = undefined; startWrite().catch(() => undefined); };
    // Collect for half the delay first, then write at the next idle moment within the other half. An
    // idle callback alone fires in the first gap between two runs, so back-to-back runs each paid a
    // transaction of their own (one event per batch); now a batch takes every run of that time.
    const half = Math.floor(maxDelayMs / 2);
    let cancel = () => {};
    const handle = setTimeout(() => {
      if (typeof requestIdleCallback === 'function') {
        const idle = requestIdleCallback(fire, { timeout: Math.max(1, maxDelayMs - half) });
        cancel = () => cancelIdleCallback(idle);
      } else {
        fire();
      }
    }, half);
    cancel = () => clearTimeout(handle);
    batchTimer = { cancel: () => cancel() };
  };

  const scheduleAggregateTimer = () => {
    if (!aggregator || aggregateTimer !== undefined || disposed) return;
    const deadline = aggregator.nextDeadline();
    if (deadline === undefined) return;
    const delay = Math.min(Math.max(deadline - now(), 0), aggregateConfig ? aggregateConfig.windowMs : 60_000);
    aggregateTimer = setTimeout(() => {
      aggregateTimer = undefined;
      const closed = aggregator.drain(now(), false);
      if (closed.length > 0) {
        queue.push(...closed);
        schedule(closed[0]!.severity);
      }
      scheduleAggregateTimer();
    }, delay);
  };

  const flush = async (): Promise<void> => {
    await ready;
    if (aggregator) queue.push(...aggregator.drain(now(), true));
    if (writing) await writing.catch(() => undefined);
    await startWrite(true);
  };
  /** Hands over the tally (only the public flush() does: queries flush too, and must not take it). */
  const takeReport = (): FlushReport => {
    const report = tally;
    tally = { stored: 0, memoryOnly: 0, deleted: 0, deletedSecurity: 0, notStored: 0 };
    return { ...report, complete: report.memoryOnly === 0 && report.deleted === 0 && report.notStored === 0 };
  };

  // ---- spills of earlier pages
  /**
   * Seals what earlier pages spilled (localStorage and the pending store), then forgets the spills.
   * Under a Web Lock so two tabs do not both account for the same spilled drop counts (spilled
   * events are also deduplicated by id).
   */
  const recoverSpills = async (): Promise<void> => {
    if (backend?.kind !== 'indexeddb') return; // keep spills for a page that can store them
    await spills.underLock(async () => {
      const { keys, events: recovered, drops } = spills.readAll();
      const result = await write([], { recovered, drops });
      deliver(result, false);
      if (result.deferred) return; // not stored (quota): keep the spills for a later attempt
      spills.remove(keys);
    });
  };

  // ---- page lifecycle
  const onVisibility = () => {
    if (document.visibilityState === 'hidden') flush().catch(() => undefined);
  };
  /**
   * Saves what is not stored yet when the page goes away. localStorage first: `setItem` hands the
   * data to the browser process synchronously, while an IndexedDB transaction started in
   * `pagehide` is often aborted by the unload (measured in Chromium, even after `commit()`).
   * In-flight events are saved too: their transaction may be cut short. If it commits after all,
   * sealing skips the duplicates by id.
   */
  const onPageHide = () => {
    const pending = [...inFlight, ...queue, ...(aggregator ? aggregator.drain(now(), true) : [])];
    if (pending.length === 0 && !pendingDrops.deleted) return;
    materializeCodeHash(pending);
    const deleted = pendingDrops.deleted;
    if (spills.save(deleted ? { events: pending, deleted } : { events: pending })) {
      queue = [];
      pendingDrops = { ...(pendingDrops.shed ? { shed: pendingDrops.shed } : {}) };
    } else if (backend?.spill(pending)) queue = [];
  };
  const onPageShow = (event: PageTransitionEvent) => {
    // Back from the bfcache: the page lives on; seal what pagehide saved.
    if (event.persisted) recoverSpills().catch(() => undefined);
  };
  const onStorage = (event: StorageEvent) => {
    // Another tab of the origin went away and saved events: a tab that is still open stores them
    // now rather than when a log is next opened.
    if (event.key !== null && spills.owns(event.key) && event.newValue !== null && !disposed) ready.then(recoverSpills).catch(() => undefined);
  };
  if (lifecycle) {
    document.addEventListener('visibilitychange', onVisibility);
    addEventListener('pagehide', onPageHide);
    addEventListener('pageshow', onPageShow);
    addEventListener('storage', onStorage);
  }

  const assertLive = (method: string) => {
    if (disposed) throw new DisposedError(`The audit log was disposed; \`${method}()\` is no longer available`);
  };

  opening = open();
  // Seal what earlier pages spilled on pagehide (or lost in flight) before `ready` resolves.
  ready = opening.then(recoverSpills).catch(() => undefined);

  const log: AuditLog = {
    ready,
    get degraded() { return degraded; },
    get storage() { return backend?.kind ?? 'opening'; },

    record(input) {
      try {
        if (disposed) {
          warnOnce('quickcage audit log: record() after dispose(); the event was not stored.');
          return undefined;
        }
        const problem = describeInputProblem(input);
        const prepared = problem === undefined
          ? prepare(input)
          // Never throw at the caller, never drop silently: the malformed event itself becomes evidence.
          : prepare({ type: 'audit_degraded', severity: 'medium', details: { reason: 'invalid event', problem, received: input as unknown as Record<string, unknown> } });
        const { store: out, id } = aggregator ? aggregator.admit(prepared) : { store: [prepared], id: prepared.id };
        if (out.length === 0) {
          scheduleAggregateTimer();
          return id;
        }
        queue.push(...out);
        schedule(prepared.severity);
        scheduleAggregateTimer();
        return id;
      } catch (error) {
        warnOnce(`quickcage audit log: record() failed internally (${String(error)}).`);
        try {
          const degradedEvent = prepare({ type: 'audit_degraded', severity: 'medium', details: { reason: 'record failed', error: String(error) } });
          queue.push(degradedEvent);
          schedule('medium');
          return degradedEvent.id;
        } catch { /* nothing more can be done without throwing at the caller */ }
        return undefined;
      }
    },

    async flush() {
      if (!disposed) await flush();
      return takeReport();
    },

    async query(filter) {
      assertLive('query');
      const q = normalizeQuery(filter, 100, 'desc');
      await flush();
      return backend!.query(q);
    },

    async hourlySummary(range) {
      assertLive('hourlySummary');
      const q = normalizeQuery(range, Number.MAX_SAFE_INTEGER, 'asc', 'range');
      await flush();
      return hourlyBuckets(await backend!.query(q));
    },

    async riskScore(user, options = {}) {
      assertLive('riskScore');
      const id = checkId('user', user);
      checkOptions('options', options, ['now']);
      const at = options.now === undefined ? now() : checkTime('options.now', options.now);
      await flush();
      const events = await backend!.query({ user: id, since: at - riskLookbackMs(risk), until: at, limit: Number.MAX_SAFE_INTEGER, order: 'desc' });
      return computeRisk(id, events, at, risk);
    },

    async exportJsonl(filter) {
      assertLive('exportJsonl');
      const q = normalizeQuery(filter, Number.MAX_SAFE_INTEGER, 'asc');
      await flush();
      const events = await backend!.query(q);
      return events.map((event) => `${toJsonLine(event)}\n`).join('');
    },

    async verify() {
      assertLive('verify');
      await flush();
      const { records, head } = await backend!.readChain();
      // Events this tab deleted for quota whose marker could not be written yet are not tampering.
      return verifyChain(records, head, pendingDrops.deleted?.entries ?? 0);
    },

    subscribe(listener) {
      if (typeof listener !== 'function') throw invalidArgument('listener', 'a function', listener);
      listeners.add(listener);
      return () => { listeners.delete(listener); };
    },

    isDisabled(kind, id) {
      const k = checkKind(kind);
      return disabledCache.get(disabledKey(k, checkId('id', id)))?.disabled === true;
    },

    disabledEntries() {
      return [...disabledCache.values()].map((entry) => ({ ...entry }));
    },

    async disable(kind, id, options = {}) {
      assertLive('disable');
      const k = checkKind(kind);
      const name = checkId('id', id);
      checkOptions('options', options, ['reason', 'by']);
      const reason = options.reason === undefined ? 'disabled by operator' : checkId('options.reason', options.reason);
      const by = options.by === undefined ? undefined : checkId('options.by', options.by);
      const decision: DisabledEntry = { kind: k, id: name, disabled: true, reason, since: now(), ...(by === undefined ? {} : { by }) };
      const event = prepare({
        type: k === 'user' ? 'user_disabled' : 'tool_disabled', severity: 'high',
        ...(k === 'user' ? { user: name } : { tool: name }),
        details: { reason, automatic: false, ...(by === undefined ? {} : { by }) },
      });
      await flush();
      const result = await write([event], { decisions: [decision] });
      deliver({ sealed: result.sealed, disabled: [...result.disabled, decision] }, false);
    },

    async enable(kind, id, options = {}) {
      assertLive('enable');
      const k = checkKind(kind);
      const name = checkId('id', id);
      checkOptions('options', options, ['by']);
      const by = options.by === undefined ? undefined : checkId('options.by', options.by);
      const at = now();
      const decision: DisabledEntry = { kind: k, id: name, disabled: false, since: at, enabledAt: at, ...(by === undefined ? {} : { by }) };
      const event = prepare({
        type: k === 'user' ? 'user_enabled' : 'tool_enabled', severity: 'medium',
        ...(k === 'user' ? { user: name } : { tool: name }),
        details: { action: 'enable', kind: k, id: name, ...(by === undefined ? {} : { by }) },
      });
      await flush();
      const result = await write([event], { decisions: [decision] });
      deliver({ sealed: result.sealed, disabled: [...result.disabled, decision] }, false);
    },

    async dispose() {
      if (disposed) return;
      await flush().catch(() => undefined);
      disposed = true;
      batchTimer?.cancel();
      if (aggregateTimer !== undefined) clearTimeout(aggregateTimer);
      if (lifecycle) {
        document.removeEventListener('visibilitychange', onVisibility);
        removeEventListener('pagehide', onPageHide);
        removeEventListener('pageshow', onPageShow);
        removeEventListener('storage', onStorage);
      }
      channel?.close();
      listeners.clear();
      backend?.close();
    },
    [Symbol.asyncDispose]() {
      return log.dispose();
    },
  };
  Object.defineProperty(log, ACCEPTS_CODE_SOURCE, { value: true });
  return log;
}

/**
 * The OTLP exporter: sends the audit trail to an OpenTelemetry collector as OTLP/HTTP JSON log
 * records, at least once.
 *
 * Life of a record: the audit log seals an event and hands it to its subscribers; the exporter maps
 * it (mapping.ts) and keeps it in memory for one microtask, then puts it in the IndexedDB outbox
 * (outbox.ts, keyed by the event id). A sender takes the oldest `batchSize` records, POSTs them to
 * the collector URL and deletes them only when the collector answered 2xx. A network error, 408,
 * 429 or 5xx leaves them in the outbox and retries after an exponential backoff with jitter
 * (`Retry-After` is honoured); 413 halves the batch; 400 means the collector will never take that
 * batch: it is dropped and the drop audited. On `pagehide` what is not in the outbox yet goes to
 * localStorage (synchronous, survives the unload; the next page puts it in the outbox) and one final
 * batch goes out with a keepalive fetch (a beacon, without the credentials `sendBeacon` always sends). Duplicates are possible by design (a beacon, a reply
 * lost after the collector stored the batch): every record carries the event id as `log.record.uid`
 * for the collector to deduplicate. Only the configured URL is ever contacted, without credentials
 * and without following redirects.
 */
import type { AuditEvent } from '../audit/model.js';
import type { SecurityEventInput } from '../audit/types.js';
import { DisposedError, invalidArgument } from '../errors.js';
import { isPlainObject } from '../internal/checks.js';
import { encodeLogsRequest, toOtlpRecord, type OtlpRecord } from './mapping.js';
import { resolveExporterOptions, type OtlpExporterOptions } from './options.js';
import { openOutbox, type Outbox } from './outbox.js';
import { randomId } from '../internal/ids.js';

export { OTLP_EXPORTER_DEFAULTS, type OtlpExporterOptions } from './options.js';

/** Counters of {@link OtlpExporter.stats}, since the exporter was created. */
export interface OtlpExporterStats {
  /** Records the collector acknowledged. */
  sent: number;
  /** Requests that failed and will be retried. */
  failures: number;
  /** Records dropped because the outbox was full (all pages and tabs of this outbox, ever). */
  dropped: number;
  /** Records the collector rejected as malformed (HTTP 400): dropped, audited. */
  rejected: number;
  /** Records waiting: in the outbox plus in memory. */
  pending: number;
  /** Epoch ms of the next retry, when one is scheduled. */
  nextAttemptAt?: number;
  /** The last failure, e.g. `HTTP 503` or `TypeError: Failed to fetch`. */
  lastError?: string;
}

/** The exporter. Dispose it to stop listening and sending (the outbox keeps what is unsent). */
export interface OtlpExporter extends AsyncDisposable {
  /** Resolves when the outbox is open and earlier pages' spills are recovered. Never rejects. */
  readonly ready: Promise<void>;
  /** `indexeddb`, `memory` (lost with the page), or `opening`. */
  readonly storage: 'indexeddb' | 'memory' | 'opening';
  /**
   * Exports events by hand (when no `log` is given, or for events from elsewhere). Synchronous; never throws
   * for a stored event.
   * @throws {InvalidArgumentError} `INVALID_ARGUMENT` when `events` is not an array of audit events.
   * @throws {DisposedError} `DISPOSED` after `dispose()`.
   */
  enqueue(events: readonly AuditEvent[]): void;
  /**
   * Moves what is in memory to the outbox and sends now (skipping a pending backoff) until the
   * outbox is empty or a send fails. Resolves with the stats; never rejects for a network failure.
   * @throws {DisposedError} `DISPOSED` (rejects) after `dispose()`.
   */
  flush(): Promise<OtlpExporterStats>;
  /** The counters (pending counts the outbox as of the last read). */
  stats(): OtlpExporterStats;
  /** Stops listening, timers and sending; unsent records stay in the outbox for the next page. Idempotent. */
  dispose(): Promise<void>;
}

/** keepalive requests share a 64 KiB in-flight budget per page; stay under it with room for others. */
const BEACON_MAX_BYTES = 60_000;
/** Least time between two `events_dropped` reports of a full outbox. */
const DROP_REPORT_MS = 60_000;

/** A failed send is retried when the collector may take the same batch later. */
const retryable = (status: number): boolean => status === 408 || status === 429 || status >= 500 || status === 401 || status === 403 || status === 404;

/** Retry-After in ms (seconds or an HTTP date), or undefined. */
function retryAfterMs(header: string | null, at: number): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, date - at) : undefined;
}

/**
 * Creates an exporter that sends audit events to an OpenTelemetry collector (OTLP/HTTP, JSON),
 * durably and at least once. See docs/fleet.md for the collector side.
 *
 * @throws {InvalidArgumentError} `INVALID_ARGUMENT` for a missing or bad `url`, an unknown option or a bad value (the message names it).
 */
export function createOtlpExporter(options: OtlpExporterOptions): OtlpExporter {
  const { url, source, headers, user, batchSize, maxOutbox, initialMs, maxMs, dbName, factory, lifecycle, log } = resolveExporterOptions(options);

  let outbox: Outbox | undefined;
  let disposed = false;
  /** Mapped records not yet in the outbox, and those in the put that is running. */
  let pending: OtlpRecord[] = [];
  let writingBatch: OtlpRecord[] = [];
  let writing: Promise<void> | undefined;
  let writeQueued = false;
  /** The batch the sender read last: what the final beacon resends when nothing newer is in memory. */
  let lastPeek: OtlpRecord[] = [];
  let sending: Promise<void> | undefined;
  let backoff: { timer: ReturnType<typeof setTimeout>; at: number } | undefined;
  let attempt = 0;
  let currentBatch = batchSize;
  let outboxSize = 0;
  const stats = { sent: 0, failures: 0, dropped: 0, rejected: 0, lastError: undefined as string | undefined };
  const inflight = new Set<AbortController>();

  const audit = (event: SecurityEventInput) => {
    try { log?.record?.(event); } catch { /* a sink must not throw; the count is in stats either way */ }
  };

  // ---- localStorage spills of earlier pages (what was not in the outbox yet at pagehide)
  const spillPrefix = `quickcage-otel:${dbName}:spill:`;
  const recoverSpills = async () => {
    const keys: string[] = [];
    const records: OtlpRecord[] = [];
    try {
      for (let i = 0; i < localStorage.length; i++) {
        const key = localStorage.key(i);
        if (key?.startsWith(spillPrefix)) keys.push(key);
      }
      for (const key of keys) {
        try {
          const value: unknown = JSON.parse(localStorage.getItem(key) ?? '[]');
          // Same origin, but still input: keep only records of the stored shape.
          if (Array.isArray(value)) records.push(...value.filter((r): r is OtlpRecord => isPlainObject(r) && typeof r.id === 'string' && typeof r.time === 'number' && isPlainObject(r.attributes)));
        } catch { /* a corrupt spill must not stop the others */ }
      }
    } catch {
      return; // no localStorage in this context
    }
    if (records.length > 0) await putRecords(records);
    try { for (const key of keys) localStorage.removeItem(key); } catch { /* nothing to clean */ }
  };

  /**
   * Drops are audited as `events_dropped` (entries: drops since the last report, total: ever), at
   * once for the first, then at most once per DROP_REPORT_MS and whenever the outbox drains. Threat
   * of reporting each drop: the report is itself exported, so a full outbox would drop one record
   * per report, forever.
   */
  let unreported = 0;
  let lastReportAt = -Infinity;
  let reportTimer: ReturnType<typeof setTimeout> | undefined;
  const reportDrops = () => {
    if (reportTimer !== undefined) clearTimeout(reportTimer);
    reportTimer = undefined;
    if (unreported === 0) return;
    audit({ type: 'events_dropped', severity: 'high', details: { reason: 'otlp_outbox_full', entries: unreported, total: stats.dropped, maxOutbox, collector: url } });
    unreported = 0;
    lastReportAt = Date.now();
  };
  const putRecords = async (records: OtlpRecord[]) => {
    const result = await outbox!.put(records);
    stats.dropped = result.droppedTotal;
    if (result.dropped === 0) return;
    unreported += result.dropped;
    const wait = lastReportAt + DROP_REPORT_MS - Date.now();
    if (wait <= 0) reportDrops();
    else if (reportTimer === undefined && !disposed) reportTimer = setTimeout(reportDrops, wait);
  };

  const ready: Promise<void> = openOutbox(dbName, maxOutbox, factory)
    .then(async (opened) => {
      outbox = opened;
      if (opened.fallback) {
        audit({ type: 'audit_degraded', severity: 'high', details: { reason: 'otlp outbox in memory', collector: url, storage: opened.fallback.reason, error: opened.fallback.detail } });
      }
      await recoverSpills();
      outboxSize = await opened.size();
    })
    .catch(() => undefined)
    .then(() => { if (!disposed) kick(); });

  const writePending = (): Promise<void> => {
    writing ??= (async () => {
      await ready;
      while (pending.length > 0 && outbox) {
        writingBatch = pending.splice(0, 2_000);
        try {
          await putRecords(writingBatch);
        } catch (error) {
          // The database went away (closed by another version, storage cleared): keep the records.
          pending.unshift(...writingBatch);
          stats.lastError = `outbox: ${String(error)}`;
          break;
        } finally {
          writingBatch = [];
        }
      }
    })().finally(() => { writing = undefined; });
    return writing;
  };

  const scheduleWrite = () => {
    if (writeQueued) return;
    writeQueued = true;
    queueMicrotask(() => {
      writeQueued = false;
      void writePending().then(() => kick());
    });
  };

  /** Starts a send pass unless one runs or a backoff is pending. */
  const kick = () => {
    if (disposed || sending || backoff) return;
    sending = sendPass().finally(() => { sending = undefined; });
  };

  const retryIn = (delay: number) => {
    const at = Date.now() + delay;
    backoff = { at, timer: setTimeout(() => { backoff = undefined; kick(); }, delay) };
  };
  /** After a failure: exponential backoff with equal jitter (a fleet that failed together does not retry together). */
  const scheduleRetry = (hintMs?: number) => {
    attempt += 1;
    const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt - 1, 30));
    retryIn(Math.max(hintMs ?? 0, ceiling / 2 + Math.random() * (ceiling / 2)));
  };

  /** POSTs one batch. Only `url`; no cookies, no redirects (a redirect would contact another host). */
  const post = async (body: Uint8Array): Promise<Response> => {
    const controller = new AbortController();
    inflight.add(controller);
    try {
      return await fetch(url, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: body as BodyInit,
        credentials: 'omit',
        redirect: 'error',
        referrerPolicy: 'no-referrer',
        cache: 'no-store',
        signal: controller.signal,
      });
    } finally {
      inflight.delete(controller);
    }
  };

  const sendPass = async (): Promise<void> => {
    await ready;
    const run = async () => {
      while (!disposed && outbox) {
        const records = await outbox.peek(currentBatch);
        outboxSize = await outbox.size();
        if (records.length === 0) {
          reportDrops(); // drained: say now what was dropped since the last report
          return;
        }
        lastPeek = records;
        let response: Response;
        try {
          response = await post(encodeLogsRequest(records, source));
        } catch (error) {
          if (disposed) return;
          stats.failures += 1;
          stats.lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
          scheduleRetry();
          return;
        }
        if (response.ok) {
          // Read (and so release) the body; partial success is reported by the collector as rejected records.
          const text = await response.text().catch(() => '');
          const partial = parsePartialSuccess(text);
          await outbox.remove(records.map((r) => r.id));
          stats.sent += records.length - partial;
          if (partial > 0) {
            stats.rejected += partial;
            audit({ type: 'events_dropped', severity: 'high', details: { reason: 'otlp_partial_success', entries: partial, collector: url } });
          }
          attempt = 0;
          currentBatch = batchSize;
          stats.lastError = undefined;
          continue;
        }
        void response.body?.cancel().catch(() => undefined);
        if (response.status === 413 && currentBatch > 1) {
          currentBatch = Math.max(1, Math.floor(records.length / 2));
          continue;
        }
        if (!retryable(response.status)) {
          // The collector will never accept this batch (malformed for it): drop it, loudly.
          await outbox.remove(records.map((r) => r.id));
          stats.rejected += records.length;
          audit({ type: 'events_dropped', severity: 'high', details: { reason: 'otlp_rejected', status: response.status, entries: records.length, collector: url } });
          continue;
        }
        stats.failures += 1;
        stats.lastError = `HTTP ${response.status}`;
        scheduleRetry(retryAfterMs(response.headers.get('retry-after'), Date.now()));
        return;
      }
    };
    try {
      // One sender per outbox across tabs; a tab that does not get the lock leaves the work to the holder.
      if (typeof navigator !== 'undefined' && navigator.locks) {
        await navigator.locks.request(`quickcage-otel-send:${dbName}`, { ifAvailable: true }, async (lock) => {
          if (lock) await run();
          else retryIn(initialMs); // another tab is sending; not a failure, so no backoff growth
        });
      } else {
        await run();
      }
    } catch (error) {
      stats.lastError = `outbox: ${String(error)}`;
      if (!disposed && !backoff) scheduleRetry();
    }
  };

  const onEvent = (event: AuditEvent) => {
    if (disposed) return;
    pending.push(toOtlpRecord(event, user, Date.now()));
    scheduleWrite();
  };
  const unsubscribe = log?.subscribe(onEvent);

  // ---- page lifecycle
  const onPageHide = () => {
    const unsent = [...writingBatch, ...pending];
    if (unsent.length > 0) {
      try {
        localStorage.setItem(`${spillPrefix}${randomId()}`, JSON.stringify(unsent));
        pending = [];
      } catch { /* full or forbidden: the beacon below is the last chance */ }
    }
    // A final batch with the beacon: the newest records when some were not in the outbox yet, else
    // the batch the sender was working on. Unacknowledged either way, so the outbox keeps them.
    const candidates = unsent.length > 0 ? unsent : lastPeek;
    if (candidates.length === 0) return;
    let count = Math.min(candidates.length, currentBatch);
    let body = encodeLogsRequest(candidates.slice(0, count), source);
    while (body.byteLength > BEACON_MAX_BYTES && count > 1) {
      count = Math.floor(count / 2);
      body = encodeLogsRequest(candidates.slice(0, count), source);
    }
    // A keepalive fetch, not navigator.sendBeacon: both outlive the page, but a beacon always sends
    // credentials, so a cross-origin JSON beacon needs `Access-Control-Allow-Credentials` (measured in
    // Chromium: the preflight passes, the POST never comes), which collectors do not grant. This one
    // omits credentials, follows no redirect and carries `options.headers`.
    try {
      void fetch(url, {
        method: 'POST', keepalive: true, headers: { ...headers, 'content-type': 'application/json' }, body: body as BodyInit,
        credentials: 'omit', redirect: 'error', referrerPolicy: 'no-referrer', cache: 'no-store',
      }).catch(() => undefined);
    } catch { /* refused (keepalive budget, policy): the outbox and the spill still hold the records */ }
  };
  const onVisibility = () => {
    if (document.visibilityState === 'hidden') void writePending();
  };
  const onOnline = () => {
    if (backoff) {
      clearTimeout(backoff.timer);
      backoff = undefined;
    }
    kick();
  };
  if (lifecycle) {
    addEventListener('pagehide', onPageHide);
    addEventListener('online', onOnline);
    document.addEventListener('visibilitychange', onVisibility);
  }

  const snapshot = (): OtlpExporterStats => ({
    sent: stats.sent,
    failures: stats.failures,
    dropped: stats.dropped,
    rejected: stats.rejected,
    pending: outboxSize + pending.length + writingBatch.length,
    ...(backoff ? { nextAttemptAt: backoff.at } : {}),
    ...(stats.lastError === undefined ? {} : { lastError: stats.lastError }),
  });

  const exporter: OtlpExporter = {
    ready,
    get storage() { return outbox?.kind ?? 'opening'; },
    enqueue(events) {
      if (disposed) throw new DisposedError('The OTLP exporter was disposed; `enqueue()` is no longer available');
      if (!Array.isArray(events)) throw invalidArgument('events', 'an array of audit events', events);
      events.forEach((event: unknown, i) => {
        const e = event as Partial<AuditEvent>;
        if (!isPlainObject(e) || typeof e.id !== 'string' || typeof e.type !== 'string' || typeof e.time !== 'number' || typeof e.severity !== 'string') {
          throw invalidArgument(`events[${i}]`, 'an audit event (from AuditLog.query or subscribe)', event);
        }
      });
      for (const event of events) onEvent(event);
    },
    async flush() {
      if (disposed) throw new DisposedError('The OTLP exporter was disposed; `flush()` is no longer available');
      await writePending();
      if (sending) await sending;
      if (backoff) {
        clearTimeout(backoff.timer);
        backoff = undefined;
      }
      kick();
      if (sending) await sending;
      return snapshot();
    },
    stats: snapshot,
    async dispose() {
      if (disposed) return;
      unsubscribe?.();
      await writePending().catch(() => undefined);
      disposed = true;
      if (backoff) clearTimeout(backoff.timer);
      backoff = undefined;
      reportDrops();
      for (const controller of inflight) controller.abort();
      await sending?.catch(() => undefined);
      if (lifecycle) {
        removeEventListener('pagehide', onPageHide);
        removeEventListener('online', onOnline);
        document.removeEventListener('visibilitychange', onVisibility);
      }
      outbox?.close();
    },
    [Symbol.asyncDispose]() { return exporter.dispose(); },
  };
  return exporter;
}

/** `partialSuccess.rejectedLogRecords` of an OTLP JSON response, 0 when absent or unreadable. */
function parsePartialSuccess(text: string): number {
  if (text === '') return 0;
  try {
    const value: unknown = JSON.parse(text);
    const rejected = isPlainObject(value) && isPlainObject(value.partialSuccess) ? Number(value.partialSuccess.rejectedLogRecords ?? 0) : 0;
    return Number.isInteger(rejected) && rejected > 0 ? rejected : 0;
  } catch {
    return 0;
  }
}

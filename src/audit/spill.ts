/**
 * Spills: what a page saves for a later page when it cannot seal its events itself (at `pagehide`,
 * a transaction is often aborted by the unload; see docs/design/audit-durability.md). A spill is a
 * localStorage entry of JSON `{ events, deleted? }`; reading one back is input checking (a corrupt
 * entry must not break the log). The log (log.ts) writes them on `pagehide` and seals them when
 * it opens, on `pageshow` from the bfcache and on another tab's `storage` event.
 */
import { isPlainObject } from '../internal/checks.js';
import type { DropSummary, QuotaDrops } from './chain.js';
import { isEventType, isSeverity, type PreparedEvent } from './model.js';

export function mergeDrops(a: DropSummary | undefined, b: DropSummary | undefined): DropSummary | undefined {
  if (!a || !b) return a ?? b;
  const add = (x: Record<string, number>, y: Record<string, number>) => {
    const out = { ...x };
    for (const [key, value] of Object.entries(y)) out[key] = (out[key] ?? 0) + value;
    return out;
  };
  return {
    entries: a.entries + b.entries, securityEntries: a.securityEntries + b.securityEntries,
    bySeverity: add(a.bySeverity, b.bySeverity), byType: add(a.byType, b.byType),
    oldest: Math.min(a.oldest, b.oldest), newest: Math.max(a.newest, b.newest),
  };
}

export function mergeQuotaDrops(a: QuotaDrops, b: QuotaDrops): QuotaDrops {
  const out: QuotaDrops = {};
  const deleted = mergeDrops(a.deleted, b.deleted), shed = mergeDrops(a.shed, b.shed);
  if (deleted) out.deleted = deleted;
  if (shed) out.shed = shed;
  return out;
}

/** What a page saves on `pagehide` (or when it falls back to memory) for a later page to store. */
export interface Spill {
  events: PreparedEvent[];
  /** Events a quota recovery deleted whose events_dropped marker was not written yet. */
  deleted?: DropSummary;
}

/**
 * Reads a localStorage spill back, keeping only well-formed events (same origin, but a spill is
 * still input: a corrupt entry must not break the log).
 */
export function parseSpill(text: string | null): Spill {
  let value: unknown;
  try {
    value = JSON.parse(text ?? '{}');
  } catch {
    return { events: [] };
  }
  if (!isPlainObject(value) || !Array.isArray(value.events)) return { events: [] };
  const optionalString = (v: unknown) => v === undefined || typeof v === 'string';
  const count = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  const events = value.events.filter((e): e is PreparedEvent => isPlainObject(e)
    && typeof e.id === 'string' && typeof e.time === 'number' && Number.isFinite(e.time)
    && isEventType(e.type) && isSeverity(e.severity) && typeof e.count === 'number' && Number.isInteger(e.count) && e.count >= 1
    && optionalString(e.user) && optionalString(e.agent) && optionalString(e.tool) && optionalString(e.runId) && optionalString(e.codeHash)
    && (e.details === undefined || isPlainObject(e.details)));
  const d = value.deleted;
  const deleted = isPlainObject(d) && count(d.entries) && (d.entries as number) > 0 && count(d.securityEntries)
    && isPlainObject(d.bySeverity) && isPlainObject(d.byType) && typeof d.oldest === 'number' && typeof d.newest === 'number'
    ? d as unknown as DropSummary : undefined;
  return deleted ? { events, deleted } : { events };
}

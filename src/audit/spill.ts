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

/** The localStorage side of spills for one audit database (key prefix `quickcage-audit:<db>:spill:`). */
export class SpillStore {
  private readonly prefix: string;

  constructor(private readonly dbName: string, private readonly newId: () => string) {
    this.prefix = `quickcage-audit:${dbName}:spill:`;
  }

  /** True when `key` is one of this database's spills (another tab's `storage` event). */
  owns(key: string): boolean {
    return key.startsWith(this.prefix);
  }

  /** Saves a spill. False when localStorage is full or forbidden (a sandboxed frame): the caller falls back to an IndexedDB spill. */
  save(spill: Spill): boolean {
    try {
      localStorage.setItem(`${this.prefix}${this.newId()}`, JSON.stringify(spill));
      return true;
    } catch {
      return false;
    }
  }

  /** Every spill of this database, read back and checked, with the keys to remove once they are sealed. */
  readAll(): { keys: string[]; events: PreparedEvent[]; drops: QuotaDrops } {
    const keys: string[] = [];
    const events: PreparedEvent[] = [];
    let drops: QuotaDrops = {};
    try {
      for (let i = 0; i < localStorage.length; i++) {
        const key = localStorage.key(i);
        if (key !== null && this.owns(key)) keys.push(key);
      }
      for (const key of keys) {
        const spill = parseSpill(localStorage.getItem(key));
        events.push(...spill.events);
        if (spill.deleted) drops = mergeQuotaDrops(drops, { deleted: spill.deleted });
      }
    } catch { /* no localStorage here */ }
    return { keys, events, drops };
  }

  /** Forgets sealed spills. */
  remove(keys: readonly string[]): void {
    try {
      for (const key of keys) localStorage.removeItem(key);
    } catch { /* nothing to clean */ }
  }

  /**
   * Runs `recover` under a Web Lock, so two tabs do not both account for the same spilled drop
   * counts (spilled events are also deduplicated by id when sealed).
   */
  async underLock(recover: () => Promise<void>): Promise<void> {
    if (typeof navigator !== 'undefined' && navigator.locks) await navigator.locks.request(`quickcage-audit-recover:${this.dbName}`, recover);
    else await recover();
  }
}

/**
 * The stored shape of audit events, the documented severity mapping, the event classes used by
 * retention, risk and auto-disable, and the sanitizer that caps guest-originated fields.
 */
import { canonicalJson } from '../internal/json.js';
import { EVENT_TYPES, SEVERITIES, type SecurityEventInput, type SecurityEventType, type Severity } from './types.js';

/** A JSON value as stored in `details` (plain data only, no `undefined`, no non-finite numbers). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One stored audit event. Every field but the optional ones is always present. */
export interface AuditEvent {
  /** Position in the hash chain, 1-based, assigned when the event is sealed (written). */
  seq: number;
  /** Random UUID assigned by `record()`. */
  id: string;
  /** Epoch ms when `record()` accepted the event (for an aggregate: its last occurrence). */
  time: number;
  type: SecurityEventType;
  severity: Severity;
  /** How many occurrences this entry stands for: 1, or more for a flood aggregate. */
  count: number;
  /** Retention rank (derived from type and severity); lower ranks are dropped first. */
  rank: number;
  user?: string;
  agent?: string;
  tool?: string;
  runId?: string;
  codeHash?: string;
  details?: Record<string, JsonValue>;
  /** Hash of the previous chain entry (64 zeros for the first). */
  prevHash: string;
  /** SHA-256 hex over the canonical JSON of every other field of this event. */
  hash: string;
}

/** An event accepted by `record()` but not yet in the chain (no seq, rank or hashes). */
export type PreparedEvent = Omit<AuditEvent, 'seq' | 'rank' | 'prevHash' | 'hash'>;

/** The chain head, kept in the same transaction as every append. */
export interface ChainHead {
  seq: number;
  hash: string;
  /** Number of full (non-gap) events stored. */
  count: number;
  /** Total events ever turned into gaps by retention. */
  dropped: number;
}

/** Genesis link of the chain. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * Default severity per event type (used when the caller does not pass one). Documented in the
 * table in docs/audit.md; callers may raise or lower it per event.
 */
export const DEFAULT_SEVERITY: Readonly<Record<SecurityEventType, Severity>> = Object.freeze({
  execution: 'low',
  validation_failure: 'medium',
  compilation_error: 'low',
  sandbox_violation: 'high',
  rate_limit_exceeded: 'medium',
  timeout_exceeded: 'medium',
  resource_limit_exceeded: 'medium',
  suspicious_pattern: 'high',
  tool_call: 'low',
  approval: 'low',
  tool_created: 'medium',
  tool_disabled: 'high',
  tool_enabled: 'medium',
  worker_recycled: 'low',
  user_disabled: 'high',
  user_enabled: 'medium',
  permission_revoked: 'medium',
  permission_granted: 'medium',
  audit_degraded: 'high',
  events_dropped: 'medium',
});

/** Routine events: the normal traffic retention drops first. Every other type is a security event. */
export const ROUTINE_TYPES: ReadonlySet<SecurityEventType> = new Set(['execution', 'tool_call', 'compilation_error', 'worker_recycled']);

/** Events that count as a violation by the user or tool named in them (auto-disable and risk). */
export const VIOLATION_TYPES: ReadonlySet<SecurityEventType> = new Set([
  'validation_failure', 'sandbox_violation', 'rate_limit_exceeded', 'timeout_exceeded', 'resource_limit_exceeded', 'suspicious_pattern',
]);

/** The log's own bookkeeping; never counted as something a user did. */
export const ADMIN_TYPES: ReadonlySet<SecurityEventType> = new Set([
  'user_disabled', 'tool_disabled', 'user_enabled', 'tool_enabled', 'permission_revoked', 'permission_granted', 'audit_degraded', 'events_dropped',
]);

/** 0 for low up to 3 for critical. */
export function severityRank(severity: Severity): number {
  return 3 - SEVERITIES.indexOf(severity);
}

/** True when an event is evidence rather than routine traffic: a non-routine type, or severity high or critical. */
export function isSecurityEvent(type: SecurityEventType, severity: Severity): boolean {
  return !ROUTINE_TYPES.has(type) || severityRank(severity) >= 2;
}

/**
 * Drop order of retention: routine events by severity (0..3), then security events by severity (4..7).
 * Within a rank the oldest goes first.
 */
export function retentionRank(type: SecurityEventType, severity: Severity): number {
  return (isSecurityEvent(type, severity) ? 4 : 0) + severityRank(severity);
}

/** True when the event counts toward a user's or tool's violations (risk score, auto-disable). */
export function isViolation(event: Pick<AuditEvent, 'type' | 'severity'>): boolean {
  if (ADMIN_TYPES.has(event.type)) return false;
  return VIOLATION_TYPES.has(event.type) || severityRank(event.severity) >= 2;
}

/** True for one of the event types. */
export const isEventType = (value: unknown): value is SecurityEventType =>
  typeof value === 'string' && (EVENT_TYPES as readonly string[]).includes(value);
/** True for one of the severities. */
export const isSeverity = (value: unknown): value is Severity =>
  typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);

/** Caps on guest-originated fields. Documented in docs/audit.md. */
export const CAPS = Object.freeze({
  /** user, agent, tool */
  name: 256,
  /** runId, codeHash */
  id: 128,
  /** any string inside details */
  string: 2048,
  /** object keys inside details */
  key: 128,
  /** keys per object and items per array inside details */
  entries: 64,
  /** nesting depth of details */
  depth: 6,
  /** JSON length of the whole details object */
  detailsJson: 16 * 1024,
});

/** Cuts `text` to `max` UTF-16 units and says how much was cut, without splitting a surrogate pair. */
export function capString(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…[+${text.length - end} chars]`;
}

/**
 * Turns arbitrary details into capped, JSON-safe plain data. Never throws: getters that throw,
 * cycles, functions, symbols, bigints and non-finite numbers are replaced by descriptive strings.
 * Threat: a guest floods details with megabytes, deep nesting or values that break serialization,
 * to bloat storage or make the write fail (and the evidence with it).
 */
export function sanitizeDetails(details: unknown): Record<string, JsonValue> | undefined {
  if (details === undefined || details === null) return undefined;
  const seen = new WeakSet<object>();
  const walk = (value: unknown, depth: number): JsonValue => {
    switch (typeof value) {
      case 'string': return capString(value, CAPS.string);
      case 'number': return Number.isFinite(value) ? value : String(value);
      case 'boolean': return value;
      case 'bigint': return `${value}n`;
      case 'undefined': return null;
      case 'function': return '[function]';
      case 'symbol': return '[symbol]';
    }
    if (value === null) return null;
    const object = value as object;
    if (seen.has(object)) return '[circular]';
    if (depth >= CAPS.depth) return '[too deep]';
    seen.add(object);
    try {
      if (value instanceof Date) return Number.isFinite(value.getTime()) ? value.toISOString() : 'Invalid Date';
      if (value instanceof Error) return { name: capString(String(value.name), CAPS.key), message: capString(String(value.message), CAPS.string) };
      if (Array.isArray(value)) {
        const items = value.slice(0, CAPS.entries).map((item) => walk(item, depth + 1));
        if (value.length > CAPS.entries) items.push(`…[+${value.length - CAPS.entries} items]`);
        return items;
      }
      const out: Record<string, JsonValue> = {};
      const keys = Object.keys(object);
      for (const key of keys.slice(0, CAPS.entries)) {
        let item: JsonValue;
        try {
          item = walk((object as Record<string, unknown>)[key], depth + 1);
        } catch {
          item = '[unreadable]';
        }
        // defineProperty: a key named `__proto__` stays data instead of changing the prototype.
        Object.defineProperty(out, capString(key, CAPS.key), { value: item, enumerable: true, writable: true, configurable: true });
      }
      if (keys.length > CAPS.entries) out['…'] = `+${keys.length - CAPS.entries} keys`;
      return out;
    } catch {
      return '[unreadable]';
    } finally {
      seen.delete(object);
    }
  };
  let result: JsonValue;
  try {
    result = walk(details, 0);
  } catch {
    result = '[unreadable]';
  }
  const record: Record<string, JsonValue> = typeof result === 'object' && result !== null && !Array.isArray(result) ? result : { value: result };
  const json = JSON.stringify(record);
  if (json.length > CAPS.detailsJson) return { truncated: true, preview: capString(json, 2048) };
  return record;
}

/** Caps an optional name-like field; non-strings become their description so nothing is silently lost. */
export function capField(value: unknown, max: number): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = typeof value === 'string' ? value : `[${typeof value}]`;
  return capString(text, max);
}

/** Canonical JSON of the kit (src/internal/json.ts): an event's hash covers this text. */
export { canonicalJson };

/** The text an event's hash covers: every field except `hash`. */
export function hashInput(event: AuditEvent): string {
  const { hash: _hash, ...rest } = event;
  return canonicalJson(rest);
}

/** Input check used by `record()`; returns the problem or undefined. */
export function describeInputProblem(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null) return 'not an object';
  const { type, severity } = input as SecurityEventInput;
  if (!isEventType(type)) return `unknown type ${JSON.stringify(String(type)).slice(0, 80)}`;
  if (severity !== undefined && !isSeverity(severity)) return `unknown severity ${JSON.stringify(String(severity)).slice(0, 80)}`;
  return undefined;
}

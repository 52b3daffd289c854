/**
 * Events as the audit log takes them in and gives them out: `prepareEvent` copies a caller's input
 * into a queued event (whitelisted fields only, capped, details sanitized, the source kept for a
 * lazy code hash), `toJsonLine` writes a stored event for export, `hourlyBuckets` counts for the
 * hourly summary.
 */
import { CODE_SOURCE, type PendingCode } from './code-hash.js';
import type { HourlyBucket } from './log-types.js';
import { CAPS, DEFAULT_SEVERITY, canonicalJson, capField, sanitizeDetails, severityRank, type AuditEvent, type PreparedEvent } from './model.js';
import type { SecurityEventInput } from './types.js';

/** A queued event from `input`, stamped `time` and `id`. Never reads anything but the known fields. */
export function prepareEvent(input: SecurityEventInput, time: number, id: string): PreparedEvent {
  const event: PreparedEvent = {
    id,
    time,
    type: input.type,
    severity: input.severity ?? DEFAULT_SEVERITY[input.type],
    count: 1,
  };
  // Only whitelisted fields are copied: a guest-controlled value can never set id, time, seq or hashes.
  const user = capField(input.user, CAPS.name), agent = capField(input.agent, CAPS.name), tool = capField(input.tool, CAPS.name);
  const runId = capField(input.runId, CAPS.id), codeHash = capField(input.codeHash, CAPS.id);
  if (user !== undefined) event.user = user;
  if (agent !== undefined) event.agent = agent;
  if (tool !== undefined) event.tool = tool;
  if (runId !== undefined) event.runId = runId;
  if (codeHash !== undefined) event.codeHash = codeHash;
  const details = sanitizeDetails(input.details);
  if (details !== undefined) event.details = details;
  // The sandbox's source, hashed when the batch is written (code-hash.ts), not on the run's path.
  const code = (input as SecurityEventInput & PendingCode)[CODE_SOURCE];
  if (codeHash === undefined && typeof code === 'string') (event as PreparedEvent & PendingCode)[CODE_SOURCE] = code;
  return event;
}

/**
 * One JSONL line: canonical JSON (sorted keys, so a reader can recompute `hash` from the line),
 * with the line and paragraph separators JSON leaves raw (U+2028, U+2029, NEL and the other C1
 * controls) escaped too. Threat: a guest string that some line splitter (Python's `splitlines`)
 * treats as a line break, forging a second entry.
 */
export function toJsonLine(event: AuditEvent): string {
  return canonicalJson(event).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Occurrences per hour, type and severity, hour ascending. */
export function hourlyBuckets(events: readonly AuditEvent[]): HourlyBucket[] {
  const rows = new Map<string, HourlyBucket>();
  for (const event of events) {
    const hour = Math.floor(event.time / 3_600_000) * 3_600_000;
    const key = `${hour}\u0000${event.type}\u0000${event.severity}`;
    const row = rows.get(key);
    if (row) row.count += event.count; else rows.set(key, { hour, type: event.type, severity: event.severity, count: event.count });
  }
  return [...rows.values()].sort((a, b) => a.hour - b.hour || a.type.localeCompare(b.type) || severityRank(b.severity) - severityRank(a.severity));
}

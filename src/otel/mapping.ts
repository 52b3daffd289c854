/**
 * Audit events → OTLP log records (OTLP/HTTP, JSON encoding). The mapping is ours (which field
 * becomes which attribute); the wire encoding is OpenTelemetry's own serializer
 * (`@opentelemetry/otlp-transformer`, pinned), so the JSON a collector receives is exactly what the
 * OpenTelemetry JS SDK would send for the same records.
 *
 * Semantic conventions used: `event.name` (also the record's `eventName`), `log.record.uid` (the
 * audit event's stable id: a collector deduplicates on it), `user.id`, `service.name`,
 * severity number and text per the OpenTelemetry log data model.
 */
import { SeverityNumber } from '@opentelemetry/api-logs';
import { JsonLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { AuditEvent, JsonValue } from '../audit/model.js';
import type { Severity } from '../audit/types.js';

/** A resource or record attribute value as OTLP carries it. */
export type OtlpAttributeValue = string | number | boolean | string[];

/**
 * One exported record as the outbox keeps it: plain JSON (it is stored in IndexedDB and spilled to
 * localStorage), turned into OTLP only when a batch is sent.
 */
export interface OtlpRecord {
  /** The audit event id: the outbox key and the `log.record.uid` attribute. */
  id: string;
  /** Epoch ms of the event. */
  time: number;
  /** Epoch ms when the exporter took the event. */
  observed: number;
  severityNumber: number;
  severityText: string;
  eventName: string;
  body: JsonValue;
  attributes: Record<string, OtlpAttributeValue>;
}

/** How the app's user id appears in exported records. */
export type UserAttribute = 'plain' | 'omit' | ((user: string) => string);

/**
 * Audit severity → OpenTelemetry severity number (log data model ranges: INFO 9, WARN 13, ERROR 17,
 * FATAL 21). The audit severity stays in `severityText`.
 */
// Typed as numbers: the public declarations must not import @opentelemetry types (no runtime deps).
export const OTEL_SEVERITY: Readonly<Record<Severity, number>> = Object.freeze({
  low: SeverityNumber.INFO,
  medium: SeverityNumber.WARN,
  high: SeverityNumber.ERROR,
  critical: SeverityNumber.FATAL,
});

/** Prefix of `event.name`: `quickcage.tool_call`, `quickcage.sandbox_violation`, ... */
export const EVENT_NAME_PREFIX = 'quickcage.';

/** Maps one sealed audit event to the record the outbox stores. `user` decides how the user id leaves. */
export function toOtlpRecord(event: AuditEvent, user: UserAttribute, observed: number): OtlpRecord {
  const attributes: Record<string, OtlpAttributeValue> = {
    'event.name': `${EVENT_NAME_PREFIX}${event.type}`,
    'log.record.uid': event.id,
    'quickcage.seq': event.seq,
    'quickcage.count': event.count,
    'quickcage.hash': event.hash,
  };
  if (event.user !== undefined && user !== 'omit') attributes['user.id'] = user === 'plain' ? event.user : user(event.user);
  if (event.agent !== undefined) attributes['quickcage.agent'] = event.agent;
  if (event.tool !== undefined) attributes['quickcage.tool'] = event.tool;
  if (event.runId !== undefined) attributes['quickcage.run_id'] = event.runId;
  if (event.codeHash !== undefined) attributes['quickcage.code_hash'] = event.codeHash;
  if (event.details?.observed === true) attributes['quickcage.observed'] = true;
  return {
    id: event.id,
    time: event.time,
    observed,
    severityNumber: OTEL_SEVERITY[event.severity],
    severityText: event.severity,
    eventName: `${EVENT_NAME_PREFIX}${event.type}`,
    body: event.details ?? null,
    attributes,
  };
}

const hrTime = (ms: number): [number, number] => {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
};

/** Identity of the sender: the OTLP resource and instrumentation scope of every record. */
export interface OtlpSource {
  resource: Record<string, OtlpAttributeValue>;
  scope: { name: string; version: string };
}

/**
 * The OTLP/HTTP JSON body (`ExportLogsServiceRequest`) for `records`, encoded by OpenTelemetry's
 * JSON logs serializer.
 */
export function encodeLogsRequest(records: readonly OtlpRecord[], source: OtlpSource): Uint8Array {
  const resource = resourceFromAttributes(source.resource);
  const scope = { name: source.scope.name, version: source.scope.version };
  const readable = records.map((r): ReadableLogRecord => ({
    hrTime: hrTime(r.time),
    hrTimeObserved: hrTime(r.observed),
    severityNumber: r.severityNumber,
    severityText: r.severityText,
    eventName: r.eventName,
    // The serializer walks plain data into AnyValue (kvlist, array, scalars); null becomes an empty value.
    body: r.body as ReadableLogRecord['body'],
    attributes: r.attributes,
    droppedAttributesCount: 0,
    resource,
    instrumentationScope: scope,
  }));
  return JsonLogsSerializer.serializeRequest(readable)!;
}

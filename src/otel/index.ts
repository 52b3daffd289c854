/**
 * `quickcage/otel`: sends the audit trail to an OpenTelemetry collector as OTLP/HTTP JSON log
 * records. A subpath of its own so apps that do not export pay nothing for the OpenTelemetry
 * serializer. See docs/fleet.md.
 *
 * @packageDocumentation
 */
export { createOtlpExporter, OTLP_EXPORTER_DEFAULTS } from './exporter.js';
export type { OtlpExporter, OtlpExporterOptions, OtlpExporterStats } from './exporter.js';
export { EVENT_NAME_PREFIX, OTEL_SEVERITY, encodeLogsRequest, toOtlpRecord } from './mapping.js';
export type { OtlpAttributeValue, OtlpRecord, OtlpSource, UserAttribute } from './mapping.js';

/**
 * Audit log: durable, tamper-evident, queryable security events in IndexedDB (main thread only;
 * worker/** never imports this). See docs/audit.md.
 */
export { createAuditLog, toJsonLine } from './log.js';
export type { AuditLog, AuditLogOptions, AuditQuery, FlushReport, HourlyBucket } from './log.js';
export type { AuditEvent, ChainHead, JsonValue } from './model.js';
export { DEFAULT_SEVERITY, ROUTINE_TYPES, VIOLATION_TYPES, ADMIN_TYPES, CAPS, isSecurityEvent, isViolation, retentionRank, canonicalJson } from './model.js';
export type { DisableKind, DisabledEntry, AutoDisableConfig, VerifyResult, DropSummary } from './chain.js';
export type { AggregateConfig } from './aggregate.js';
export { computeRisk, riskLevel, DEFAULT_RISK, RISK_LEVELS } from './risk.js';
export type { RiskConfig, RiskLevel, RiskScore } from './risk.js';
export { AUDIT_DB_VERSION } from './backend.js';
export * from './types.js';

/**
 * quickcage: run untrusted JavaScript safely in the browser.
 *
 * QuickJS (WebAssembly) in a Web Worker with memory, stack, deadline and output limits that hold,
 * behind an acorn validator, with least-privilege host tools and an IndexedDB audit log.
 *
 * @packageDocumentation
 */
export { createSandbox, Sandbox, Session } from './sandbox.js';
export type {
  HostCallContext,
  HostFunction,
  HostToolDispatcher,
  RunOptions,
  RunOutput,
  RunOutputStats,
  SandboxOptions,
} from './sandbox.js';
export {
  AbortedError,
  CompilationError,
  DisposedError,
  ERROR_CODES,
  GuestError,
  InvalidArgumentError,
  InvalidPolicyError,
  LimitError,
  RateLimitedError,
  SandboxError,
  ToolError,
  UnserializableError,
  ValidationError,
  WorkerCrashedError,
  isSandboxError,
} from './errors.js';
export type { ErrorCode, SandboxErrorOptions } from './errors.js';
export { DETECTORS, PRESETS, definePolicy, isPolicy } from './policy.js';
export type {
  AllowedOperations,
  DetectorId,
  FilePolicy,
  GuardrailPolicy,
  GuardrailStrategy,
  Limits,
  NetworkPolicy,
  Policy,
  PolicyInput,
  PresetName,
  Quota,
  QuotaPolicy,
  ValidationPolicy,
} from './policy.js';
export type { GuestErrorInfo, LogEntry, RunStats, SourceType, Violation } from '../worker/protocol.js';
export {
  GuardrailError,
  applyGuardrails,
  detect,
  sandwich,
  redactReplacement,
  maskReplacement,
  hashReplacement,
  isValidLuhn,
  isValidIban,
} from './guardrails/index.js';
export type {
  ApplyGuardrailsOptions,
  DetectedSpan,
  DetectOptions,
  GuardrailContext,
  GuardrailHit,
  GuardrailOutcome,
  GuardrailsInput,
  GuardrailWhere,
  SandwichInput,
  SandwichResult,
} from './guardrails/index.js';
export * from './tools/index.js';
export {
  createAuditLog,
  toJsonLine,
  computeRisk,
  riskLevel,
  DEFAULT_RISK,
  RISK_LEVELS,
  DEFAULT_SEVERITY,
  ROUTINE_TYPES,
  VIOLATION_TYPES,
  ADMIN_TYPES,
  isSecurityEvent,
  isViolation,
  EVENT_TYPES,
  SEVERITIES,
} from './audit/index.js';
export type {
  AuditLog,
  AuditLogOptions,
  AuditQuery,
  AuditEvent,
  AutoDisableConfig,
  ChainHead,
  DisableKind,
  DisabledEntry,
  DropSummary,
  HourlyBucket,
  RiskConfig,
  RiskLevel,
  RiskScore,
  VerifyResult,
  EventSink,
  SecurityEventInput,
  SecurityEventType,
  Severity,
} from './audit/index.js';
export { createRateLimiter } from './rate-limit.js';
export type { ConsumeResult, RateLimiter, RateLimiterOptions } from './rate-limit.js';

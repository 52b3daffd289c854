/**
 * The security event contract shared by every layer. The sandbox, the tool layer, the rate limiter and
 * the guardrails emit {@link SecurityEventInput}s into an {@link EventSink}; the audit log stores them.
 */

/** Event types. The string values are stable and documented in docs/audit.md. */
export const EVENT_TYPES = [
  'execution',
  'validation_failure',
  'compilation_error',
  'sandbox_violation',
  'rate_limit_exceeded',
  'timeout_exceeded',
  'resource_limit_exceeded',
  'suspicious_pattern',
  'tool_call',
  'approval',
  'tool_created',
  'tool_disabled',
  'tool_enabled',
  'worker_recycled',
  'user_disabled',
  'user_enabled',
  'permission_revoked',
  'permission_granted',
  'audit_degraded',
  'events_dropped',
] as const;
/** One of {@link EVENT_TYPES}. */
export type SecurityEventType = (typeof EVENT_TYPES)[number];

/** Severities, most severe first. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
/** One of {@link SEVERITIES}. */
export type Severity = (typeof SEVERITIES)[number];

/** What a layer reports. The audit log fills id, time, hash chain and, when omitted, severity. */
export interface SecurityEventInput {
  type: SecurityEventType;
  severity?: Severity;
  /** The app's user id the run or call was made for. */
  user?: string;
  /** The agent (PermissionPolicy name) that acted. */
  agent?: string;
  /** Tool name for tool events. */
  tool?: string;
  runId?: string;
  /** SHA-256 hex of the guest code, when the event concerns code. */
  codeHash?: string;
  /** JSON-safe details; fields that come from the guest are length-capped by the log. */
  details?: Record<string, unknown>;
}

/** Where layers send events. Must not throw and must not block the caller (batching is the sink's job). */
export interface EventSink {
  record(event: SecurityEventInput): void;
}

/**
 * An {@link EventSink} that also keeps auto-disable state, as {@link createAuditLog}'s log does: the
 * sandbox refuses runs of a disabled user (`USER_DISABLED`) and calls to a disabled tool
 * (`TOOL_DENIED`). `isDisabled` answers synchronously from what the sink has loaded; while `ready` is
 * pending, the sandbox holds each run's admission until it settles (a one-shot run evaluates
 * meanwhile, but makes no host call and returns nothing) and then asks `isDisabled`. `ready` must
 * settle; a rejection counts as settled.
 */
export interface AuditSink extends EventSink {
  isDisabled?(kind: 'user' | 'tool', id: string): boolean;
  readonly ready?: PromiseLike<unknown>;
}

/**
 * The one table from a run's failure to what the caller and the audit log see: wire error code →
 * typed error class → audit event type and severity. Also the typed errors of a worker's death
 * (watchdog, abort, dispose, crash), which never came over the wire.
 *
 * Data flow: worker/api.ts returns `{ ok: false, error: WireError }` → {@link toError} → thrown at
 * the caller; the same error → {@link eventFor} → the run's audit record (sandbox.ts `report`).
 * Documented in docs/api.md (codes) and docs/audit.md (event types).
 */
import type { SecurityEventType, Severity } from '../audit/types.js';
import {
  AbortedError,
  CompilationError,
  DisposedError,
  GuestError,
  InvalidArgumentError,
  LimitError,
  SandboxError,
  ToolError,
  UnserializableError,
  ValidationError,
  WorkerCrashedError,
  type ErrorCode,
  type SandboxErrorOptions,
} from '../errors.js';
import type { WorkerDeath } from '../pool.js';
import type { RunRequest, WireError } from '../../worker/protocol.js';

type Make = (error: WireError, options: SandboxErrorOptions) => SandboxError;
type Event = [SecurityEventType, Severity] | ((error: SandboxError) => [SecurityEventType, Severity]);

const limit: Make = (e, o) => new LimitError(e.code, e.message, o);
const crashed: Make = (e, o) => new WorkerCrashedError(e.code, e.message, o);
const tool: Make = (e, o) => new ToolError(e.code, e.message, o);

/** Per error code: the class a wire error becomes, and the audit event a failed run records. */
const OUTCOMES: Partial<Record<ErrorCode, { make?: Make; event?: Event }>> = {
  GUEST_ERROR: { make: (e, o) => new GuestError(e.message, e.guest ?? { name: 'Error', message: e.message }, o) },
  COMPILATION_ERROR: {
    make: (e, o) => new CompilationError(e.message, { line: e.details?.line as number, column: e.details?.column as number }, o),
    event: ['compilation_error', 'low'],
  },
  VALIDATION_REJECTED: { make: (e, o) => new ValidationError(e.message, e.violations ?? [], o), event: ['validation_failure', 'medium'] },
  DEADLINE_EXCEEDED: { make: limit, event: (error) => ['timeout_exceeded', error.details.workerTerminated ? 'high' : 'medium'] },
  MEMORY_LIMIT: { make: limit, event: ['resource_limit_exceeded', 'medium'] },
  STACK_OVERFLOW: { make: limit, event: ['resource_limit_exceeded', 'medium'] },
  OUTPUT_TOO_LARGE: { make: limit, event: ['resource_limit_exceeded', 'medium'] },
  UNSERIALIZABLE: { make: (e, o) => new UnserializableError(e.message, o) },
  WORKER_CRASHED: { make: crashed, event: ['sandbox_violation', 'high'] },
  SESSION_LOST: { make: crashed, event: ['sandbox_violation', 'high'] },
  ABORTED: { make: (e, o) => new AbortedError(e.message, o) },
  TOOL_DENIED: { make: tool, event: ['sandbox_violation', 'high'] },
  TOOL_FAILED: { make: tool },
  APPROVAL_DENIED: { make: tool },
  INVALID_ARGUMENT: { make: (e, o) => new InvalidArgumentError('session', e.message, o) },
  RATE_LIMITED: { event: ['rate_limit_exceeded', 'medium'] },
  // The guardrail itself records one suspicious_pattern event per detector; the run record stays a run record.
  GUARDRAIL_BLOCKED: { event: ['execution', 'medium'] },
  USER_DISABLED: { event: ['execution', 'medium'] },
};

/** Wire error → typed error (the class per code in {@link OUTCOMES}; `SandboxError` otherwise). */
export function toError(error: WireError, options: SandboxErrorOptions): SandboxError {
  const opts: SandboxErrorOptions = { ...options, details: { ...error.details, ...(error.poisoned ? { poisoned: true } : {}) } };
  const make = OUTCOMES[error.code]?.make;
  return make ? make(error, opts) : new SandboxError(error.code, error.message, opts);
}

/** A failed run's audit event type and severity (documented in docs/audit.md); `execution`/`low` by default. */
export function eventFor(error: SandboxError): [SecurityEventType, Severity] {
  const event = OUTCOMES[error.code]?.event;
  if (event === undefined) return ['execution', 'low'];
  return typeof event === 'function' ? event(error) : event;
}

/** The typed error of a run whose worker died under it (terminated by the watchdog, an abort, dispose, or a crash). */
export function deathError(death: WorkerDeath, request: Pick<RunRequest, 'runId' | 'limits'>, inSession: boolean): SandboxError {
  const options: SandboxErrorOptions = { runId: request.runId, details: { reason: death.reason, workerTerminated: true } };
  const lost = inSession ? '; the session was lost with its worker' : '';
  switch (death.reason) {
    case 'watchdog':
      return new LimitError('DEADLINE_EXCEEDED', `run exceeded its ${request.limits.timeoutMs} ms deadline and its worker was terminated${lost}`, options);
    case 'aborted':
      return new AbortedError(`run aborted; its worker was terminated${lost}`, options);
    case 'disposed':
      return new DisposedError('sandbox was disposed during the run', options);
    default:
      return new WorkerCrashedError(inSession ? 'SESSION_LOST' : 'WORKER_CRASHED', `${death.message}${lost}`, options);
  }
}

/** A failed call into a worker as a wire error (the worker is gone or never answered). */
export function toWireDeath(error: unknown): WireError {
  return { code: 'WORKER_CRASHED', message: error instanceof Error ? error.message : String(error) };
}

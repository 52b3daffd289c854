import { ERROR_CODES, type ErrorCode, type GuestErrorInfo, type LogEntry, type RunStats, type Violation } from '../worker/protocol.js';

export { ERROR_CODES, type ErrorCode } from '../worker/protocol.js';

/** Marks quickcage errors across realms (iframes, workers): `instanceof` fails there, a registered symbol does not. */
const BRAND = Symbol.for('quickcage.SandboxError');

/** Options accepted by every {@link SandboxError}. */
export interface SandboxErrorOptions {
  cause?: unknown;
  /** Id of the run that failed, when there was one. */
  runId?: string;
  /** Structured, JSON-safe details (field names, limits, counts). */
  details?: Record<string, unknown>;
  /** Console output the guest produced before the failure. */
  logs?: LogEntry[];
  /** Measurements of the failed run, when it got as far as the worker. */
  stats?: RunStats;
}

/**
 * Base class of every error quickcage throws or rejects with. `code` is stable and documented in
 * docs/api.md; `message` is for people and may change.
 */
export class SandboxError extends Error {
  override name: string = 'SandboxError';
  readonly code: ErrorCode;
  readonly runId: string | undefined;
  readonly details: Readonly<Record<string, unknown>>;
  /** Console output of the failed run (empty when it never started). */
  readonly logs: readonly LogEntry[];
  readonly stats: RunStats | undefined;

  constructor(code: ErrorCode, message: string, options: SandboxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.runId = options.runId;
    this.details = Object.freeze({ ...options.details });
    this.logs = Object.freeze([...(options.logs ?? [])]);
    this.stats = options.stats;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** The guest threw. `guest` carries its name, message and stack with line and column. */
export class GuestError extends SandboxError {
  override name = 'GuestError';
  readonly guest: GuestErrorInfo;
  constructor(message: string, guest: GuestErrorInfo, options?: SandboxErrorOptions) {
    super('GUEST_ERROR', message, options);
    this.guest = guest;
  }
}

/** The code does not parse. `line`/`column` are 1-based. */
export class CompilationError extends SandboxError {
  override name = 'CompilationError';
  readonly line: number | undefined;
  readonly column: number | undefined;
  constructor(message: string, position: { line?: number; column?: number }, options?: SandboxErrorOptions) {
    super('COMPILATION_ERROR', message, options);
    this.line = position.line;
    this.column = position.column;
  }
}

/** The validator rejected the code; `violations` lists every finding, not just the first. */
export class ValidationError extends SandboxError {
  override name = 'ValidationError';
  readonly violations: readonly Violation[];
  constructor(message: string, violations: Violation[], options?: SandboxErrorOptions) {
    super('VALIDATION_REJECTED', message, options);
    this.violations = Object.freeze([...violations]);
  }
}

/** A resource limit ended the run: deadline, memory, stack or output size. */
export class LimitError extends SandboxError {
  override name = 'LimitError';
}

/** The result (or a tool argument) holds something that cannot leave the sandbox: a function, symbol, bigint, cycle, NaN or class instance. */
export class UnserializableError extends SandboxError {
  override name = 'UnserializableError';
  constructor(message: string, options?: SandboxErrorOptions) {
    super('UNSERIALIZABLE', message, options);
  }
}

/** The worker died, or its QuickJS module had to be rebuilt, or a session's state was lost with it. */
export class WorkerCrashedError extends SandboxError {
  override name = 'WorkerCrashedError';
}

/** The caller aborted the run through its `AbortSignal`. */
export class AbortedError extends SandboxError {
  override name = 'AbortedError';
  constructor(message: string, options?: SandboxErrorOptions) {
    super('ABORTED', message, options);
  }
}

/** The sandbox (or session) was disposed before or during the call. */
export class DisposedError extends SandboxError {
  override name = 'DisposedError';
  constructor(message: string, options?: SandboxErrorOptions) {
    super('DISPOSED', message, options);
  }
}

/** A public function got bad input. The message names the field and the value. */
export class InvalidArgumentError extends SandboxError {
  override name = 'InvalidArgumentError';
  readonly field: string;
  constructor(field: string, message: string, options?: SandboxErrorOptions) {
    super('INVALID_ARGUMENT', message, { ...options, details: { field, ...options?.details } });
    this.field = field;
  }
}

/** A policy object has an unknown key or a bad value. */
export class InvalidPolicyError extends SandboxError {
  override name = 'InvalidPolicyError';
  readonly field: string;
  constructor(field: string, message: string, options?: SandboxErrorOptions) {
    super('INVALID_POLICY', message, { ...options, details: { field, ...options?.details } });
    this.field = field;
  }
}

/** A quota refused the call. `remaining` and `resetAt` (epoch ms) tell when to retry. */
export class RateLimitedError extends SandboxError {
  override name = 'RateLimitedError';
  readonly remaining: number;
  readonly resetAt: number;
  constructor(message: string, info: { remaining: number; resetAt: number }, options?: SandboxErrorOptions) {
    super('RATE_LIMITED', message, { ...options, details: { ...info, ...options?.details } });
    this.remaining = info.remaining;
    this.resetAt = info.resetAt;
  }
}

/** A host tool call was denied by policy, failed, or its approval was refused. */
export class ToolError extends SandboxError {
  override name = 'ToolError';
}

/**
 * True for any quickcage error, including ones created in another realm (an iframe, or a copy of the
 * library loaded twice), where `instanceof SandboxError` is false.
 */
export function isSandboxError(value: unknown): value is SandboxError {
  if (typeof value !== 'object' || value === null) return false;
  if ((value as Record<symbol, unknown>)[BRAND] === true) return true;
  const code = (value as { code?: unknown }).code;
  return Object.prototype.toString.call(value) === '[object Error]' && typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code)
    && /Error$/.test(String((value as { name?: unknown }).name));
}

/** Renders a value for an error message: short, single line, never throws. */
export function describeValue(value: unknown): string {
  try {
    if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
    if (typeof value === 'bigint') return `${value}n`;
    if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
    if (typeof value === 'symbol') return value.toString();
    if (value === null || typeof value !== 'object') return String(value);
    if (Array.isArray(value)) return `array(${value.length})`;
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** ``Expected `field` to be X, got `value` `` in the house style (ky, p-timeout). */
export function invalidArgument(field: string, expected: string, value: unknown): InvalidArgumentError {
  return new InvalidArgumentError(field, `Expected \`${field}\` to be ${expected}, got \`${describeValue(value)}\``);
}

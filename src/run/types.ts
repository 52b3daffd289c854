/**
 * The public shapes of a sandbox and its runs: options (checked by sandbox.ts and request.ts),
 * outputs, host functions and the tool dispatcher the tools layer implements, and the documented
 * defaults (docs/api.md's option tables are checked against them).
 */
import type { AuditSink } from '../audit/types.js';
import type { Policy, PolicyInput } from '../policy.js';
import type { Determinism, RunRecording } from '../replay/recording.js';
import type { LogEntry, RunStats, SourceType } from '../../worker/protocol.js';

/** A host function exposed to guests as an export of a host module. Receives one JSON-safe argument. */
export type HostFunction = (arg: unknown, context: HostCallContext) => unknown;

/** What a host function learns about the call. */
export interface HostCallContext {
  runId: string;
  user: string | undefined;
  /** Aborted when the run ends (deadline, abort, dispose) before the call finished. */
  signal: AbortSignal;
  /** Stops the run's deadline clock (for a person deciding); call the returned function to restart it. */
  pauseDeadline(): () => void;
}

/** Host tool dispatcher (the tools layer implements it). */
export interface HostToolDispatcher {
  /** Names of tools this sandbox's guests may call (for `user`, when given). */
  names(user?: string): string[];
  invoke(name: string, args: unknown, context: HostCallContext): Promise<unknown>;
}

/** Options of {@link createSandbox}. Unknown keys are rejected. */
export interface SandboxOptions {
  /** A policy from `definePolicy`, or input for it (merged onto the `webApi` preset). */
  policy?: Policy | PolicyInput;
  /** Number of workers that run code in parallel (1 to 16). Default 1. */
  workers?: number;
  /** Keep one initialised spare worker that takes over at once when a worker is killed. Default true. */
  standby?: boolean;
  /** How long after the deadline the watchdog waits for the worker before terminating it. Default 100 ms. */
  watchdogGraceMs?: number;
  /** Host modules guests may import, `specifier -> { exportName: function }`, e.g. `{ 'app:db': { query } }`. */
  modules?: Record<string, Record<string, HostFunction>>;
  /** Host tools, exposed to guests as `tools.<name>(args)` and `import { name } from 'quickcage:tools'`. */
  tools?: HostToolDispatcher;
  /**
   * Where security events go (the audit log). When it also answers `isDisabled(kind, id)` (as
   * `createAuditLog()` does), the sandbox enforces its auto-disable: runs of a disabled user fail with
   * `USER_DISABLED`, calls to a disabled tool with `TOOL_DENIED`. Runs made before the log's `ready`
   * has settled (its disabled users and tools loaded from storage) wait for it in their admission
   * (see {@link AuditSink}), so a sandbox made at page load enforces what an earlier page disabled.
   */
  audit?: AuditSink;
  /**
   * Quotas (from `createRateLimiter`): every untrusted run takes one `execution` for its user
   * (`options.user`, or `anonymous`) before it is queued, and fails fast with `RATE_LIMITED` when the
   * quota is used up. The sandbox's audit record of the refusal is `rate_limit_exceeded`.
   */
  rateLimiter?: { enforce(user: string, action: string): Promise<unknown> };
  /** Checked before each run; throw a `RateLimitedError` to refuse it. */
  beforeRun?: (context: { runId: string; user: string | undefined; trusted: boolean }) => void | Promise<void>;
  /**
   * Trusted framework code (tool wrappers, helper libraries) evaluated first in every fresh context,
   * before taming and before any guest code: the seeds' "first execution is trusted". Its globals are
   * visible to guest code. It has its own 1 s budget; if it throws, runs fail with `GUEST_ERROR`
   * (`details.setup: true`).
   */
  setup?: string;
  /** Enables worker test hooks. Default false. */
  debug?: boolean;
  /**
   * Observe mode (development, docs/fleet.md): an import of an optional module the policy does not
   * list is recorded instead of rejected; needed (and required) with a tool registry created with
   * `observe: true`. Limits, validation of `eval`/`Function` and isolation are never relaxed. Every
   * run's audit record says `observing: true`, and `sandbox.observing` is true. Default false.
   */
  observe?: boolean;
}

/** Options of {@link Sandbox.run}. Unknown keys are rejected. */
export interface RunOptions {
  /** Aborts the run (or removes it from the queue). The run rejects with `ABORTED`. */
  signal?: AbortSignal;
  /**
   * Deadline of this run in ms (1 to 600,000), from when a worker takes it. Default: the policy's
   * `limits.timeoutMs`. Run options come from the app, not the guest, so the app may set it either way.
   */
  timeoutMs?: number;
  /** Trusted code (framework, tool definitions) skips validation and taming. Never pass user code. */
  trusted?: boolean;
  /** `auto` (default) evaluates as a module when the code has import/export or top-level await. */
  sourceType?: SourceType;
  /** File name in guest stack traces. Default `guest.js`. */
  filename?: string;
  /** JSON-safe values installed as read-only globals before the code runs. */
  globals?: Record<string, unknown>;
  /** The app's user id, for quotas and the audit log. */
  user?: string;
  /** Measure the QuickJS heap at the end of the run into `stats.heapBytes` (a walk over the heap, ~0.2 ms). Default false. */
  measureHeap?: boolean;
  /** Deterministic mode (docs/fleet.md): `Math.random` from `seed`, a virtual clock from `clockStart` for `Date` and timers. Not in sessions. */
  deterministic?: Determinism;
  /**
   * Record the run for replay (`replayRun`): `output.recording`, or `error.details.recording` when it
   * fails. Implies deterministic mode (a random seed and the current time when not given). Default false.
   */
  record?: boolean;
}

/** Measurements of a run as seen from the page. */
export interface RunOutputStats extends RunStats {
  /** From the `run()` call until a worker started the run (admission, the queue, the run ahead of it in its worker), in ms. */
  queuedMs: number;
  /** From the `run()` call to the result, in ms. */
  totalMs: number;
}

/** A successful run. */
export interface RunOutput<T = unknown> {
  /** The result: the last expression of a script, or a module's default export. JSON-safe or undefined. */
  value: T;
  logs: LogEntry[];
  stats: RunOutputStats;
  runId: string;
  /** The run skipped validation and taming because it was trusted. */
  trusted: boolean;
  /** The policy allowed dangerous operations: validation and taming were off. */
  dangerous: boolean;
  /** The recording, when the run was made with `record: true` (after the guardrails). */
  recording?: RunRecording;
}

/**
 * Defaults of the sandbox options that have one. The code reads them from here and the docs test
 * checks docs/api.md's option table against them, so the two cannot drift.
 */
export const SANDBOX_DEFAULTS = Object.freeze({ workers: 1, standby: true, watchdogGraceMs: 100, debug: false, observe: false });

/** Defaults of the run options that have one (see {@link SANDBOX_DEFAULTS}). */
export const RUN_DEFAULTS = Object.freeze({ trusted: false, sourceType: 'auto' as SourceType, filename: 'guest.js', measureHeap: false, record: false });

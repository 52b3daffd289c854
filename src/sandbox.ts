/**
 * The public sandbox: checks input, queues runs on the worker pool, enforces the hard deadline with a
 * watchdog, bridges host calls, turns wire results into values or typed errors, and reports every
 * run to the audit sink (in `finally`, so a guest cannot skip its own record).
 */
import type { EventSink, SecurityEventInput, SecurityEventType, Severity } from './audit/types.js';
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
  invalidArgument,
  type SandboxErrorOptions,
} from './errors.js';
import { definePolicy, isPolicy, type Policy, type PolicyInput } from './policy.js';
import { DEFAULT_IMPORTS, OPTIONAL_IMPORTS } from '../worker/validate/rules.js';
import { applyGuardrails, type GuardrailContext } from './guardrails/index.js';
import { sha256Hex } from './sha256.js';
import { WorkerDeath, WorkerPool, type DeathReason, type WorkerSlot } from './pool.js';
import type {
  HostCallRequest,
  HostCallResult,
  LogEntry,
  RunRequest,
  RunResult,
  RunStats,
  SourceType,
  WireError,
  WireLimits,
  WorkerInfo,
} from '../worker/protocol.js';

const now = (): number => performance.timeOrigin + performance.now();
/** WASM memory the engine occupies before any guest code runs (see the constructor). */
const ENGINE_RESERVE_BYTES = 6.25 * 1024 * 1024;

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
   * `USER_DISABLED`, calls to a disabled tool with `TOOL_DENIED`.
   */
  audit?: EventSink & { isDisabled?(kind: 'user' | 'tool', id: string): boolean };
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
}

/** Measurements of a run as seen from the page. */
export interface RunOutputStats extends RunStats {
  /** Time spent waiting for a free worker, in ms. */
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
}

/**
 * Defaults of the sandbox options that have one. The code reads them from here and the docs test
 * checks docs/api.md's option table against them, so the two cannot drift.
 */
export const SANDBOX_DEFAULTS = Object.freeze({ workers: 1, standby: true, watchdogGraceMs: 100, debug: false });

/** Defaults of the run options that have one (see {@link SANDBOX_DEFAULTS}). */
export const RUN_DEFAULTS = Object.freeze({ trusted: false, sourceType: 'auto' as SourceType, filename: 'guest.js', measureHeap: false });

const RUN_OPTION_KEYS = new Set(['signal', 'timeoutMs', 'trusted', 'sourceType', 'filename', 'globals', 'user', 'measureHeap']);
const SANDBOX_OPTION_KEYS = new Set(['policy', 'workers', 'standby', 'watchdogGraceMs', 'modules', 'tools', 'audit', 'rateLimiter', 'beforeRun', 'setup', 'debug']);
const IDENT = /^[A-Za-z_$][\w$]*$/;

interface Ticket {
  runId: string;
  user: string | undefined;
  deadline: number;
  pausedAt: number | null;
  slot: WorkerSlot;
  /** Re-arms the watchdog after a pause. */
  rearm(): void;
  controller: AbortController;
}

function checkKeys(value: object, allowed: Set<string>, what: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) {
      throw new InvalidArgumentError(`${what}.${key}`, `Unknown option \`${what}.${key}\`; known options: ${[...allowed].join(', ')}`);
    }
  }
}

function checkInt(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidArgument(field, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && [Object.prototype, null].includes(Object.getPrototypeOf(value));
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return isPlainObject(value);
}

/**
 * Creates a sandbox: a pool of QuickJS workers under one policy. Workers start in the background;
 * the first run waits for them. Dispose it (`await using`, or `dispose()`) to terminate the workers.
 *
 * @throws {InvalidArgumentError} `INVALID_ARGUMENT` for an unknown option or a bad value (the message names it).
 * @throws {InvalidPolicyError} `INVALID_POLICY` for a bad policy.
 */
export function createSandbox(options: SandboxOptions = {}): Sandbox {
  return new Sandbox(options);
}

/** A pool of QuickJS workers under one policy. Create it with {@link createSandbox}. */
export class Sandbox implements AsyncDisposable {
  /** The frozen policy in force. */
  readonly policy: Policy;
  private readonly pool: WorkerPool;
  private readonly grace: number;
  private readonly modules: Record<string, Record<string, HostFunction>>;
  private readonly tools: HostToolDispatcher | undefined;
  private readonly audit: SandboxOptions['audit'];
  private readonly beforeRun: SandboxOptions['beforeRun'];
  private readonly rateLimiter: SandboxOptions['rateLimiter'];
  private readonly tickets = new Map<string, Ticket>();
  /** The run whose worker is being terminated right now: set just before `pool.replace`, read by `onRecycle`. */
  private killing: { runId: string; user: string | undefined } | undefined;
  /** Id of the `worker_recycled` event of each killed run, for that run's own record to point at. */
  private readonly killEvents = new Map<string, string>();
  private disposed = false;
  private sessionCounter = 0;
  private readonly guardrailsOn: boolean;

  /** @internal Use {@link createSandbox}. */
  constructor(options: SandboxOptions) {
    if (!isPlainObject(options)) throw invalidArgument('options', 'a plain object', options);
    checkKeys(options, SANDBOX_OPTION_KEYS, 'options');
    this.policy = isPolicy(options.policy) ? options.policy : definePolicy(options.policy ?? {});
    const workers = options.workers === undefined ? SANDBOX_DEFAULTS.workers : checkInt('options.workers', options.workers, 1, 16);
    this.grace = options.watchdogGraceMs === undefined ? SANDBOX_DEFAULTS.watchdogGraceMs : checkInt('options.watchdogGraceMs', options.watchdogGraceMs, 0, 60_000);
    if (options.standby !== undefined && typeof options.standby !== 'boolean') throw invalidArgument('options.standby', 'a boolean', options.standby);
    if (options.debug !== undefined && typeof options.debug !== 'boolean') throw invalidArgument('options.debug', 'a boolean', options.debug);
    this.modules = checkModules(options.modules);
    if (options.tools !== undefined && (typeof options.tools?.invoke !== 'function' || typeof options.tools?.names !== 'function')) {
      throw invalidArgument('options.tools', 'a tool registry with names() and invoke()', options.tools);
    }
    this.tools = options.tools;
    this.guardrailsOn = Object.values(this.policy.guardrails.detectors).some((s) => s !== 'off');
    if (options.audit !== undefined && typeof options.audit?.record !== 'function') throw invalidArgument('options.audit', 'an EventSink with record()', options.audit);
    this.audit = options.audit;
    if (options.beforeRun !== undefined && typeof options.beforeRun !== 'function') throw invalidArgument('options.beforeRun', 'a function', options.beforeRun);
    this.beforeRun = options.beforeRun;
    if (options.rateLimiter !== undefined && typeof options.rateLimiter?.enforce !== 'function') {
      throw invalidArgument('options.rateLimiter', 'a rate limiter with enforce()', options.rateLimiter);
    }
    this.rateLimiter = options.rateLimiter;
    if (options.setup !== undefined && (typeof options.setup !== 'string' || options.setup.length > this.policy.limits.maxSourceBytes)) {
      throw invalidArgument('options.setup', `a string of at most ${this.policy.limits.maxSourceBytes} characters`, options.setup);
    }
    // The WASM memory cap is the real memory limit: this QuickJS build counts 8 bytes per allocation
    // whatever its size (its malloc_usable_size is 0 under emscripten), so ArrayBuffers, strings and
    // arrays are bounded only by the cap. The cap is the guest's limit plus what the engine itself
    // occupies before any guest code (static data, the 5 MiB C stack and the running context: 5.25 MiB measured in Chromium, plus the
    // worker's 1 MiB reserve for its own allocations once a guest has filled its share), so
    // what a guest can retain stays within its limit; the worker takes the rest of the 16 MiB the
    // build starts with out of play when the limit is smaller.
    const wasmMemoryMaxBytes = this.policy.limits.memoryLimitBytes + ENGINE_RESERVE_BYTES;
    this.pool = new WorkerPool({
      size: workers,
      standby: options.standby ?? SANDBOX_DEFAULTS.standby,
      wasmMemoryMaxBytes,
      debug: options.debug ?? SANDBOX_DEFAULTS.debug,
      ...(options.setup === undefined ? {} : { setupCode: options.setup }),
      bridge: {
        hostCall: (request) => this.onHostCall(request),
        workerEvent: async (event) => {
          this.emit({ type: 'worker_recycled', severity: 'high', details: { reason: 'poisoned module', detail: event.message.slice(0, 300) } });
        },
      },
      onRecycle: (reason, detail) => {
        // A kill made for a run carries that run's id and user, so the two records can be joined.
        const run = this.killing;
        this.killing = undefined;
        const id = this.emit({
          type: 'worker_recycled', severity: reason === 'watchdog' ? 'high' : 'medium',
          ...(run === undefined ? {} : { runId: run.runId, ...(run.user === undefined ? {} : { user: run.user }) }),
          details: { reason, detail },
        });
        if (run !== undefined && id !== undefined) this.killEvents.set(run.runId, id);
      },
    });
  }

  /** Resolves when every worker is initialised (runs wait for this on their own). */
  async ready(): Promise<void> {
    if (this.disposed) throw new DisposedError('sandbox is disposed');
    await this.pool.ready();
  }

  /**
   * Runs `code` in a fresh QuickJS context: nothing one run does is visible to the next.
   *
   * @throws {GuestError} `GUEST_ERROR` when the guest throws.
   * @throws {CompilationError} `COMPILATION_ERROR` for a syntax error.
   * @throws {ValidationError} `VALIDATION_REJECTED` when the validator rejects untrusted code.
   * @throws {LimitError} `DEADLINE_EXCEEDED`, `MEMORY_LIMIT`, `STACK_OVERFLOW`, `OUTPUT_TOO_LARGE`.
   * @throws {UnserializableError} `UNSERIALIZABLE` when the result cannot leave the sandbox.
   * @throws {WorkerCrashedError} `WORKER_CRASHED` when the worker or its WASM failed.
   * @throws {AbortedError} `ABORTED`; {@link DisposedError} `DISPOSED`; {@link InvalidArgumentError} `INVALID_ARGUMENT`;
   *   `RATE_LIMITED` from `beforeRun`.
   */
  run<T = unknown>(code: string, options: RunOptions = {}): Promise<RunOutput<T>> {
    return this.runOn<T>(code, options, undefined);
  }

  /**
   * Opens a session: a context whose globals persist across runs, like notebook cells, until the
   * session is disposed. Shared built-ins are frozen so one cell cannot poison the next.
   *
   * @throws {DisposedError} `DISPOSED`; {@link WorkerCrashedError} `WORKER_CRASHED`.
   */
  async session(options: { trusted?: boolean } = {}): Promise<Session> {
    if (this.disposed) throw new DisposedError('sandbox is disposed');
    if (!isPlainObject(options)) throw invalidArgument('options', 'a plain object', options);
    checkKeys(options, new Set(['trusted']), 'options');
    if (options.trusted !== undefined && typeof options.trusted !== 'boolean') throw invalidArgument('options.trusted', 'a boolean', options.trusted);
    const slot = this.pool.pickForSession();
    await slot.ready;
    const id = `s${++this.sessionCounter}-${crypto.randomUUID()}`;
    const error = await slot.call((r) => r.openSession(id, options.trusted === true)).catch((e: unknown) => toWireDeath(e));
    if (error) throw this.toError(error, {});
    slot.sessions.add(id);
    return new Session(this, id, slot, options.trusted === true);
  }

  /** Health of the workers (module rebuilds, memory, live contexts). */
  async workerInfo(): Promise<WorkerInfo[]> {
    return Promise.all(this.pool.all().map(async (s) => {
      await s.ready;
      return s.call((r) => r.info());
    }));
  }

  /** @internal test hook: frees every context in every worker and reports QuickJS leak assertions. */
  async leakCheck(): Promise<{ leaked: boolean; detail: string }[]> {
    return Promise.all(this.pool.all().map((s) => s.call((r) => r.shutdown())));
  }

  /** @internal test hook (needs `debug: true`): leaks one handle in the first worker. */
  async leakForTest(): Promise<void> {
    const slot = this.pool.all()[0]!;
    await slot.ready;
    await slot.call((r) => r.leakForTest());
  }

  /**
   * @internal test hook (needs `debug: true`): the next run in the first worker fails as if the WASM
   * aborted (`eval`), or the next host function the guest calls throws on the host (`callback`).
   */
  async faultForTest(kind: 'eval' | 'callback' = 'eval'): Promise<void> {
    const slot = this.pool.all()[0]!;
    await slot.ready;
    await slot.call((r) => r.faultForTest(kind));
  }

  /** Terminates every worker; pending and queued runs reject with `DISPOSED`. Idempotent. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.tickets.values()) t.controller.abort();
    this.pool.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  /** @internal */
  closeSession(slot: WorkerSlot, id: string): Promise<void> {
    slot.sessions.delete(id);
    if (slot.dead) return Promise.resolve();
    return slot.call((r) => r.closeSession(id)).catch(() => undefined);
  }

  /** @internal */
  async runOn<T>(code: string, options: RunOptions, session: { id: string; slot: WorkerSlot; trusted: boolean } | undefined): Promise<RunOutput<T>> {
    const calledAt = now();
    if (this.disposed) throw new DisposedError('sandbox is disposed');
    let request: RunRequest;
    try {
      request = this.buildRequest(code, options, session);
    } catch (error) {
      // Oversized source is guest code refused before it ran: it still leaves its audit record.
      if (error instanceof ValidationError) {
        this.emit({
          type: 'validation_failure', severity: 'medium',
          ...(typeof options?.user === 'string' ? { user: options.user.slice(0, 200) } : {}),
          ...(this.audit ? { codeHash: sha256Hex(code) } : {}),
          details: { code: error.code, rules: error.violations.map((v) => v.rule) },
        });
      }
      throw error;
    }
    const user = options.user;
    const hash = this.audit ? sha256Hex(code) : '';
    let outcome: { ok: true } | { ok: false; error: SandboxError } = { ok: true };
    let poisoned = false;
    try {
      if (options.signal?.aborted) throw new AbortedError('run aborted before it started', { runId: request.runId });
      if (user !== undefined && this.audit?.isDisabled?.('user', user)) {
        throw new SandboxError('USER_DISABLED', `user \`${user}\` is disabled by the audit log (multiple security violations); an operator can enable it again`, { runId: request.runId });
      }
      if (this.rateLimiter && !request.trusted) await this.rateLimiter.enforce(user ?? 'anonymous', 'execution');
      await this.beforeRun?.({ runId: request.runId, user, trusted: request.trusted });
      const slot = await this.pool.acquire(session?.slot, options.signal).catch((e: unknown) => {
        if (e instanceof WorkerDeath) throw this.deathError(e, request, session !== undefined);
        if (options.signal?.aborted) throw new AbortedError('run aborted while queued', { runId: request.runId });
        throw e;
      });
      const queuedMs = now() - calledAt;
      let result: RunResult;
      try {
        await slot.ready.catch((e: unknown) => {
          if (e instanceof WorkerDeath) throw this.deathError(e, request, session !== undefined);
          throw new WorkerCrashedError('WORKER_CRASHED', `worker failed to start: ${(e as Error)?.message ?? e}`, { runId: request.runId });
        });
        // An abort that landed while the worker was starting has no listener yet: honour it here.
        if (options.signal?.aborted) throw new AbortedError('run aborted while its worker was starting', { runId: request.runId });
        result = await this.execute(slot, request, user, options.signal, session !== undefined);
      } finally {
        this.pool.release(slot);
      }
      const who = { runId: request.runId, ...(user === undefined ? {} : { user }) };
      if (!result.ok) {
        poisoned = result.error.poisoned === true;
        // A failed run keeps its own error: what leaves with it (message, guest stack, logs) is
        // redacted rather than blocked, so a guardrail never masks the real failure.
        const wire = this.guardrailsOn ? this.guardError(result.error, who) : result.error;
        const logs = this.guardLogs(result.logs, who, true);
        throw this.toError(wire, { runId: request.runId, logs, stats: result.stats });
      }
      const value = this.guard(result.valueJson === undefined ? undefined : JSON.parse(result.valueJson), { where: 'result', ...who }) as T;
      const logs = this.guardLogs(result.logs, who, false);
      return {
        value,
        logs,
        stats: { ...result.stats, queuedMs, totalMs: now() - calledAt },
        runId: request.runId,
        trusted: result.trusted,
        dangerous: this.policy.allowDangerousOperations,
      };
    } catch (error) {
      const typed = error instanceof SandboxError ? error : new WorkerCrashedError('WORKER_CRASHED', String((error as Error)?.message ?? error), { runId: request.runId, cause: error });
      outcome = { ok: false, error: typed };
      throw typed;
    } finally {
      this.report(request, user, outcome, poisoned, hash);
    }
  }

  private buildRequest(code: string, options: RunOptions, session: { id: string; trusted: boolean } | undefined): RunRequest {
    if (typeof code !== 'string') throw invalidArgument('code', 'a string', code);
    if (!isPlainObject(options)) throw invalidArgument('options', 'a plain object', options);
    checkKeys(options, RUN_OPTION_KEYS, 'options');
    const limits = this.policy.limits;
    if (code.length > limits.maxSourceBytes) {
      throw new ValidationError(`source is ${code.length} characters, over the ${limits.maxSourceBytes} limit`, [
        { rule: 'source-too-large', message: `source exceeds ${limits.maxSourceBytes} characters`, line: 1, column: 1, snippet: '' },
      ]);
    }
    const timeoutMs = options.timeoutMs === undefined ? limits.timeoutMs : checkInt('options.timeoutMs', options.timeoutMs, 1, 10 * 60 * 1000);
    if (options.trusted !== undefined && typeof options.trusted !== 'boolean') throw invalidArgument('options.trusted', 'a boolean', options.trusted);
    if (options.measureHeap !== undefined && typeof options.measureHeap !== 'boolean') throw invalidArgument('options.measureHeap', 'a boolean', options.measureHeap);
    if (options.sourceType !== undefined && !['script', 'module', 'auto'].includes(options.sourceType)) {
      throw invalidArgument('options.sourceType', "one of 'script', 'module', 'auto'", options.sourceType);
    }
    if (options.filename !== undefined && (typeof options.filename !== 'string' || !/^[\w.\-/:]{1,200}$/.test(options.filename))) {
      throw invalidArgument('options.filename', 'a file name of letters, digits, `._-/:` (1 to 200 characters)', options.filename);
    }
    if (options.user !== undefined && (typeof options.user !== 'string' || options.user.length === 0 || options.user.length > 200)) {
      throw invalidArgument('options.user', 'a non-empty string of at most 200 characters', options.user);
    }
    if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw invalidArgument('options.signal', 'an AbortSignal', options.signal);
    let globalsJson: string | undefined;
    if (options.globals !== undefined) {
      if (!isPlainRecord(options.globals)) throw invalidArgument('options.globals', 'a plain object', options.globals);
      for (const key of Object.keys(options.globals)) {
        if (!IDENT.test(key) || key === 'tools' || key === 'console') throw invalidArgument(`options.globals.${key}`, 'an identifier other than tools and console', key);
      }
      globalsJson = toJson(options.globals, 'options.globals', limits.maxResultBytes);
    }
    const trusted = session ? session.trusted : options.trusted ?? RUN_DEFAULTS.trusted;
    const wireLimits: WireLimits = {
      timeoutMs,
      memoryLimitBytes: limits.memoryLimitBytes,
      maxStackBytes: limits.maxStackBytes,
      maxResultBytes: limits.maxResultBytes,
      maxLogBytes: limits.maxLogBytes,
      maxSourceBytes: limits.maxSourceBytes,
      maxDepth: limits.maxNestingDepth,
    };
    const hostModules = Object.fromEntries(Object.entries(this.modules).map(([name, fns]) => [name, Object.keys(fns)]));
    const request: RunRequest = {
      runId: crypto.randomUUID(),
      code,
      filename: options.filename ?? RUN_DEFAULTS.filename,
      sourceType: options.sourceType ?? RUN_DEFAULTS.sourceType,
      limits: wireLimits,
      deadline: 0,
      trusted,
      toolNames: this.tools?.names(options.user) ?? [],
      hostModules,
      // Trusted and dangerous runs may import every built-in module; others the defaults plus what the policy adds.
      allowedModules: trusted || this.policy.allowDangerousOperations
        ? [...DEFAULT_IMPORTS, ...OPTIONAL_IMPORTS]
        : [...DEFAULT_IMPORTS, ...this.policy.allowedOperations.imports.filter((m) => (OPTIONAL_IMPORTS as readonly string[]).includes(m))],
      allowDangerousOperations: this.policy.allowDangerousOperations,
      measureHeap: options.measureHeap ?? RUN_DEFAULTS.measureHeap,
    };
    if (session) request.sessionId = session.id;
    if (globalsJson !== undefined) request.globalsJson = globalsJson;
    if (!trusted && !this.policy.allowDangerousOperations) {
      request.validation = {
        allowedImports: [...this.policy.allowedOperations.imports, ...Object.keys(this.modules), ...(this.tools ? ['quickcage:tools'] : [])],
        grantedGlobals: [
          ...(request.toolNames.length > 0 ? ['tools'] : []),
          ...(request.toolNames.includes('fetch') ? ['fetch'] : []),
          ...Object.keys(options.globals ?? {}),
        ],
        allowDynamicSensitiveAccess: this.policy.validation.allowDynamicSensitiveAccess,
        disabledRules: [...this.policy.validation.disabledRules],
      };
    }
    return request;
  }

  /** Sends the run to the worker with the watchdog armed; resolves to the wire result. */
  private execute(slot: WorkerSlot, request: RunRequest, user: string | undefined, signal: AbortSignal | undefined, inSession: boolean): Promise<RunResult> {
    request.deadline = now() + request.limits.timeoutMs;
    const controller = new AbortController();
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    let abortKill: ReturnType<typeof setTimeout> | undefined;
    const ticket: Ticket = {
      runId: request.runId,
      user,
      deadline: request.deadline,
      pausedAt: null,
      slot,
      controller,
      rearm: () => {
        clearTimeout(watchdog);
        if (ticket.pausedAt !== null) return;
        watchdog = setTimeout(() => this.kill(slot, 'watchdog', request.runId, user), Math.max(0, ticket.deadline + this.grace - now()));
      },
    };
    this.tickets.set(request.runId, ticket);
    ticket.rearm();
    const onAbort = () => {
      // Cooperative first (works while the guest awaits the host or reaches an interrupt check);
      // a guest stuck in a native builtin gets its worker terminated.
      void slot.call((r) => r.abort(request.runId)).catch(() => undefined);
      abortKill = setTimeout(() => this.kill(slot, 'aborted', request.runId, user), 50);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    return slot.run(request)
      .catch((error: unknown) => {
        if (error instanceof WorkerDeath) throw this.deathError(error, request, inSession);
        throw error;
      })
      .finally(() => {
        clearTimeout(watchdog);
        clearTimeout(abortKill);
        signal?.removeEventListener('abort', onAbort);
        controller.abort();
        this.tickets.delete(request.runId);
      });
  }

  private deathError(death: WorkerDeath, request: RunRequest, inSession: boolean): SandboxError {
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

  /** Wire error → typed error. */
  private toError(error: WireError, options: SandboxErrorOptions): SandboxError {
    const opts: SandboxErrorOptions = { ...options, details: { ...error.details, ...(error.poisoned ? { poisoned: true } : {}) } };
    switch (error.code) {
      case 'GUEST_ERROR':
        return new GuestError(error.message, error.guest ?? { name: 'Error', message: error.message }, opts);
      case 'COMPILATION_ERROR':
        return new CompilationError(error.message, { line: error.details?.line as number, column: error.details?.column as number }, opts);
      case 'VALIDATION_REJECTED':
        return new ValidationError(error.message, error.violations ?? [], opts);
      case 'DEADLINE_EXCEEDED':
      case 'MEMORY_LIMIT':
      case 'STACK_OVERFLOW':
      case 'OUTPUT_TOO_LARGE':
        return new LimitError(error.code, error.message, opts);
      case 'UNSERIALIZABLE':
        return new UnserializableError(error.message, opts);
      case 'WORKER_CRASHED':
      case 'SESSION_LOST':
        return new WorkerCrashedError(error.code, error.message, opts);
      case 'ABORTED':
        return new AbortedError(error.message, opts);
      case 'TOOL_DENIED':
      case 'TOOL_FAILED':
      case 'APPROVAL_DENIED':
        return new ToolError(error.code, error.message, opts);
      case 'INVALID_ARGUMENT':
        return new InvalidArgumentError('session', error.message, opts);
      default:
        return new SandboxError(error.code, error.message, opts);
    }
  }

  /** Bridge from the worker: a guest called a tool or a host-module export. Never throws. */
  private async onHostCall(request: HostCallRequest): Promise<HostCallResult> {
    const ticket = this.tickets.get(request.runId);
    if (!ticket) return { ok: false, code: 'TOOL_DENIED', message: 'the run has ended' };
    const context: HostCallContext = {
      runId: request.runId,
      user: ticket.user,
      signal: ticket.controller.signal,
      pauseDeadline: () => this.pauseDeadline(ticket),
    };
    try {
      let args: unknown;
      try {
        args = JSON.parse(request.argsJson);
      } catch {
        return { ok: false, code: 'INVALID_ARGUMENT', message: 'tool arguments are not JSON' };
      }
      const who = { runId: request.runId, tool: request.target, ...(ticket.user === undefined ? {} : { user: ticket.user }) };
      args = this.guard(args, { where: 'toolArgs', ...who });
      let value: unknown;
      const hash = request.target.lastIndexOf('#');
      if (hash >= 0) {
        const fn = this.modules[request.target.slice(0, hash)]?.[request.target.slice(hash + 1)];
        if (!fn) return { ok: false, code: 'TOOL_DENIED', message: `\`${request.target}\` is not a registered host function` };
        value = await fn(args, context);
      } else {
        if (!this.tools) return { ok: false, code: 'TOOL_DENIED', message: `no tool \`${request.target}\`` };
        if (this.audit?.isDisabled?.('tool', request.target)) {
          return { ok: false, code: 'TOOL_DENIED', message: `tool \`${request.target}\` is disabled by the audit log (multiple security violations)` };
        }
        value = await this.tools.invoke(request.target, args, context);
      }
      value = this.guard(value, { where: 'toolResult', ...who });
      return { ok: true, valueJson: value === undefined ? undefined : toJson(value, `result of ${request.target}`, this.policy.limits.maxResultBytes) };
    } catch (error) {
      const message = error instanceof SandboxError ? error.message : error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      // A handler's error message goes into the guest: guard it like a tool result (never blocking).
      const safe = this.guard(message, { where: 'toolResult', runId: request.runId, tool: request.target }, true);
      return { ok: false, code: error instanceof SandboxError ? error.code : 'TOOL_FAILED', message: safe };
    }
  }

  private pauseDeadline(ticket: Ticket): () => void {
    if (ticket.pausedAt !== null || !this.tickets.has(ticket.runId)) return () => {};
    ticket.pausedAt = now();
    ticket.rearm();
    void ticket.slot.call((r) => r.setPaused(ticket.runId, true)).catch(() => undefined);
    let resumed = false;
    return () => {
      if (resumed || ticket.pausedAt === null) return;
      resumed = true;
      ticket.deadline += now() - ticket.pausedAt;
      ticket.pausedAt = null;
      ticket.rearm();
      void ticket.slot.call((r) => r.setPaused(ticket.runId, false)).catch(() => undefined);
    };
  }

  /**
   * Applies the policy's PII/secret guardrails to a value leaving or entering the sandbox. Off (no
   * work at all) unless some detector has a strategy. `block` throws `GUARDRAIL_BLOCKED`.
   */
  private guard<T>(value: T, context: GuardrailContext, lenient = false): T {
    if (!this.guardrailsOn || value === undefined) return value;
    const guardrails = lenient ? this.lenientGuardrails : this.policy.guardrails;
    return applyGuardrails(value, guardrails, { context, ...(this.audit ? { sink: this.audit } : {}) }).value as T;
  }

  /** `block` becomes `redact`: for what leaves with a failure, where blocking would hide the real error. */
  private get lenientGuardrails(): Policy['guardrails'] {
    const g = this.policy.guardrails;
    const detectors = Object.fromEntries(Object.entries(g.detectors).map(([k, v]) => [k, v === 'block' ? 'redact' : v]));
    return { ...g, detectors: detectors as Policy['guardrails']['detectors'] };
  }

  /** All log lines of a run in one pass: one audit event per detector per run, not per line. */
  private guardLogs(logs: LogEntry[], who: Omit<GuardrailContext, 'where'>, lenient: boolean): LogEntry[] {
    if (!this.guardrailsOn || logs.length === 0) return logs;
    const messages = this.guard(logs.map((l) => l.message), { where: 'logs', ...who }, lenient);
    return logs.map((log, i) => ({ ...log, message: messages[i]! }));
  }

  /** The guest's error message and stack leave the sandbox too: `throw new Error(secret)` must not carry it out. */
  private guardError(error: WireError, who: Omit<GuardrailContext, 'where'>): WireError {
    const guarded: WireError = { ...error, message: this.guard(error.message, { where: 'result', ...who }, true) };
    if (error.guest) {
      guarded.guest = {
        ...error.guest,
        message: this.guard(error.guest.message, { where: 'result', ...who }, true),
        ...(error.guest.stack === undefined ? {} : { stack: this.guard(error.guest.stack, { where: 'result', ...who }, true) }),
      };
    }
    return guarded;
  }

  /** Terminates the worker of run `runId` and replaces it; the `worker_recycled` record names the run. */
  private kill(slot: WorkerSlot, reason: 'watchdog' | 'aborted', runId: string, user: string | undefined): void {
    this.killing = { runId, user };
    try {
      this.pool.replace(slot, reason, reason === 'watchdog' ? `run ${runId} did not stop by its deadline` : `run ${runId} was aborted`);
    } finally {
      this.killing = undefined;
    }
  }

  /** Records `event`; returns its id when the sink gives one (an AuditLog does). */
  private emit(event: SecurityEventInput): string | undefined {
    try {
      const id: unknown = this.audit?.record(event);
      return typeof id === 'string' ? id : undefined;
    } catch {
      // A sink must not throw (EventSink contract); a faulty one must not break runs either.
      return undefined;
    }
  }

  /** One audit record per run, whatever happened. */
  private report(request: RunRequest, user: string | undefined, outcome: { ok: true } | { ok: false; error: SandboxError }, poisoned: boolean, codeHash: string): void {
    if (!this.audit) return;
    const base = { runId: request.runId, ...(user === undefined ? {} : { user }) };
    const details: Record<string, unknown> = {
      trusted: request.trusted,
      dangerous: request.allowDangerousOperations,
      session: request.sessionId !== undefined,
    };
    let type: SecurityEventType = 'execution';
    let severity: Severity = 'low';
    if (!outcome.ok) {
      const e = outcome.error;
      details.code = e.code;
      details.message = e.message.slice(0, 500);
      [type, severity] = eventFor(e);
      if (e.details.workerTerminated === true) {
        // Say so on the run's own record, and point at the worker_recycled record of the kill.
        details.workerTerminated = true;
        details.terminationReason = e.details.reason;
        const killId = this.killEvents.get(request.runId);
        if (killId !== undefined) details.workerRecycledEventId = killId;
        this.killEvents.delete(request.runId);
      }
      if (e instanceof ValidationError) details.rules = [...new Set(e.violations.map((v) => v.rule))];
    }
    this.emit({ type, severity, ...base, codeHash, details });
    if (poisoned) this.emit({ type: 'worker_recycled', severity: 'high', ...base, codeHash, details: { reason: 'poisoned module' } });
  }
}

/** Maps a failure to its audit event type and severity (documented in docs/audit.md). */
function eventFor(error: SandboxError): [SecurityEventType, Severity] {
  switch (error.code) {
    case 'VALIDATION_REJECTED': return ['validation_failure', 'medium'];
    case 'COMPILATION_ERROR': return ['compilation_error', 'low'];
    case 'DEADLINE_EXCEEDED': return ['timeout_exceeded', error.details.workerTerminated ? 'high' : 'medium'];
    case 'MEMORY_LIMIT':
    case 'STACK_OVERFLOW':
    case 'OUTPUT_TOO_LARGE': return ['resource_limit_exceeded', 'medium'];
    case 'WORKER_CRASHED':
    case 'SESSION_LOST': return ['sandbox_violation', 'high'];
    case 'RATE_LIMITED': return ['rate_limit_exceeded', 'medium'];
    case 'TOOL_DENIED': return ['sandbox_violation', 'high'];
    // The guardrail itself records one suspicious_pattern event per detector; the run record stays a run record.
    case 'GUARDRAIL_BLOCKED': return ['execution', 'medium'];
    case 'USER_DISABLED': return ['execution', 'medium'];
    default: return ['execution', 'low'];
  }
}

/** A context whose globals persist across runs. Create it with {@link Sandbox.session}. */
export class Session implements AsyncDisposable {
  private disposed = false;
  private lost: SandboxError | null = null;

  /** @internal */
  constructor(
    private readonly sandbox: Sandbox,
    /** The session id (also in audit events). */
    readonly id: string,
    private readonly slot: WorkerSlot,
    private readonly trusted: boolean,
  ) {}

  /**
   * Runs a cell in this session. `trusted` is fixed when the session opens.
   * @throws the same errors as {@link Sandbox.run}, plus `SESSION_LOST` once its worker was replaced.
   */
  async run<T = unknown>(code: string, options: Omit<RunOptions, 'trusted'> = {}): Promise<RunOutput<T>> {
    if (this.disposed) throw new DisposedError(`session ${this.id} is disposed`);
    if (this.lost) throw new WorkerCrashedError('SESSION_LOST', this.lost.message);
    if (isPlainObject(options) && 'trusted' in options) throw new InvalidArgumentError('options.trusted', 'Session runs take `trusted` from the session, not per run');
    try {
      return await this.sandbox.runOn<T>(code, options, { id: this.id, slot: this.slot, trusted: this.trusted });
    } catch (error) {
      if (this.slot.dead && error instanceof SandboxError) this.lost = error;
      throw error;
    }
  }

  /** Frees the session's context. Idempotent. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.sandbox.closeSession(this.slot, this.id);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

function toWireDeath(error: unknown): WireError {
  return { code: 'WORKER_CRASHED', message: error instanceof Error ? error.message : String(error) };
}

function checkModules(modules: SandboxOptions['modules']): Record<string, Record<string, HostFunction>> {
  if (modules === undefined) return {};
  if (!isPlainRecord(modules)) throw invalidArgument('options.modules', 'a plain object', modules);
  const out: Record<string, Record<string, HostFunction>> = {};
  for (const [name, fns] of Object.entries(modules)) {
    if (!/^[a-z][\w-]*:[\w\-/.]+$/.test(name) || name.startsWith('quickcage:')) {
      throw invalidArgument(`options.modules`, 'keys like `app:db` (scheme:name, not quickcage:)', name);
    }
    if (!isPlainRecord(fns)) throw invalidArgument(`options.modules.${name}`, 'an object of functions', fns);
    for (const [fn, impl] of Object.entries(fns)) {
      if (!IDENT.test(fn) || fn === 'default') throw invalidArgument(`options.modules.${name}`, 'export names that are identifiers', fn);
      if (typeof impl !== 'function') throw invalidArgument(`options.modules.${name}.${fn}`, 'a function', impl);
    }
    out[name] = { ...fns };
  }
  return out;
}

/**
 * Host-side twin of the guest serializer: JSON text of a JSON-safe value, or a typed error naming the
 * path of the first thing that cannot cross (JSON.stringify would silently drop functions and turn
 * NaN into null). Caps size and depth.
 */
export function toJson(value: unknown, field: string, max: number, maxDepth = 256): string {
  const ancestors: unknown[] = [];
  const walk = (v: unknown, path: string): void => {
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return;
      case 'number':
        if (!Number.isFinite(v)) throw new UnserializableError(`\`${path}\` is ${v}, which JSON cannot represent`);
        return;
      case 'object':
        break;
      default:
        throw new UnserializableError(`\`${path}\` is a ${typeof v}, which cannot cross into the sandbox`);
    }
    if (v === null) return;
    if (ancestors.includes(v)) throw new UnserializableError(`\`${path}\` is a cycle`);
    if (ancestors.length >= maxDepth) throw new LimitError('STACK_OVERFLOW', `\`${path}\` is nested deeper than ${maxDepth} levels`);
    ancestors.push(v);
    if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item === undefined ? null : item, `${path}[${i}]`));
    } else {
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) {
        throw new UnserializableError(`\`${path}\` is ${Object.prototype.toString.call(v)}, not a plain object or array`);
      }
      for (const [k, item] of Object.entries(v)) if (item !== undefined) walk(item, `${path}.${k}`);
    }
    ancestors.pop();
  };
  walk(value, field);
  const text = JSON.stringify(value);
  if (text.length > max) throw new LimitError('OUTPUT_TOO_LARGE', `\`${field}\` is ${text.length} characters of JSON, over the ${max} limit`);
  return text;
}


export type { DeathReason };

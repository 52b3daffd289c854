/**
 * The public sandbox: it orchestrates a run, and each step has one owner.
 *
 *   run(code, options)
 *     → run/request.ts    build and check the request (options, size, globals, limits, trust)
 *     → audit sink        `USER_DISABLED`; rate limiter (`execution`); `beforeRun`
 *     → pool.ts           a worker slot (queued; sessions keep theirs)
 *     → watchdog.ts       the deadline armed (tickets, pausing, the one clock)
 *     → worker            validate + evaluate; host calls come back to run/host-calls.ts
 *     → run/guard.ts      guardrails on what leaves (result, logs, error)
 *     → run/outcomes.ts   wire error → typed error → audit event
 *     (record / replay)   run/hooks.ts: the recording, and hooks around host calls (src/replay/)
 *     (observe mode)      an import the policy leaves out is observed and the run re-run (src/fleet/)
 *     → report()          one audit record per run, in `finally`, so a guest cannot skip it
 *
 * Sessions (run/session.ts) take the same path on their own worker. The design notes are in
 * docs/design/host.md.
 */
import type { SecurityEventInput, SecurityEventType, Severity } from './audit/types.js';
import { AbortedError, DisposedError, SandboxError, ValidationError, WorkerCrashedError, invalidArgument } from './errors.js';
import { definePolicy, isPolicy, type Policy } from './policy.js';
import { CODE_SOURCE, acceptsCodeSource, codeHashOf } from './audit/code-hash.js';
import { checkInt, checkKnownKeys, isPlainObject } from './internal/checks.js';
import { NotStarted, StartFailed, WorkerDeath, WorkerPool, type DeathReason, type WorkerSlot } from './pool.js';
import { Watchdog, now, type Ticket } from './watchdog.js';
import { RunGuard } from './run/guard.js';
import { hostCallHandler } from './run/host-calls.js';
import { guardRecording, offerRecordedTools, startRecording, withRunHooks } from './run/hooks.js';
import { importObservationEvent, observableImports } from './fleet/observe.js';
import type { RunHooks, RunRecording } from './replay/recording.js';
import { OPTIONAL_IMPORTS } from '../worker/validate/rules.js';
import { deathError, eventFor, toError, toWireDeath } from './run/outcomes.js';
import { IDENT, buildRequest } from './run/request.js';
import { Session } from './run/session.js';
import {
  SANDBOX_DEFAULTS,
  type HostFunction,
  type HostToolDispatcher,
  type RunOptions,
  type RunOutput,
  type SandboxOptions,
} from './run/types.js';
import type { HostCallRequest, HostCallResult, RunRequest, RunResult, WorkerInfo } from '../worker/protocol.js';
import { randomId } from './internal/ids.js';

export { Session } from './run/session.js';
export { RUN_DEFAULTS, SANDBOX_DEFAULTS } from './run/types.js';
export type { HostCallContext, HostFunction, HostToolDispatcher, RunOptions, RunOutput, RunOutputStats, SandboxOptions } from './run/types.js';
export { toJson } from './run/request.js';

/** Microtask turns a run waits for an admission decided without storage (a leased quota slot takes about 5). */
const EARLY_DECISION_TURNS = 8;

/** How long a refusal makes a user's runs wait for admission (at most; less when the quota resets sooner). */
const REFUSAL_MEMORY_MS = 10_000;

/** WASM memory the engine occupies before any guest code runs (see the constructor). */
const ENGINE_RESERVE_BYTES = 6.25 * 1024 * 1024;

const SANDBOX_OPTION_KEYS = (['policy', 'workers', 'standby', 'watchdogGraceMs', 'modules', 'tools', 'audit', 'rateLimiter', 'beforeRun', 'setup', 'debug', 'observe']);

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
  /** True in observe mode: allow-list checks record instead of deny (the visible marker; see docs/fleet.md). */
  readonly observing: boolean;
  private readonly pool: WorkerPool;
  private readonly grace: number;
  private readonly modules: Record<string, Record<string, HostFunction>>;
  private readonly tools: HostToolDispatcher | undefined;
  private readonly audit: SandboxOptions['audit'];
  /**
   * Until the audit sink's `ready` settles (its disabled users and tools loaded), `isDisabled` may
   * answer from an empty cache: runs made meanwhile wait for this in their admission. Undefined once
   * it has settled, or when the sink keeps no disabled state.
   */
  private auditLoading: Promise<void> | undefined;
  private readonly beforeRun: SandboxOptions['beforeRun'];
  private readonly rateLimiter: SandboxOptions['rateLimiter'];
  private readonly watchdog: Watchdog;
  private readonly guard: RunGuard;
  /** The run whose worker is being terminated right now: set just before `pool.replace`, read by `onRecycle`. */
  private killing: { runId: string; user: string | undefined } | undefined;
  /** Id of the `worker_recycled` event of each killed run, for that run's own record to point at. */
  private readonly killEvents = new Map<string, string>();
  private disposed = false;
  private sessionCounter = 0;
  /** Users refused admission, until when their runs wait for admission instead of starting at once. */
  private readonly refused = new Map<string, number>();

  /** @internal Use {@link createSandbox}. */
  constructor(options: SandboxOptions) {
    if (!isPlainObject(options as unknown)) throw invalidArgument('options', 'a plain object', options);
    checkKnownKeys('options', options, SANDBOX_OPTION_KEYS);
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
    if (options.observe !== undefined && typeof options.observe !== 'boolean') throw invalidArgument('options.observe', 'a boolean', options.observe);
    this.observing = options.observe === true;
    // Observe mode is never silent: a registry that observes needs a sandbox that says so.
    if ((options.tools as { observing?: unknown } | undefined)?.observing === true && !this.observing) {
      throw invalidArgument('options.observe', 'true, because `options.tools` comes from a registry in observe mode', options.observe);
    }
    if (options.audit !== undefined && typeof options.audit?.record !== 'function') throw invalidArgument('options.audit', 'an EventSink with record()', options.audit);
    const auditReady: unknown = options.audit?.ready;
    if (auditReady !== undefined && typeof (auditReady as PromiseLike<unknown> | null)?.then !== 'function') {
      throw invalidArgument('options.audit.ready', 'a promise (settled once the sink has loaded its disabled users and tools)', auditReady);
    }
    this.audit = options.audit;
    if (auditReady !== undefined && typeof options.audit?.isDisabled === 'function') {
      this.auditLoading = Promise.resolve(auditReady as PromiseLike<unknown>).then(() => undefined, () => undefined);
      void this.auditLoading.then(() => { this.auditLoading = undefined; });
    }
    this.guard = new RunGuard(this.policy, this.audit);
    this.watchdog = new Watchdog(this.grace, (ticket) => this.kill(ticket.slot, 'watchdog', ticket.runId, ticket.user));
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
        hostCall: admittedFirst(this.watchdog, withRunHooks(this.watchdog, hostCallHandler({
          watchdog: this.watchdog,
          modules: this.modules,
          tools: this.tools,
          audit: this.audit,
          guard: this.guard,
          maxResultBytes: this.policy.limits.maxResultBytes,
        }))),
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
    if (!isPlainObject(options as unknown)) throw invalidArgument('options', 'a plain object', options);
    checkKnownKeys('options', options, ['trusted']);
    if (options.trusted !== undefined && typeof options.trusted !== 'boolean') throw invalidArgument('options.trusted', 'a boolean', options.trusted);
    const slot = this.pool.pickForSession();
    await slot.ready;
    const id = `s${++this.sessionCounter}-${randomId()}`;
    const error = await slot.call((r) => r.openSession(id, options.trusted === true)).catch((e: unknown) => toWireDeath(e));
    if (error) throw toError(error, {});
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
    this.watchdog.close();
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
  async runOn<T>(code: string, options: RunOptions, session: { id: string; slot: WorkerSlot; trusted: boolean } | undefined, replayHooks?: RunHooks): Promise<RunOutput<T>> {
    const calledAt = now();
    if (this.disposed) throw new DisposedError('sandbox is disposed');
    let request: RunRequest;
    let hooks = replayHooks;
    let recording: RunRecording | undefined;
    try {
      request = buildRequest({ policy: this.policy, modules: this.modules, tools: this.tools, observing: this.observing }, code, options, session);
      if (hooks) offerRecordedTools(request, hooks);
      if (options.record === true) ({ recording, hooks } = startRecording(request, options, hooks));
    } catch (error) {
      // Oversized source is guest code refused before it ran: it still leaves its audit record.
      if (error instanceof ValidationError) {
        this.emit({
          type: 'validation_failure', severity: 'medium',
          ...(typeof options?.user === 'string' ? { user: options.user.slice(0, 200) } : {}),
          ...this.codeFields(code),
          details: { code: error.code, rules: error.violations.map((v) => v.rule) },
        });
      }
      throw error;
    }
    const user = options.user;
    let outcome: { ok: true } | { ok: false; error: SandboxError } = { ok: true };
    let poisoned = false;
    let queuedMs = 0;
    try {
      if (options.signal?.aborted) throw new AbortedError('run aborted before it started', { runId: request.runId });
      if (user !== undefined && this.audit?.isDisabled?.('user', user)) throw userDisabled(user, request.runId);
      // Admission (audit log loaded, quota, beforeRun). A one-shot run starts while it is being decided: nothing
      // of it can leave the sandbox before it is admitted (host calls wait for it, its result is
      // withheld), and a refused run is stopped and discarded. A session run waits (it would change
      // the session's state), and so does a user refused a moment ago (no work for a refused stream).
      const admission = this.admission(request, user);
      let speculative = false;
      if (admission) {
        let state: 'open' | 'admitted' | 'refused' = 'open';
        admission.then(() => { state = 'admitted'; }, () => { state = 'refused'; });
        // A decision that needs no storage (a leased quota slot, a synchronous beforeRun) lands
        // within a few microtask turns: then there is nothing to speculate about.
        for (let turn = 0; turn < EARLY_DECISION_TURNS && state === 'open'; turn++) await undefined;
        speculative = state === 'open' && session === undefined && !this.recentlyRefused(user);
        if (!speculative) await admission;
      }
      let result: RunResult | undefined;
      let failure: unknown;
      try {
        result = await this.dispatch(request, user, options.signal, session, hooks, speculative ? admission : undefined, (startedAt) => {
          queuedMs = startedAt - calledAt;
        });
      } catch (error) {
        failure = error;
      }
      // A refusal wins over whatever the speculative run did: its result never leaves.
      if (speculative) await admission;
      if (failure !== undefined || result === undefined) throw failure;
      const who = { runId: request.runId, ...(user === undefined ? {} : { user }) };
      if (!result.ok) {
        poisoned = result.error.poisoned === true;
        // A failed run keeps its own error: what leaves with it (message, guest stack, logs) is
        // redacted rather than blocked, so a guardrail never masks the real failure.
        const wire = this.guard.on ? this.guard.error(result.error, who) : result.error;
        const logs = this.guard.logs(result.logs, who, true);
        throw toError(wire, { runId: request.runId, logs, stats: result.stats });
      }
      const value = this.guard.value(result.valueJson === undefined ? undefined : JSON.parse(result.valueJson), { where: 'result', ...who }) as T;
      const logs = this.guard.logs(result.logs, who, false);
      if (recording) recording.outcome = { ok: true, ...(value === undefined ? {} : { valueJson: JSON.stringify(value) }) };
      return {
        ...(recording ? { recording: guardRecording(this.guard, recording, who) } : {}),
        value,
        logs,
        stats: { ...result.stats, queuedMs, totalMs: now() - calledAt },
        runId: request.runId,
        trusted: result.trusted,
        dangerous: this.policy.allowDangerousOperations,
      };
    } catch (error) {
      const typed = error instanceof SandboxError ? error : new WorkerCrashedError('WORKER_CRASHED', String((error as Error)?.message ?? error), { runId: request.runId, cause: error });
      if (recording) {
        recording.outcome = { ok: false, code: typed.code, message: typed.message };
        const saved = guardRecording(this.guard, recording, { runId: request.runId, ...(user === undefined ? {} : { user }) });
        Object.defineProperty(typed, 'details', { value: Object.freeze({ ...typed.details, recording: saved }), enumerable: true });
      }
      outcome = { ok: false, error: typed };
      throw typed;
    } finally {
      this.report(request, user, outcome, poisoned);
    }
  }

  /**
   * Observe mode: a run the validator rejected only for optional-module imports did not execute;
   * record the imports and run it again with them allowed. Any other rejection stands.
   */
  private async observeImports(slot: WorkerSlot, request: RunRequest, result: RunResult & { ok: false }, user: string | undefined, signal: AbortSignal | undefined, inSession: boolean, hooks: RunHooks | undefined, admitted: Promise<void> | undefined, onStarted: (at: number) => void): Promise<RunResult> {
    const imports = result.error.code === 'VALIDATION_REJECTED' && request.validation ? observableImports(result.error.violations ?? [], OPTIONAL_IMPORTS) : undefined;
    if (imports === undefined) return result;
    for (const specifier of imports) this.emit(importObservationEvent(specifier, { runId: request.runId, ...(user === undefined ? {} : { user }) }));
    request.validation!.allowedImports.push(...imports);
    request.allowedModules.push(...imports);
    return this.execute(slot, request, user, signal, inSession, hooks, admitted, onStarted);
  }

  /**
   * A worker for the run (queued for one; a session keeps its own), then the run on it. A run that
   * was still queued in a worker when that worker died, or that the pool gave to an idle worker
   * instead, did not start: it goes to another worker.
   */
  private async dispatch(request: RunRequest, user: string | undefined, signal: AbortSignal | undefined, session: { slot: WorkerSlot } | undefined, hooks: RunHooks | undefined, admitted: Promise<void> | undefined, onStarted: (at: number) => void): Promise<RunResult> {
    const inSession = session !== undefined;
    let refused = false;
    admitted?.catch(() => { refused = true; });
    for (;;) {
      const slot = await this.pool.acquire(session?.slot, signal).catch((e: unknown) => {
        if (e instanceof WorkerDeath) throw deathError(e, request, inSession);
        if (signal?.aborted) throw new AbortedError('run aborted while queued', { runId: request.runId });
        throw e;
      });
      try {
        // Sent at once, even to a worker still starting (its run port holds the run until init has
        // set up the engine): the first run does not wait a round trip for `ready`.
        let result = await this.execute(slot, request, user, signal, inSession, hooks, admitted, onStarted);
        if (this.observing && !result.ok) result = await this.observeImports(slot, request, result, user, signal, inSession, hooks, admitted, onStarted);
        return result;
      } catch (error) {
        if (error instanceof StartFailed) {
          throw new WorkerCrashedError('WORKER_CRASHED', `worker failed to start: ${error.message}`, { runId: request.runId, cause: error.cause });
        }
        if (!(error instanceof NotStarted)) throw error;
        if (signal?.aborted) throw new AbortedError('run aborted while queued', { runId: request.runId });
        if (refused) throw error; // withdrawn because it was refused: runOn throws the refusal
        if (this.disposed || inSession || error.death.reason === 'disposed') throw deathError(error.death, request, inSession);
        // Nothing of it ran: to the next free worker.
      } finally {
        this.pool.release(slot);
      }
    }
  }

  /**
   * Sends the run to the worker; the watchdog is armed when the run starts (at once on an idle
   * worker, or when the run ahead of it in the worker answers). Resolves to the wire result.
   */
  private execute(slot: WorkerSlot, request: RunRequest, user: string | undefined, signal: AbortSignal | undefined, inSession: boolean, hooks: RunHooks | undefined, admitted: Promise<void> | undefined, onStarted: (at: number) => void): Promise<RunResult> {
    let ticket: Ticket | undefined;
    let abortKill: ReturnType<typeof setTimeout> | undefined;
    let ended = false;
    // Aborted while it waited for a worker (no listener was there to hear it): never sent.
    if (signal?.aborted) return Promise.reject(new AbortedError('run aborted while queued', { runId: request.runId }));
    return new Promise<RunResult>((resolve, reject) => {
      const stop = () => {
        if (ended || abortKill !== undefined) return;
        // Cooperative first (works while the guest awaits the host or reaches an interrupt check);
        // a guest stuck in a native builtin gets its worker terminated.
        void slot.call((r) => r.abort(request.runId)).catch(() => undefined);
        abortKill = setTimeout(() => this.kill(slot, 'aborted', request.runId, user), 50);
      };
      const onAbort = () => {
        if (ticket) return stop();
        // Still queued in the worker: take it out, and the caller does not wait for that.
        slot.withdraw(request.runId);
        reject(new AbortedError('run aborted while queued', { runId: request.runId }));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      // A run started while its admission is decided is refused at once when its admission is: the
      // worker is asked to stop it (no kill: a run stuck in a builtin still ends at its deadline, and
      // nothing of it leaves), or to drop it if it is still queued.
      admitted?.catch((refusal: unknown) => {
        if (ended) return;
        if (ticket) void slot.call((r) => r.abort(request.runId)).catch(() => undefined);
        else slot.withdraw(request.runId);
        reject(refusal);
      });
      // The run's bookkeeping ends before its caller hears of it (observe mode runs it again at once).
      const finish = () => {
        ended = true;
        clearTimeout(abortKill);
        signal?.removeEventListener('abort', onAbort);
        if (ticket) this.watchdog.end(ticket);
      };
      slot.run(request, () => {
        ticket = this.watchdog.arm(request, slot, user, { ...(hooks ? { hooks } : {}), ...(admitted ? { admitted } : {}) });
        onStarted(now());
        // Aborted while it was queued, but it started before the worker saw the withdrawal.
        if (signal?.aborted) stop();
      }).then(
        (result) => {
          finish();
          resolve(result);
        },
        (error: unknown) => {
          finish();
          reject(error instanceof WorkerDeath ? deathError(error, request, inSession) : error);
        },
      );
    });
  }

  /**
   * The run's admission: while the audit log is loading, its `ready` and the disabled-user check
   * after it; the quota check (untrusted runs, with a rate limiter); then `beforeRun`. Undefined when
   * there is nothing to decide. A refusal is remembered until the quota resets (see
   * {@link recentlyRefused}).
   */
  private admission(request: RunRequest, user: string | undefined): Promise<void> | undefined {
    const quota = this.rateLimiter !== undefined && !request.trusted;
    const auditLoading = this.auditLoading;
    if (!quota && !this.beforeRun && !auditLoading) return undefined;
    const key = user ?? 'anonymous';
    const decide = async () => {
      // runOn asked isDisabled before the audit log had loaded what earlier pages disabled: ask again
      // once it has. Host calls (and so the disabled-tool check) wait for admission too.
      if (auditLoading) {
        await auditLoading;
        if (user !== undefined && this.audit?.isDisabled?.('user', user)) throw userDisabled(user, request.runId);
      }
      if (quota) await this.rateLimiter!.enforce(key, 'execution');
      await this.beforeRun?.({ runId: request.runId, user, trusted: request.trusted });
    };
    return decide().catch((error: unknown) => {
      const resetAt = error instanceof SandboxError && typeof error.details.resetAt === 'number' ? error.details.resetAt : Date.now() + REFUSAL_MEMORY_MS;
      this.refused.delete(key);
      this.refused.set(key, Math.min(resetAt, Date.now() + REFUSAL_MEMORY_MS));
      if (this.refused.size > 1024) this.refused.delete(this.refused.keys().next().value!);
      throw error;
    });
  }

  /** True while `user` was refused admission a moment ago: its runs then wait for their admission. */
  private recentlyRefused(user: string | undefined): boolean {
    const until = this.refused.get(user ?? 'anonymous');
    if (until === undefined) return false;
    if (Date.now() < until) return true;
    this.refused.delete(user ?? 'anonymous');
    return false;
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

  /**
   * The code hash of a run's records: the source itself for the audit log, which hashes it when it
   * writes the batch (no SHA-256 on the run's path); the hash for any other sink (remembered for
   * repeated sources, code-hash.ts). Empty without a sink.
   */
  private codeFields(code: string): { codeHash?: string; [CODE_SOURCE]?: string } {
    if (!this.audit) return {};
    return acceptsCodeSource(this.audit) ? { [CODE_SOURCE]: code } : { codeHash: codeHashOf(code) };
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
  private report(request: RunRequest, user: string | undefined, outcome: { ok: true } | { ok: false; error: SandboxError }, poisoned: boolean): void {
    if (!this.audit) return;
    const codeHash = this.codeFields(request.code);
    const base = { runId: request.runId, ...(user === undefined ? {} : { user }) };
    const details: Record<string, unknown> = {
      trusted: request.trusted,
      dangerous: request.allowDangerousOperations,
      session: request.sessionId !== undefined,
      ...(this.observing ? { observing: true } : {}),
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
    this.emit({ type, severity, ...base, ...codeHash, details });
    if (poisoned) this.emit({ type: 'worker_recycled', severity: 'high', ...base, ...codeHash, details: { reason: 'poisoned module' } });
  }
}

/** The refusal of a run of a user the audit log has disabled. */
function userDisabled(user: string, runId: string): SandboxError {
  return new SandboxError('USER_DISABLED', `user \`${user}\` is disabled by the audit log (multiple security violations); an operator can enable it again`, { runId });
}

/**
 * The host-call bridge's first step: a run that started while its admission was being decided makes
 * no host call until it is admitted, and none at all if it is refused (the run is being stopped).
 */
function admittedFirst(watchdog: Watchdog, hostCall: (request: HostCallRequest) => Promise<HostCallResult>): (request: HostCallRequest) => Promise<HostCallResult> {
  return async (request) => {
    const admitted = watchdog.get(request.runId)?.admitted;
    if (admitted) {
      try {
        await admitted;
      } catch {
        return { ok: false, code: 'TOOL_DENIED', message: 'the run was not admitted' };
      }
    }
    return hostCall(request);
  };
}

function checkModules(modules: SandboxOptions['modules']): Record<string, Record<string, HostFunction>> {
  if (modules === undefined) return {};
  if (!isPlainObject(modules)) throw invalidArgument('options.modules', 'a plain object', modules);
  const out: Record<string, Record<string, HostFunction>> = {};
  for (const [name, fns] of Object.entries(modules)) {
    if (!/^[a-z][\w-]*:[\w\-/.]+$/.test(name) || name.startsWith('quickcage:')) {
      throw invalidArgument(`options.modules`, 'keys like `app:db` (scheme:name, not quickcage:)', name);
    }
    if (!isPlainObject(fns)) throw invalidArgument(`options.modules.${name}`, 'an object of functions', fns);
    for (const [fn, impl] of Object.entries(fns)) {
      if (!IDENT.test(fn) || fn === 'default') throw invalidArgument(`options.modules.${name}`, 'export names that are identifiers', fn);
      if (typeof impl !== 'function') throw invalidArgument(`options.modules.${name}.${fn}`, 'a function', impl);
    }
    out[name] = { ...fns };
  }
  return out;
}


export type { DeathReason };

/**
 * QuickJS inside the worker: one WASM module instance with a hard memory cap, one runtime + context per
 * one-shot run (prepared ahead of time so a warm run only evaluates), session contexts that live across
 * runs, deadline interrupts, host calls, and the poisoned-module rule: any exception that comes out of
 * the WASM itself (not a guest error) discards the whole instance and builds a new one.
 */
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
  type QuickJSWASMModule,
} from 'quickjs-emscripten-core';
import releaseVariant from '@jitl/quickjs-wasmfile-release-sync';
import {
  PRELUDE_HARDEN_SOURCE,
  PRELUDE_INSPECT_SOURCE,
  PRELUDE_SERIALIZE_SOURCE,
  PRELUDE_SOURCE,
  PRELUDE_TOOLS_SOURCE,
  compact,
} from './prelude.js';

const CORE = compact(PRELUDE_SOURCE);
const HARDEN = compact(PRELUDE_HARDEN_SOURCE);
/** Helpers compiled into a context on first use, as `(k, ...deps) => helper`. */
const LAZY = {
  serialize: compact(PRELUDE_SERIALIZE_SOURCE),
  inspect: compact(PRELUDE_INSPECT_SOURCE),
  tools: compact(PRELUDE_TOOLS_SOURCE),
} as const;
type LazyName = keyof typeof LAZY;
import { DEFAULT_MODULES } from './validate.js';
import { installDeterminism } from './deterministic.js';
import type {
  ErrorCode,
  GuestErrorInfo,
  HostBridge,
  LogEntry,
  RunRequest,
  RunResult,
  RunStats,
  WireError,
  WireLimits,
  WorkerInfo,
} from './protocol.js';

const now = (): number => performance.timeOrigin + performance.now();
const PAGE = 65536;
/** Initial WASM memory; the emscripten build expects at least 16 MiB. */
const INITIAL_MEMORY = 16 * 1024 * 1024;

/** Raised inside the engine to end a run with a code; never crosses the wire as an exception. */
class RunFailure extends Error {
  constructor(readonly wire: WireError) {
    super(wire.message);
  }
}

/** A context with the prelude installed, ready for one run (or a session's many runs). */
interface Cell {
  runtime: QuickJSRuntime;
  context: QuickJSContext;
  /** The object the core prelude returned: `tame` and the captured intrinsics `k`. */
  internal: QuickJSHandle;
  /** Helpers compiled into this context on first use (see LAZY). */
  lazy: Partial<Record<LazyName, QuickJSHandle>>;
  /** Whether `tame()` ran in this context. */
  tamed: boolean;
  /** The run currently using this cell (host callbacks read it). */
  state: RunState | null;
  sessionId?: string;
  /** Deadline of the setup code while it runs (no run state yet). */
  setupDeadline?: number | undefined;
  /** The QuickJS stack limit currently set on the runtime (lowered during guest JSON calls). */
  stackBytes: number;
}

/** Budget of the app's setup code in each fresh context. */
const SETUP_TIMEOUT_MS = 1000;

interface RunState {
  request: RunRequest;
  startedAt: number;
  deadline: number;
  pausedAt: number | null;
  logs: LogEntry[];
  logChars: number;
  /** Why the interrupt handler is stopping the guest, if it is. */
  stop: 'deadline' | 'output' | 'abort' | 'fault' | 'memory' | null;
  finished: boolean;
  /** Promises the guest is waiting on (host calls, timers): their resolving functions, owned here. */
  outstanding: Set<Pending>;
  timers: Map<number, ReturnType<typeof setTimeout>>;
  wake: (() => void) | null;
  toolCalls: number;
  cpuMs: number;
  peakWasm: number;
}

/**
 * The resolving functions of a promise the guest created for a host call or timer. The guest makes
 * the promise itself (with intrinsics the prelude captured); quickjs-emscripten-core's `newPromise()`
 * is not used: it reads its result through a typed-array view right after a call that may grow WASM
 * memory, which throws a host TypeError under memory growth and leaks the promise.
 */
interface Pending {
  resolve: QuickJSHandle;
  reject: QuickJSHandle;
}

/**
 * Shadow-stack budget of one guest call to `JSON.parse` / `JSON.stringify`, counted from where the
 * call starts. Their C recursion costs ~5x more native stack than the shadow stack QuickJS's limit
 * counts, so without this a nested JSON text could overflow the worker's native stack (~500 KiB)
 * before the run's own limit trips. 24 KiB is ~1000 levels of JSON nesting.
 */
const JSON_STACK_BUDGET = 24 * 1024;
/** QuickJS stack limit of a cell before a run sets its own (prelude, setup code). */
const DEFAULT_STACK_BYTES = 64 * 1024;
/**
 * WASM memory held back from guests for the host's own allocations. quickjs-emscripten's glue
 * (strings, handles, argument arrays) calls malloc without checking for NULL and then writes through
 * the pointer: if a guest had filled memory to the cap, that write would corrupt the module (seen as
 * "memory access out of bounds"). Once the cap refuses a grow, the block is released at the next
 * point where no malloc is running, and the guest is stopped with MEMORY_LIMIT.
 */
const HOST_RESERVE_BYTES = 1024 * 1024;
/** Offset of `malloc_state.malloc_limit` in QuickJS's JSRuntime (wasm32, this pinned build). */
const RT_MALLOC_LIMIT = 24;
/** Jobs run per call into QuickJS before the engine checks the deadline again. */
const JOB_BATCH = 1024;

/** The parts of quickjs-emscripten-core's runtime that {@link Engine.runJobs} calls directly. */
interface RuntimeInternals {
  ffi: {
    QTS_ExecutePendingJob(rt: number, maxJobs: number, lastJobContext: number): number;
    QTS_FreeValuePointerRuntime(rt: number, value: number): void;
  };
  rt: { value: number };
  module: { _malloc(bytes: number): number; _free(pointer: number): void };
}

interface ContextInternals {
  ctx: { value: number };
  getMemory(rt: number): { heapValueHandle(pointer: number): QuickJSHandle };
}

/** Options of {@link Engine.create}. */
export interface EngineOptions {
  wasmModule: WebAssembly.Module;
  wasmMemoryMaxBytes: number;
  bridge: HostBridge;
  /** Trusted framework code evaluated first in every fresh context. */
  setupCode?: string | undefined;
}

export class Engine {
  private qjs!: QuickJSWASMModule;
  private memory!: WebAssembly.Memory;
  /**
   * Reads emscripten's shadow stack pointer (what QuickJS's stack check measures), or null when this
   * build does not export it where expected; then JSON calls run under the run's limit only.
   */
  private stackPointer: (() => number) | null = null;
  /** The shadow stack pointer while no QuickJS call is active (the top QuickJS counts from). */
  private stackTop = 0;
  private prepared: Cell | null = null;
  private preparing = false;
  private readonly sessions = new Map<string, Cell>();
  private rebuilds = 0;
  /** Resolves when a rebuild started by a poisoned module has finished. */
  private rebuilding: Promise<void> = Promise.resolve();
  private readonly running = new Set<RunState>();
  private injectFault = false;
  private injectCallbackFault = false;
  /** One-shot cells whose run has answered, waiting to be freed. */
  private readonly retired: Cell[] = [];
  /** Set when the hard memory cap refused a grow during the current run. */
  private growRefused = false;
  /** The host's reserve block (see HOST_RESERVE_BYTES), 0 while released. */
  private reserve = 0;
  /** A 4-byte cell for QTS_ExecutePendingJob's out-parameter, allocated once while memory is free. */
  private jobOut = 0;
  /** The cell whose guest code is running (the grow hook starves its runtime on a refused grow). */
  private activeCell: Cell | null = null;
  /** A host callback called from C failed (quickjs-emscripten swallows it): host stack overflow or a bug. */
  private callbackFault: unknown = null;
  private liveContexts = 0;
  /** Sessions lost to a module rebuild: their next run fails with SESSION_LOST. */
  private readonly lostSessions = new Set<string>();
  /** Sessions the engine closed cleanly (module intact), with why: their next run says so. */
  private readonly closedSessions = new Map<string, string>();

  private constructor(private readonly options: EngineOptions) {}

  static async create(options: EngineOptions): Promise<Engine> {
    const engine = new Engine(options);
    await engine.instantiate();
    engine.prepareSoon();
    return engine;
  }

  private async instantiate(): Promise<void> {
    const pages = Math.max(INITIAL_MEMORY / PAGE, Math.ceil(this.options.wasmMemoryMaxBytes / PAGE));
    const memory = new WebAssembly.Memory({ initial: INITIAL_MEMORY / PAGE, maximum: pages });
    // The emscripten glue grows this very object; a refused grow means a malloc inside QuickJS failed
    // at the hard cap. QuickJS then throws a value that may dump as null or "", so this flag is how
    // MEMORY_LIMIT is told apart from a guest that throws null.
    const grow = memory.grow.bind(memory);
    memory.grow = (delta: number) => {
      try {
        return grow(delta);
      } catch (error) {
        this.growRefused = true;
        // Inside malloc nothing may call back into the module; a plain store may: QuickJS's own
        // limit of the running runtime drops to 0, so the guest's next allocations fail at once.
        const rt = this.activeCell ? (this.activeCell.runtime as unknown as RuntimeInternals).rt.value : 0;
        if (rt) new Uint32Array(memory.buffer, rt + RT_MALLOC_LIMIT, 1)[0] = 0;
        throw error;
      }
    };
    this.memory = memory;
    let exports: WebAssembly.Exports | undefined;
    const wasmModule = this.options.wasmModule;
    // Instantiated here rather than through newVariant's `wasmModule` option, to keep the instance's
    // exports: emscripten's `stackSave` (minified `Oa` in this pinned build) is how a JSON call
    // learns where it starts on the shadow stack.
    const variant = newVariant(releaseVariant, {
      wasmMemory: this.memory,
      emscriptenModule: {
        instantiateWasm(imports: WebAssembly.Imports, onSuccess: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) {
          void WebAssembly.instantiate(wasmModule, imports).then((instance) => {
            exports = instance.exports;
            onSuccess(instance, wasmModule);
          });
          return {};
        },
      } as never,
    });
    this.qjs = await newQuickJSWASMModuleFromVariant(variant);
    // The build starts with 16 MiB. Under a smaller cap, the part of it the guest must not reach is
    // allocated once here and never freed, so the guest's share is the same whatever its limit.
    const ballast = INITIAL_MEMORY - this.options.wasmMemoryMaxBytes;
    const module = (this.qjs as unknown as { module: RuntimeInternals['module'] }).module;
    if (ballast > 0) module._malloc(ballast);
    this.jobOut = module._malloc(4);
    this.reserve = module._malloc(HOST_RESERVE_BYTES);
    this.stackPointer = null;
    const save = exports?.Oa;
    if (typeof save === 'function' && save.length === 0) {
      const read = save as () => number;
      const top = read();
      // Sanity: a 16-byte aligned address inside linear memory, stable while idle.
      if (Number.isInteger(top) && top > 0 && top % 16 === 0 && top < this.memory.buffer.byteLength && read() === top) {
        this.stackPointer = read;
        this.stackTop = top;
      }
    }
  }

  /**
   * Lowers the cell's QuickJS stack limit so that at most {@link JSON_STACK_BUDGET} more shadow stack
   * is available from here (never raises it). Returns the limit to restore afterwards.
   */
  private narrowStack(cell: Cell): number {
    const previous = cell.stackBytes;
    if (this.stackPointer) {
      const used = Math.max(0, this.stackTop - this.stackPointer());
      const narrowed = used + JSON_STACK_BUDGET;
      if (narrowed < previous) this.setStack(cell, narrowed);
    }
    return previous;
  }

  private get wasm(): RuntimeInternals['module'] {
    return (this.qjs as unknown as { module: RuntimeInternals['module'] }).module;
  }

  /** Frees the host reserve after a refused grow; call only where no malloc is running. */
  private releaseReserve(): void {
    if (this.growRefused && this.reserve !== 0) {
      this.wasm._free(this.reserve);
      this.reserve = 0;
    }
  }

  /** Takes the host reserve back once memory is free again (between runs). */
  private restoreReserve(): void {
    if (this.reserve === 0) this.reserve = this.wasm._malloc(HOST_RESERVE_BYTES);
  }

  private setStack(cell: Cell, bytes: number): void {
    cell.stackBytes = bytes;
    cell.runtime.setMaxStackSize(bytes);
  }

  /**
   * quickjs-emscripten catches exceptions thrown by host callbacks called from C (interrupt handler,
   * host functions, module loader), logs them and carries on with a made-up value. The worker routes
   * that log here: the run's result cannot be trusted, and the module is rebuilt.
   */
  reportCallbackFault(error: unknown): void {
    this.callbackFault ??= error ?? new Error('host callback failed');
  }

  info(): WorkerInfo {
    return {
      moduleRebuilds: this.rebuilds,
      wasmMemoryBytes: this.memory.buffer.byteLength,
      sessions: [...this.sessions.keys()],
      liveContexts: this.liveContexts,
      wasmFetches: performance.getEntriesByType('resource').filter((e) => e.name.includes('.wasm')).length,
    };
  }

  /**
   * Frees every context and runtime. QuickJS asserts that a freed runtime holds no objects, so a
   * leaked handle surfaces here as an abort: reported as `leaked`, and the module is rebuilt.
   */
  shutdown(): { leaked: boolean; detail: string } {
    const cells = [this.prepared, ...this.sessions.values(), ...this.retired.splice(0)].filter((c): c is Cell => c !== null);
    this.prepared = null;
    this.sessions.clear();
    try {
      for (const cell of cells) this.disposeCell(cell);
      return { leaked: false, detail: '' };
    } catch (error) {
      this.poisoned(error);
      return { leaked: true, detail: error instanceof Error ? error.message : String(error) };
    }
  }

  /** Test hook (only with `debug` init): the next run fails as if the WASM had aborted mid-evaluation. */
  faultForTest(kind: 'eval' | 'callback' = 'eval'): void {
    if (kind === 'callback') this.injectCallbackFault = true;
    else this.injectFault = true;
  }

  /** Test hook (only with `debug` init): keeps one handle alive in the prepared context, a deliberate leak. */
  leakForTest(): void {
    this.prepared ??= this.newCell(true);
    this.prepared.context.newObject();
  }

  // ---------------------------------------------------------------- cells

  /**
   * A fresh cell. When the worker's memory is full (sessions hold it) creating one fails like a guest
   * allocation does: what was made is freed and the failure is MEMORY_LIMIT, not a fault of the module.
   */
  private newCell(tamed: boolean): Cell {
    const refusedBefore = this.growRefused;
    this.growRefused = false;
    let made: Cell | undefined;
    try {
      made = this.makeCell(tamed, (cell) => {
        made = cell;
      });
      return made;
    } catch (error) {
      if (!(error instanceof RunFailure) && this.growRefused) {
        if (made?.context.alive) this.disposeCell(made);
        throw new RunFailure({ code: 'MEMORY_LIMIT', message: `the worker's memory is full: no new context fits under its cap of ${this.options.wasmMemoryMaxBytes} bytes` });
      }
      throw error;
    } finally {
      this.growRefused ||= refusedBefore;
    }
  }

  private makeCell(tamed: boolean, created: (cell: Cell) => void): Cell {
    const runtime = this.qjs.newRuntime();
    const context = runtime.newContext();
    this.liveContexts++;
    const cell: Cell = {
      runtime, context, internal: undefined as unknown as QuickJSHandle, lazy: {}, tamed, state: null, stackBytes: DEFAULT_STACK_BYTES,
    };
    created(cell);
    runtime.setMaxStackSize(DEFAULT_STACK_BYTES);
    runtime.setInterruptHandler(() => this.shouldInterrupt(cell));
    runtime.setModuleLoader((name) => this.loadModule(cell, name));
    const host = context.newObject();
    const fns: Record<string, QuickJSHandle> = {
      log: this.hostFunction(cell, 'log', (level, text) => {
        this.onLog(cell, context.getString(level!) as LogEntry['level'], context.getString(text!));
      }),
      call: this.hostFunction(cell, 'call', (target, args, resolve, reject) =>
        this.onHostCall(cell, context.getString(target!), context.getString(args!), resolve!, reject!)),
      timer: this.hostFunction(cell, 'timer', (id, ms, resolve, reject) =>
        this.onTimer(cell, context.getNumber(id!), context.getNumber(ms!), resolve!, reject!)),
      // Only the inspector is asked for from guest-facing code (console); nothing else is reachable.
      lazy: this.hostFunction(cell, 'lazy', () => {
        try {
          return this.helper(cell, 'inspect').dup();
        } catch (error) {
          // Re-throw the guest's own exception (e.g. out of memory) into the guest, handle and all.
          if (error instanceof GuestValueError) return { error: error.handle };
          throw error;
        }
      }),
      narrow: this.hostFunction(cell, 'narrow', () => context.newNumber(this.narrowStack(cell))),
      widen: this.hostFunction(cell, 'widen', (previous) => {
        this.setStack(cell, context.getNumber(previous!));
      }),
    };
    for (const [name, fn] of Object.entries(fns)) {
      context.setProp(host, name, fn);
      fn.dispose();
    }
    context.setProp(context.global, '__qc_host', host);
    host.dispose();
    cell.internal = context.unwrapResult(context.evalCode(CORE, 'quickcage:prelude'));
    this.seedRandom(cell);
    if (this.options.setupCode) this.runSetup(cell, this.options.setupCode);
    if (tamed) this.callInternal(cell, 'tame', []).dispose();
    return cell;
  }

  /**
   * A host function for the prelude. quickjs-emscripten-core turns an exception thrown by a host
   * callback into a guest exception, so a failure of the host itself would reach the guest as its own
   * error (a guest could even catch it). Instead it is recorded as a callback fault: the guest is
   * stopped at its next interrupt check and the run ends as a fault of the worker.
   */
  private hostFunction(cell: Cell, name: string, fn: (...args: QuickJSHandle[]) => QuickJSHandle | { error: QuickJSHandle } | void): QuickJSHandle {
    return cell.context.newFunction(name, (...args) => {
      // A host callback is a point where no malloc runs: hand the reserve back before allocating.
      this.releaseReserve();
      try {
        if (this.injectCallbackFault && name === 'call') {
          this.injectCallbackFault = false;
          throw new TypeError('injected host callback fault (faultForTest)');
        }
        return fn(...args);
      } catch (error) {
        this.reportCallbackFault(error);
        if (cell.state) cell.state.stop ??= 'fault';
        return undefined;
      }
    });
  }

  /**
   * QuickJS seeds each context's Math.random from the clock, so two contexts made in the same
   * microsecond share a sequence: the prelude's generator is seeded from crypto.getRandomValues.
   */
  private seedRandom(cell: Cell): void {
    const seed = crypto.getRandomValues(new Uint32Array(4));
    const { context } = cell;
    const args = [...seed].map((n) => context.newNumber(n));
    try {
      this.callInternal(cell, 'seed', args).dispose();
    } finally {
      for (const h of args) h.dispose();
    }
  }

  /**
   * The app's trusted framework code (tool wrappers, helpers): the first execution in every fresh
   * context, before taming, under its own 1 s deadline. Everything after it is untrusted.
   */
  private runSetup(cell: Cell, code: string): void {
    cell.setupDeadline = now() + SETUP_TIMEOUT_MS;
    try {
      const result = cell.context.evalCode(code, 'quickcage:setup', { type: 'global' });
      if (result.error) {
        const info = new GuestValueError(cell.context, result.error).read();
        throw new RunFailure({ code: 'GUEST_ERROR', message: `setup code failed: ${info.name}: ${info.message}`, details: { setup: true } });
      }
      result.value.dispose();
      while (cell.runtime.hasPendingJob() && now() <= cell.setupDeadline) this.runJobs(cell, JOB_BATCH)?.dispose();
    } catch (error) {
      this.disposeCell(cell);
      throw error;
    } finally {
      cell.setupDeadline = undefined;
    }
  }

  private disposeCell(cell: Cell): void {
    if (cell.state) this.finishState(cell.state);
    for (const h of Object.values(cell.lazy)) h.dispose();
    // Absent when the cell failed while it was being made.
    (cell.internal as QuickJSHandle | undefined)?.dispose();
    cell.context.dispose();
    this.liveContexts--;
    cell.runtime.dispose();
  }

  /**
   * Frees the runtimes of finished one-shot runs. Freeing can abort inside the WASM (QuickJS asserts
   * that no object outlives its runtime: a leaked handle, or the gc_obj_list assertion after a promise
   * flood or an out-of-memory in a job); the module is then rebuilt and the page is told.
   */
  private flushRetired(): void {
    while (this.retired.length > 0) {
      const cell = this.retired.pop()!;
      try {
        this.disposeCell(cell);
      } catch (error) {
        this.retired.length = 0;
        const fault = this.poisoned(error);
        void this.options.bridge.workerEvent({ type: 'module_rebuilt', message: fault.message }).catch(() => undefined);
      }
    }
  }

  /** Resolves once no rebuild is pending (a rebuild may start while an earlier one is awaited). */
  private async moduleReady(): Promise<void> {
    for (let pending = this.rebuilding; ; pending = this.rebuilding) {
      await pending;
      if (pending === this.rebuilding) return;
    }
  }

  /**
   * After a run: frees what it left (off the run's critical path) and prepares the next one-shot
   * context while the worker is idle, so a warm run only evaluates.
   */
  private prepareSoon(): void {
    if (this.prepared || this.preparing) return;
    this.preparing = true;
    setTimeout(async () => {
      // Never prepare on a module that is being replaced.
      await this.moduleReady();
      this.preparing = false;
      this.flushRetired();
      this.restoreReserve();
      if (this.prepared) return;
      try {
        this.prepared = this.newCell(true);
      } catch (error) {
        // A failing setup script is reported by the run that needs the context; anything else is a fault.
        if (!(error instanceof RunFailure)) {
          const fault = this.poisoned(error);
          void this.options.bridge.workerEvent({ type: 'module_rebuilt', message: fault.message }).catch(() => undefined);
        }
      }
    }, 0);
  }

  private takeCell(tamed: boolean): Cell {
    const cell = this.prepared;
    if (cell && cell.tamed === tamed) {
      this.prepared = null;
      return cell;
    }
    return this.newCell(tamed);
  }

  /**
   * Runs pending jobs; returns the exception a job ended with, if any. Replaces
   * `QuickJSRuntime.executePendingJobs`, which reads the job's context pointer through a typed-array
   * view made before the call: when a job grows WASM memory that view is detached, the read gives
   * `undefined`, and quickjs-emscripten-core then creates (and never frees) a brand-new context for
   * it. That stray context is what made `JS_FreeRuntime` abort on `gc_obj_list` after a job that
   * allocated a lot. Here the pointer is read through a view made after the call.
   */
  private runJobs(cell: Cell, max: number): QuickJSHandle | undefined {
    const internals = cell.runtime as unknown as RuntimeInternals;
    this.releaseReserve();
    const out = this.jobOut;
    {
      new Int32Array(this.memory.buffer, out, 1)[0] = 0;
      const valuePtr = internals.ffi.QTS_ExecutePendingJob(internals.rt.value, max, out);
      const ctxPtr = new Int32Array(this.memory.buffer, out, 1)[0]!;
      // 0: no job ran, or the job's context is gone (never ours: a cell's context outlives its jobs).
      if (ctxPtr === 0) {
        internals.ffi.QTS_FreeValuePointerRuntime(internals.rt.value, valuePtr);
        return undefined;
      }
      const context = cell.context as unknown as ContextInternals;
      if (ctxPtr !== context.ctx.value) throw new Error(`a job ran in an unknown QuickJS context (${ctxPtr})`);
      const handle = context.getMemory(internals.rt.value).heapValueHandle(valuePtr);
      // Success is the number of jobs run; a job's exception is never a number here (reaction jobs
      // turn guest throws into rejections; what escapes is an interrupt or out-of-memory error).
      if (cell.context.typeof(handle) === 'number') {
        handle.dispose();
        return undefined;
      }
      return handle;
    }
  }

  private callInternal(cell: Cell, method: string, args: QuickJSHandle[], on: QuickJSHandle = cell.internal): QuickJSHandle {
    const { context } = cell;
    const fn = context.getProp(on, method);
    try {
      const result = context.callFunction(fn, context.undefined, args);
      if (result.error) throw new GuestValueError(context, result.error);
      return result.value;
    } finally {
      fn.dispose();
    }
  }

  // ---------------------------------------------------------------- host callbacks

  private shouldInterrupt(cell: Cell): boolean {
    const state = cell.state;
    if (!state) return cell.setupDeadline !== undefined && now() > cell.setupDeadline;
    if (state.finished || state.stop) return true;
    if (this.growRefused) {
      this.releaseReserve();
      state.stop = 'memory';
      return true;
    }
    if (state.pausedAt === null && now() > state.deadline) {
      state.stop = 'deadline';
      return true;
    }
    return false;
  }

  private onLog(cell: Cell, level: LogEntry['level'], quoted: string): void {
    const state = cell.state;
    if (!state || state.finished) return;
    const message = JSON.parse(quoted) as string;
    state.logChars += message.length;
    if (state.logChars > state.request.limits.maxLogBytes) {
      // Uncatchable: the interrupt handler ends the guest at its next check.
      state.stop ??= 'output';
      return;
    }
    state.logs.push({ level, message, time: Math.round((now() - state.startedAt) * 1000) / 1000 });
  }

  /** A guest host call: `resolve`/`reject` belong to the promise the guest already created for it. */
  private onHostCall(cell: Cell, target: string, argsJson: string, resolve: QuickJSHandle, reject: QuickJSHandle): { error: QuickJSHandle } | undefined {
    const state = cell.state;
    const { context } = cell;
    if (!state || state.finished) return { error: context.newError({ name: 'ToolError', message: 'the run has ended' }) };
    state.toolCalls++;
    const pending: Pending = { resolve: resolve.dup(), reject: reject.dup() };
    state.outstanding.add(pending);
    const allowed = state.request.toolNames.includes(target) || this.isHostModuleTarget(state.request, target);
    const reply = allowed
      ? this.options.bridge.hostCall({ runId: state.request.runId, target, argsJson })
      : Promise.resolve({ ok: false as const, code: 'TOOL_DENIED' as ErrorCode, message: `tool \`${target}\` is not granted to this run` });
    reply.then(
      (result) => this.settleHostCall(cell, state, pending, result.ok ? { json: result.valueJson } : { code: result.code, message: result.message }),
      (error: unknown) => this.settleHostCall(cell, state, pending, { code: 'TOOL_FAILED', message: String((error as Error)?.message ?? error) }),
    );
    return undefined;
  }

  private isHostModuleTarget(request: RunRequest, target: string): boolean {
    const colon = target.lastIndexOf('#');
    if (colon < 0) return false;
    const exports = request.hostModules[target.slice(0, colon)];
    return exports !== undefined && exports.includes(target.slice(colon + 1));
  }

  private settleHostCall(
    cell: Cell,
    state: RunState,
    pending: Pending,
    outcome: { json: string | undefined } | { code: ErrorCode; message: string },
  ): void {
    if (!state.outstanding.delete(pending)) return;
    if (state.finished || cell.state !== state) {
      disposePending(pending);
      return;
    }
    const { context } = cell;
    try {
      let arg: QuickJSHandle;
      let fn: QuickJSHandle;
      if ('json' in outcome) {
        arg = outcome.json === undefined ? context.undefined : context.newString(outcome.json);
        fn = pending.resolve;
      } else {
        // Registry messages usually end with their code already; say it once.
        const message = outcome.message.endsWith(`(${outcome.code})`) ? outcome.message : `${outcome.message} (${outcome.code})`;
        arg = context.newError({ name: 'ToolError', message });
        const code = context.newString(outcome.code);
        context.setProp(arg, 'code', code);
        code.dispose();
        fn = pending.reject;
      }
      // Resolving functions run no guest code (reactions become jobs); a failure here is out of memory.
      const result = context.callFunction(fn, context.undefined, arg);
      if (arg !== context.undefined) arg.dispose();
      if (result.error) result.error.dispose();
      else result.value.dispose();
    } catch (error) {
      this.reportCallbackFault(error);
      state.stop ??= 'fault';
    } finally {
      disposePending(pending);
    }
    state.wake?.();
  }

  private onTimer(cell: Cell, id: number, ms: number, resolve: QuickJSHandle, reject: QuickJSHandle): void {
    const state = cell.state;
    if (!state || state.finished) return;
    const pending: Pending = { resolve: resolve.dup(), reject: reject.dup() };
    state.outstanding.add(pending);
    const delay = Math.min(Math.max(0, ms), 2 ** 31 - 1);
    state.timers.set(id, setTimeout(() => {
      state.timers.delete(id);
      this.settleHostCall(cell, state, pending, { json: undefined });
    }, delay));
  }

  private loadModule(cell: Cell, name: string): string | { error: Error } {
    const request = cell.state?.request;
    const exports = request?.hostModules[name];
    if (exports) {
      // Each export of a host module is an async call back to the main thread.
      return exports
        .map((fn) => `export const ${fn} = (arg) => globalThis.__qc_call(${JSON.stringify(`${name}#${fn}`)}, arg, ${request!.limits.maxResultBytes});`)
        .join('\n');
    }
    const builtin = DEFAULT_MODULES[name];
    if (builtin !== undefined && request?.allowedModules.includes(name)) return builtin;
    if (name === 'quickcage:tools' && request) {
      return request.toolNames.map((t) => `export const ${t} = globalThis.tools[${JSON.stringify(t)}];`).join('\n');
    }
    return { error: new Error(`module \`${name}\` is not allowed by the policy`) };
  }

  // ---------------------------------------------------------------- runs

  /** Opens a session cell. Its globals persist across runs until {@link closeSession}. */
  openSession(sessionId: string, trusted: boolean): void {
    if (this.sessions.has(sessionId)) return;
    const cell = this.newCell(!trusted);
    cell.sessionId = sessionId;
    try {
      const result = cell.context.evalCode(HARDEN, 'quickcage:harden');
      const harden = cell.context.unwrapResult(result);
      const done = cell.context.callFunction(harden, cell.context.undefined);
      harden.dispose();
      cell.context.unwrapResult(done).dispose();
    } catch (error) {
      this.disposeCell(cell);
      throw error;
    }
    this.sessions.set(sessionId, cell);
  }

  closeSession(sessionId: string): void {
    const cell = this.sessions.get(sessionId);
    this.lostSessions.delete(sessionId);
    this.closedSessions.delete(sessionId);
    if (!cell) return;
    this.sessions.delete(sessionId);
    this.disposeCell(cell);
  }

  /**
   * Evaluates already-checked code. `mode` and `code` come from the source analysis (the worker's api
   * rewrites a top-level-await script into a module whose default export is the last expression).
   */
  async evaluate(request: RunRequest, mode: 'script' | 'module', code: string, startedAt: number): Promise<RunResult> {
    this.flushRetired();
    await this.moduleReady();
    const state = this.newState(request, startedAt);
    if (request.sessionId !== undefined && !this.sessions.has(request.sessionId)) {
      const closed = this.closedSessions.get(request.sessionId);
      if (closed !== undefined) {
        return this.fail(state, { code: 'SESSION_LOST', message: `session \`${request.sessionId}\` was closed ${closed}` });
      }
      const lost = this.lostSessions.has(request.sessionId);
      return this.fail(state, {
        code: lost ? 'SESSION_LOST' : 'INVALID_ARGUMENT',
        message: lost
          ? `session \`${request.sessionId}\` was lost when its QuickJS module had to be rebuilt`
          : `unknown session \`${request.sessionId}\``,
      });
    }
    const tamed = !request.trusted && !request.allowDangerousOperations;
    let cell: Cell | undefined;
    let valueJson: string | undefined;
    let failure: WireError | undefined;
    let heapBytes = 0;
    this.restoreReserve();
    // A one-shot run always gets its worker: sessions that hold the memory it needs are closed
    // (their next run fails with SESSION_LOST), one at a time, oldest first.
    for (const [id, held] of this.sessions) {
      if (this.reserve !== 0 || request.sessionId !== undefined) break;
      if (held.state !== null) continue;
      this.sessions.delete(id);
      this.closedSessions.set(id, "because it held the worker's memory and a run needed it");
      this.disposeCell(held);
      this.restoreReserve();
    }
    if (this.reserve === 0) {
      // Sessions hold so much of the worker's memory that the host's reserve cannot be taken back:
      // no guest code may run until they shrink or close (see HOST_RESERVE_BYTES).
      return this.fail(state, {
        code: 'MEMORY_LIMIT',
        message: `the session holds the worker's memory (cap ${this.options.wasmMemoryMaxBytes} bytes); it cannot run until it is closed`,
      });
    }
    this.running.add(state);
    this.growRefused = false;
    this.callbackFault = null;
    try {
      cell = request.sessionId === undefined ? this.takeCell(tamed) : this.sessions.get(request.sessionId)!;
      cell.state = state;
      this.activeCell = cell;
      cell.runtime.setMemoryLimit(request.limits.memoryLimitBytes);
      cell.runtime.setMaxStackSize(request.limits.maxStackBytes);
      this.installRunGlobals(cell, request);
      valueJson = await this.execute(cell, state, mode, code);
      if (request.sessionId === undefined && request.measureHeap) heapBytes = this.heapBytes(cell);
    } catch (error) {
      this.releaseReserve();
      failure = this.classify(cell, state, error);
    } finally {
      this.activeCell = null;
      this.running.delete(state);
    }
    if (this.callbackFault !== null && !failure?.poisoned) {
      failure = this.poisoned(this.callbackFault);
    }
    state.peakWasm = this.memory.buffer.byteLength;
    // Teardown: one-shot cells go away entirely (jobs, timers and all); session cells stay. A
    // poisoned module is discarded whole, so its cells are not touched again.
    this.finishState(state);
    if (cell && !failure?.poisoned) {
      cell.state = null;
      try {
        cell.runtime.setMemoryLimit(-1);
        // A one-shot cell is freed after the result is on its way (see flushRetired); its jobs
        // and timers are already dead (finishState), and nothing can reach it again.
        if (request.sessionId === undefined) this.retired.push(cell);
        else this.drainSession(cell, request);
      } catch (error) {
        // Freeing a runtime can abort inside the WASM (the gc_obj_list assertion after a promise
        // flood or an out-of-memory in a job): the result stands, the module is rebuilt.
        const fault = this.poisoned(error);
        if (failure) failure.poisoned = true;
        else failure = fault;
      }
    }
    this.prepareSoon();
    const stats = this.stats(state, heapBytes);
    if (failure) return { ok: false, error: failure, logs: state.logs, stats, trusted: request.trusted };
    return { ok: true, valueJson, logs: state.logs, stats, trusted: request.trusted };
  }

  private fail(state: RunState, error: WireError): RunResult {
    return { ok: false, error, logs: state.logs, stats: this.stats(state, 0), trusted: state.request.trusted };
  }

  private stats(state: RunState, heapBytes: number): RunStats {
    return {
      wallMs: now() - state.startedAt,
      cpuMs: state.cpuMs,
      peakMemoryBytes: Math.max(state.peakWasm, this.memory.buffer.byteLength),
      heapBytes,
      toolCalls: state.toolCalls,
    };
  }

  private installRunGlobals(cell: Cell, request: RunRequest): void {
    const { context } = cell;
    const scope: QuickJSHandle[] = [];
    try {
      if (request.toolNames.length > 0 || Object.keys(request.hostModules).length > 0) {
        const names = context.newArray();
        scope.push(names);
        request.toolNames.forEach((name, i) => {
          const s = context.newString(name);
          context.setProp(names, i, s);
          s.dispose();
        });
        const max = context.newNumber(request.limits.maxResultBytes);
        scope.push(max);
        scope.push(this.callInternal(cell, 'installTools', [names, max], this.helper(cell, 'tools')));
        const callHost = context.getProp(this.helper(cell, 'tools'), 'callHost');
        scope.push(callHost);
        // Host-module shims call back through this; deleted from reach of guest code is not needed
        // since it only reaches targets the request already grants.
        context.defineProp(context.global, '__qc_call', { value: callHost, configurable: true, enumerable: false });
      }
      if (request.globalsJson !== undefined) {
        const json = context.newString(request.globalsJson);
        scope.push(json);
        scope.push(this.callInternal(cell, 'installGlobals', [json], this.helper(cell, 'tools')));
      }
      // Deterministic mode (fleet): one additive call, everything else lives in worker/deterministic.ts.
      if (request.deterministic) installDeterminism(context, cell.internal, request.deterministic);
    } finally {
      for (const h of scope) h.dispose();
    }
  }

  /**
   * A helper compiled into the cell on first use: `(k, ...deps) => helper` with the core's captured
   * intrinsics. It never reads globals, so compiling it after guest code ran is safe.
   */
  private helper(cell: Cell, name: LazyName): QuickJSHandle {
    const cached = cell.lazy[name];
    if (cached) return cached;
    const { context } = cell;
    const deps = name === 'tools' ? [this.helper(cell, 'serialize')] : [];
    // Compiling a helper can fail like guest code does (out of memory, interrupted at the deadline):
    // that is the run's limit error, not a fault of the module, so it is raised as a guest value.
    const compiled = context.evalCode(LAZY[name], `quickcage:${name}`);
    if (compiled.error) throw new GuestValueError(context, compiled.error);
    const k = context.getProp(cell.internal, 'k');
    const made = context.callFunction(compiled.value, context.undefined, k, ...deps);
    compiled.value.dispose();
    k.dispose();
    if (made.error) throw new GuestValueError(context, made.error);
    cell.lazy[name] = made.value;
    return made.value;
  }

  /** Runs guest code to completion (or failure) and returns its serialized value. */
  private async execute(cell: Cell, state: RunState, mode: 'script' | 'module', code: string): Promise<string | undefined> {
    const { context } = cell;
    const t0 = performance.now();
    if (this.injectFault) {
      this.injectFault = false;
      throw new WebAssembly.RuntimeError('Aborted(injected by faultForTest)');
    }
    let result;
    try {
      result = context.evalCode(code, state.request.filename, { type: mode === 'module' ? 'module' : 'global' });
    } finally {
      state.cpuMs += performance.now() - t0;
    }
    if (result.error) throw new GuestValueError(context, result.error);
    let value = result.value;
    try {
      const settled = await this.settle(cell, state, value);
      value.dispose();
      value = settled;
      if (mode === 'module') {
        const def = context.getProp(value, 'default');
        value.dispose();
        value = def;
      }
      return this.serializeResult(cell, state, value);
    } finally {
      if (value.alive) value.dispose();
    }
  }

  /** Waits for a promise handle to settle while running jobs; returns the fulfilled value handle. */
  private async settle(cell: Cell, state: RunState, handle: QuickJSHandle): Promise<QuickJSHandle> {
    const { context, runtime } = cell;
    for (;;) {
      this.releaseReserve();
      if (this.growRefused) state.stop ??= 'memory';
      const promiseState = context.getPromiseState(handle);
      if (promiseState.type === 'fulfilled') {
        if (promiseState.notAPromise) return handle.dup();
        return promiseState.value;
      }
      if (promiseState.type === 'rejected') throw new GuestValueError(context, promiseState.error);
      // Host timers and calls wake this loop without entering QuickJS's interrupt checks, so the
      // deadline is also checked here.
      if (!state.stop && state.pausedAt === null && now() > state.deadline) state.stop = 'deadline';
      if (state.stop) throw new RunFailure(this.stopError(state));
      if (runtime.hasPendingJob()) {
        const t0 = performance.now();
        // In batches: a promise reaction turns even an uncatchable interrupt into a rejection, so a
        // chain that `.catch()`es itself never empties the queue; between batches the deadline holds.
        const jobError = this.runJobs(cell, JOB_BATCH);
        state.cpuMs += performance.now() - t0;
        if (jobError) {
          // A job threw. If we stopped it (deadline/output), end the run; a guest's unhandled
          // rejection in some other job is not fatal, like in browsers.
          jobError.dispose();
          if (state.stop) throw new RunFailure(this.stopError(state));
        }
        continue;
      }
      await this.waitForHost(state);
    }
  }

  /** Sleeps until a host call or timer settles, or the deadline passes. */
  private waitForHost(state: RunState): Promise<void> {
    return new Promise((resolve) => {
      const remaining = state.deadline - now();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        if (timer !== undefined) clearTimeout(timer);
        state.wake = null;
        resolve();
      };
      state.wake = done;
      const onDeadline = () => {
        if (state.pausedAt !== null) {
          timer = setTimeout(onDeadline, 50);
          return;
        }
        const left = state.deadline - now();
        if (left > 0) {
          timer = setTimeout(onDeadline, left);
          return;
        }
        state.stop ??= 'deadline';
        done();
      };
      timer = setTimeout(onDeadline, Math.max(0, remaining));
    });
  }

  /**
   * JSON text of the result. Primitives take a short path (a string still goes through the guest's
   * captured JSON.stringify, which escapes lone surrogates and NUL for the trip through UTF-8);
   * objects go through the serializer, compiled into the context on first use.
   */
  private serializeResult(cell: Cell, state: RunState, value: QuickJSHandle): string | undefined {
    const { context } = cell;
    const limits = state.request.limits;
    const t0 = performance.now();
    try {
      switch (context.typeof(value)) {
        case 'undefined':
          return undefined;
        case 'number': {
          const n = context.getNumber(value);
          if (Number.isFinite(n)) return JSON.stringify(n);
          break; // the serializer words the error
        }
        case 'boolean':
          return JSON.stringify(context.dump(value));
        case 'string': {
          const k = context.getProp(cell.internal, 'k');
          const stringify = context.getProp(k, 'jsonStringify');
          k.dispose();
          const result = context.callFunction(stringify, context.undefined, value);
          stringify.dispose();
          if (result.error) throw new GuestValueError(context, result.error);
          const text = context.getString(result.value);
          result.value.dispose();
          if (text.length > limits.maxResultBytes) {
            throw new RunFailure({ code: 'OUTPUT_TOO_LARGE', message: `result exceeds ${limits.maxResultBytes} characters of JSON` });
          }
          return text;
        }
      }
      const max = context.newNumber(limits.maxResultBytes);
      const depth = context.newNumber(limits.maxDepth);
      const what = context.newString('result');
      const serialize = this.helper(cell, 'serialize');
      const result = context.callFunction(serialize, context.undefined, value, max, depth, what);
      max.dispose();
      depth.dispose();
      what.dispose();
      if (result.error) throw new GuestValueError(context, result.error);
      try {
        return context.typeof(result.value) === 'string' ? context.getString(result.value) : undefined;
      } finally {
        result.value.dispose();
      }
    } finally {
      state.cpuMs += performance.now() - t0;
    }
  }

  private heapBytes(cell: Cell): number {
    const usage = cell.runtime.computeMemoryUsage();
    try {
      const used = cell.context.getProp(usage, 'memory_used_size');
      const n = cell.context.getNumber(used);
      used.dispose();
      return n;
    } finally {
      usage.dispose();
    }
  }

  /**
   * Session cells keep their runtime, so what a run left queued would run during the next one. Run it
   * now, charged to this run, with interrupts forced on and host calls refused; a flood that keeps
   * re-arming cannot be cleaned, so the session is discarded.
   */
  private drainSession(cell: Cell, request: RunRequest): void {
    const drain = this.newState(request, now());
    drain.finished = true;
    drain.stop = 'deadline';
    cell.state = drain;
    for (let i = 0; i < 16 && cell.runtime.hasPendingJob(); i++) {
      this.runJobs(cell, JOB_BATCH)?.dispose();
    }
    cell.state = null;
    if (cell.runtime.hasPendingJob()) {
      const id = cell.sessionId!;
      this.sessions.delete(id);
      this.closedSessions.set(id, 'because jobs it left queued kept re-arming after its run');
      this.disposeCell(cell);
    }
  }

  private newState(request: RunRequest, startedAt: number): RunState {
    return {
      request, startedAt, deadline: request.deadline, pausedAt: null, logs: [], logChars: 0, stop: null,
      finished: false, outstanding: new Set(), timers: new Map(), wake: null, toolCalls: 0, cpuMs: 0, peakWasm: 0,
    };
  }

  private finishState(state: RunState): void {
    state.finished = true;
    for (const t of state.timers.values()) clearTimeout(t);
    state.timers.clear();
    for (const pending of state.outstanding) disposePending(pending);
    state.outstanding.clear();
    state.wake?.();
  }

  /** Ends a run at its next interrupt check, or now if it is waiting on the host. */
  abort(runId: string): void {
    for (const state of this.running) {
      if (state.request.runId !== runId) continue;
      state.stop ??= 'abort';
      state.wake?.();
    }
  }

  /** Pause or resume a run's deadline while a person decides an approval. */
  setPaused(runId: string, paused: boolean): void {
    for (const state of this.running) {
      if (state.request.runId !== runId) continue;
      if (paused && state.pausedAt === null) state.pausedAt = now();
      if (!paused && state.pausedAt !== null) {
        state.deadline += now() - state.pausedAt;
        state.pausedAt = null;
      }
    }
  }

  private stopError(state: RunState): WireError {
    if (state.stop === 'abort') return { code: 'ABORTED', message: 'run aborted by the caller' };
    if (state.stop === 'memory') {
      return { code: 'MEMORY_LIMIT', message: `guest exceeded the ${state.request.limits.memoryLimitBytes}-byte memory limit` };
    }
    if (state.stop === 'fault') return { code: 'WORKER_CRASHED', message: 'a host callback of the worker failed; the guest was stopped' };
    if (state.stop === 'output') {
      return { code: 'OUTPUT_TOO_LARGE', message: `console output exceeded ${state.request.limits.maxLogBytes} characters` };
    }
    return { code: 'DEADLINE_EXCEEDED', message: `run exceeded its ${state.request.limits.timeoutMs} ms deadline` };
  }

  /** Maps whatever ended the run to a wire error. Anything that is not a guest value poisons the module. */
  private classify(cell: Cell | undefined, state: RunState, error: unknown): WireError {
    if (error instanceof RunFailure) return error.wire;
    if (!(error instanceof GuestValueError)) return this.poisoned(error);
    if (state.stop) {
      error.dispose();
      return this.stopError(state);
    }
    // Reading an error after an out-of-memory needs memory: lift QuickJS's own limit first.
    cell?.runtime.setMemoryLimit(-1);
    const info = error.read();
    const limit = state.request.limits;
    if ((info.isNull && this.growRefused) || (info.name === 'InternalError' && info.message === 'out of memory')) {
      return { code: 'MEMORY_LIMIT', message: `guest exceeded the ${limit.memoryLimitBytes}-byte memory limit` };
    }
    if (info.name === 'InternalError' && info.message === 'string too long') {
      return { code: 'MEMORY_LIMIT', message: 'guest built a string longer than QuickJS allows' };
    }
    // QuickJS's JSON and regexp parsers report their own stack check as a SyntaxError.
    if ((info.name === 'InternalError' || info.name === 'SyntaxError') && info.message === 'stack overflow') {
      return { code: 'STACK_OVERFLOW', message: `guest exceeded the ${limit.maxStackBytes}-byte stack limit` };
    }
    if (info.name === 'QuickcageError' && info.code) {
      return { code: info.code as ErrorCode, message: info.message };
    }
    const guest: GuestErrorInfo = { name: info.name, message: info.message };
    if (info.stack !== undefined) guest.stack = info.stack;
    if (info.code !== undefined) guest.code = info.code.slice(0, 100);
    const pos = firstPosition(info.stack, state.request.filename);
    if (pos) {
      guest.line = pos.line;
      guest.column = pos.column;
    }
    return { code: 'GUEST_ERROR', message: `${info.name}: ${info.message}`, guest };
  }

  /** Discards the module instance (and every context in it) and starts building a new one. */
  private poisoned(error: unknown): WireError {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const hostStack = /call stack/i.test(message);
    this.rebuilds++;
    this.running.clear();
    this.retired.length = 0;
    for (const id of this.sessions.keys()) this.lostSessions.add(id);
    this.sessions.clear();
    this.prepared = null;
    this.liveContexts = 0;
    this.rebuilding = this.instantiate();
    return {
      code: hostStack ? 'STACK_OVERFLOW' : 'WORKER_CRASHED',
      message: hostStack
        ? 'guest overflowed the host stack inside QuickJS; the module was discarded and rebuilt'
        : `QuickJS failed inside the WASM (${message.slice(0, 300)}); the module was discarded and rebuilt`,
      poisoned: true,
      details: { cause: message.slice(0, 300) },
    };
  }
}

function disposePending(pending: Pending): void {
  if (pending.resolve.alive) pending.resolve.dispose();
  if (pending.reject.alive) pending.reject.dispose();
}

/** A rejected promise / thrown guest value, still as a handle, read lazily. */
class GuestValueError extends Error {
  constructor(
    private readonly context: QuickJSContext,
    readonly handle: QuickJSHandle,
  ) {
    super('guest value');
  }
  read(): GuestErrorInfo & { isNull: boolean; code?: string } {
    try {
      const info = describeGuestThrow(this.context.dump(this.handle));
      if (info.code === undefined && this.context.typeof(this.handle) === 'object') {
        // The prelude's own errors carry their code in a non-enumerable property that dump() skips.
        const code = this.context.getProp(this.handle, 'code');
        if (this.context.typeof(code) === 'string') info.code = this.context.getString(code);
        code.dispose();
      }
      return info;
    } catch {
      return { name: 'Error', message: 'unreadable guest error', isNull: false };
    } finally {
      this.dispose();
    }
  }
  dispose(): void {
    if (this.handle.alive) this.handle.dispose();
  }
}

function describeGuestThrow(value: unknown): GuestErrorInfo & { isNull: boolean; code?: string } {
  if (value === null || value === undefined || value === '') {
    return { name: 'Error', message: `guest threw ${value === '' ? 'an empty string' : String(value)}`, isNull: value === null || value === '' };
  }
  if (typeof value === 'object') {
    const v = value as { name?: unknown; message?: unknown; stack?: unknown; code?: unknown };
    const info: GuestErrorInfo & { isNull: boolean; code?: string } = {
      name: typeof v.name === 'string' ? v.name : 'Error',
      message: typeof v.message === 'string' ? v.message : safeJson(value),
      isNull: false,
    };
    if (typeof v.stack === 'string') info.stack = v.stack;
    if (typeof v.code === 'string') info.code = v.code;
    return info;
  }
  return { name: 'Error', message: `guest threw ${typeof value === 'string' ? value : safeJson(value)}`, isNull: false };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value)?.slice(0, 500) ?? String(value);
  } catch {
    return String(value);
  }
}

/** First `file:line:col` frame of the guest's own file in a QuickJS stack. */
function firstPosition(stack: string | undefined, filename: string): { line: number; column: number } | undefined {
  if (!stack) return undefined;
  for (const m of stack.matchAll(/\(([^()]*):(\d+):(\d+)\)/g)) {
    if (m[1] === filename) return { line: Number(m[2]), column: Number(m[3]) };
  }
  return undefined;
}

export type { WireLimits };

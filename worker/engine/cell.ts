/**
 * Context preparation: a QuickJS runtime + context with the prelude installed (host functions,
 * captured intrinsics, seeded Math.random, the app's setup code, taming), the helpers compiled into it,
 * and the few calls the engine makes into it.
 */
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime } from 'quickjs-emscripten-core';
import {
  PRELUDE_INSPECT_SOURCE,
  PRELUDE_SERIALIZE_SOURCE,
  PRELUDE_SOURCE,
  PRELUDE_TOOLS_SOURCE,
  compact,
} from '../prelude.js';
import type { Instance } from './instance.js';
import { GuestValueError, RunFailure, now, type RunState } from './state.js';

const CORE = compact(PRELUDE_SOURCE);
/** Helpers compiled into a context on first use (or into a snapshot), as `(k, ...deps) => helper`. */
const LAZY = {
  serialize: compact(PRELUDE_SERIALIZE_SOURCE),
  inspect: compact(PRELUDE_INSPECT_SOURCE),
  tools: compact(PRELUDE_TOOLS_SOURCE),
} as const;
export type LazyName = keyof typeof LAZY;

/**
 * Whether this worker has yet to evaluate anything. Its first evaluation is a tiny script before the
 * prelude: in a fresh worker, V8 compiles QuickJS's WASM functions lazily and starts optimising the
 * hottest (four of them, by their sizes allocator, parser and interpreter code) on background
 * threads once they have run enough. Evaluated first, the prelude had those optimising compiles
 * start while it ran, competing with it for the cores; after a tiny evaluation they start later. The
 * prelude's first evaluation took about half as long on the cold start's critical path
 * (docs/design/engine.md, Cold start).
 */
let firstEvaluation = true;

/** Budget of the app's setup code in each fresh context. */
const SETUP_TIMEOUT_MS = 1000;
/** QuickJS stack limit of a cell before a run sets its own (prelude, setup code). */
const DEFAULT_STACK_BYTES = 64 * 1024;
/**
 * Shadow-stack budget of one guest call to `JSON.parse` / `JSON.stringify`, counted from where the
 * call starts. Their C recursion costs ~5x more native stack than the shadow stack QuickJS's limit
 * counts, so without this a nested JSON text could overflow the worker's native stack (~500 KiB)
 * before the run's own limit trips. 24 KiB is ~1000 levels of JSON nesting.
 */
const JSON_STACK_BUDGET = 24 * 1024;
/** Jobs run per call into QuickJS before the engine checks the deadline again. */
export const JOB_BATCH = 1024;

/** A context with the prelude installed, ready for one run (or a session's many runs). */
export interface Cell {
  instance: Instance;
  runtime: QuickJSRuntime;
  context: QuickJSContext;
  /** The object the core prelude returned: `tame`, `seed` (deterministic mode), `unseed` and the captured intrinsics `k`. */
  internal: QuickJSHandle;
  /** Helpers compiled into this context (see LAZY). */
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

/** What the host side answers for a cell's host functions and runtime callbacks (see host.ts). */
export interface CellHost {
  interrupt(cell: Cell): boolean;
  loadModule(cell: Cell, name: string): string | { error: Error };
  log(cell: Cell, level: string, quoted: string): void;
  call(cell: Cell, target: string, argsJson: string, resolve: QuickJSHandle, reject: QuickJSHandle): { error: QuickJSHandle } | undefined;
  timer(cell: Cell, id: number, ms: number, resolve: QuickJSHandle, reject: QuickJSHandle): void;
  /** A host function threw: a fault of the worker, never the guest's error. */
  fault(cell: Cell, error: unknown): void;
  /** Test hook: throws inside the named host function once. */
  injectedFault(name: string): void;
}

/**
 * A fresh cell. When the instance's memory is full creating one fails like a guest allocation does:
 * what was made is freed and the failure is MEMORY_LIMIT, not a fault of the module.
 */
export function newCell(instance: Instance, host: CellHost, tamed: boolean, setupCode: string | undefined): Cell {
  const refusedBefore = instance.growRefused;
  instance.growRefused = false;
  let made: Cell | undefined;
  try {
    return makeCell(instance, host, tamed, setupCode, (cell) => {
      made = cell;
    });
  } catch (error) {
    if (!(error instanceof RunFailure) && instance.growRefused) {
      if (made?.context.alive) disposeCell(made);
      throw new RunFailure({ code: 'MEMORY_LIMIT', message: "the worker's memory is full: no new context fits under its cap" });
    }
    throw error;
  } finally {
    instance.growRefused ||= refusedBefore;
  }
}

function makeCell(instance: Instance, host: CellHost, tamed: boolean, setupCode: string | undefined, created: (cell: Cell) => void): Cell {
  const runtime = instance.qjs.newRuntime();
  const context = runtime.newContext();
  const cell: Cell = {
    instance, runtime, context, internal: undefined as unknown as QuickJSHandle, lazy: {}, tamed, state: null, stackBytes: DEFAULT_STACK_BYTES,
  };
  created(cell);
  runtime.setMaxStackSize(DEFAULT_STACK_BYTES);
  runtime.setInterruptHandler(() => host.interrupt(cell));
  runtime.setModuleLoader((name) => host.loadModule(cell, name));
  const fns: Record<string, (...args: QuickJSHandle[]) => QuickJSHandle | { error: QuickJSHandle } | void> = {
    log: (level, text) => host.log(cell, context.getString(level!), context.getString(text!)),
    call: (target, args, resolve, reject) => host.call(cell, context.getString(target!), context.getString(args!), resolve!, reject!),
    timer: (id, ms, resolve, reject) => host.timer(cell, context.getNumber(id!), context.getNumber(ms!), resolve!, reject!),
    // Only the inspector is asked for from guest-facing code (console); nothing else is reachable.
    lazy: () => {
      try {
        return helper(cell, 'inspect').dup();
      } catch (error) {
        // Re-throw the guest's own exception (e.g. out of memory) into the guest, handle and all.
        if (error instanceof GuestValueError) return { error: error.handle };
        throw error;
      }
    },
    // 32 bits of entropy; the prelude asks four times, the first time a context uses Math.random.
    entropy: () => context.newNumber(crypto.getRandomValues(new Uint32Array(1))[0]!),
    narrow: () => context.newNumber(narrowStack(cell)),
    widen: (previous) => setStack(cell, context.getNumber(previous!)),
  };
  {
    using hostObject = context.newObject();
    for (const [name, fn] of Object.entries(fns)) {
      using handle = context.newFunction(name, (...args) => {
        // A host callback is a point where no malloc runs: hand the reserve back before allocating.
        instance.releaseReserve();
        try {
          host.injectedFault(name);
          return fn(...args);
        } catch (error) {
          host.fault(cell, error);
          return undefined;
        }
      });
      context.setProp(hostObject, name, handle);
    }
    context.setProp(context.global, '__qc_host', hostObject);
  }
  if (firstEvaluation) {
    firstEvaluation = false;
    // Leaves nothing behind: no binding, no job, no handle (the result is disposed, value or error).
    context.evalCode('0', 'quickcage:warm-up').dispose();
  }
  cell.internal = context.unwrapResult(context.evalCode(CORE, 'quickcage:prelude'));
  if (setupCode) runSetup(cell, setupCode);
  if (tamed) callInternal(cell, 'tame', []).dispose();
  return cell;
}

/** Compiles every helper now (a snapshot must hold them: handles made during a run do not survive a restore). */
export function compileHelpers(cell: Cell): void {
  for (const name of Object.keys(LAZY) as LazyName[]) helper(cell, name);
}

/**
 * QuickJS seeds each context's Math.random from the clock, so two contexts made in the same
 * microsecond would share a sequence: the prelude's generator takes its seed from
 * crypto.getRandomValues (host `entropy`) the first time a context calls it. Before a snapshot the
 * generator is put back to unseeded (setup code may have used it), so every run that starts from
 * the snapshot draws a new seed of its own, and a run that never calls Math.random pays nothing.
 */
export function unseedRandom(cell: Cell): void {
  callInternal(cell, 'unseed', []).dispose();
}

/**
 * The app's trusted framework code (tool wrappers, helpers): the first execution in every fresh
 * context, before taming, under its own 1 s deadline. Everything after it is untrusted.
 */
function runSetup(cell: Cell, code: string): void {
  cell.setupDeadline = now() + SETUP_TIMEOUT_MS;
  try {
    const result = cell.context.evalCode(code, 'quickcage:setup', { type: 'global' });
    if (result.error) {
      const info = new GuestValueError(cell.context, result.error).read();
      throw new RunFailure({ code: 'GUEST_ERROR', message: `setup code failed: ${info.name}: ${info.message}`, details: { setup: true } });
    }
    result.value.dispose();
    while (cell.runtime.hasPendingJob() && now() <= cell.setupDeadline) runJobs(cell, JOB_BATCH)?.dispose();
  } catch (error) {
    disposeCell(cell);
    throw error;
  } finally {
    cell.setupDeadline = undefined;
  }
}

/** Frees a cell's handles, context and runtime (QuickJS aborts here if any object leaked). */
export function disposeCell(cell: Cell): void {
  for (const h of Object.values(cell.lazy)) h.dispose();
  // Absent when the cell failed while it was being made.
  (cell.internal as QuickJSHandle | undefined)?.dispose();
  cell.context.dispose();
  cell.runtime.dispose();
}

export function setStack(cell: Cell, bytes: number): void {
  cell.stackBytes = bytes;
  cell.runtime.setMaxStackSize(bytes);
}

/**
 * Lowers the cell's QuickJS stack limit so that at most {@link JSON_STACK_BUDGET} more shadow stack
 * is available from here (never raises it). Returns the limit to restore afterwards.
 */
function narrowStack(cell: Cell): number {
  const previous = cell.stackBytes;
  const { stackPointer, stackTop } = cell.instance;
  if (stackPointer) {
    const narrowed = Math.max(0, stackTop - stackPointer()) + JSON_STACK_BUDGET;
    if (narrowed < previous) setStack(cell, narrowed);
  }
  return previous;
}

/**
 * A helper compiled into the cell on first use: `(k, ...deps) => helper` with the core's captured
 * intrinsics. It never reads globals, so compiling it after guest code ran is safe.
 */
export function helper(cell: Cell, name: LazyName): QuickJSHandle {
  const cached = cell.lazy[name];
  if (cached) return cached;
  const { context } = cell;
  const deps = name === 'tools' ? [helper(cell, 'serialize')] : [];
  // Compiling a helper can fail like guest code does (out of memory, interrupted at the deadline):
  // that is the run's limit error, not a fault of the module, so it is raised as a guest value.
  const compiled = context.evalCode(LAZY[name], `quickcage:${name}`);
  if (compiled.error) throw new GuestValueError(context, compiled.error);
  using fn = compiled.value;
  using k = context.getProp(cell.internal, 'k');
  const made = context.callFunction(fn, context.undefined, k, ...deps);
  if (made.error) throw new GuestValueError(context, made.error);
  cell.lazy[name] = made.value;
  return made.value;
}

/** Calls `on[method](...args)` (by default on the prelude's internal object); a guest throw becomes {@link GuestValueError}. */
export function callInternal(cell: Cell, method: string, args: QuickJSHandle[], on: QuickJSHandle = cell.internal): QuickJSHandle {
  const { context } = cell;
  using fn = context.getProp(on, method);
  const result = context.callFunction(fn, context.undefined, args);
  if (result.error) throw new GuestValueError(context, result.error);
  return result.value;
}

interface ContextInternals {
  ctx: { value: number };
  getMemory(rt: number): { heapValueHandle(pointer: number): QuickJSHandle };
}

/** Runs pending jobs of the cell's runtime; returns the exception a job ended with, if any. */
export function runJobs(cell: Cell, max: number): QuickJSHandle | undefined {
  const { ctx, value } = cell.instance.executeJobs(cell.runtime, max);
  // 0: no job ran, or the job's context is gone (never ours: a cell's context outlives its jobs).
  if (ctx === 0) return undefined;
  const context = cell.context as unknown as ContextInternals;
  if (ctx !== context.ctx.value) throw new Error(`a job ran in an unknown QuickJS context (${ctx})`);
  const handle = context.getMemory((cell.runtime as unknown as { rt: { value: number } }).rt.value).heapValueHandle(value);
  // Success is the number of jobs run; a job's exception is never a number here (reaction jobs turn
  // guest throws into rejections; what escapes is an interrupt or out-of-memory error).
  if (cell.context.typeof(handle) === 'number') {
    handle.dispose();
    return undefined;
  }
  return handle;
}

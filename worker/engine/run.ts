/**
 * The run loop: evaluate guest code in a prepared cell, run its jobs, hand it settled host calls and
 * timers, wait for the host, serialize the result, and map whatever ended the run to a wire error.
 */
import type { QuickJSHandle } from 'quickjs-emscripten-core';
import { installDeterminism } from '../deterministic.js';
import type { ErrorCode, GuestErrorInfo, RunRequest, WireError } from '../protocol.js';
import { JOB_BATCH, callInternal, helper, runJobs, type Cell } from './cell.js';
import type { Host } from './host.js';
import { GuestValueError, RunFailure, now, timeLeft, type RunState } from './state.js';

/**
 * How a run ends without an exception: the result's JSON text, or the stop that ended the guest
 * (deadline, abort, output, memory). Stops are returned, not thrown: a host exception on that path
 * (made, thrown, caught two async frames up) cost 0.17 ms p50 between the interrupt and the reply in
 * the bench page, half of the worker's share of a deadline's overshoot.
 */
export type Executed = { json: string | undefined } | { stopped: WireError };

/** Runs guest code to completion (or failure) and returns its serialized value. */
export async function execute(host: Host, cell: Cell, state: RunState, mode: 'script' | 'module', code: string): Promise<Executed> {
  const { context } = cell;
  const t0 = performance.now();
  let result;
  try {
    result = context.evalCode(code, state.request.filename, { type: mode === 'module' ? 'module' : 'global' });
  } finally {
    state.cpuMs += performance.now() - t0;
  }
  if (result.error) {
    // Stopped by the engine: the answer needs nothing from the error QuickJS raised for it.
    if (state.stop) {
      result.error.dispose();
      return { stopped: stopError(state) };
    }
    throw new GuestValueError(context, result.error);
  }
  let value = result.value;
  try {
    const settled = await settle(host, cell, state, value);
    if ('stopped' in settled) return settled;
    value.dispose();
    value = settled.value;
    if (mode === 'module') {
      const def = context.getProp(value, 'default');
      value.dispose();
      value = def;
    }
    return { json: serializeResult(cell, state, value) };
  } finally {
    if (value.alive) value.dispose();
  }
}

/** Waits for a promise handle to settle while running jobs; returns the fulfilled value handle, or the stop. */
async function settle(host: Host, cell: Cell, state: RunState, handle: QuickJSHandle): Promise<{ value: QuickJSHandle } | { stopped: WireError }> {
  const { context, runtime, instance } = cell;
  for (;;) {
    instance.releaseReserve();
    if (instance.growRefused) state.stop ??= 'memory';
    const promiseState = context.getPromiseState(handle);
    if (promiseState.type === 'fulfilled') {
      if (promiseState.notAPromise) return { value: handle.dup() };
      return { value: promiseState.value };
    }
    if (promiseState.type === 'rejected') {
      if (state.stop) {
        promiseState.error.dispose();
        return { stopped: stopError(state) };
      }
      throw new GuestValueError(context, promiseState.error);
    }
    // Host timers and calls wake this loop without entering QuickJS's interrupt checks.
    if (!state.stop && timeLeft(state, now()) < 0) state.stop = 'deadline';
    if (state.stop) return { stopped: stopError(state) };
    const t0 = performance.now();
    // One settled host call or timer at a time, its reactions run before the next, as in a browser;
    // without a wait in between, so a flood costs a loop turn each, not a host task each.
    if (runtime.hasPendingJob() || host.deliver(cell, state)) {
      // In batches: a promise reaction turns even an uncatchable interrupt into a rejection, so a
      // chain that `.catch()`es itself never empties the queue; between batches the deadline holds.
      const jobError = runJobs(cell, JOB_BATCH);
      state.cpuMs += performance.now() - t0;
      if (jobError) {
        // A job threw. If we stopped it (deadline/output), end the run; a guest's unhandled
        // rejection in some other job is not fatal, like in browsers.
        jobError.dispose();
        if (state.stop) return { stopped: stopError(state) };
      }
      continue;
    }
    await waitForHost(state);
  }
}

/** Sleeps until a host call or timer settles, or the deadline passes. */
function waitForHost(state: RunState): Promise<void> {
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = () => {
      if (timer !== undefined) clearTimeout(timer);
      state.wake = null;
      resolve();
    };
    state.wake = done;
    const onDeadline = () => {
      const left = timeLeft(state, now());
      if (left >= 0) {
        // Paused for an approval: look again later.
        timer = setTimeout(onDeadline, Number.isFinite(left) ? left + 0.1 : 50);
        return;
      }
      state.stop ??= 'deadline';
      done();
    };
    const left = timeLeft(state, now());
    timer = setTimeout(onDeadline, Number.isFinite(left) ? Math.max(0, left) : 50);
  });
}

/**
 * JSON text of the result. Primitives take a short path (a string still goes through the guest's
 * captured JSON.stringify, which escapes lone surrogates and NUL for the trip through UTF-8);
 * objects go through the serializer.
 */
function serializeResult(cell: Cell, state: RunState, value: QuickJSHandle): string | undefined {
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
        using k = context.getProp(cell.internal, 'k');
        using text = callInternal(cell, 'jsonStringify', [value], k);
        const json = context.getString(text);
        if (json.length > limits.maxResultBytes) {
          throw new RunFailure({ code: 'OUTPUT_TOO_LARGE', message: `result exceeds ${limits.maxResultBytes} characters of JSON` });
        }
        return json;
      }
    }
    using max = context.newNumber(limits.maxResultBytes);
    using depth = context.newNumber(limits.maxNestingDepth);
    using what = context.newString('result');
    const serialize = helper(cell, 'serialize');
    const result = context.callFunction(serialize, context.undefined, value, max, depth, what);
    if (result.error) throw new GuestValueError(context, result.error);
    using json = result.value;
    return context.typeof(json) === 'string' ? context.getString(json) : undefined;
  } finally {
    state.cpuMs += performance.now() - t0;
  }
}

/**
 * QuickJS heap in use by the cell's runtime (`memory used` of QuickJS's usage dump). Not
 * `runtime.computeMemoryUsage()`: it creates and caches a service context on first use, and one
 * created during a run is freed by the restore while the JS side keeps pointing at it (the next
 * measuring run then faults: `memory access out of bounds`). The dump allocates nothing it keeps.
 */
export function heapBytes(cell: Cell): number {
  const used = /^memory used\s+\d+\s+(\d+)/m.exec(cell.runtime.dumpMemoryUsage())?.[1];
  return used === undefined ? 0 : Number(used);
}

/** `tools`, host-module shims and read-only globals of this run. */
export function installRunGlobals(cell: Cell, request: RunRequest): void {
  const { context } = cell;
  if (request.toolNames.length > 0 || Object.keys(request.hostModules).length > 0) {
    using names = context.newArray();
    request.toolNames.forEach((name, i) => {
      using s = context.newString(name);
      context.setProp(names, i, s);
    });
    using max = context.newNumber(request.limits.maxResultBytes);
    const tools = helper(cell, 'tools');
    callInternal(cell, 'installTools', [names, max], tools).dispose();
    using callHost = context.getProp(tools, 'callHost');
    // Host-module shims call back through this; it only reaches targets the request already grants.
    context.defineProp(context.global, '__qc_call', { value: callHost, configurable: true, enumerable: false });
  }
  if (request.globalsJson !== undefined) {
    using json = context.newString(request.globalsJson);
    callInternal(cell, 'installGlobals', [json], helper(cell, 'tools')).dispose();
  }
  // Deterministic mode (fleet): one additive call after the run's globals and the per-run reseed,
  // before guest code; everything else lives in worker/deterministic.ts.
  if (request.deterministic) installDeterminism(context, cell.internal, request.deterministic);
}

export function stopError(state: RunState): WireError {
  const limits = state.request.limits;
  switch (state.stop) {
    case 'abort': return { code: 'ABORTED', message: 'run aborted by the caller' };
    case 'memory': return { code: 'MEMORY_LIMIT', message: `guest exceeded the ${limits.memoryLimitBytes}-byte memory limit` };
    case 'fault': return { code: 'WORKER_CRASHED', message: 'a host callback of the worker failed; the guest was stopped' };
    case 'output': return { code: 'OUTPUT_TOO_LARGE', message: `console output exceeded ${limits.maxLogBytes} characters` };
    default: return { code: 'DEADLINE_EXCEEDED', message: `run exceeded its ${limits.timeoutMs} ms deadline` };
  }
}

/**
 * Maps what ended the run to a wire error, or null when it is not a guest outcome at all (an
 * exception out of the WASM or the host): a fault the engine handles by its instance's rule.
 */
export function classify(cell: Cell | undefined, state: RunState, error: unknown): WireError | null {
  if (error instanceof RunFailure) return error.wire;
  if (!(error instanceof GuestValueError)) return null;
  if (state.stop) {
    error.dispose();
    return stopError(state);
  }
  // Reading an error after an out-of-memory needs memory: lift QuickJS's own limit first.
  cell?.runtime.setMemoryLimit(-1);
  const info = error.read();
  const limit = state.request.limits;
  if ((info.isNull && cell?.instance.growRefused) || (info.name === 'InternalError' && info.message === 'out of memory')) {
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

/** First `file:line:col` frame of the guest's own file in a QuickJS stack. */
function firstPosition(stack: string | undefined, filename: string): { line: number; column: number } | undefined {
  if (!stack) return undefined;
  for (const m of stack.matchAll(/\(([^()]*):(\d+):(\d+)\)/g)) {
    if (m[1] === filename) return { line: Number(m[2]), column: Number(m[3]) };
  }
  return undefined;
}

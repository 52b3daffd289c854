/**
 * Host callbacks: what QuickJS calls back into while a guest runs (interrupt checks, module loading,
 * console, tool and host-module calls, timers). Host calls and timers settle into the run's queue;
 * the run loop (run.ts) hands them to the guest one at a time between job batches.
 */
import type { QuickJSHandle } from 'quickjs-emscripten-core';
import type { ErrorCode, HostBridge, LogEntry, RunRequest } from '../protocol.js';
import { DEFAULT_MODULES } from '../validate.js';
import type { Cell, CellHost } from './cell.js';
import { now, timeLeft, type Outcome, type Pending, type RunState } from './state.js';

/** Host timers fire this much early or late relative to their guest timer, at most. */
const TIMER_SLACK_MS = 1;

export class Host implements CellHost {
  /** A host callback called from C failed (quickjs-emscripten swallows it): host stack overflow or a bug. */
  callbackFault: unknown = null;
  private injectCallbackFault = false;

  constructor(private readonly bridge: HostBridge) {}

  /** Test hook: the next guest host call fails inside the host function. */
  faultNextCall(): void {
    this.injectCallbackFault = true;
  }

  injectedFault(name: string): void {
    if (this.injectCallbackFault && name === 'call') {
      this.injectCallbackFault = false;
      throw new TypeError('injected host callback fault (faultForTest)');
    }
  }

  /**
   * quickjs-emscripten catches exceptions thrown by host callbacks called from C (interrupt handler,
   * host functions, module loader), logs them and carries on with a made-up value. They are recorded
   * here instead: the guest is stopped at its next interrupt check and the run ends as a fault of the
   * worker, never as the guest's own error.
   */
  fault(cell: Cell | null, error: unknown): void {
    this.callbackFault ??= error ?? new Error('host callback failed');
    if (cell?.state) cell.state.stop ??= 'fault';
  }

  interrupt(cell: Cell): boolean {
    const state = cell.state;
    if (!state) return cell.setupDeadline !== undefined && now() > cell.setupDeadline;
    if (state.finished || state.stop) return true;
    if (cell.instance.growRefused) {
      cell.instance.releaseReserve();
      state.stop = 'memory';
      return true;
    }
    if (timeLeft(state, now()) < 0) {
      state.stop = 'deadline';
      return true;
    }
    return false;
  }

  log(cell: Cell, level: string, quoted: string): void {
    const state = cell.state;
    if (!state || state.finished) return;
    const message = JSON.parse(quoted) as string;
    state.logChars += message.length;
    if (state.logChars > state.request.limits.maxLogBytes) {
      // Uncatchable: the interrupt handler ends the guest at its next check.
      state.stop ??= 'output';
      return;
    }
    state.logs.push({ level: level as LogEntry['level'], message, time: Math.round((now() - state.startedAt) * 1000) / 1000 });
  }

  /** A guest host call: `resolve`/`reject` belong to the promise the guest already created for it. */
  call(cell: Cell, target: string, argsJson: string, resolve: QuickJSHandle, reject: QuickJSHandle): { error: QuickJSHandle } | undefined {
    const state = cell.state;
    if (!state || state.finished) return { error: cell.context.newError({ name: 'ToolError', message: 'the run has ended' }) };
    state.toolCalls++;
    const pending: Pending = { resolve: resolve.dup(), reject: reject.dup() };
    state.outstanding.add(pending);
    const allowed = state.request.toolNames.includes(target) || isHostModuleTarget(state.request, target);
    const reply = allowed
      ? this.bridge.hostCall({ runId: state.request.runId, target, argsJson })
      : Promise.resolve({ ok: false as const, code: 'TOOL_DENIED' as ErrorCode, message: `tool \`${target}\` is not granted to this run` });
    reply.then(
      (result) => settle(state, pending, result.ok ? { json: result.valueJson } : { code: result.code, message: result.message }),
      (error: unknown) => settle(state, pending, { code: 'TOOL_FAILED', message: String((error as Error)?.message ?? error) }),
    );
    return undefined;
  }

  /** A guest timer. All of a run's timers share one host timer, set for the earliest. */
  timer(cell: Cell, _id: number, ms: number, resolve: QuickJSHandle, reject: QuickJSHandle): void {
    const state = cell.state;
    if (!state || state.finished) return;
    const pending: Pending = { resolve: resolve.dup(), reject: reject.dup() };
    state.outstanding.add(pending);
    const delay = Math.min(Math.max(0, Number.isFinite(ms) ? ms : 0), 2 ** 31 - 1);
    const queue = state.timers;
    heapPush(queue.heap, { due: now() + delay, seq: queue.seq++, pending });
    armTimers(state);
  }

  loadModule(cell: Cell, name: string): string | { error: Error } {
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

  /**
   * Hands the oldest settled host call or timer to the guest (its reactions become jobs). Returns
   * false when none was waiting.
   */
  deliver(cell: Cell, state: RunState): boolean {
    if (state.settledHead >= state.settled.length) return false;
    const next = state.settled[state.settledHead]!;
    state.settled[state.settledHead++] = undefined as never;
    if (state.settledHead === state.settled.length || state.settledHead > 1024) {
      state.settled.splice(0, state.settledHead);
      state.settledHead = 0;
    }
    const { pending, outcome } = next;
    state.outstanding.delete(pending);
    const { context } = cell;
    try {
      if ('json' in outcome) {
        using arg = outcome.json === undefined ? context.undefined : context.newString(outcome.json);
        callQuietly(cell, pending.resolve, arg);
      } else {
        // Registry messages usually end with their code already; say it once.
        const message = outcome.message.endsWith(`(${outcome.code})`) ? outcome.message : `${outcome.message} (${outcome.code})`;
        using arg = context.newError({ name: 'ToolError', message });
        using code = context.newString(outcome.code);
        context.setProp(arg, 'code', code);
        callQuietly(cell, pending.reject, arg);
      }
    } catch (error) {
      this.fault(cell, error);
    } finally {
      disposePending(pending);
    }
    return true;
  }

  /**
   * Ends a run's host side: its timer stops, its waiting host calls are dropped. `forget` (a one-shot
   * run whose instance will be restored) leaves the handles alone: after a restore they point into
   * memory that is no longer theirs, so they are never disposed.
   */
  finish(state: RunState, forget: boolean): void {
    state.finished = true;
    if (state.timers.handle !== undefined) clearTimeout(state.timers.handle);
    state.timers.handle = undefined;
    state.timers.heap.length = 0;
    if (!forget) for (const pending of state.outstanding) disposePending(pending);
    state.outstanding.clear();
    state.settled.length = 0;
    state.settledHead = 0;
    state.wake?.();
  }
}

function isHostModuleTarget(request: RunRequest, target: string): boolean {
  const hash = target.lastIndexOf('#');
  if (hash < 0) return false;
  const exports = request.hostModules[target.slice(0, hash)];
  return exports !== undefined && exports.includes(target.slice(hash + 1));
}

/** Queues an outcome for the run loop, unless the run has ended (then its handles are gone already). */
function settle(state: RunState, pending: Pending, outcome: Outcome): void {
  if (state.finished || !state.outstanding.has(pending)) return;
  state.settled.push({ pending, outcome });
  state.wake?.();
}

/** Resolving functions run no guest code (reactions become jobs); a failure here is out of memory. */
function callQuietly(cell: Cell, fn: QuickJSHandle, arg: QuickJSHandle): void {
  const result = cell.context.callFunction(fn, cell.context.undefined, arg);
  if (result.error) result.error.dispose();
  else result.value.dispose();
}

export function disposePending(pending: Pending): void {
  if (pending.resolve.alive) pending.resolve.dispose();
  if (pending.reject.alive) pending.reject.dispose();
}

/** Sets the run's one host timer for its earliest guest timer. */
function armTimers(state: RunState): void {
  const queue = state.timers;
  const first = queue.heap[0];
  if (!first || state.finished) return;
  if (queue.handle !== undefined) {
    if (queue.handleDue <= first.due) return;
    clearTimeout(queue.handle);
  }
  queue.handleDue = first.due;
  queue.handle = setTimeout(() => {
    queue.handle = undefined;
    // Every timer due by now settles in this one host task, in the order the guest set them.
    const t = now() + TIMER_SLACK_MS;
    while (queue.heap.length > 0 && queue.heap[0]!.due <= t) settle(state, heapPop(queue.heap).pending, { json: undefined });
    armTimers(state);
  }, Math.max(0, first.due - now()));
}

type TimerEntry = RunState['timers']['heap'][number];

function before(a: TimerEntry, b: TimerEntry): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}

function heapPush(heap: TimerEntry[], entry: TimerEntry): void {
  heap.push(entry);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(heap[i]!, heap[parent]!)) break;
    [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
    i = parent;
  }
}

function heapPop(heap: TimerEntry[]): TimerEntry {
  const top = heap[0]!;
  const last = heap.pop()!;
  if (heap.length > 0) {
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  }
  return top;
}

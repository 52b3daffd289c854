/**
 * The state of one run, the one deadline predicate, and the two ways a run ends early inside the
 * engine: a {@link RunFailure} with a wire code, or a {@link GuestValueError} holding what the guest threw.
 */
import type { QuickJSContext, QuickJSHandle } from 'quickjs-emscripten-core';
import type { GuestErrorInfo, LogEntry, RunRequest, WireError } from '../protocol.js';

export const now = (): number => performance.timeOrigin + performance.now();

/** Why the interrupt handler is stopping the guest. */
export type StopReason = 'deadline' | 'output' | 'abort' | 'fault' | 'memory';

/**
 * The resolving functions of a promise the guest created for a host call or timer. The guest makes
 * the promise itself (with intrinsics the prelude captured); quickjs-emscripten-core's `newPromise()`
 * is not used: it reads its result through a typed-array view right after a call that may grow WASM
 * memory, which throws a host TypeError under memory growth and leaks the promise.
 */
export interface Pending {
  resolve: QuickJSHandle;
  reject: QuickJSHandle;
}

/** How a host call or timer settled, queued until the run loop hands it to the guest. */
export type Outcome = { json: string | undefined } | { code: string; message: string };

export interface RunState {
  request: RunRequest;
  startedAt: number;
  deadline: number;
  pausedAt: number | null;
  logs: LogEntry[];
  logChars: number;
  stop: StopReason | null;
  finished: boolean;
  /** Promises the guest is waiting on (host calls, timers): their resolving functions, owned here. */
  outstanding: Set<Pending>;
  /** Settled host calls and timers not yet handed to the guest, oldest first from `settledHead`. */
  settled: Array<{ pending: Pending; outcome: Outcome }>;
  /** Index of the oldest undelivered entry of `settled` (a queue without O(n) shifts). */
  settledHead: number;
  /** Guest timers, earliest first, served by one host timer (see host.ts). */
  timers: TimerQueue;
  wake: (() => void) | null;
  toolCalls: number;
  cpuMs: number;
}

export interface TimerQueue {
  /** Entries by due time (a binary heap on `due`, then `seq`). */
  heap: Array<{ due: number; seq: number; pending: Pending }>;
  seq: number;
  /** The one host timer, set for the earliest entry. */
  handle: ReturnType<typeof setTimeout> | undefined;
  handleDue: number;
}

export function newState(request: RunRequest, startedAt: number): RunState {
  return {
    request, startedAt, deadline: request.deadline, pausedAt: null, logs: [], logChars: 0, stop: null, finished: false,
    outstanding: new Set(), settled: [], settledHead: 0, timers: { heap: [], seq: 0, handle: undefined, handleDue: 0 }, wake: null, toolCalls: 0, cpuMs: 0,
  };
}

/**
 * Milliseconds left before the run's deadline at time `t` (negative: past it; Infinity while a person
 * decides an approval). The one deadline rule: the interrupt handler, the run loop and its host wait
 * all ask this.
 */
export function timeLeft(state: Pick<RunState, 'deadline' | 'pausedAt'>, t: number): number {
  return state.pausedAt === null ? state.deadline - t : Infinity;
}

/** Raised inside the engine to end a run with a code; never crosses the wire as an exception. */
export class RunFailure extends Error {
  constructor(readonly wire: WireError) {
    super(wire.message);
  }
}

/** What a guest threw, as read from its handle. */
export type GuestThrow = GuestErrorInfo & { isNull: boolean; code?: string };

/** A rejected promise / thrown guest value, still as a handle, read lazily. */
export class GuestValueError extends Error {
  constructor(
    private readonly context: QuickJSContext,
    readonly handle: QuickJSHandle,
  ) {
    super('guest value');
  }

  read(): GuestThrow {
    try {
      const info = describeGuestThrow(this.context.dump(this.handle));
      if (info.code === undefined && this.context.typeof(this.handle) === 'object') {
        // The prelude's own errors carry their code in a non-enumerable property that dump() skips.
        using code = this.context.getProp(this.handle, 'code');
        if (this.context.typeof(code) === 'string') info.code = this.context.getString(code);
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

function describeGuestThrow(value: unknown): GuestThrow {
  if (value === null || value === undefined || value === '') {
    return { name: 'Error', message: `guest threw ${value === '' ? 'an empty string' : String(value)}`, isNull: value === null || value === '' };
  }
  if (typeof value === 'object') {
    const v = value as { name?: unknown; message?: unknown; stack?: unknown; code?: unknown };
    const info: GuestThrow = {
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

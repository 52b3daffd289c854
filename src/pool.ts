/**
 * Workers on the main thread: spawning, a warm standby, and the watchdog that terminates a worker
 * that does not answer in time. comlink leaves calls pending on a terminated worker forever, so every
 * call here races the slot's own death promise and is rejected when the worker goes.
 */
import * as Comlink from 'comlink';
import type { HostBridge, RunControl, RunReply, RunRequest, RunResult, WorkerApi, WorkerInfo, WorkerTestHooks } from '../worker/protocol.js';
import { quickjsModule } from './wasm.js';

/** Why a worker was terminated. */
export type DeathReason = 'watchdog' | 'aborted' | 'disposed' | 'crashed';

/** Raised (internally) for a call that was pending when its worker died. */
export class WorkerDeath extends Error {
  constructor(readonly reason: DeathReason, detail: string) {
    super(detail);
  }
}

/**
 * Raised (internally) for a run that was queued in a worker behind another run and never started
 * when that worker died: nothing of it ran, so the sandbox sends it to another worker.
 */
export class NotStarted extends Error {
  constructor(readonly death: WorkerDeath) {
    super(death.message);
  }
}

/** Raised (internally) for a run sent to a worker whose init failed: it never ran. */
export class StartFailed extends Error {
  constructor(override readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/**
 * Runs a worker holds at once: the one it evaluates and the next ones, already in its queue when the
 * first answers, so back-to-back runs do not leave the worker idle for a message round trip, nor
 * when the page is busy for a moment (a garbage collection, an audit batch). Measured with the
 * bench's throughput row, 2 workers, same runs: p50 3993 and 7048 runs/s with 2, 5247 and 8282 with
 * 4. A worker left idle takes queued runs from the others (WorkerPool.dispatch), so a deeper queue
 * does not make a short run wait behind a long one.
 */
export const RUNS_PER_WORKER = 4;

interface SentRun {
  readonly runId: string;
  resolve(result: RunResult): void;
  reject(error: WorkerDeath | NotStarted | StartFailed): void;
  /** Called when the worker starts this run (its deadline starts then); null once started. */
  onStart: (() => void) | null;
  /** A one-shot run (not a session's): another worker may take it while it is queued. */
  readonly movable: boolean;
  /** A withdrawal was asked for. */
  withdrawing: boolean;
}

/** One worker and its comlink remote. */
export class WorkerSlot {
  readonly remote: Comlink.Remote<WorkerApi & WorkerTestHooks>;
  readonly ready: Promise<WorkerInfo>;
  /** Rejecters of calls still pending: a dying worker rejects them (comlink would leave them hanging). */
  private readonly pending = new Set<(error: WorkerDeath) => void>();
  dead: WorkerDeath | null = null;
  /** Init has answered: the worker evaluates what it receives. */
  private started = false;
  /** Init failed: every run sent here fails with this. */
  private startError: NotStarted | StartFailed | undefined;
  /** Runs handed to this slot and not finished (at most {@link RUNS_PER_WORKER}). */
  load = 0;
  readonly sessions = new Set<string>();

  /**
   * Runs sent on the run port and not answered yet, in the order sent: the worker evaluates them one
   * at a time in that order, so the first is running and the rest are queued.
   */
  private readonly runs: SentRun[] = [];
  private readonly runPort: MessagePort;

  constructor(private readonly worker: Worker, init: { wasmMemoryMaxBytes: number; debug: boolean; setupCode?: string }, bridge: HostBridge) {
    this.remote = Comlink.wrap(worker);
    worker.addEventListener('error', (event) => this.terminate('crashed', `worker error: ${event.message || 'unknown'}`));
    const channel = new MessageChannel();
    this.runPort = channel.port1;
    this.runPort.onmessage = (event: MessageEvent<RunReply>) => {
      const index = this.runs.findIndex((r) => r.runId === event.data.runId);
      if (index < 0) return;
      const [done] = this.runs.splice(index, 1);
      const reply = event.data;
      if (reply.withdrawn) {
        // Taken out of the worker's queue before it started: the sandbox sends it elsewhere.
        done!.reject(new NotStarted(new WorkerDeath('aborted', `run ${reply.runId} was withdrawn before it started`)));
        return;
      }
      // The worker goes on with the next queued run as soon as it has answered: its clock starts now.
      if (index === 0) this.startHead();
      done!.resolve(reply.result);
    };
    const runPort = channel.port2;
    this.ready = this.call(async (remote) => remote.init(Comlink.transfer({ wasmModule: await quickjsModule(), ...init, runPort }, [runPort]), Comlink.proxy(bridge)));
    // Runs may be sent before the worker is up (the port holds them until init has set up the
    // engine): the first one starts when init answers, and none ever runs if init fails.
    this.ready.then(
      () => {
        this.started = true;
        this.startHead();
      },
      (error: unknown) => {
        this.startError = error instanceof WorkerDeath ? new NotStarted(error) : new StartFailed(error);
        for (const run of this.runs.splice(0)) run.reject(this.startError);
      },
    );
  }

  /**
   * Sends a run on the run port (one structured-clone message each way, no comlink wrapping). The
   * worker evaluates its runs one at a time, in order: `onStart` is called when this one starts (at
   * once if the worker is up and has nothing else in hand, else when init or the run ahead of it
   * answers). Rejects with {@link WorkerDeath} if the worker dies while the run is running,
   * {@link NotStarted} if it dies while the run is still queued, {@link StartFailed} if init fails.
   */
  run(request: RunRequest, onStart: () => void): Promise<RunResult> {
    if (this.dead) return Promise.reject(new NotStarted(this.dead));
    if (this.startError) return Promise.reject(this.startError);
    return new Promise<RunResult>((resolve, reject) => {
      const queued = this.runs.length > 0 || !this.started;
      this.runs.push({ runId: request.runId, resolve, reject, onStart, movable: request.sessionId === undefined, withdrawing: false });
      // A run for an idle worker starts now (onStart stamps its deadline before it is sent); a queued
      // one gets its deadline in the worker when it starts, and the page's clock when the run ahead answers.
      if (queued) request.queued = true;
      else {
        delete request.queued;
        this.startHead();
      }
      this.runPort.postMessage(request);
    });
  }

  /**
   * Takes a run that has not started out of the worker's queue (its caller gave up on it). Returns
   * false when the run has started (or is unknown): it must then be stopped like any running run.
   */
  withdraw(runId: string): boolean {
    const run = this.runs.find((r) => r.runId === runId);
    if (!run || run.onStart === null || this.dead) return false;
    if (!run.withdrawing) this.runPort.postMessage({ withdraw: runId } satisfies RunControl);
    run.withdrawing = true;
    return true;
  }

  /** The last one-shot run queued here that has not started and is not being withdrawn, if any. */
  lastMovable(): string | undefined {
    for (let i = this.runs.length - 1; i >= 0; i--) {
      const run = this.runs[i]!;
      if (run.onStart === null) return undefined;
      if (run.movable && !run.withdrawing) return run.runId;
    }
    return undefined;
  }

  /** The first run in the queue is running now (once the worker is up). */
  private startHead(): void {
    if (!this.started) return;
    const head = this.runs[0];
    if (!head?.onStart) return;
    const start = head.onStart;
    head.onStart = null;
    start();
  }

  /**
   * Calls the worker; rejects with {@link WorkerDeath} if it dies first. (Not `Promise.race` with one
   * long-lived death promise: every race would leave a reaction on it for the worker's lifetime.)
   */
  call<T>(fn: (remote: Comlink.Remote<WorkerApi & WorkerTestHooks>) => Promise<T>): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise<T>((resolve, reject) => {
      this.pending.add(reject);
      const done = () => this.pending.delete(reject);
      try {
        fn(this.remote).then(resolve, reject).finally(done);
      } catch (error) {
        done();
        reject(error);
      }
    });
  }

  terminate(reason: DeathReason, detail: string): void {
    if (this.dead) return;
    this.dead = new WorkerDeath(reason, detail);
    this.worker.terminate();
    this.remote[Comlink.releaseProxy]();
    this.runPort.close();
    for (const reject of this.pending) reject(this.dead);
    this.pending.clear();
    // The running run died with the worker; the queued ones never started and may go elsewhere.
    for (const [i, run] of this.runs.splice(0).entries()) run.reject(i === 0 && run.onStart === null ? this.dead : new NotStarted(this.dead));
  }
}

/** Options of {@link WorkerPool}. */
export interface PoolOptions {
  size: number;
  standby: boolean;
  wasmMemoryMaxBytes: number;
  debug: boolean;
  setupCode?: string;
  bridge: HostBridge;
  /** Called after a worker was replaced (for audit `worker_recycled`). */
  onRecycle(reason: DeathReason, detail: string): void;
}

interface Waiter {
  resolve(slot: WorkerSlot): void;
  reject(error: unknown): void;
  pin?: WorkerSlot;
}

/** A fixed-size set of workers plus one warm standby that takes the place of a killed one. */
export class WorkerPool {
  private readonly slots: WorkerSlot[] = [];
  private standby: WorkerSlot | null = null;
  private readonly waiters: Waiter[] = [];
  private closed = false;
  private standbyQueued = false;

  constructor(private readonly options: PoolOptions) {
    for (let i = 0; i < options.size; i++) this.slots.push(this.spawn());
    // The standby starts after the first result (see release) or when ready() is asked for, so it
    // never competes with the cold start for the same cores.
  }

  private startStandby(): WorkerSlot | null {
    if (this.options.standby && !this.closed && !this.standby) this.standby = this.spawn();
    return this.standby;
  }

  private spawn(): WorkerSlot {
    const worker = new Worker(new URL('../worker/worker.ts', import.meta.url), { type: 'module', name: 'quickcage' });
    const init = { wasmMemoryMaxBytes: this.options.wasmMemoryMaxBytes, debug: this.options.debug, ...(this.options.setupCode === undefined ? {} : { setupCode: this.options.setupCode }) };
    return new WorkerSlot(worker, init, this.options.bridge);
  }

  /** Resolves when every worker is initialised, the warm standby included. */
  async ready(): Promise<unknown> {
    await Promise.all(this.slots.map((s) => s.ready));
    // A standby that fails to start is replaced when it is needed; it does not fail ready().
    return this.startStandby()?.ready.catch(() => undefined);
  }

  /**
   * Waits for a worker with room (or the given one, for sessions) and takes one of its
   * {@link RUNS_PER_WORKER} places: an idle worker first, else the least loaded one with room, where
   * the run waits in the worker's own queue. An abort while waiting rejects with the signal's reason
   * and leaves the queue.
   */
  acquire(pin?: WorkerSlot, signal?: AbortSignal): Promise<WorkerSlot> {
    if (this.closed) return Promise.reject(new WorkerDeath('disposed', 'sandbox disposed'));
    if (pin?.dead) return Promise.reject(pin.dead);
    if (signal?.aborted) return Promise.reject(signal.reason);
    const free = pin ? (pin.load < RUNS_PER_WORKER ? pin : undefined) : this.leastLoaded();
    if (free) {
      free.load += 1;
      return Promise.resolve(free);
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal!.reason);
      };
      const waiter: Waiter = {
        resolve: (slot) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(slot);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      if (pin) waiter.pin = pin;
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** A live worker with room, the least loaded first (an idle one if there is one). */
  private leastLoaded(): WorkerSlot | undefined {
    let best: WorkerSlot | undefined;
    for (const s of this.slots) {
      if (s.dead || s.load >= RUNS_PER_WORKER) continue;
      if (!best || s.load < best.load) best = s;
      if (s.load === 0) break;
    }
    return best;
  }

  /** Gives back a run's place in a worker: the next waiter takes it. */
  release(slot: WorkerSlot): void {
    slot.load = Math.max(0, slot.load - 1);
    // After the first result is on its way, not before: spawning costs the page a task.
    if (this.options.standby && !this.standby && !this.standbyQueued) {
      this.standbyQueued = true;
      setTimeout(() => this.startStandby(), 0);
    }
    this.dispatch(slot);
  }

  /**
   * Hands the slot's free places to waiters (the first ones that may use it). A worker left idle
   * takes a run queued behind another worker's run instead: that run is withdrawn there (if it has
   * not started by then) and sent again (sandbox.ts), so a short run does not wait behind a long one.
   */
  private dispatch(slot: WorkerSlot): void {
    while (!slot.dead && slot.load < RUNS_PER_WORKER) {
      const i = this.waiters.findIndex((w) => (w.pin ? w.pin === slot : true));
      if (i < 0) break;
      const [waiter] = this.waiters.splice(i, 1);
      slot.load += 1;
      waiter!.resolve(slot);
    }
    if (slot.dead || slot.load > 0 || !this.slots.includes(slot)) return;
    for (const other of this.slots) {
      if (other === slot || other.dead) continue;
      const queued = other.lastMovable();
      if (queued !== undefined && other.withdraw(queued)) return;
    }
  }

  /** Terminates a worker and puts the standby (or a new worker) in its place. */
  replace(slot: WorkerSlot, reason: DeathReason, detail: string): void {
    slot.terminate(reason, detail);
    const index = this.slots.indexOf(slot);
    if (index < 0 || this.closed) return;
    const next = this.standby ?? this.spawn();
    this.standby = this.options.standby ? this.spawn() : null;
    this.slots[index] = next;
    // Waiters pinned to the dead slot (session runs) fail; the rest get the new worker.
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i]!.pin === slot) this.waiters.splice(i, 1)[0]!.reject(slot.dead);
    }
    this.options.onRecycle(reason, detail);
    this.dispatch(next);
  }

  /** A worker for a new session: the least loaded one. */
  pickForSession(): WorkerSlot {
    return [...this.slots].filter((s) => !s.dead).sort((a, b) => a.sessions.size - b.sessions.size)[0]!;
  }

  all(): readonly WorkerSlot[] {
    return this.slots;
  }

  close(): void {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w.reject(new WorkerDeath('disposed', 'sandbox disposed'));
    for (const s of [...this.slots, ...(this.standby ? [this.standby] : [])]) s.terminate('disposed', 'sandbox disposed');
    this.standby = null;
  }
}

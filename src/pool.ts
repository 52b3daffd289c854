/**
 * Workers on the main thread: spawning, a warm standby, and the watchdog that terminates a worker
 * that does not answer in time. comlink leaves calls pending on a terminated worker forever, so every
 * call here races the slot's own death promise and is rejected when the worker goes.
 */
import * as Comlink from 'comlink';
import type { HostBridge, RunReply, RunRequest, RunResult, WorkerApi, WorkerInfo, WorkerTestHooks } from '../worker/protocol.js';
import { quickjsModule } from './wasm.js';

/** Why a worker was terminated. */
export type DeathReason = 'watchdog' | 'aborted' | 'disposed' | 'crashed';

/** Raised (internally) for a call that was pending when its worker died. */
export class WorkerDeath extends Error {
  constructor(readonly reason: DeathReason, detail: string) {
    super(detail);
  }
}

/** One worker and its comlink remote. */
export class WorkerSlot {
  readonly remote: Comlink.Remote<WorkerApi & WorkerTestHooks>;
  readonly ready: Promise<WorkerInfo>;
  /** Rejecters of calls still pending: a dying worker rejects them (comlink would leave them hanging). */
  private readonly pending = new Set<(error: WorkerDeath) => void>();
  dead: WorkerDeath | null = null;
  busy = false;
  readonly sessions = new Set<string>();

  /** Runs sent on the run port and not answered yet, by run id. */
  private readonly runs = new Map<string, { resolve(result: RunResult): void; reject(error: WorkerDeath): void }>();
  private readonly runPort: MessagePort;

  constructor(private readonly worker: Worker, init: { wasmMemoryMaxBytes: number; debug: boolean; setupCode?: string }, bridge: HostBridge) {
    this.remote = Comlink.wrap(worker);
    worker.addEventListener('error', (event) => this.terminate('crashed', `worker error: ${event.message || 'unknown'}`));
    const channel = new MessageChannel();
    this.runPort = channel.port1;
    this.runPort.onmessage = (event: MessageEvent<RunReply>) => {
      const pending = this.runs.get(event.data.runId);
      if (!pending) return;
      this.runs.delete(event.data.runId);
      pending.resolve(event.data.result);
    };
    const runPort = channel.port2;
    this.ready = this.call(async (remote) => remote.init(Comlink.transfer({ wasmModule: await quickjsModule(), ...init, runPort }, [runPort]), Comlink.proxy(bridge)));
    this.ready.catch(() => {});
  }

  /**
   * Sends a run on the run port (one structured-clone message each way, no comlink wrapping);
   * rejects with {@link WorkerDeath} if the worker dies first.
   */
  run(request: RunRequest): Promise<RunResult> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise<RunResult>((resolve, reject) => {
      this.runs.set(request.runId, { resolve, reject });
      this.runPort.postMessage(request);
    });
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
    for (const run of this.runs.values()) run.reject(this.dead);
    this.runs.clear();
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
   * Waits for an idle worker (or the given one, for sessions) and marks it busy. An abort while
   * queued rejects with the signal's reason and leaves the queue.
   */
  acquire(pin?: WorkerSlot, signal?: AbortSignal): Promise<WorkerSlot> {
    if (this.closed) return Promise.reject(new WorkerDeath('disposed', 'sandbox disposed'));
    if (pin?.dead) return Promise.reject(pin.dead);
    if (signal?.aborted) return Promise.reject(signal.reason);
    const free = pin ? (pin.busy ? undefined : pin) : this.slots.find((s) => !s.busy && !s.dead);
    if (free) {
      free.busy = true;
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

  /** Hands a finished worker to the next waiter, or marks it idle. */
  release(slot: WorkerSlot): void {
    slot.busy = false;
    // After the first result is on its way, not before: spawning costs the page a task.
    if (this.options.standby && !this.standby && !this.standbyQueued) {
      this.standbyQueued = true;
      setTimeout(() => this.startStandby(), 0);
    }
    if (slot.dead) return;
    const i = this.waiters.findIndex((w) => (w.pin ? w.pin === slot : true));
    if (i >= 0) {
      const [waiter] = this.waiters.splice(i, 1);
      slot.busy = true;
      waiter!.resolve(slot);
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
    this.release(next);
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

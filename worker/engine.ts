/**
 * QuickJS inside the worker. One-shot runs share one module instance that is restored from a snapshot
 * before each run: the snapshot holds a runtime + context with the prelude, the setup code and every
 * helper already made, so a run starts bit-identical for the price of a memory copy, and nothing of a
 * run (globals, jobs, timers, FinalizationRegistry callbacks, weak refs, a fault inside the WASM) can
 * reach the next. Sessions live in a second instance of the same compiled module (sessions.ts).
 *
 * Files: instance.ts (module instance, memory cap, snapshot/restore), cell.ts (context preparation),
 * host.ts (host callbacks), run.ts (run loop), sessions.ts (sessions), state.ts (run state, deadline).
 * Design and numbers: docs/design/engine.md.
 */
import type { HostBridge, RunRequest, RunResult, RunStats, WireError, WorkerInfo } from './protocol.js';
import { compileHelpers, disposeCell, newCell, setStack, unseedRandom, type Cell } from './engine/cell.js';
import { Host } from './engine/host.js';
import { Instance } from './engine/instance.js';
import { classify, execute, heapBytes, installRunGlobals } from './engine/run.js';
import { Sessions } from './engine/sessions.js';
import { RunFailure, newState, now, type RunState } from './engine/state.js';

/** Options of {@link Engine.create}. */
export interface EngineOptions {
  wasmModule: WebAssembly.Module;
  wasmMemoryMaxBytes: number;
  bridge: HostBridge;
  /** Trusted framework code evaluated first in every fresh context. */
  setupCode?: string | undefined;
}

/** The one-shot instance and the contexts its snapshot holds. */
interface OneShot {
  instance: Instance;
  tamed: Cell;
  /** Made (and the snapshot retaken) when the first trusted run needs it. */
  untamed: Cell | null;
  /** Each cell's compiled helpers as the snapshot has them (a helper compiled during a run is forgotten). */
  lazy: Map<Cell, Cell['lazy']>;
  /** The helpers join the snapshot after the first result, off the cold start. */
  helpersCompiled: boolean;
}

export class Engine {
  private oneShot: OneShot | null = null;
  /** Resolves when the one-shot instance is ready (or has failed: see setupError). */
  private ready: Promise<void>;
  /** The app's setup code failed in a fresh context: every one-shot run reports it. */
  private setupError: WireError | null = null;
  private readonly host: Host;
  private readonly sessions: Sessions;
  private readonly running = new Set<RunState>();
  /** Faults inside the one-shot instance, undone by a restore (no rebuild). */
  private restores = 0;
  private injectFault = false;

  private constructor(private readonly options: EngineOptions) {
    this.host = new Host(options.bridge);
    this.sessions = new Sessions(this.host, options);
    this.ready = this.prepareOneShot();
  }

  static async create(options: EngineOptions): Promise<Engine> {
    const engine = new Engine(options);
    await engine.ready;
    return engine;
  }

  /** Instantiates the one-shot module, prepares its context and takes the snapshot. */
  private async prepareOneShot(): Promise<void> {
    const instance = await Instance.create(this.options.wasmModule, this.options.wasmMemoryMaxBytes);
    let tamed: Cell;
    try {
      tamed = newCell(instance, this.host, true, this.options.setupCode);
    } catch (error) {
      if (!(error instanceof RunFailure)) throw error;
      this.setupError = error.wire;
      return;
    }
    // The reserve and ballast are cut from the heap's end, after the contexts: their contents stay
    // out of the snapshot.
    instance.claimHostMemory();
    const one: OneShot = { instance, tamed, untamed: null, lazy: new Map(), helpersCompiled: false };
    this.snapshot(one);
    this.oneShot = one;
  }

  /** Takes the one-shot snapshot with every context the instance holds now. */
  private snapshot(one: OneShot): void {
    const cells = [one.tamed, ...(one.untamed ? [one.untamed] : [])];
    for (const cell of cells) unseedRandom(cell);
    one.instance.takeSnapshot(cells.map((cell) => cell.runtime));
    one.lazy = new Map(cells.map((cell) => [cell, { ...cell.lazy }]));
  }

  /** Puts the one-shot instance back to its snapshot, and the JS side of its contexts with it. */
  private restore(one: OneShot): void {
    one.instance.restore();
    for (const [cell, lazy] of one.lazy) cell.lazy = { ...lazy };
  }

  /** In idle time after the first result: the helpers are compiled into the snapshot. */
  private compileHelpersIdle(one: OneShot): void {
    if (one.helpersCompiled) return;
    one.helpersCompiled = true;
    if (one.instance.dirty) this.restore(one);
    try {
      compileHelpers(one.tamed);
      if (one.untamed) compileHelpers(one.untamed);
      this.snapshot(one);
    } catch {
      // Helpers then compile per run, as they are needed; the snapshot without them stays valid.
      this.restore(one);
    }
  }

  /** The context for a one-shot run, with the instance restored to its snapshot. */
  private oneShotCell(tamed: boolean): Cell {
    const one = this.oneShot!;
    if (one.instance.dirty) this.restore(one);
    if (tamed) return one.tamed;
    if (!one.untamed) {
      const untamed = newCell(one.instance, this.host, false, this.options.setupCode);
      if (one.helpersCompiled) compileHelpers(untamed);
      one.untamed = untamed;
      this.snapshot(one);
    }
    return one.untamed;
  }

  /** A host callback failed (reported by the worker's console hook): the run ends as a worker fault. */
  reportCallbackFault(error: unknown): void {
    this.host.fault(null, error);
    for (const state of this.running) state.stop ??= 'fault';
  }

  info(): WorkerInfo {
    return {
      moduleRebuilds: this.sessions.rebuilds,
      wasmMemoryBytes: (this.oneShot?.instance.memory.buffer.byteLength ?? 0) + this.sessions.memoryBytes,
      sessions: this.sessions.ids,
      liveContexts: (this.oneShot ? (this.oneShot.untamed ? 2 : 1) : 0) + this.sessions.size,
      wasmFetches: performance.getEntriesByType('resource').filter((e) => e.name.includes('.wasm')).length,
    };
  }

  /** Bytes a restore copies and faults undone by one (diagnostics for tests and the bench). */
  snapshotInfo(): { bytes: number; restores: number } {
    return { bytes: this.oneShot?.instance.snapshotBytes ?? 0, restores: this.restores };
  }

  /**
   * Frees every context and runtime. QuickJS asserts that a freed runtime holds no objects, so a
   * leaked handle surfaces here as an abort, reported as `leaked`. The one-shot instance is prepared
   * anew for later runs.
   */
  async shutdown(): Promise<{ leaked: boolean; detail: string }> {
    await this.ready;
    const one = this.oneShot;
    this.oneShot = null;
    let detail = '';
    try {
      if (one) {
        if (one.instance.dirty) this.restore(one);
        for (const cell of [one.tamed, one.untamed]) if (cell) disposeCell(cell);
      }
    } catch (error) {
      detail = error instanceof Error ? error.message : String(error);
    }
    try {
      this.sessions.disposeAll();
    } catch (error) {
      detail ||= error instanceof Error ? error.message : String(error);
      this.sessions.discard();
    }
    this.ready = this.prepareOneShot();
    await this.ready;
    return { leaked: detail !== '', detail };
  }

  /** Test hook (only with `debug` init): the next run fails as if the WASM had aborted mid-evaluation. */
  faultForTest(kind: 'eval' | 'callback' = 'eval'): void {
    if (kind === 'callback') this.host.faultNextCall();
    else this.injectFault = true;
  }

  /** Test hook (only with `debug` init): keeps one handle alive in the one-shot snapshot, a deliberate leak. */
  async leakForTest(): Promise<void> {
    await this.ready;
    const one = this.oneShot!;
    if (one.instance.dirty) this.restore(one);
    one.tamed.context.newObject();
    this.snapshot(one);
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

  async openSession(sessionId: string, trusted: boolean): Promise<WireError | null> {
    try {
      await this.sessions.open(sessionId, trusted);
      return null;
    } catch (error) {
      const wire = Sessions.openError(error);
      if (wire) return wire;
      this.sessions.discard();
      return { code: 'WORKER_CRASHED', message: `could not open session: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  closeSession(sessionId: string): void {
    this.sessions.close(sessionId);
  }

  /**
   * Evaluates already-checked code. `mode` and `code` come from the source analysis (the worker's api
   * rewrites a top-level-await script into a module whose default export is the last expression).
   */
  async evaluate(request: RunRequest, mode: 'script' | 'module', code: string, startedAt: number): Promise<RunResult> {
    await this.ready;
    const state = newState(request, startedAt);
    const session = request.sessionId !== undefined;
    if (!session && this.setupError) return this.result(state, this.setupError, undefined, 0);
    let cell: Cell | undefined;
    if (session) {
      const taken = this.sessions.take(request.sessionId!);
      if (!('context' in taken)) return this.result(state, taken, undefined, 0);
      cell = taken;
    }
    const tamed = !request.trusted && !request.allowDangerousOperations;
    let valueJson: string | undefined;
    let failure: WireError | null = null;
    let fault: unknown = null;
    let heap = 0;
    this.running.add(state);
    this.host.callbackFault = null;
    try {
      cell ??= this.oneShotCell(tamed);
      const { instance } = cell;
      // From here the one-shot instance holds this run's state until it is restored.
      if (!session) instance.dirty = true;
      instance.growRefused = false;
      instance.activeRuntime = cell.runtime;
      cell.state = state;
      cell.runtime.setMemoryLimit(request.limits.memoryLimitBytes);
      setStack(cell, request.limits.maxStackBytes);
      installRunGlobals(cell, request);
      if (this.injectFault) {
        this.injectFault = false;
        throw new WebAssembly.RuntimeError('Aborted(injected by faultForTest)');
      }
      const executed = await execute(this.host, cell, state, mode, code);
      if ('stopped' in executed) {
        // As after a thrown stop: a refused grow's reserve goes back now that no malloc runs.
        instance.releaseReserve();
        failure = executed.stopped;
      } else {
        valueJson = executed.json;
        if (!session && request.measureHeap) heap = heapBytes(cell);
      }
    } catch (error) {
      cell?.instance.releaseReserve();
      failure = classify(cell, state, error);
      if (failure === null) fault = error;
    } finally {
      this.running.delete(state);
      if (cell) {
        cell.instance.activeRuntime = null;
        cell.state = null;
      }
    }
    if (fault === null && this.host.callbackFault !== null) fault = this.host.callbackFault;
    const peak = cell?.instance.memory.buffer.byteLength ?? 0;
    // One-shot: the handles of the run are forgotten, the restore takes everything back.
    this.host.finish(state, !session || fault !== null);
    if (fault !== null) {
      failure = this.faulted(session, fault);
    } else if (session && cell) {
      try {
        cell.runtime.setMemoryLimit(-1);
        this.sessions.drain(cell, request);
      } catch (error) {
        failure ??= this.faulted(true, error);
      }
    } else if (this.oneShot?.instance.dirty) {
      // Restore while the worker is idle, after the answer is on its way (a run that comes first does it).
      const one = this.oneShot;
      setTimeout(() => {
        if (this.oneShot !== one || this.running.size > 0) return;
        if (one.instance.dirty) this.restore(one);
        this.compileHelpersIdle(one);
      }, 0);
    }
    return this.result(state, failure, valueJson, heap, peak);
  }

  /**
   * An exception out of the WASM or the host instead of a guest outcome. A one-shot run is undone by
   * restoring the snapshot (no rebuild, nothing else affected); a fault in the session instance
   * discards it with its sessions.
   */
  private faulted(session: boolean, error: unknown): WireError {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const hostStack = /call stack/i.test(message);
    if (!session) {
      this.restores++;
      if (this.oneShot) this.restore(this.oneShot);
      return {
        code: hostStack ? 'STACK_OVERFLOW' : 'WORKER_CRASHED',
        message: hostStack
          ? 'guest overflowed the host stack inside QuickJS; the run was undone'
          : `the worker failed inside the run (${message.slice(0, 300)}); its state was discarded by restoring the snapshot`,
        details: { cause: message.slice(0, 300), restored: true },
      };
    }
    this.sessions.discard();
    return {
      code: hostStack ? 'STACK_OVERFLOW' : 'WORKER_CRASHED',
      message: `the worker failed inside a session run (${message.slice(0, 300)}); the session module was discarded and its sessions lost`,
      poisoned: true,
      details: { cause: message.slice(0, 300) },
    };
  }

  private result(state: RunState, failure: WireError | null, valueJson: string | undefined, heap: number, peak = 0): RunResult {
    const stats: RunStats = {
      wallMs: now() - state.startedAt,
      cpuMs: state.cpuMs,
      peakMemoryBytes: peak,
      heapBytes: heap,
      toolCalls: state.toolCalls,
    };
    if (failure) return { ok: false, error: failure, logs: state.logs, stats, trusted: state.request.trusted };
    return { ok: true, valueJson, logs: state.logs, stats, trusted: state.request.trusted };
  }
}

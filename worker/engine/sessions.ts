/**
 * Sessions: long-lived contexts whose globals persist across runs. They live in their own module
 * instance (the one-shot instance is restored from its snapshot before every run, which would wipe
 * them), created when the first session opens, with the same memory cap as the one-shot instance.
 */
import type { WireError } from '../protocol.js';
import { PRELUDE_HARDEN_SOURCE, compact } from '../prelude.js';
import { JOB_BATCH, disposeCell, newCell, runJobs, type Cell } from './cell.js';
import type { Host } from './host.js';
import { Instance } from './instance.js';
import { RunFailure, newState, type RunState } from './state.js';

const HARDEN = compact(PRELUDE_HARDEN_SOURCE);
/** Free memory a session run needs besides the host's reserve to start at all. */
const RUN_HEADROOM_BYTES = 256 * 1024;

/** Takes the host's reserve back and checks that a run has room to start beside it. */
function roomToRun(instance: Instance): boolean {
  instance.restoreReserve();
  if (instance.reserve === 0) return false;
  const probe = instance.module._malloc(RUN_HEADROOM_BYTES);
  if (probe === 0) return false;
  instance.module._free(probe);
  return true;
}

export class Sessions {
  private instance: Instance | null = null;
  private creating: Promise<Instance> | null = null;
  private readonly cells = new Map<string, Cell>();
  /** Sessions lost to a rebuild of their instance: their next run fails with SESSION_LOST. */
  private readonly lost = new Set<string>();
  /** Sessions closed cleanly (instance intact), with why: their next run says so. */
  private readonly closed = new Map<string, string>();
  /** Times the session instance was discarded after a fault inside it. */
  rebuilds = 0;

  constructor(
    private readonly host: Host,
    private readonly options: { wasmModule: WebAssembly.Module; wasmMemoryMaxBytes: number; setupCode?: string | undefined },
  ) {}

  get ids(): string[] {
    return [...this.cells.keys()];
  }

  get size(): number {
    return this.cells.size;
  }

  get memoryBytes(): number {
    return this.instance?.memory.buffer.byteLength ?? 0;
  }

  private async ensureInstance(): Promise<Instance> {
    if (this.instance) return this.instance;
    this.creating ??= Instance.create(this.options.wasmModule, this.options.wasmMemoryMaxBytes).then((instance) => {
      instance.claimHostMemory();
      this.instance = instance;
      this.creating = null;
      return instance;
    });
    return this.creating;
  }

  /** Opens a session cell, its intrinsics frozen before any guest code runs. */
  async open(sessionId: string, trusted: boolean): Promise<void> {
    if (this.cells.has(sessionId)) return;
    const instance = await this.ensureInstance();
    instance.restoreReserve();
    const cell = newCell(instance, this.host, !trusted, this.options.setupCode);
    cell.sessionId = sessionId;
    try {
      const { context } = cell;
      using harden = context.unwrapResult(context.evalCode(HARDEN, 'quickcage:harden'));
      context.unwrapResult(context.callFunction(harden, context.undefined)).dispose();
    } catch (error) {
      disposeCell(cell);
      throw error;
    }
    this.lost.delete(sessionId);
    this.closed.delete(sessionId);
    this.cells.set(sessionId, cell);
  }

  close(sessionId: string): void {
    const cell = this.cells.get(sessionId);
    this.lost.delete(sessionId);
    this.closed.delete(sessionId);
    if (!cell) return;
    this.cells.delete(sessionId);
    disposeCell(cell);
  }

  /** The session's cell, or the error its run ends with (lost, closed, unknown, memory full). */
  take(sessionId: string): Cell | WireError {
    const cell = this.cells.get(sessionId);
    if (!cell) {
      const closed = this.closed.get(sessionId);
      if (closed !== undefined) return { code: 'SESSION_LOST', message: `session \`${sessionId}\` was closed ${closed}` };
      if (this.lost.has(sessionId)) {
        return { code: 'SESSION_LOST', message: `session \`${sessionId}\` was lost when its QuickJS module had to be rebuilt` };
      }
      return { code: 'INVALID_ARGUMENT', message: `unknown session \`${sessionId}\`` };
    }
    const instance = cell.instance;
    // No guest code may run without the host's reserve (see HOST_RESERVE_BYTES) and some room to
    // start in: sessions that hold the memory this needs are closed, others before this one, oldest
    // first; each says why. (A session that keeps its whole share would otherwise fail every run.)
    for (const [id, held] of [...this.cells].sort(([a], [b]) => Number(a === sessionId) - Number(b === sessionId))) {
      if (roomToRun(instance)) break;
      if (held.state !== null) continue;
      this.cells.delete(id);
      this.closed.set(id, `because the sessions filled their worker's memory (cap ${this.options.wasmMemoryMaxBytes} bytes) and a run needed it`);
      disposeCell(held);
    }
    return this.cells.get(sessionId) ?? this.take(sessionId);
  }

  /**
   * After a session run: what the run left queued would run during the next one. Run it now, with
   * interrupts forced on and host calls refused; a flood that keeps re-arming cannot be cleaned, so
   * the session is closed (SESSION_LOST with the reason).
   */
  drain(cell: Cell, request: RunState['request']): void {
    const drain = newState(request, 0);
    drain.finished = true;
    drain.stop = 'deadline';
    cell.state = drain;
    for (let i = 0; i < 16 && cell.runtime.hasPendingJob(); i++) runJobs(cell, JOB_BATCH)?.dispose();
    cell.state = null;
    cell.runtime.setMemoryLimit(-1);
    if (cell.runtime.hasPendingJob()) {
      const id = cell.sessionId!;
      this.cells.delete(id);
      this.closed.set(id, 'because jobs it left queued kept re-arming after its run');
      disposeCell(cell);
    }
  }

  /** A fault inside the session instance: it is discarded whole, its sessions are lost. */
  discard(): void {
    this.rebuilds++;
    for (const id of this.cells.keys()) this.lost.add(id);
    this.cells.clear();
    this.instance = null;
  }

  /** Frees every session cell (QuickJS aborts on a leaked object: the caller reports it). */
  disposeAll(): void {
    const cells = [...this.cells.values()];
    this.cells.clear();
    for (const cell of cells) disposeCell(cell);
  }

  /** A MEMORY_LIMIT for a session that cannot be opened because its instance is full. */
  static openError(error: unknown): WireError | null {
    return error instanceof RunFailure ? error.wire : null;
  }
}

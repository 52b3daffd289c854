/**
 * A session: one QuickJS context kept across runs on one worker (notebook cells). Runs go through
 * the sandbox's own path (`Sandbox.runOn`), so they are checked, rate-limited, watched and audited
 * like any run; a session whose worker died fails with `SESSION_LOST` from then on.
 */
import { DisposedError, InvalidArgumentError, SandboxError, WorkerCrashedError } from '../errors.js';
import { isPlainObject } from '../internal/checks.js';
import type { WorkerSlot } from '../pool.js';
import type { Sandbox } from '../sandbox.js';
import type { RunOptions, RunOutput } from './types.js';

/** A context whose globals persist across runs. Create it with {@link Sandbox.session}. */
export class Session implements AsyncDisposable {
  private disposed = false;
  private lost: SandboxError | null = null;

  /** @internal */
  constructor(
    private readonly sandbox: Sandbox,
    /** The session id (also in audit events). */
    readonly id: string,
    private readonly slot: WorkerSlot,
    private readonly trusted: boolean,
  ) {}

  /**
   * Runs a cell in this session. `trusted` is fixed when the session opens.
   * @throws the same errors as {@link Sandbox.run}, plus `SESSION_LOST` once its worker was replaced.
   */
  async run<T = unknown>(code: string, options: Omit<RunOptions, 'trusted'> = {}): Promise<RunOutput<T>> {
    if (this.disposed) throw new DisposedError(`session ${this.id} is disposed`);
    if (this.lost) throw new WorkerCrashedError('SESSION_LOST', this.lost.message);
    if (isPlainObject(options) && 'trusted' in options) throw new InvalidArgumentError('options.trusted', 'Session runs take `trusted` from the session, not per run');
    try {
      return await this.sandbox.runOn<T>(code, options, { id: this.id, slot: this.slot, trusted: this.trusted });
    } catch (error) {
      if (this.slot.dead && error instanceof SandboxError) this.lost = error;
      throw error;
    }
  }

  /** Frees the session's context. Idempotent. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.sandbox.closeSession(this.slot, this.id);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

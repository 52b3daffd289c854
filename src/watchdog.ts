/**
 * The watchdog: the hard deadline of every run, on the page, where a stuck worker cannot stop it.
 *
 * One clock ({@link now}, epoch ms from `performance`), one ticket per run in flight. `arm` stamps
 * the request's absolute `deadline` (the worker's interrupt handler checks the same number) and
 * starts a timer for deadline + grace; if the worker has not answered by then, `onExpire` terminates
 * it (sandbox.ts `kill`). A host call that waits for a person pauses the ticket: the timer stops,
 * the worker is told to stop its own clock, and on resume both move the deadline by the pause.
 * `end` clears the timer and aborts the ticket's signal (host calls still running see it).
 * See docs/design/watchdog.md.
 */
import type { WorkerSlot } from './pool.js';
import type { RunHooks } from './replay/recording.js';
import type { RunRequest } from '../worker/protocol.js';

/** The one clock of the page side: epoch milliseconds, monotonic within the page. */
export const now = (): number => performance.timeOrigin + performance.now();

/** One run in flight. */
export interface Ticket {
  readonly runId: string;
  readonly user: string | undefined;
  /** Absolute deadline (epoch ms), moved later by pauses. */
  deadline: number;
  /** When the current pause began, or null while the clock runs. */
  pausedAt: number | null;
  readonly slot: WorkerSlot;
  /** Aborted when the run ends: host calls still in flight learn it through `HostCallContext.signal`. */
  readonly controller: AbortController;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Recording or replay of this run (src/replay/, run/hooks.ts): the host-call bridge finds them here. */
  readonly hooks?: RunHooks;
}

/** Arms, pauses and ends the deadline of each run. */
export class Watchdog {
  private readonly tickets = new Map<string, Ticket>();

  /**
   * @param graceMs how long after the deadline the worker may still answer before it is terminated.
   * @param onExpire called once when a ticket's deadline + grace passes unanswered.
   */
  constructor(private readonly graceMs: number, private readonly onExpire: (ticket: Ticket) => void) {}

  /** Sets `request.deadline` from its `timeoutMs` and starts the clock; `hooks` ride on the ticket. */
  arm(request: RunRequest, slot: WorkerSlot, user: string | undefined, hooks?: RunHooks): Ticket {
    request.deadline = now() + request.limits.timeoutMs;
    const ticket: Ticket = {
      runId: request.runId, user, deadline: request.deadline, pausedAt: null, slot, controller: new AbortController(), timer: undefined,
      ...(hooks ? { hooks } : {}),
    };
    this.tickets.set(request.runId, ticket);
    this.schedule(ticket);
    return ticket;
  }

  /** The live ticket of `runId`, if the run is still in flight. */
  get(runId: string): Ticket | undefined {
    return this.tickets.get(runId);
  }

  /** Every live ticket (dispose aborts them). */
  all(): IterableIterator<Ticket> {
    return this.tickets.values();
  }

  /**
   * Stops the ticket's clock (here and in the worker) until the returned function is called; the
   * deadline then moves by the pause. A second pause while paused, or a pause after the run ended, is a no-op.
   */
  pause(ticket: Ticket): () => void {
    if (ticket.pausedAt !== null || !this.tickets.has(ticket.runId)) return () => {};
    ticket.pausedAt = now();
    this.schedule(ticket);
    void ticket.slot.call((r) => r.setPaused(ticket.runId, true)).catch(() => undefined);
    let resumed = false;
    return () => {
      if (resumed || ticket.pausedAt === null) return;
      resumed = true;
      ticket.deadline += now() - ticket.pausedAt;
      ticket.pausedAt = null;
      this.schedule(ticket);
      void ticket.slot.call((r) => r.setPaused(ticket.runId, false)).catch(() => undefined);
    };
  }

  /** The run answered (or died): no more timer, and its host calls are told. */
  end(ticket: Ticket): void {
    clearTimeout(ticket.timer);
    ticket.controller.abort();
    this.tickets.delete(ticket.runId);
  }

  /** (Re)starts the timer for deadline + grace; none while paused. */
  private schedule(ticket: Ticket): void {
    clearTimeout(ticket.timer);
    if (ticket.pausedAt !== null) return;
    ticket.timer = setTimeout(() => this.onExpire(ticket), Math.max(0, ticket.deadline + this.graceMs - now()));
  }
}

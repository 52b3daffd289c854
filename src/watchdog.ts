/**
 * The watchdog: the hard deadline of every run, on the page, where a stuck worker cannot stop it.
 *
 * One clock ({@link now}, epoch ms from `performance`), one ticket per run in flight, one timer for
 * all of them. `arm` stamps the request's absolute `deadline` (the worker's interrupt handler checks
 * the same number); if the worker has not answered by deadline + grace, `onExpire` terminates it
 * (sandbox.ts `kill`). A host call that waits for a person pauses the ticket: it is skipped by the
 * timer, the worker is told to stop its own clock, and on resume both move the deadline by the
 * pause. `end` removes the ticket and aborts its signal (host calls still running see it).
 * See docs/design/watchdog.md.
 */
import type { WorkerSlot } from './pool.js';
import type { RunHooks } from './replay/recording.js';
import type { RunRequest } from '../worker/protocol.js';

/** The one clock of the page side: epoch milliseconds, monotonic within the page. */
/** Read once: `performance.timeOrigin` is constant for the page, and its getter is not free. */
const TIME_ORIGIN = performance.timeOrigin;
export const now = (): number => TIME_ORIGIN + performance.now();

/** One run in flight. */
export interface Ticket {
  readonly runId: string;
  readonly user: string | undefined;
  /** Absolute deadline (epoch ms), moved later by pauses. */
  deadline: number;
  /** When the current pause began, or null while the clock runs. */
  pausedAt: number | null;
  readonly slot: WorkerSlot;
  /**
   * Aborted when the run ends: host calls still in flight learn it through `HostCallContext.signal`.
   * Made on first use (most runs call no host function, and an AbortController per run is not free).
   */
  readonly signal: AbortSignal;
  /**
   * Settles when the run may have effects outside the sandbox (its quota check passed): host calls
   * wait for it (sandbox.ts starts a run while its admission is still being decided).
   */
  readonly admitted?: Promise<void>;
  /** Recording or replay of this run (src/replay/, run/hooks.ts): the host-call bridge finds them here. */
  readonly hooks?: RunHooks;
}

interface LiveTicket extends Ticket {
  controller: AbortController | undefined;
  /** Its deadline + grace passed and `onExpire` was called: the kill ends it, the timer skips it. */
  expired: boolean;
}

/**
 * Arms, pauses and ends the deadline of each run.
 *
 * ONE timer serves every ticket: it is set for the earliest deadline + grace and, when it fires,
 * expires the tickets that are due and re-arms itself for the next. Arming and ending a ticket are a
 * map insert and delete (a run that answers in a fraction of a millisecond does not create and
 * cancel a browser timer of its own).
 */
export class Watchdog {
  private readonly tickets = new Map<string, LiveTicket>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** When the one timer fires (epoch ms), or +Infinity when it is not set. */
  private timerAt = Number.POSITIVE_INFINITY;

  /**
   * @param graceMs how long after the deadline the worker may still answer before it is terminated.
   * @param onExpire called once when a ticket's deadline + grace passes unanswered.
   */
  constructor(private readonly graceMs: number, private readonly onExpire: (ticket: Ticket) => void) {}

  /**
   * Sets `request.deadline` from its `timeoutMs` and starts the clock; `hooks` and `admitted` ride on
   * the ticket.
   */
  arm(request: RunRequest, slot: WorkerSlot, user: string | undefined, extra: { hooks?: RunHooks; admitted?: Promise<void> } = {}): Ticket {
    request.deadline = now() + request.limits.timeoutMs;
    const ticket: LiveTicket = {
      runId: request.runId, user, deadline: request.deadline, pausedAt: null, slot, controller: undefined, expired: false,
      get signal() {
        this.controller ??= new AbortController();
        return this.controller.signal;
      },
      ...(extra.hooks ? { hooks: extra.hooks } : {}),
      ...(extra.admitted ? { admitted: extra.admitted } : {}),
    };
    this.tickets.set(request.runId, ticket);
    this.due(ticket.deadline + this.graceMs);
    return ticket;
  }

  /** The live ticket of `runId`, if the run is still in flight. */
  get(runId: string): Ticket | undefined {
    return this.tickets.get(runId);
  }

  /**
   * Stops the ticket's clock (here and in the worker) until the returned function is called; the
   * deadline then moves by the pause. A second pause while paused, or a pause after the run ended, is a no-op.
   */
  pause(ticket: Ticket): () => void {
    const live = this.tickets.get(ticket.runId);
    if (live !== ticket || live.pausedAt !== null || live.expired) return () => {};
    live.pausedAt = now();
    void live.slot.call((r) => r.setPaused(live.runId, true)).catch(() => undefined);
    let resumed = false;
    return () => {
      if (resumed || live.pausedAt === null) return;
      resumed = true;
      live.deadline += now() - live.pausedAt;
      live.pausedAt = null;
      if (this.tickets.get(live.runId) === live) this.due(live.deadline + this.graceMs);
      void live.slot.call((r) => r.setPaused(live.runId, false)).catch(() => undefined);
    };
  }

  /** The run answered (or died): it leaves the watch, and its host calls still running are told. */
  end(ticket: Ticket): void {
    const live = ticket as LiveTicket;
    live.controller?.abort();
    // Only this ticket: the same run may already have a new one (observe mode runs it again).
    if (this.tickets.get(ticket.runId) === live) this.tickets.delete(ticket.runId);
    // The timer stays: the next run's deadline is almost always later than it, so it serves that
    // run too; if it fires with nothing due it simply re-arms for what is left (or not at all).
  }

  /** The sandbox is disposed: every live ticket's signal is aborted, and the timer goes. */
  close(): void {
    for (const ticket of this.tickets.values()) {
      ticket.controller ??= new AbortController();
      ticket.controller.abort();
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  /** Makes sure the one timer fires no later than `at` (epoch ms). */
  private due(at: number): void {
    if (at >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.fire(), Math.max(0, at - now()));
  }

  /** Expires every ticket past its deadline + grace (none while paused), then re-arms for the next. */
  private fire(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const t = now();
    let next = Number.POSITIVE_INFINITY;
    const expired: LiveTicket[] = [];
    for (const ticket of this.tickets.values()) {
      if (ticket.pausedAt !== null || ticket.expired) continue;
      const at = ticket.deadline + this.graceMs;
      if (at <= t) expired.push(ticket);
      else if (at < next) next = at;
    }
    if (next !== Number.POSITIVE_INFINITY) this.due(next);
    // Each expired ticket once: onExpire terminates its worker, whose answer then ends the ticket.
    for (const ticket of expired) {
      if (this.tickets.get(ticket.runId) !== ticket) continue;
      ticket.expired = true;
      this.onExpire(ticket);
    }
  }
}

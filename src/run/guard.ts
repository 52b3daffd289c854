/**
 * The policy's PII/secret guardrails at the edges of a run: the result and logs leaving, tool
 * arguments and results crossing, the guest's error message and stack leaving with a failure. Off
 * (no work at all) unless some detector has a strategy. What leaves with a failure is redacted,
 * never blocked (`block` becomes `redact`), so a guardrail cannot mask the real error.
 */
import type { EventSink } from '../audit/types.js';
import { applyGuardrails, type GuardrailContext } from '../guardrails/index.js';
import type { Policy } from '../policy.js';
import type { LogEntry, WireError } from '../../worker/protocol.js';

/** Guardrails of one sandbox. */
export class RunGuard {
  /** True when some detector is on. */
  readonly on: boolean;

  constructor(private readonly policy: Policy, private readonly sink: EventSink | undefined) {
    this.on = Object.values(policy.guardrails.detectors).some((s) => s !== 'off');
  }

  /**
   * Applies the policy's PII/secret guardrails to a value leaving or entering the sandbox. Off (no
   * work at all) unless some detector has a strategy. `block` throws `GUARDRAIL_BLOCKED`.
   */
  value<T>(value: T, context: GuardrailContext, lenient = false): T {
    if (!this.on || value === undefined) return value;
    const guardrails = lenient ? this.lenient : this.policy.guardrails;
    return applyGuardrails(value, guardrails, { context, ...(this.sink ? { sink: this.sink } : {}) }).value as T;
  }

  /** `block` becomes `redact`: for what leaves with a failure, where blocking would hide the real error. */
  private get lenient(): Policy['guardrails'] {
    const g = this.policy.guardrails;
    const detectors = Object.fromEntries(Object.entries(g.detectors).map(([k, v]) => [k, v === 'block' ? 'redact' : v]));
    return { ...g, detectors: detectors as Policy['guardrails']['detectors'] };
  }

  /** All log lines of a run in one pass: one audit event per detector per run, not per line. */
  logs(logs: LogEntry[], who: Omit<GuardrailContext, 'where'>, lenient: boolean): LogEntry[] {
    if (!this.on || logs.length === 0) return logs;
    const messages = this.value(logs.map((l) => l.message), { where: 'logs', ...who }, lenient);
    return logs.map((log, i) => ({ ...log, message: messages[i]! }));
  }

  /** The guest's error message and stack leave the sandbox too: `throw new Error(secret)` must not carry it out. */
  error(error: WireError, who: Omit<GuardrailContext, 'where'>): WireError {
    const guarded: WireError = { ...error, message: this.value(error.message, { where: 'result', ...who }, true) };
    if (error.guest) {
      guarded.guest = {
        ...error.guest,
        message: this.value(error.guest.message, { where: 'result', ...who }, true),
        ...(error.guest.stack === undefined ? {} : { stack: this.value(error.guest.stack, { where: 'result', ...who }, true) }),
      };
    }
    return guarded;
  }
}

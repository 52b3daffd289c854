/**
 * Per-tool rate limits: "5 calls per second per user" without hand-written counters in handlers,
 * and for built-in tools too. A limit comes from the tool definition (`defineTool({ rateLimit })`),
 * from the registry (`createToolRegistry({ rateLimits })`) or from an agent grant
 * (`registry.forAgent(agent, { rateLimits })`); every limit that applies must allow the call.
 *
 * Counting is a sliding window over the exact times of the last `limit` admitted calls (memory
 * O(limit) per budget), kept in this registry on the main thread: it is per page, not shared across
 * tabs (use `createRateLimiter` in a handler for a cross-tab quota).
 */
import { checkKnownKeys } from '../internal/checks.js';
import { invalidArgument } from '../errors.js';

/** One rate limit of a tool. */
export interface ToolRateLimit {
  /** Calls admitted per window: an integer from 1 to 10,000. */
  limit: number;
  /** Window length in milliseconds: an integer from 1 to 86,400,000 (one day). */
  windowMs: number;
  /**
   * Who shares one budget: each `user` (calls without a user share one anonymous budget), each
   * `agent` (permission policy name), or each `sandbox` (each dispatcher from `forAgent()`, i.e. each
   * sandbox it was given to). Default `user`.
   */
  per?: 'user' | 'agent' | 'sandbox';
}

/** A checked, frozen limit. */
export type CheckedRateLimit = Readonly<Required<ToolRateLimit>> & { readonly source: string };

const PER = ['user', 'agent', 'sandbox'] as const;

/**
 * Checks one limit or an array of 1 to 8 limits; `field` names the option in errors.
 * @throws {InvalidArgumentError} `INVALID_ARGUMENT` naming the field and the value.
 */
export function checkRateLimits(value: unknown, field: string): CheckedRateLimit[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || list.length > 8) throw invalidArgument(field, 'a rate limit { limit, windowMs, per? } or an array of 1 to 8', value);
  return list.map((item: unknown, i) => {
    const at = Array.isArray(value) ? `${field}[${i}]` : field;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw invalidArgument(at, 'a rate limit { limit, windowMs, per? }', item);
    checkKnownKeys(at, item, ['limit', 'windowMs', 'per']);
    const { limit, windowMs, per = 'user' } = item as ToolRateLimit;
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw invalidArgument(`${at}.limit`, 'an integer from 1 to 10000', limit);
    if (!Number.isInteger(windowMs) || windowMs < 1 || windowMs > 86_400_000) throw invalidArgument(`${at}.windowMs`, 'an integer from 1 to 86400000', windowMs);
    if (!(PER as readonly string[]).includes(per)) throw invalidArgument(`${at}.per`, "'user', 'agent' or 'sandbox'", per);
    return Object.freeze({ limit, windowMs, per, source: field });
  });
}

/** Who is calling, for picking the budget. */
export interface RateScope {
  user: string | undefined;
  agent: string;
  sandbox: string;
}

/** A refusal: which limit, and when the oldest counted call leaves the window. */
export interface RateRefusal {
  limit: CheckedRateLimit;
  resetAt: number;
}

/** Sliding-window counters of one registry. */
export class RateCounters {
  private readonly windows = new Map<string, number[]>();

  constructor(private readonly now: () => number) {}

  /**
   * Admits the call under every limit (and counts it in each), or refuses it without counting it
   * anywhere: a refused call never uses up budget.
   */
  admit(tool: string, limits: readonly CheckedRateLimit[], scope: RateScope): RateRefusal | undefined {
    if (limits.length === 0) return undefined;
    const t = this.now();
    const keyed = limits.map((limit, i) => {
      const who = limit.per === 'user' ? `u:${scope.user ?? ''}` : limit.per === 'agent' ? `a:${scope.agent}` : `s:${scope.sandbox}`;
      return { limit, key: `${tool}\u0000${limit.source}\u0000${i}\u0000${who}` };
    });
    for (const { limit, key } of keyed) {
      const times = this.prune(key, t, limit.windowMs);
      if (times.length >= limit.limit) return { limit, resetAt: (times[0] as number) + limit.windowMs };
    }
    for (const { key } of keyed) {
      const times = this.windows.get(key) ?? [];
      times.push(t);
      this.windows.set(key, times);
    }
    return undefined;
  }

  /** Times still inside the window ending at `t`; empty budgets are forgotten so memory follows activity. */
  private prune(key: string, t: number, windowMs: number): number[] {
    const times = this.windows.get(key);
    if (times === undefined) return [];
    let drop = 0;
    while (drop < times.length && t - (times[drop] as number) >= windowMs) drop++;
    if (drop > 0) times.splice(0, drop);
    if (times.length === 0) this.windows.delete(key);
    return times;
  }
}

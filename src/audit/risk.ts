/**
 * Per-user risk score with severity weights and exponential time decay.
 *
 *   score(user, now) = Σ over the user's violation events e with e.time <= now:
 *                        weight(e.severity) × e.count × 2^(−(now − e.time) / halfLifeMs)
 *
 * Defaults: weights critical 10, high 5, medium 2, low 0.5; half-life 1 hour; events older than
 * 24 half-lives are ignored (they would add less than 10 × 2^−24 each). An aggregate counts as
 * `count` events at its last occurrence (slightly over-weights old parts of a flood, on purpose).
 * Levels: score < 2 low, < 10 medium, < 25 high, else critical: one fresh high event is medium,
 * two are high; one fresh critical is high, three are critical.
 */
import { isViolation, type AuditEvent } from './model.js';
import type { Severity } from './types.js';

/** Risk settings. */
export interface RiskConfig {
  weights: Readonly<Record<Severity, number>>;
  halfLifeMs: number;
}

/** Risk level thresholds (lower bounds). */
export const RISK_LEVELS = Object.freeze({ medium: 2, high: 10, critical: 25 });

/** One of the risk levels. */
export type RiskLevel = 'low' | 'medium' | 'high' | 'critical';

/** A user's risk at a point in time. */
export interface RiskScore {
  user: string;
  score: number;
  level: RiskLevel;
  /** Violation events (occurrences, aggregates expanded) that contributed. */
  events: number;
  /** The `now` the score was computed for. */
  at: number;
}

export const DEFAULT_RISK: RiskConfig = Object.freeze({
  weights: Object.freeze({ critical: 10, high: 5, medium: 2, low: 0.5 }),
  halfLifeMs: 60 * 60 * 1000,
});

/** How far back events can matter. */
export const riskLookbackMs = (config: RiskConfig): number => 24 * config.halfLifeMs;

/** Level of a score. */
export function riskLevel(score: number): RiskLevel {
  if (score >= RISK_LEVELS.critical) return 'critical';
  if (score >= RISK_LEVELS.high) return 'high';
  if (score >= RISK_LEVELS.medium) return 'medium';
  return 'low';
}

/** The formula above over already-selected events of one user. Future-dated events are ignored. */
export function computeRisk(user: string, events: Iterable<AuditEvent>, now: number, config: RiskConfig = DEFAULT_RISK): RiskScore {
  let score = 0;
  let counted = 0;
  for (const event of events) {
    if (event.user !== user || event.time > now || !isViolation(event)) continue;
    const age = now - event.time;
    if (age > riskLookbackMs(config)) continue;
    score += config.weights[event.severity] * event.count * 2 ** (-age / config.halfLifeMs);
    counted += event.count;
  }
  return { user, score, level: riskLevel(score), events: counted, at: now };
}

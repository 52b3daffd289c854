/**
 * Checks of the audit log's options and query filters: every key known, every value in range,
 * defaults filled. Failures are `INVALID_ARGUMENT` naming the field (the kit's message shape).
 */
import { STORAGE_OPTION_KEYS, resolveStorage } from '../internal/idb.js';
import { checkInt, checkOptions } from '../internal/checks.js';
import { invalidArgument } from '../errors.js';
import type { AggregateConfig } from './aggregate.js';
import type { NormalizedQuery } from './backend.js';
import type { AutoDisableConfig, DisableKind } from './chain.js';
import { CAPS, capField, isEventType, isSeverity } from './model.js';
import { DEFAULT_RISK, type RiskConfig } from './risk.js';
import { EVENT_TYPES, SEVERITIES, type SecurityEventType, type Severity } from './types.js';
import type { AuditLogOptions, AuditQuery } from './log-types.js';
import { randomId } from '../internal/ids.js';

export const DEFAULT_AGGREGATE: AggregateConfig = { threshold: 20, windowMs: 60_000, maxKeys: 1024 };
const DEFAULT_AUTO_DISABLE: AutoDisableConfig = { threshold: 5, windowMs: 60 * 60 * 1000, minSeverity: 'high', users: true, tools: true };
export const MAX_TIME = 8.64e15;

/** Event ids: random UUIDs, as docs/audit.md documents them. */
export const newId = randomId;

export const checkBool = (field: string, value: unknown): boolean => {
  if (typeof value !== 'boolean') throw invalidArgument(field, 'a boolean', value);
  return value;
};
export const checkTime = (field: string, value: unknown): number => {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidArgument(field, 'a finite number of epoch milliseconds', value);
  return value;
};
export const checkId = (field: string, value: unknown): string => {
  if (typeof value !== 'string' || value.length === 0) throw invalidArgument(field, 'a non-empty string', value);
  return capField(value, CAPS.name)!;
};
export const checkKind = (value: unknown): DisableKind => {
  if (value !== 'user' && value !== 'tool') throw invalidArgument('kind', "'user' or 'tool'", value);
  return value;
};

/** Checks and normalizes a query; `limit` defaults to `defaultLimit`. */
export function normalizeQuery(filter: unknown, defaultLimit: number, order: 'asc' | 'desc', name = 'filter'): NormalizedQuery {
  const f = checkOptions(name, filter ?? {}, name === 'filter' ? ['since', 'until', 'user', 'tool', 'runId', 'type', 'severity', 'limit'] : ['since', 'until']) as AuditQuery;
  const q: NormalizedQuery = {
    since: f.since === undefined ? -MAX_TIME : checkTime(`${name}.since`, f.since),
    until: f.until === undefined ? MAX_TIME : checkTime(`${name}.until`, f.until),
    limit: f.limit === undefined ? defaultLimit : checkInt('filter.limit', f.limit, 1, 10_000_000),
    order,
  };
  if (q.since > q.until) throw invalidArgument(`${name}.until`, `a time at or after \`${name}.since\` (${q.since})`, q.until);
  if (f.user !== undefined) q.user = checkId('filter.user', f.user);
  if (f.tool !== undefined) q.tool = checkId('filter.tool', f.tool);
  if (f.runId !== undefined) {
    if (typeof f.runId !== 'string' || f.runId.length === 0) throw invalidArgument('filter.runId', 'a non-empty string', f.runId);
    q.runId = capField(f.runId, CAPS.id)!;
  }
  if (f.type !== undefined) {
    const types = Array.isArray(f.type) ? f.type : [f.type];
    for (const [i, t] of types.entries()) if (!isEventType(t)) throw invalidArgument(Array.isArray(f.type) ? `filter.type[${i}]` : 'filter.type', `one of ${EVENT_TYPES.join(', ')}`, t);
    q.types = new Set(types as SecurityEventType[]);
  }
  if (f.severity !== undefined) {
    const severities = Array.isArray(f.severity) ? f.severity : [f.severity];
    for (const [i, s] of severities.entries()) if (!isSeverity(s)) throw invalidArgument(Array.isArray(f.severity) ? `filter.severity[${i}]` : 'filter.severity', `one of ${SEVERITIES.join(', ')}`, s);
    q.severities = new Set(severities as Severity[]);
  }
  return q;
}

/** The checked options of one audit log, defaults filled. */
export interface LogConfig {
  dbName: string;
  factory: IDBFactory | null;
  now: () => number;
  maxEvents: number;
  maxDelayMs: number;
  maxSize: number;
  aggregateConfig: AggregateConfig | false;
  autoDisable: AutoDisableConfig | false;
  risk: RiskConfig;
  broadcast: boolean;
  lifecycle: boolean;
  warnSink: (message: string) => void;
}

/**
 * Checks `options` of `createAuditLog` and fills the defaults.
 *
 * @throws {InvalidArgumentError} `INVALID_ARGUMENT` for an unknown key or a bad value.
 */
export function normalizeLogOptions(options: AuditLogOptions): LogConfig {
  const o = checkOptions('options', options, [...STORAGE_OPTION_KEYS, 'now', 'maxEvents', 'batch', 'aggregate', 'autoDisable', 'risk', 'broadcast', 'lifecycle', 'warn']) as AuditLogOptions;
  const { dbName, factory } = resolveStorage('options', o, { storage: 'indexeddb', dbName: 'quickcage-audit' });
  if (o.now !== undefined && typeof o.now !== 'function') throw invalidArgument('options.now', 'a function returning epoch milliseconds', o.now);
  if (o.warn !== undefined && typeof o.warn !== 'function') throw invalidArgument('options.warn', 'a function', o.warn);
  const now = o.now ?? Date.now;
  const maxEvents = o.maxEvents === undefined ? 20_000 : checkInt('options.maxEvents', o.maxEvents, 10, 10_000_000);
  const batchOpts = checkOptions('options.batch', o.batch ?? {}, ['maxDelayMs', 'maxSize']) as NonNullable<AuditLogOptions['batch']>;
  const maxDelayMs = batchOpts.maxDelayMs === undefined ? 20 : checkInt('options.batch.maxDelayMs', batchOpts.maxDelayMs, 0, 60_000);
  const maxSize = batchOpts.maxSize === undefined ? 200 : checkInt('options.batch.maxSize', batchOpts.maxSize, 1, 10_000);

  let aggregateConfig: AggregateConfig | false = false;
  if (o.aggregate !== false) {
    const a = checkOptions('options.aggregate', o.aggregate ?? {}, ['threshold', 'windowMs', 'maxKeys']) as Partial<AggregateConfig>;
    aggregateConfig = {
      threshold: a.threshold === undefined ? DEFAULT_AGGREGATE.threshold : checkInt('options.aggregate.threshold', a.threshold, 1, 1_000_000),
      windowMs: a.windowMs === undefined ? DEFAULT_AGGREGATE.windowMs : checkInt('options.aggregate.windowMs', a.windowMs, 1, 24 * 3_600_000),
      maxKeys: a.maxKeys === undefined ? DEFAULT_AGGREGATE.maxKeys : checkInt('options.aggregate.maxKeys', a.maxKeys, 1, 1_000_000),
    };
  }
  let autoDisable: AutoDisableConfig | false = false;
  if (o.autoDisable !== false) {
    const a = checkOptions('options.autoDisable', o.autoDisable ?? {}, ['threshold', 'windowMs', 'minSeverity', 'users', 'tools']) as Partial<AutoDisableConfig>;
    if (a.minSeverity !== undefined && !isSeverity(a.minSeverity)) throw invalidArgument('options.autoDisable.minSeverity', `one of ${SEVERITIES.join(', ')}`, a.minSeverity);
    autoDisable = {
      threshold: a.threshold === undefined ? DEFAULT_AUTO_DISABLE.threshold : checkInt('options.autoDisable.threshold', a.threshold, 1, 1_000_000),
      windowMs: a.windowMs === undefined ? DEFAULT_AUTO_DISABLE.windowMs : checkInt('options.autoDisable.windowMs', a.windowMs, 1, 365 * 86_400_000),
      minSeverity: a.minSeverity ?? DEFAULT_AUTO_DISABLE.minSeverity,
      users: a.users === undefined ? true : checkBool('options.autoDisable.users', a.users),
      tools: a.tools === undefined ? true : checkBool('options.autoDisable.tools', a.tools),
    };
  }
  const r = checkOptions('options.risk', o.risk ?? {}, ['weights', 'halfLifeMs']) as NonNullable<AuditLogOptions['risk']>;
  const weights = { ...DEFAULT_RISK.weights };
  for (const [key, value] of Object.entries(checkOptions('options.risk.weights', r.weights ?? {}, SEVERITIES))) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw invalidArgument(`options.risk.weights.${key}`, 'a finite number >= 0', value);
    weights[key as Severity] = value;
  }
  const risk: RiskConfig = { weights, halfLifeMs: r.halfLifeMs === undefined ? DEFAULT_RISK.halfLifeMs : checkInt('options.risk.halfLifeMs', r.halfLifeMs, 1, 365 * 86_400_000) };
  const broadcast = o.broadcast === undefined ? typeof BroadcastChannel === 'function' : checkBool('options.broadcast', o.broadcast);
  const lifecycle = o.lifecycle === undefined ? typeof document !== 'undefined' : checkBool('options.lifecycle', o.lifecycle);
  const warnSink = o.warn ?? ((message: string) => console.warn(message));
  return { dbName, factory, now, maxEvents, maxDelayMs, maxSize, aggregateConfig, autoDisable, risk, broadcast, lifecycle, warnSink };
}

/**
 * The options of the OTLP exporter: their shapes, defaults and the one check of them (through the
 * input kit, src/internal/checks.ts, and the storage vocabulary of src/internal/idb.ts). The
 * exporter (exporter.ts) works only with what {@link resolveExporterOptions} returns.
 */
import type { AuditEvent } from '../audit/model.js';
import type { SecurityEventInput } from '../audit/types.js';
import { invalidArgument } from '../errors.js';
import { checkInt, checkOptions, isPlainObject } from '../internal/checks.js';
import { STORAGE_OPTION_KEYS, resolveStorage } from '../internal/idb.js';
import { sha256Hex } from '../sha256.js';
import type { OtlpAttributeValue, OtlpSource, UserAttribute } from './mapping.js';

/** Options of {@link createOtlpExporter}. Only `url` is required. Unknown keys are rejected. */
export interface OtlpExporterOptions {
  /** The collector's OTLP/HTTP logs endpoint, e.g. `https://otel.example.com/v1/logs`. The only URL ever contacted. */
  url: string;
  /**
   * The audit log to export (anything with `subscribe`, as `createAuditLog()` returns). Every event
   * it stores from now on is exported; drops are recorded into it when it has `record`.
   */
  log?: { subscribe(listener: (event: AuditEvent) => void): () => void; record?(event: SecurityEventInput): unknown };
  /** `service.name` of the resource. Default `quickcage`. */
  serviceName?: string;
  /** More resource attributes (`deployment.environment.name`, `service.version`, ...). */
  resource?: Record<string, OtlpAttributeValue>;
  /** Extra request headers (an API key), on every request including the final one on `pagehide`. */
  headers?: Record<string, string>;
  /**
   * How the user id leaves: `plain` (default), `sha256` (hex SHA-256 of `userSalt` + id), `omit`, or
   * a function that returns the value of `user.id`.
   */
  user?: UserAttribute | 'sha256';
  /** Salt for `user: 'sha256'`. Default empty. */
  userSalt?: string;
  /** Records per request, 1 to 10,000. Default 500. */
  batchSize?: number;
  /** Records the outbox keeps at most; the oldest are dropped (and the drop audited) past it. Default 50,000. */
  maxOutbox?: number;
  /** Backoff after a failed send: `initialMs` (default 1,000) doubling up to `maxMs` (default 60,000), with jitter. */
  retry?: { initialMs?: number; maxMs?: number };
  /** `indexeddb` (default) or `memory`: the same as `indexedDB: null` (the outbox is lost with the page; audited as `audit_degraded`). */
  storage?: 'indexeddb' | 'memory';
  /** IndexedDB database of the outbox. Default `quickcage-otel`. Tabs sharing it share one outbox and one sender. */
  dbName?: string;
  /** IndexedDB factory; `null` keeps the outbox in memory (tests and private modes). Default `globalThis.indexedDB`. */
  indexedDB?: IDBFactory | null;
  /** React to `pagehide`, `visibilitychange` and `online`. Default true when a `document` exists. */
  lifecycle?: boolean;
}

/** Defaults of {@link OtlpExporterOptions}, read by the code and checked against docs/fleet.md. */
export const OTLP_EXPORTER_DEFAULTS = Object.freeze({
  serviceName: 'quickcage',
  user: 'plain' as const,
  batchSize: 500,
  maxOutbox: 50_000,
  retryInitialMs: 1_000,
  retryMaxMs: 60_000,
  dbName: 'quickcage-otel',
});

const OPTION_KEYS = ['url', 'log', 'serviceName', 'resource', 'headers', 'user', 'userSalt', 'batchSize', 'maxOutbox', 'retry', ...STORAGE_OPTION_KEYS, 'lifecycle'];
const SCOPE_VERSION = '0.1.0';

/** An integer option in `[min, max]`, or `fallback` when left out. */
const intOption = (field: string, value: unknown, min: number, max: number, fallback: number): number =>
  value === undefined ? fallback : checkInt(field, value, min, max);
const checkString = (field: string, value: unknown, fallback: string): string => {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) throw invalidArgument(field, 'a non-empty string of at most 256 characters', value);
  return value;
};

/**
 * Checks the collector URL. Threat: a URL with credentials leaks them into every request and every
 * log line that prints it; anything but http(s) is not a collector.
 */
function checkUrl(value: unknown): string {
  if (typeof value !== 'string') throw invalidArgument('options.url', 'an http(s) URL of an OTLP/HTTP logs endpoint', value);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidArgument('options.url', 'an absolute http(s) URL', value);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalidArgument('options.url', 'an http: or https: URL', value);
  if (url.username !== '' || url.password !== '') throw invalidArgument('options.url', 'a URL without credentials (send them in `options.headers`)', value);
  if (url.hash !== '') throw invalidArgument('options.url', 'a URL without a #fragment', value);
  return url.href;
}

function checkAttributes(field: string, value: unknown): Record<string, OtlpAttributeValue> {
  const record = value ?? {};
  if (!isPlainObject(record)) throw invalidArgument(field, 'a plain object', value);
  const out: Record<string, OtlpAttributeValue> = {};
  for (const [key, v] of Object.entries(record)) {
    const ok = typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))
      || (Array.isArray(v) && v.every((item) => typeof item === 'string'));
    if (!ok) throw invalidArgument(`${field}.${key}`, 'a string, finite number, boolean or array of strings', v);
    out[key] = v as OtlpAttributeValue;
  }
  return out;
}

/** The exporter's options, checked, with the defaults filled in. */
export interface ResolvedExporterOptions {
  url: string;
  source: OtlpSource;
  headers: Record<string, string>;
  user: UserAttribute;
  batchSize: number;
  maxOutbox: number;
  initialMs: number;
  maxMs: number;
  dbName: string;
  /** Null: the outbox is in memory. */
  factory: IDBFactory | null;
  lifecycle: boolean;
  log: OtlpExporterOptions['log'];
}

/**
 * Checks the options of `createOtlpExporter` and fills the defaults.
 *
 * @throws {InvalidArgumentError} `INVALID_ARGUMENT` for a missing or bad `url`, an unknown option or a bad value (the message names it).
 */
export function resolveExporterOptions(options: OtlpExporterOptions): ResolvedExporterOptions {
  const o = checkOptions('options', options, OPTION_KEYS) as unknown as OtlpExporterOptions;
  const url = checkUrl(o.url);
  const serviceName = checkString('options.serviceName', o.serviceName, OTLP_EXPORTER_DEFAULTS.serviceName);
  const source: OtlpSource = {
    resource: { ...checkAttributes('options.resource', o.resource), 'service.name': serviceName },
    scope: { name: 'quickcage', version: SCOPE_VERSION },
  };
  const headers: Record<string, string> = {};
  if (!isPlainObject(o.headers ?? {})) throw invalidArgument('options.headers', 'a plain object', o.headers);
  for (const [key, value] of Object.entries(o.headers ?? {})) {
    if (!/^[!#$%&'*+.^_`|~\w-]+$/.test(key) || typeof value !== 'string') throw invalidArgument(`options.headers.${key}`, 'a string header value under a valid header name', value);
    headers[key] = value;
  }
  if (o.userSalt !== undefined && typeof o.userSalt !== 'string') throw invalidArgument('options.userSalt', 'a string', o.userSalt);
  const salt = o.userSalt ?? '';
  let user: UserAttribute;
  if (o.user === undefined || o.user === 'plain' || o.user === 'omit') user = o.user ?? OTLP_EXPORTER_DEFAULTS.user;
  else if (o.user === 'sha256') user = (id) => sha256Hex(`${salt}${id}`);
  else if (typeof o.user === 'function') {
    const fn = o.user;
    // The app's function must not break the export: a throw or a non-string omits the attribute value.
    user = (id) => {
      try {
        const value: unknown = fn(id);
        return typeof value === 'string' ? value : '[invalid user.id]';
      } catch {
        return '[user.id failed]';
      }
    };
  } else throw invalidArgument('options.user', "'plain', 'sha256', 'omit' or a function", o.user);
  const batchSize = intOption('options.batchSize', o.batchSize, 1, 10_000, OTLP_EXPORTER_DEFAULTS.batchSize);
  const maxOutbox = intOption('options.maxOutbox', o.maxOutbox, 1, 10_000_000, OTLP_EXPORTER_DEFAULTS.maxOutbox);
  const retry = checkOptions('options.retry', o.retry ?? {}, ['initialMs', 'maxMs']);
  const initialMs = intOption('options.retry.initialMs', retry.initialMs, 1, 3_600_000, OTLP_EXPORTER_DEFAULTS.retryInitialMs);
  const maxMs = intOption('options.retry.maxMs', retry.maxMs, initialMs, 86_400_000, Math.max(initialMs, OTLP_EXPORTER_DEFAULTS.retryMaxMs));
  const { dbName, factory } = resolveStorage('options', o, { storage: 'indexeddb', dbName: OTLP_EXPORTER_DEFAULTS.dbName });
  if (o.lifecycle !== undefined && typeof o.lifecycle !== 'boolean') throw invalidArgument('options.lifecycle', 'a boolean', o.lifecycle);
  const lifecycle = o.lifecycle ?? typeof document !== 'undefined';
  const log = o.log;
  if (log !== undefined && (typeof log !== 'object' || log === null || typeof log.subscribe !== 'function')) {
    throw invalidArgument('options.log', 'an audit log with subscribe()', log);
  }
  return { url, source, headers, user, batchSize, maxOutbox, initialMs, maxMs, dbName, factory, lifecycle, log };
}

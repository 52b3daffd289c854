/**
 * The one security configuration of a sandbox: typed, frozen, JSON-serializable, safe by default.
 *
 * `definePolicy(input, preset?)` merges a partial input onto a preset and checks every key: an unknown
 * key or a bad value fails with `INVALID_POLICY` naming the field path and the value. The result is
 * deeply frozen so nothing can loosen it after the fact.
 */
import { InvalidPolicyError, describeValue } from './errors.js';

/** What a guardrail does with a detected span. */
export type GuardrailStrategy = 'off' | 'block' | 'redact' | 'mask' | 'hash';

/** Detector ids of the PII / secret guardrails. */
export const DETECTORS = ['email', 'phone', 'card', 'iban', 'ssn', 'ip', 'secret'] as const;
/** One of {@link DETECTORS}. */
export type DetectorId = (typeof DETECTORS)[number];

/** Sliding-window quota: at most `limit` actions in any window of `windowMs`. */
export interface Quota {
  limit: number;
  windowMs: number;
}

/** Resource limits of every run. Sizes in bytes, times in milliseconds. */
export interface Limits {
  /** Wall-clock deadline of a run, promise jobs and host calls included (approval waits excluded). Default 5000. */
  timeoutMs: number;
  /** Guest memory cap. Default 50 MB (52,428,800 bytes). */
  memoryLimitBytes: number;
  /**
   * QuickJS stack cap. Default 128 KiB (about 740 plain JS frames), chosen by measurement in Chromium:
   * from about 192 KiB on, the worker's native stack overflows before QuickJS's own check trips (that
   * still ends as STACK_OVERFLOW, but costs a module rebuild). At most 1 MiB: larger values make
   * QuickJS's limit arithmetic wrap in this build.
   */
  maxStackBytes: number;
  /** Cap on the JSON text of a result. Default 1 MiB. */
  maxResultBytes: number;
  /** Cap on all console output of one run. Default 256 KiB. */
  maxLogBytes: number;
  /** Cap on source text, checked before anything parses it. Default 256 KiB. */
  maxSourceBytes: number;
  /** Cap on syntactic nesting depth, checked before QuickJS parses. Default 256. */
  maxNestingDepth: number;
}

/** Validator switches that a policy may relax. */
export interface ValidationPolicy {
  /** Allow `obj[expr]` with a non-constant key on sensitive targets. Default false. */
  allowDynamicSensitiveAccess: boolean;
  /** Rule ids to turn off entirely (for trusted-ish environments). Default none. */
  disabledRules: string[];
}

/** Built-in host capabilities granted to guest code. */
export interface AllowedOperations {
  /** Grants the virtual file system tools. Default false. */
  fileOperations: boolean;
  /** Grants `fetch` to `network.allowedDomains`. Default false. */
  networkOperations: boolean;
  /** Extra importable modules beyond the defaults (host modules the app registers, like `app:db`). */
  imports: string[];
}

/** Network tool settings (used when `allowedOperations.networkOperations`). */
export interface NetworkPolicy {
  /** Exact host names the fetch tool may reach. */
  allowedDomains: string[];
  timeoutMs: number;
  maxResponseBytes: number;
}

/** File tool settings (used when `allowedOperations.fileOperations`). */
export interface FilePolicy {
  /** Virtual path prefixes the file tools may touch, like `/data`. */
  allowedPaths: string[];
  maxFileBytes: number;
  /** `memory` (default) or `indexeddb` to keep files per origin. */
  storage: 'memory' | 'indexeddb';
}

/** Quotas per user. */
export interface QuotaPolicy {
  executions: Quota;
  toolCreations: Quota;
}

/** PII and secret guardrails: a strategy per detector and where they apply. */
export interface GuardrailPolicy {
  detectors: Record<DetectorId, GuardrailStrategy>;
  applyTo: { results: boolean; logs: boolean; toolArgs: boolean; toolResults: boolean };
  /** Salt of the `hash` strategy; apps should set their own. */
  hashSalt: string;
}

/** The complete, normalized policy. Every field has a value; the object is deeply frozen. */
export interface Policy {
  /** Name of the preset it was built on. */
  preset: PresetName;
  /** Turns validation and taming off. Every result and audit event says so. Default false. */
  allowDangerousOperations: boolean;
  allowedOperations: AllowedOperations;
  limits: Limits;
  validation: ValidationPolicy;
  network: NetworkPolicy;
  files: FilePolicy;
  quotas: QuotaPolicy;
  guardrails: GuardrailPolicy;
}

/** Deep partial input accepted by {@link definePolicy}. */
export type PolicyInput = {
  [K in keyof Policy]?: Policy[K] extends readonly unknown[] ? Policy[K]
    : Policy[K] extends Record<string, unknown> ? { [J in keyof Policy[K]]?: Policy[K][J] extends Record<string, unknown> ? Partial<Policy[K][J]> : Policy[K][J] }
      : Policy[K];
};

/** Names of the built-in presets. */
export type PresetName = 'webApi' | 'trustedEnvironment' | 'development';

const DAY = 24 * 60 * 60 * 1000;
const MB = 1024 * 1024;

const BASE: Omit<Policy, 'preset'> = {
  allowDangerousOperations: false,
  allowedOperations: { fileOperations: false, networkOperations: false, imports: [] },
  limits: {
    timeoutMs: 5_000,
    memoryLimitBytes: 50 * MB,
    maxStackBytes: 128 * 1024,
    maxResultBytes: 1 * MB,
    maxLogBytes: 256 * 1024,
    maxSourceBytes: 256 * 1024,
    maxNestingDepth: 256,
  },
  validation: { allowDynamicSensitiveAccess: false, disabledRules: [] },
  network: { allowedDomains: [], timeoutMs: 10_000, maxResponseBytes: 1 * MB },
  files: { allowedPaths: [], maxFileBytes: 1 * MB, storage: 'memory' },
  quotas: { executions: { limit: 100, windowMs: DAY }, toolCreations: { limit: 5, windowMs: DAY } },
  guardrails: {
    detectors: { email: 'off', phone: 'off', card: 'off', iban: 'off', ssn: 'off', ip: 'off', secret: 'off' },
    applyTo: { results: true, logs: true, toolArgs: true, toolResults: true },
    hashSalt: 'quickcage',
  },
};

/** Built-in presets for the common use cases. */
export const PRESETS: Readonly<Record<PresetName, Policy>> = deepFreeze({
  /** Untrusted users on a web API: no files, no network, no extra imports. */
  webApi: { preset: 'webApi', ...structuredClone(BASE) },
  /** Trusted environments: file operations and path helpers, no network. */
  trustedEnvironment: {
    preset: 'trustedEnvironment',
    ...structuredClone(BASE),
    allowedOperations: { fileOperations: true, networkOperations: false, imports: [] },
    files: { allowedPaths: ['/workspace'], maxFileBytes: 10 * MB, storage: 'memory' },
  },
  /** Local development: everything allowed, loudly (every result and event says so). */
  development: {
    preset: 'development',
    ...structuredClone(BASE),
    allowDangerousOperations: true,
    allowedOperations: { fileOperations: true, networkOperations: true, imports: [] },
    files: { allowedPaths: ['/'], maxFileBytes: 10 * MB, storage: 'memory' },
    network: { allowedDomains: [], timeoutMs: 10_000, maxResponseBytes: 10 * MB },
  },
});

type Check = (path: string, value: unknown) => unknown;

const fail = (path: string, expected: string, value: unknown): never => {
  throw new InvalidPolicyError(path, `Expected \`${path}\` to be ${expected}, got \`${describeValue(value)}\` (INVALID_POLICY)`);
};
const bool: Check = (p, v) => (typeof v === 'boolean' ? v : fail(p, 'a boolean', v));
const int = (min: number, max: number): Check => (p, v) =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : fail(p, `an integer from ${min} to ${max}`, v);
const oneOf = (values: readonly string[]): Check => (p, v) =>
  typeof v === 'string' && values.includes(v) ? v : fail(p, `one of ${values.map((x) => `'${x}'`).join(', ')}`, v);
const str = (max: number): Check => (p, v) => (typeof v === 'string' && v.length <= max ? v : fail(p, `a string of at most ${max} characters`, v));
const strings = (max: number): Check => (p, v) => {
  if (!Array.isArray(v) || v.length > 1000) return fail(p, 'an array of at most 1000 strings', v);
  return v.map((x, i) => str(max)(`${p}[${i}]`, x));
};

/** The accepted shape: every leaf is a check, every branch an object of known keys. */
type Shape = { [key: string]: Check | Shape };
const quota: Shape = { limit: int(0, 1_000_000_000), windowMs: int(1, 365 * DAY) };
const SHAPE: Shape = {
  preset: oneOf(['webApi', 'trustedEnvironment', 'development']),
  allowDangerousOperations: bool,
  allowedOperations: { fileOperations: bool, networkOperations: bool, imports: strings(200) },
  limits: {
    timeoutMs: int(1, 10 * 60 * 1000),
    memoryLimitBytes: int(1 * MB, 1024 * MB),
    maxStackBytes: int(16 * 1024, 1 * MB),
    maxResultBytes: int(16, 64 * MB),
    maxLogBytes: int(0, 64 * MB),
    maxSourceBytes: int(1, 16 * MB),
    maxNestingDepth: int(8, 10_000),
  },
  validation: { allowDynamicSensitiveAccess: bool, disabledRules: strings(100) },
  network: { allowedDomains: strings(253), timeoutMs: int(1, 10 * 60 * 1000), maxResponseBytes: int(0, 1024 * MB) },
  files: { allowedPaths: strings(1024), maxFileBytes: int(0, 1024 * MB), storage: oneOf(['memory', 'indexeddb']) },
  quotas: { executions: quota, toolCreations: quota },
  guardrails: {
    detectors: Object.fromEntries(DETECTORS.map((d) => [d, oneOf(['off', 'block', 'redact', 'mask', 'hash'])])),
    applyTo: { results: bool, logs: bool, toolArgs: bool, toolResults: bool },
    hashSalt: str(1024),
  },
};

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && [Object.prototype, null].includes(Object.getPrototypeOf(v));

function merge(shape: Shape, base: Record<string, unknown>, input: unknown, path: string): Record<string, unknown> {
  if (!isPlainObject(input)) return fail(path || 'policy', 'a plain object', input);
  const out: Record<string, unknown> = { ...base };
  for (const key of Object.keys(input)) {
    const field = path ? `${path}.${key}` : key;
    const check = Object.hasOwn(shape, key) ? shape[key] : undefined;
    if (check === undefined) {
      throw new InvalidPolicyError(field, `Unknown policy key \`${field}\` (INVALID_POLICY); known keys here: ${Object.keys(shape).join(', ')}`);
    }
    const value = input[key];
    if (value === undefined) continue;
    out[key] = typeof check === 'function' ? check(field, value) : merge(check, base[key] as Record<string, unknown>, value, field);
  }
  return out;
}

/**
 * Builds a complete, frozen policy: `input` merged onto the preset it names (or `preset`, default
 * `webApi`). Every key is checked; arrays replace, objects merge.
 *
 * @throws {InvalidPolicyError} `INVALID_POLICY` for an unknown key or a bad value; the message names the field path.
 */
export function definePolicy(input: PolicyInput | Policy = {}, preset?: PresetName): Policy {
  if (!isPlainObject(input)) return fail('policy', 'a plain object', input);
  const name = preset ?? (input.preset === undefined ? 'webApi' : (oneOf(Object.keys(PRESETS))('preset', input.preset) as PresetName));
  const merged = merge(SHAPE, structuredClone(PRESETS[name]) as unknown as Record<string, unknown>, input, '');
  merged.preset = name;
  return deepFreeze(merged as unknown as Policy);
}

/** True when `value` is a policy object produced by {@link definePolicy} (frozen and complete). */
export function isPolicy(value: unknown): value is Policy {
  return isPlainObject(value) && Object.isFrozen(value) && typeof value.preset === 'string' && isPlainObject(value.limits);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

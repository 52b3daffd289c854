/**
 * The one security configuration of a sandbox: typed, frozen, JSON-serializable, safe by default.
 *
 * `definePolicy(input, preset?)` merges a partial input onto a preset and checks every key: an unknown
 * key or a bad value fails with `INVALID_POLICY` naming the field path and the value (SES style:
 * unknown options are fatal, so a typo can never silently fall back to a default). The result is
 * deeply frozen so nothing can loosen it after the fact, and it survives a JSON round trip:
 * `definePolicy(JSON.parse(JSON.stringify(policy)))` is the same policy.
 */
import { checkKnownKeys, isPlainObject } from './internal/checks.js';
import { deepFreeze } from './internal/json.js';
import { InvalidPolicyError, describeValue } from './errors.js';
import { normalizeVirtualPath, parseHostRule } from './tools/guards.js';
import type { HttpAllowance } from './tools/guards.js';
// A leaf of constants (no acorn): the rule ids the worker's validator knows.
import { DISABLEABLE_RULE_IDS } from '../worker/validate/rules.js';

/** What a guardrail does with a detected span. */
export type GuardrailStrategy = 'off' | 'block' | 'redact' | 'mask' | 'hash';

/** Detector ids of the PII / secret guardrails. */
export const DETECTORS = ['email', 'phone', 'card', 'iban', 'ssn', 'ip', 'secret'] as const;
/** One of {@link DETECTORS}. */
export type DetectorId = (typeof DETECTORS)[number];

/** Sliding-window quota: at most `limit` actions in any window of `windowMs`. */
export interface Quota {
  /** Most actions in one window; 0 forbids the action. */
  limit: number;
  /** Window length in milliseconds (sliding, not calendar-aligned). */
  windowMs: number;
}

/** Resource limits of every run. Sizes in bytes, times in milliseconds. */
export interface Limits {
  /**
   * Wall-clock deadline of a run, promise jobs and host calls included (approval waits excluded).
   * @defaultValue 5000 (`trustedEnvironment`: 30000, `development`: 60000)
   */
  timeoutMs: number;
  /**
   * Guest memory cap (QuickJS `setMemoryLimit`).
   * @defaultValue 50 MiB (`trustedEnvironment`: 128 MiB, `development`: 256 MiB)
   */
  memoryLimitBytes: number;
  /**
   * QuickJS stack cap, in bytes of QuickJS's own (shadow) stack. 16 KiB to 64 KiB; default 64 KiB
   * (about 370 plain JS frames). Chosen by measurement in Chromium: a worker has about 500 KiB of
   * native stack, and QuickJS frames cost 4 to 6 times more native stack than the shadow stack its
   * limit counts (plain recursion ~4x, `yield*` and async frames ~5x, template/`valueOf` chains
   * more). From about 96 KiB on, some recursion overflows the native stack before QuickJS's check
   * trips, which would poison the module; at 64 KiB every path measured trips QuickJS first with at
   * least 1.5x to spare. Larger values are refused with `INVALID_POLICY`.
   * @defaultValue 65536
   */
  maxStackBytes: number;
  /**
   * Cap on the JSON text of a result.
   * @defaultValue 1 MiB
   */
  maxResultBytes: number;
  /**
   * Cap on all console output of one run.
   * @defaultValue 256 KiB
   */
  maxLogBytes: number;
  /**
   * Cap on source text, in UTF-8 bytes, checked before anything parses it (rule `source-too-large`).
   * @defaultValue 256 KiB (`trustedEnvironment` and `development`: 1 MiB)
   */
  maxSourceBytes: number;
  /**
   * Cap on syntactic nesting, checked before QuickJS parses (rule `nesting-too-deep`), and on the
   * nesting of results and tool arguments. For source it counts brackets (`(`, `[`, `{`, `${`,
   * regex groups) before parsing, then a weighted measure of every construct QuickJS's parser
   * recurses on (a parenthesis counts 1, a unary operator 0.1, a class 1, ...).
   *
   * At most 250: measured in a Chromium worker, QuickJS overflows the worker's native stack at about
   * 320 nested parentheses whatever `maxStackBytes` says, and a host-stack overflow poisons the WASM
   * module. At 200 the deepest accepted input reaches at most ~63% of that depth, at 250 ~79%.
   * @defaultValue 200
   */
  maxNestingDepth: number;
}

/** Validator switches that a policy may relax. */
export interface ValidationPolicy {
  /**
   * Allow computed keys that are not constants on sensitive targets (the global object, built-in
   * constructors, prototypes, functions): turns rule `dynamic-sensitive-access` off. The runtime
   * taming still holds; only the static early warning goes.
   * @defaultValue false
   */
  allowDynamicSensitiveAccess: boolean;
  /**
   * Validator rule ids to turn off entirely. Only rules that protect the author rather than the
   * worker can be disabled: `source-too-large`, `nesting-too-deep` and `unknown-syntax` cannot.
   * @defaultValue [] (none)
   */
  disabledRules: string[];
}

/** Built-in host capabilities granted to guest code. */
export interface AllowedOperations {
  /**
   * Grants the virtual file system tools, confined to `files.allowedPaths`.
   * @defaultValue false (`trustedEnvironment` and `development`: true)
   */
  fileOperations: boolean;
  /**
   * Grants `fetch` (and the fetch tool), limited to the exact hosts in `network.allowedDomains`.
   * @defaultValue false (`development`: true)
   */
  networkOperations: boolean;
  /**
   * Importable module specifiers beyond the defaults (`quickcage:math`, `quickcage:random`,
   * `quickcage:statistics`, `quickcage:itertools`, always allowed): optional quickcage modules such
   * as `quickcage:path`, and host modules the app registers (like `app:db`), which are importable
   * only when listed here.
   * @defaultValue [] (`trustedEnvironment` and `development`: `['quickcage:path']`)
   */
  imports: string[];
}

/** Network tool settings (used when `allowedOperations.networkOperations`). */
export interface NetworkPolicy {
  /**
   * Exact hosts (or `host:port`) the fetch tool may reach: no scheme, path or wildcard; a bare host
   * allows only the scheme's default port. Empty allows nothing, even with network granted.
   * @defaultValue []
   */
  allowedDomains: string[];
  /**
   * Deadline of one fetch, in milliseconds.
   * @defaultValue 10000
   */
  timeoutMs: number;
  /**
   * Largest response body read, in bytes.
   * @defaultValue 1 MiB (`development`: 10 MiB)
   */
  maxResponseBytes: number;
  /**
   * Where plain `http:` is allowed; everything else must use `https:`. `'never'`: https only.
   * `'loopback'`: http only to `localhost`, `127.0.0.0/8` and `[::1]` (requests that never leave the
   * machine, which browsers treat as secure contexts), https everywhere else. `'always'`: http and
   * https to every allowed domain. A denied `http:` URL fails with rule `url.insecure-scheme`. Other
   * schemes (`data:`, `file:`, `blob:`, `javascript:`) are never allowed.
   * @defaultValue `'never'` (`trustedEnvironment`: `'loopback'`, `development`: `'always'`)
   */
  allowHttp: HttpAllowance;
}


/** File tool settings (used when `allowedOperations.fileOperations`). */
export interface FilePolicy {
  /**
   * Canonical absolute virtual path prefixes the file tools may touch, like `/data` (whole
   * segments: `/data2` is not inside `/data`). Empty allows nothing.
   * @defaultValue [] (`trustedEnvironment`: `['/workspace']`, `development`: `['/']`)
   */
  allowedPaths: string[];
  /**
   * Largest file the tools read or write, in bytes.
   * @defaultValue 1 MiB (`trustedEnvironment` and `development`: 10 MiB)
   */
  maxFileBytes: number;
  /**
   * Where files live: `memory` (gone with the sandbox) or `indexeddb` (kept per origin).
   * @defaultValue 'memory'
   */
  storage: 'memory' | 'indexeddb';
}

/** Quotas per user. */
export interface QuotaPolicy {
  /**
   * Runs per user.
   * @defaultValue 100 per day (`trustedEnvironment`: 1000, `development`: 100000)
   */
  executions: Quota;
  /**
   * Dynamic tool creations per user.
   * @defaultValue 5 per day (`trustedEnvironment`: 50, `development`: 1000)
   */
  toolCreations: Quota;
}

/** PII and secret guardrails: a strategy per detector and where they apply. */
export interface GuardrailPolicy {
  /**
   * Strategy per detector: `off`, `block` (fail the run), `redact`, `mask` or `hash`.
   * @defaultValue every detector `off`
   */
  detectors: Record<DetectorId, GuardrailStrategy>;
  /**
   * Where detectors apply.
   * @defaultValue all true: results, logs, tool arguments, tool results
   */
  applyTo: { results: boolean; logs: boolean; toolArgs: boolean; toolResults: boolean };
  /**
   * Salt of the `hash` strategy; apps should set their own.
   * @defaultValue 'quickcage'
   */
  hashSalt: string;
}

/** The complete, normalized policy. Every field has a value; the object is deeply frozen. */
export interface Policy {
  /** Name of the preset it was built on. */
  preset: PresetName;
  /**
   * Turns validation and taming off: guest code may use `eval`, `Function` and everything the
   * validator rejects. Every result (and audit event) says so. Only for local development.
   * @defaultValue false (`development`: true)
   */
  allowDangerousOperations: boolean;
  /** Host capabilities granted to guest code. */
  allowedOperations: AllowedOperations;
  /** Resource limits of every run. */
  limits: Limits;
  /** Validator switches. */
  validation: ValidationPolicy;
  /** Network tool settings. */
  network: NetworkPolicy;
  /** File tool settings. */
  files: FilePolicy;
  /** Per-user quotas. */
  quotas: QuotaPolicy;
  /** PII and secret guardrails. */
  guardrails: GuardrailPolicy;
}

/** Every field optional, at every depth; arrays are replaced whole. */
export type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K];
};

/** Deep partial input accepted by {@link definePolicy}: any subset of {@link Policy}, at any depth. */
export type PolicyInput = DeepPartial<Policy>;

/** Names of the built-in presets. */
export type PresetName = 'webApi' | 'trustedEnvironment' | 'development';

const DAY = 24 * 60 * 60 * 1000;
const MB = 1024 * 1024;
/** Highest accepted `limits.maxStackBytes`: see {@link Limits.maxStackBytes} for the measurement. */
const MAX_STACK_BYTES = 64 * 1024;

const BASE: Omit<Policy, 'preset'> = {
  allowDangerousOperations: false,
  allowedOperations: { fileOperations: false, networkOperations: false, imports: [] },
  limits: {
    timeoutMs: 5_000,
    memoryLimitBytes: 50 * MB,
    maxStackBytes: 64 * 1024,
    maxResultBytes: 1 * MB,
    maxLogBytes: 256 * 1024,
    maxSourceBytes: 256 * 1024,
    maxNestingDepth: 200,
  },
  validation: { allowDynamicSensitiveAccess: false, disabledRules: [] },
  network: { allowedDomains: [], timeoutMs: 10_000, maxResponseBytes: 1 * MB, allowHttp: 'never' },
  files: { allowedPaths: [], maxFileBytes: 1 * MB, storage: 'memory' },
  quotas: { executions: { limit: 100, windowMs: DAY }, toolCreations: { limit: 5, windowMs: DAY } },
  guardrails: {
    detectors: { email: 'off', phone: 'off', card: 'off', iban: 'off', ssn: 'off', ip: 'off', secret: 'off' },
    applyTo: { results: true, logs: true, toolArgs: true, toolResults: true },
    hashSalt: 'quickcage',
  },
};

/** Policies made here (and the presets): what {@link isPolicy} recognizes. */
const MADE = new WeakSet<object>();

/**
 * Built-in presets for the seeds' use cases, deeply frozen.
 *
 * | preset | for | files | network | schemes (`allowHttp`) | extra imports | validation | limits |
 * |---|---|---|---|---|---|---|---|
 * | `webApi` | untrusted users | no | no | https only | none | on | 5 s, 50 MiB, 256 KiB source |
 * | `trustedEnvironment` | trusted users, internal tools | `/workspace` | no | https; http to loopback only | `quickcage:path` | on | 30 s, 128 MiB, 1 MiB source |
 * | `development` | local development only | `/` | yes (list hosts) | http and https | `quickcage:path` | **off** (`allowDangerousOperations`) | 60 s, 256 MiB |
 */
export const PRESETS: Readonly<Record<PresetName, Policy>> = deepFreeze({
  webApi: { preset: 'webApi', ...structuredClone(BASE) },
  trustedEnvironment: {
    ...structuredClone(BASE),
    preset: 'trustedEnvironment',
    allowedOperations: { fileOperations: true, networkOperations: false, imports: ['quickcage:path'] },
    limits: { ...BASE.limits, timeoutMs: 30_000, memoryLimitBytes: 128 * MB, maxSourceBytes: 1 * MB },
    files: { allowedPaths: ['/workspace'], maxFileBytes: 10 * MB, storage: 'memory' },
    network: { ...BASE.network, allowHttp: 'loopback' },
    quotas: { executions: { limit: 1_000, windowMs: DAY }, toolCreations: { limit: 50, windowMs: DAY } },
  },
  development: {
    ...structuredClone(BASE),
    preset: 'development',
    allowDangerousOperations: true,
    allowedOperations: { fileOperations: true, networkOperations: true, imports: ['quickcage:path'] },
    limits: { ...BASE.limits, timeoutMs: 60_000, memoryLimitBytes: 256 * MB, maxSourceBytes: 1 * MB },
    files: { allowedPaths: ['/'], maxFileBytes: 10 * MB, storage: 'memory' },
    network: { allowedDomains: [], timeoutMs: 10_000, maxResponseBytes: 10 * MB, allowHttp: 'always' },
    quotas: { executions: { limit: 100_000, windowMs: DAY }, toolCreations: { limit: 1_000, windowMs: DAY } },
  },
} satisfies Record<PresetName, Policy>);
for (const preset of Object.values(PRESETS)) MADE.add(preset);

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
/** An array of at most 1000 items, each checked by `item`, without duplicates. */
const list = (item: Check): Check => (p, v) => {
  if (!Array.isArray(v) || v.length > 1000) return fail(p, 'an array of at most 1000 items', v);
  const out = v.map((x, i) => item(`${p}[${i}]`, x));
  const dup = out.findIndex((x, i) => out.indexOf(x) !== i);
  return dup === -1 ? out : fail(`${p}[${dup}]`, 'listed once', v[dup]);
};
/** A module specifier: 1-200 printable characters without spaces (`quickcage:path`, `app:db`, `lodash`). */
const specifier: Check = (p, v) => (typeof v === 'string' && /^[^\s\p{Cc}]{1,200}$/u.test(v) ? v : fail(p, 'a module specifier (1 to 200 characters, no spaces)', v));
/** A canonical absolute virtual path, as the file tools' guard spells it. */
const virtualPath: Check = (p, v) => {
  const result = normalizeVirtualPath(v);
  if (result.ok && result.value === v) return v;
  return fail(p, `a canonical absolute path${result.ok ? ` (\`${result.value}\`)` : ` (${result.reason})`}`, v);
};
/** `host` or `host:port`, as the network tools' guard parses it. */
const hostRule: Check = (p, v) => {
  const result = parseHostRule(v);
  return result.ok ? v : fail(p, `a host or host:port (${result.reason})`, v);
};
const ruleId: Check = (p, v) => oneOf(DISABLEABLE_RULE_IDS)(p, v);

/** The accepted shape: every leaf is a check, every branch an object of known keys. */
type Shape = { [key: string]: Check | Shape };
const quota: Shape = { limit: int(0, 1_000_000_000), windowMs: int(1, 365 * DAY) };
const SHAPE: Shape = {
  preset: oneOf(['webApi', 'trustedEnvironment', 'development']),
  allowDangerousOperations: bool,
  allowedOperations: { fileOperations: bool, networkOperations: bool, imports: list(specifier) },
  limits: {
    timeoutMs: int(1, 10 * 60 * 1000),
    memoryLimitBytes: int(1 * MB, 1024 * MB),
    maxStackBytes: int(16 * 1024, MAX_STACK_BYTES),
    maxResultBytes: int(16, 64 * MB),
    maxLogBytes: int(0, 64 * MB),
    maxSourceBytes: int(1, 16 * MB),
    maxNestingDepth: int(8, 250),
  },
  validation: { allowDynamicSensitiveAccess: bool, disabledRules: list(ruleId) },
  network: { allowedDomains: list(hostRule), timeoutMs: int(1, 10 * 60 * 1000), maxResponseBytes: int(0, 1024 * MB), allowHttp: oneOf(['never', 'loopback', 'always']) },
  files: { allowedPaths: list(virtualPath), maxFileBytes: int(0, 1024 * MB), storage: oneOf(['memory', 'indexeddb']) },
  quotas: { executions: quota, toolCreations: quota },
  guardrails: {
    detectors: Object.fromEntries(DETECTORS.map((d) => [d, oneOf(['off', 'block', 'redact', 'mask', 'hash'])])),
    applyTo: { results: bool, logs: bool, toolArgs: bool, toolResults: bool },
    hashSalt: str(1024),
  },
};

function merge(shape: Shape, base: Record<string, unknown>, input: unknown, path: string): Record<string, unknown> {
  if (!isPlainObject(input)) return fail(path || 'policy', 'a plain object', input);
  const out: Record<string, unknown> = { ...base };
  for (const key of Object.keys(input)) {
    const field = path ? `${path}.${key}` : key;
    const check = Object.hasOwn(shape, key) ? shape[key] : undefined;
    if (check === undefined) {
      checkKnownKeys(path, { [key]: true }, Object.keys(shape), { noun: 'policy key', error: 'policy' });
      continue;
    }
    const value = input[key];
    if (value === undefined) continue;
    out[key] = typeof check === 'function' ? check(field, value) : merge(check, base[key] as Record<string, unknown>, value, field);
  }
  return out;
}

/**
 * Builds a complete, frozen policy: `input` merged onto the preset it names (`input.preset`), or
 * onto `preset`, or onto `webApi`. Every key is checked; arrays replace, objects merge.
 *
 * @example
 * ```ts
 * const policy = definePolicy({ allowedOperations: { imports: ['app:db'] }, limits: { timeoutMs: 2000 } });
 * const internal = definePolicy({ files: { allowedPaths: ['/workspace', '/shared'] } }, 'trustedEnvironment');
 * ```
 * @throws {InvalidPolicyError} `INVALID_POLICY` for an unknown key (the message names its path, like
 *   `limits.timeout`, and suggests the nearest known key) or a bad value (the message names the path
 *   and the value), or when `preset` and `input.preset` disagree.
 */
export function definePolicy(input: PolicyInput | Policy = {}, preset?: PresetName): Policy {
  if (!isPlainObject(input)) return fail('policy', 'a plain object', input);
  if (preset !== undefined) oneOf(Object.keys(PRESETS))('preset', preset);
  const named = input.preset === undefined ? undefined : (oneOf(Object.keys(PRESETS))('preset', input.preset) as PresetName);
  if (preset !== undefined && named !== undefined && preset !== named) {
    return fail('preset', `'${preset}' (the preset argument), as \`definePolicy(input, preset)\` was called`, named);
  }
  const name = preset ?? named ?? 'webApi';
  const merged = merge(SHAPE, structuredClone(PRESETS[name]) as unknown as Record<string, unknown>, input, '');
  merged.preset = name;
  const policy = deepFreeze(merged as unknown as Policy);
  MADE.add(policy);
  return policy;
}

/**
 * True when `value` is a policy made by {@link definePolicy} (or one of {@link PRESETS}) in this copy
 * of quickcage: complete, checked and frozen. A policy that went through JSON is plain data again:
 * pass it to `definePolicy` to check and freeze it.
 */
export function isPolicy(value: unknown): value is Policy {
  return typeof value === 'object' && value !== null && MADE.has(value);
}

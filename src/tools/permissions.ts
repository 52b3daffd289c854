/**
 * The permission model: a flag set of capabilities, and a per-agent {@link PermissionPolicy} that
 * decides every tool call with `check(action, resource)`.
 */
import { checkKnownKeys } from '../internal/checks.js';
import { InvalidArgumentError, InvalidPolicyError, describeValue } from '../errors.js';
import type { Policy } from '../policy.js';
import { checkUrl, confinePath, normalizeVirtualPath, parseHostRule, type HostRule, type HttpAllowance } from './guards.js';

/**
 * Capabilities as bit flags. A tool declares the flags it needs (all must be granted); an agent holds
 * the flags it was given. Combine with `|`.
 *
 * Combinations:
 * - `READONLY` = `READ_FILE | DATABASE_READ`: looks at the app's own data, changes nothing and sends
 *   nothing out. Network access is not "read-only": every request can carry data to its host.
 * - `STANDARD` = `READONLY | WRITE_FILE | NETWORK_ACCESS`: works on files and looks things up on
 *   allowed domains. Changing shared records, running new code and messaging people stay out.
 * - `FULL` = every flag. Meant for development and trusted operators.
 */
export const Permission = Object.freeze({
  NONE: 0,
  READ_FILE: 1 << 0,
  WRITE_FILE: 1 << 1,
  EXECUTE_CODE: 1 << 2,
  NETWORK_ACCESS: 1 << 3,
  DATABASE_READ: 1 << 4,
  DATABASE_WRITE: 1 << 5,
  SEND_EMAIL: 1 << 6,
  READONLY: (1 << 0) | (1 << 4),
  STANDARD: (1 << 0) | (1 << 4) | (1 << 1) | (1 << 3),
  FULL: (1 << 7) - 1,
} as const);

/** A set of {@link Permission} flags (a bit mask). */
export type PermissionSet = number;

/** Names of the single flags, in bit order. */
export const PERMISSION_NAMES = ['READ_FILE', 'WRITE_FILE', 'EXECUTE_CODE', 'NETWORK_ACCESS', 'DATABASE_READ', 'DATABASE_WRITE', 'SEND_EMAIL'] as const;

/** True when `value` is an integer made only of known flags (0 included). */
export function isPermissionSet(value: unknown): value is PermissionSet {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && (value & ~Permission.FULL) === 0;
}

/** The single-flag names in `set`, like `['READ_FILE', 'DATABASE_READ']`. */
export function permissionNames(set: PermissionSet): string[] {
  return PERMISSION_NAMES.filter((_, bit) => (set & (1 << bit)) !== 0);
}

/** Input of {@link definePermissionPolicy}. */
export interface PermissionPolicyInput {
  /** The agent's name, shown in audit events: letters, digits, `_ . -`, at most 64 characters. */
  agent: string;
  /** Flags granted to the agent. */
  permissions: PermissionSet;
  /** Canonical virtual path roots the agent's file actions may touch. Default none. */
  allowedPaths?: readonly string[];
  /** Hosts (`example.com`, `localhost:5178`) the agent's network actions may reach. Default none. */
  allowedDomains?: readonly string[];
  /** Largest file, in bytes, the agent may write or read. Default 1 MiB. */
  maxFileSize?: number;
  /**
   * Where the agent may use plain `http:`: `'never'` (https only), `'loopback'` (http only to
   * localhost), `'always'`. Default `'always'`: the sandbox policy's `network.allowHttp` still applies.
   */
  allowHttp?: HttpAllowance;
}

/** What {@link PermissionPolicy.check} is asked about: a path or URL string, or a typed reference. */
export type Resource = string | { path: string; bytes?: number } | { url: string };

/** Answer of {@link PermissionPolicy.check}. */
export type PermissionDecision =
  | {
      allowed: true;
      reason: string;
      /** The canonical path or URL (`href`) that was checked: use it, never the raw input. */
      resource?: string;
    }
  | {
      allowed: false;
      reason: string;
      /** Stable id of the failing rule: `permission.missing`, `resource.kind`, `file.too-large`, or a guard rule (`path.*`, `url.*`). */
      rule: string;
    };

/** A frozen per-agent policy made by {@link definePermissionPolicy}. */
export interface PermissionPolicy {
  readonly agent: string;
  readonly permissions: PermissionSet;
  readonly allowedPaths: readonly string[];
  readonly allowedDomains: readonly string[];
  readonly maxFileSize: number;
  readonly allowHttp: HttpAllowance;
  /**
   * Decides whether the agent may perform `action` (one or more flags, all required) on `resource`.
   * Resources are interpreted for file actions (a virtual path, confined to `allowedPaths`; `bytes`
   * against `maxFileSize`) and network actions (a URL, exact host in `allowedDomains`). For other
   * actions only the flags count. Never throws for a bad resource: that is a denial.
   *
   * @throws {InvalidArgumentError} `INVALID_ARGUMENT` when `action` is not a non-empty flag set (a programming error).
   */
  check(action: PermissionSet, resource?: Resource): PermissionDecision;
}

const BRAND = Symbol.for('quickcage.PermissionPolicy');
const KEYS = ['agent', 'permissions', 'allowedPaths', 'allowedDomains', 'maxFileSize', 'allowHttp'];
const FILE = Permission.READ_FILE | Permission.WRITE_FILE;
const MiB = 1024 * 1024;

function fail(field: string, expected: string, value: unknown): never {
  throw new InvalidPolicyError(field, `Expected \`${field}\` to be ${expected}, got \`${describeValue(value)}\` (INVALID_POLICY)`);
}

/**
 * Builds a frozen per-agent policy. Paths are checked with the path guard (they must already be
 * canonical: `/data`, not `/data/` or `/a/../data`); domains are parsed into exact host rules.
 *
 * @example
 * const support = definePermissionPolicy({
 *   agent: 'customer-service', permissions: Permission.READONLY | Permission.NETWORK_ACCESS,
 *   allowedPaths: ['/kb', '/orders'], allowedDomains: ['api.example.com'],
 * });
 * support.check(Permission.READ_FILE, '/kb/returns.md'); // { allowed: true, ... }
 * support.check(Permission.WRITE_FILE, '/kb/returns.md'); // { allowed: false, rule: 'permission.missing', ... }
 * @throws {InvalidPolicyError} `INVALID_POLICY` for an unknown key or a bad value; the message names the field and the value.
 */
export function definePermissionPolicy(input: PermissionPolicyInput): PermissionPolicy {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) fail('policy', 'a plain object', input);
  checkKnownKeys('', input, KEYS, { noun: 'permission policy key', error: 'policy' });
  const { agent, permissions, allowedPaths = [], allowedDomains = [], maxFileSize = MiB, allowHttp = 'always' } = input;
  if (allowHttp !== 'never' && allowHttp !== 'loopback' && allowHttp !== 'always') fail('allowHttp', "one of 'never', 'loopback', 'always'", allowHttp);
  if (typeof agent !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(agent)) fail('agent', 'a name of 1 to 64 letters, digits, `_`, `.` or `-`', agent);
  if (!isPermissionSet(permissions)) fail('permissions', 'a Permission flag set', permissions);
  if (!Array.isArray(allowedPaths) || allowedPaths.length > 1000) fail('allowedPaths', 'an array of at most 1000 paths', allowedPaths);
  const paths = allowedPaths.map((path, i) => {
    const result = normalizeVirtualPath(path);
    if (!result.ok || result.value !== path) fail(`allowedPaths[${i}]`, `a canonical absolute path${result.ok ? ` (\`${result.value}\`)` : ` (${result.reason})`}`, path);
    return path as string;
  });
  if (!Array.isArray(allowedDomains) || allowedDomains.length > 1000) fail('allowedDomains', 'an array of at most 1000 domains', allowedDomains);
  const rules: HostRule[] = allowedDomains.map((entry, i) => {
    const result = parseHostRule(entry);
    if (!result.ok) return fail(`allowedDomains[${i}]`, `a host or host:port (${result.reason})`, entry);
    return result.value;
  });
  if (typeof maxFileSize !== 'number' || !Number.isInteger(maxFileSize) || maxFileSize < 0 || maxFileSize > 1024 * MiB) {
    fail('maxFileSize', 'an integer number of bytes from 0 to 1073741824', maxFileSize);
  }

  const name = agent;
  const check = (action: PermissionSet, resource?: Resource): PermissionDecision => {
    if (!isPermissionSet(action) || action === 0) {
      throw new InvalidArgumentError('action', `Expected \`action\` to be a non-empty Permission flag set, got \`${describeValue(action)}\``);
    }
    const missing = action & ~permissions;
    if (missing !== 0) {
      return { allowed: false, rule: 'permission.missing', reason: `agent \`${name}\` lacks ${permissionNames(missing).join(', ')}` };
    }
    if (resource === undefined) return { allowed: true, reason: `agent \`${name}\` holds ${permissionNames(action).join(', ')}` };
    const wantsFile = (action & FILE) !== 0;
    const wantsNet = (action & Permission.NETWORK_ACCESS) !== 0;
    const ref = typeof resource === 'string' ? (wantsFile && !wantsNet ? { path: resource } : wantsNet && !wantsFile ? { url: resource } : undefined) : resource;
    if (typeof ref !== 'object' || ref === null) {
      return { allowed: false, rule: 'resource.kind', reason: 'resource must be a path for file actions or a URL for network actions' };
    }
    if ('path' in ref && wantsFile) {
      const path = confinePath(ref.path, paths);
      if (!path.ok) return { allowed: false, rule: path.rule, reason: path.reason };
      if (ref.bytes !== undefined && !(typeof ref.bytes === 'number' && ref.bytes >= 0 && ref.bytes <= maxFileSize)) {
        return { allowed: false, rule: 'file.too-large', reason: `file size ${describeValue(ref.bytes)} exceeds the agent's limit of ${maxFileSize} bytes` };
      }
      return { allowed: true, reason: `\`${path.value}\` is within the allowed paths`, resource: path.value };
    }
    if ('url' in ref && wantsNet) {
      const url = checkUrl(ref.url, rules, allowHttp);
      if (!url.ok) return { allowed: false, rule: url.rule, reason: url.reason };
      return { allowed: true, reason: `host \`${url.value.host}\` is allowed`, resource: url.value.href };
    }
    if (!wantsFile && !wantsNet) return { allowed: true, reason: `agent \`${name}\` holds ${permissionNames(action).join(', ')}` };
    return { allowed: false, rule: 'resource.kind', reason: 'resource kind does not match the action' };
  };

  const policy = {
    agent,
    permissions,
    allowedPaths: Object.freeze(paths),
    allowedDomains: Object.freeze([...allowedDomains]),
    maxFileSize,
    allowHttp,
    check,
  };
  Object.defineProperty(policy, BRAND, { value: true });
  return Object.freeze(policy);
}

/** True for a policy made by {@link definePermissionPolicy} (in any copy of the library). */
export function isPermissionPolicy(value: unknown): value is PermissionPolicy {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true && Object.isFrozen(value);
}

/**
 * The ceiling a sandbox {@link Policy} sets for the built-in tools, as a permission policy: file flags
 * when `allowedOperations.fileOperations`, `NETWORK_ACCESS` when `networkOperations`, with the policy's
 * paths, domains and file size. Built-in tools check a call against this ceiling and against the
 * calling agent: both must allow it.
 *
 * @throws {InvalidPolicyError} `INVALID_POLICY` when `files.allowedPaths` holds a non-canonical path or `network.allowedDomains` a bad host.
 */
export function permissionPolicyFromPolicy(policy: Policy, agent = 'sandbox-policy'): PermissionPolicy {
  const ops = policy.allowedOperations;
  return definePermissionPolicy({
    agent,
    permissions: (ops.fileOperations ? FILE : 0) | (ops.networkOperations ? Permission.NETWORK_ACCESS : 0),
    allowedPaths: policy.files.allowedPaths,
    allowedDomains: policy.network.allowedDomains,
    maxFileSize: policy.files.maxFileBytes,
    allowHttp: policy.network.allowHttp,
  });
}

/** Live restrictions of an agent, read on every check (see {@link restrictPolicy}). */
export interface PolicyRestriction {
  /** Flags taken away right now. */
  revokedFlags(): PermissionSet;
  /** A denial for an allowed decision on the canonical `resource` (path or URL href), or undefined. */
  deny(action: PermissionSet, resource: string | undefined): PermissionDecision | undefined;
}

/**
 * A view of `base` narrowed by `restriction`, consulted on every call so a revocation takes effect
 * for the very next check (including checks made by a handler already running, like a redirect hop).
 * Branded like a policy from {@link definePermissionPolicy}.
 * @internal The registry uses it to apply live revocations to an agent.
 */
export function restrictPolicy(base: PermissionPolicy, restriction: PolicyRestriction): PermissionPolicy {
  const view = {
    agent: base.agent,
    get permissions() {
      return base.permissions & ~restriction.revokedFlags();
    },
    allowedPaths: base.allowedPaths,
    allowedDomains: base.allowedDomains,
    maxFileSize: base.maxFileSize,
    allowHttp: base.allowHttp,
    check: (action: PermissionSet, resource?: Resource): PermissionDecision => {
      const decision = base.check(action, resource); // also checks `action`
      const revoked = action & restriction.revokedFlags();
      if (revoked !== 0) return { allowed: false, rule: 'revoked.permission', reason: `${permissionNames(revoked).join(', ')} was revoked from agent \`${base.agent}\`` };
      if (!decision.allowed) return decision;
      return restriction.deny(action, decision.resource) ?? decision;
    },
  };
  Object.defineProperty(view, BRAND, { value: true });
  return Object.freeze(view);
}

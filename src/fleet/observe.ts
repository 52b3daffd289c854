/**
 * Observe mode: tool, path, domain and module checks record what they WOULD have denied instead of
 * denying it, so `suggestPolicy()` can learn a least-privilege policy from real runs.
 *
 * Only allow-list checks are observed (the rules in {@link OBSERVABLE_RULES}: a missing permission
 * flag, a path outside the allowed roots, a host or port not allowed, plain http, a file over the
 * size limit, an import not on the list). Everything that guards the shape of a request (path
 * traversal, look-alike characters, URL userinfo, non-canonical hosts), revocations, engine limits,
 * `eval`/`Function` validation and the isolation itself still deny. Observe mode is an option of
 * `createToolRegistry` and `createSandbox`, set by the app: guest code cannot reach it.
 */
import type { SecurityEventInput } from '../audit/types.js';
import { checkUrl, normalizeVirtualPath, parseHostRule } from '../tools/guards.js';
import { Permission, permissionNames, type PermissionDecision, type PermissionPolicy, type PermissionSet, type Resource } from '../tools/permissions.js';

/** Rules observe mode records instead of enforcing: the allow-lists, never the shape guards. */
export const OBSERVABLE_RULES: ReadonlySet<string> = new Set([
  'permission.missing',
  'path.outside',
  'file.too-large',
  'url.host-not-allowed',
  'url.port-not-allowed',
  'url.insecure-scheme',
  'import-not-allowed',
]);

/** One check seen in observe mode. */
export interface Observation {
  action: PermissionSet;
  /** The canonical path, or the URL's origin (`https://api.example.com`), when the check had a resource. */
  resource?: { kind: 'path'; value: string; bytes?: number } | { kind: 'url'; value: string };
  /** The checks that would have denied, with the rule and who (sandbox policy or agent). */
  wouldDeny: { rule: string; by: 'policy' | 'agent'; reason: string }[];
}

const BRAND = Symbol.for('quickcage.PermissionPolicy');
const FILE = Permission.READ_FILE | Permission.WRITE_FILE;

/**
 * The ceiling's answer for the resource being checked right now. Built-in tools check the sandbox
 * policy and then the agent in one synchronous step, with the same resource object: the agent's
 * observer picks the ceiling's verdict up from here and records both in one observation.
 */
let pendingCeiling: { action: PermissionSet; resource: Resource | undefined; decision: PermissionDecision } | undefined;

/** A resource as `{ path }` or `{ url }`: a plain string is a path for file actions, else a URL. */
function resourceRef(action: PermissionSet, resource: Resource): Exclude<Resource, string> {
  return typeof resource === 'string' ? ((action & FILE) !== 0 ? { path: resource } : { url: resource }) : resource;
}

/** The canonical form of a resource an allow-list refused (its shape checks passed). */
function canonical(action: PermissionSet, resource: Resource | undefined): Observation['resource'] {
  if (resource === undefined) return undefined;
  const ref = resourceRef(action, resource);
  if ('path' in ref) {
    const path = normalizeVirtualPath(ref.path);
    if (!path.ok) return undefined;
    return { kind: 'path', value: path.value, ...(typeof ref.bytes === 'number' ? { bytes: ref.bytes } : {}) };
  }
  try {
    return { kind: 'url', value: new URL(ref.url).origin };
  } catch {
    return undefined;
  }
}

/**
 * The shape guards of a resource, run on their own. An allow-list denial can come first (a missing
 * flag is decided before the resource is looked at), so observe mode runs these itself: a traversal
 * or a URL with userinfo is denied in observe mode exactly as in enforcing mode.
 */
function shapeDenial(action: PermissionSet, resource: Resource | undefined): PermissionDecision | undefined {
  if (resource === undefined) return undefined;
  const ref = resourceRef(action, resource);
  if (typeof ref !== 'object' || ref === null) return { allowed: false, rule: 'resource.kind', reason: 'resource must be a path or a URL' };
  if ('path' in ref) {
    const path = normalizeVirtualPath(ref.path);
    return path.ok ? undefined : { allowed: false, rule: path.rule, reason: path.reason };
  }
  let host: string | undefined;
  try { host = new URL(ref.url).host; } catch { /* checkUrl names the problem */ }
  const own = host === undefined ? undefined : parseHostRule(host);
  // With the URL's own host allowed, only the shape rules can fail.
  const url = checkUrl(ref.url, own?.ok ? [own.value] : [], 'always');
  return url.ok ? undefined : { allowed: false, rule: url.rule, reason: url.reason };
}

const allowed = (reason: string, decision: PermissionDecision, action: PermissionSet, resource: Resource | undefined): PermissionDecision => {
  if (decision.allowed) return decision;
  const c = canonical(action, resource);
  // The href for URLs: the tool fetches exactly what was asked, as the enforcing check would return it.
  const href = c?.kind === 'url' ? new URL((typeof resource === 'string' ? resource : (resource as { url: string }).url)).href : c?.value;
  return { allowed: true, reason, ...(href === undefined ? {} : { resource: href }) };
};

/**
 * An observing view of `base` (branded and frozen like a real policy): every flag and path, the
 * base's domains and limits, and a `check` that gets the base's verdict with the shape guards run
 * on their own when an allow-list denied first (see {@link shapeDenial}).
 */
function observingView(base: PermissionPolicy, check: (decision: PermissionDecision, action: PermissionSet, resource: Resource | undefined) => PermissionDecision): PermissionPolicy {
  const view = {
    agent: base.agent,
    permissions: Permission.FULL,
    allowedPaths: ['/'],
    allowedDomains: base.allowedDomains,
    maxFileSize: base.maxFileSize,
    allowHttp: base.allowHttp,
    check: (action: PermissionSet, resource?: Resource): PermissionDecision => {
      const checked = base.check(action, resource);
      const decision = !checked.allowed && OBSERVABLE_RULES.has(checked.rule) ? shapeDenial(action, resource) ?? checked : checked;
      return check(decision, action, resource);
    },
  };
  Object.defineProperty(view, BRAND, { value: true });
  return Object.freeze(view) as PermissionPolicy;
}

/** The sandbox policy's ceiling in observe mode: allow-list denials pass, and are handed to the agent's observer. */
export function observeCeiling(base: PermissionPolicy): PermissionPolicy {
  return observingView(base, (decision, action, resource) => {
    pendingCeiling = { action, resource, decision };
    if (decision.allowed || !OBSERVABLE_RULES.has(decision.rule)) return decision;
    return allowed(`observe mode: the sandbox policy would deny (${decision.rule})`, decision, action, resource);
  });
}

/**
 * The calling agent in observe mode: every check is reported to `note` (allowed ones too: they are
 * what the runs did), allow-list denials pass, shape and revocation denials still deny.
 */
export function observeAgent(base: PermissionPolicy, note: (observation: Observation) => void): PermissionPolicy {
  return observingView(base, (decision, action, resource) => {
    const ceiling = pendingCeiling !== undefined && pendingCeiling.action === action && pendingCeiling.resource === resource ? pendingCeiling.decision : undefined;
    pendingCeiling = undefined;
    if (!decision.allowed && !OBSERVABLE_RULES.has(decision.rule)) return decision;
    if (ceiling !== undefined && !ceiling.allowed && !OBSERVABLE_RULES.has(ceiling.rule)) return ceiling;
    const wouldDeny: Observation['wouldDeny'] = [];
    if (ceiling !== undefined && !ceiling.allowed) wouldDeny.push({ rule: ceiling.rule, by: 'policy', reason: ceiling.reason });
    if (!decision.allowed) wouldDeny.push({ rule: decision.rule, by: 'agent', reason: decision.reason });
    const observed = canonical(action, resource);
    note({ action, ...(observed === undefined ? {} : { resource: observed }), wouldDeny });
    return allowed(`observe mode: ${wouldDeny.map((d) => `the ${d.by === 'policy' ? 'sandbox policy' : 'agent'} would deny (${d.rule})`).join(', ')}`, decision, action, resource);
  });
}

/** The audit event of one observation: a `tool_call` flagged `observed`, medium when something would have been denied. */
export function observationEvent(observation: Observation, who: { agent: string; tool: string; runId: string; user?: string }): SecurityEventInput {
  return {
    type: 'tool_call',
    severity: observation.wouldDeny.length > 0 ? 'medium' : 'low',
    agent: who.agent,
    tool: who.tool,
    runId: who.runId,
    ...(who.user === undefined ? {} : { user: who.user }),
    details: {
      outcome: 'observed',
      observed: true,
      action: permissionNames(observation.action),
      ...(observation.resource === undefined ? {} : { resource: observation.resource.value, kind: observation.resource.kind }),
      ...(observation.resource?.kind === 'path' && observation.resource.bytes !== undefined ? { bytes: observation.resource.bytes } : {}),
      wouldDeny: observation.wouldDeny,
    },
  };
}

/**
 * Import specifiers a rejected run asked for that observe mode may allow: every violation must be
 * `import-not-allowed` for a module the sandbox can serve (`available`), else the run stays rejected.
 */
export function observableImports(violations: readonly { rule: string; snippet: string; message: string }[], available: readonly string[]): string[] | undefined {
  if (violations.length === 0) return undefined;
  const specifiers = new Set<string>();
  for (const v of violations) {
    if (v.rule !== 'import-not-allowed') return undefined;
    const specifier = /^rejected `([^`]+)` at /.exec(v.message)?.[1];
    if (specifier === undefined || !available.includes(specifier)) return undefined;
    specifiers.add(specifier);
  }
  return [...specifiers];
}

/** The audit event of an import observe mode allowed. */
export function importObservationEvent(specifier: string, who: { runId: string; user?: string }): SecurityEventInput {
  return {
    type: 'execution',
    severity: 'medium',
    runId: who.runId,
    ...(who.user === undefined ? {} : { user: who.user }),
    details: { observed: true, import: specifier, wouldDeny: [{ rule: 'import-not-allowed', by: 'policy', reason: `\`${specifier}\` is not in allowedOperations.imports` }] },
  };
}

/**
 * `suggestPolicy(events)`: from the audit events of runs made in observe mode, the smallest
 * `definePolicy` input and agent permission set that would have allowed exactly what the runs did,
 * with the reason for each grant.
 *
 * "Smallest": exactly the flags used; the paths used (a path is dropped only when an ancestor that
 * was itself used covers it); exactly the hosts (with their port when not the scheme's default);
 * plain http only when it was used, and only to loopback when that is all it was used for; the
 * largest file size seen; exactly the optional modules imported. Nothing is widened to a parent
 * directory or a wildcard: anything the runs did not do stays denied.
 */
import { invalidArgument } from '../errors.js';
import { checkOptions, isPlainObject } from '../internal/checks.js';
import type { PolicyInput } from '../policy.js';
import { PERMISSION_NAMES, Permission, type PermissionPolicyInput, type PermissionSet } from '../tools/permissions.js';
import { isPathWithin } from '../tools/guards.js';

/** One grant of a suggestion and why. */
export interface PolicyGrant {
  /** What is granted. */
  kind: 'permission' | 'path' | 'domain' | 'http' | 'fileSize' | 'import';
  /** The flag name, path, host[:port], `loopback`/`always`, byte count or module specifier. */
  value: string;
  /** Why, in words: which tools used it, how often, and what would have denied it. */
  reason: string;
  /** Ids of up to 5 audit events that show the use (when the events had ids). */
  evidence: string[];
  /** How many observed checks needed it. */
  count: number;
}

/** What {@link suggestPolicy} returns. */
export interface PolicySuggestion {
  /** Input for `definePolicy` (on the `webApi` preset). */
  policy: PolicyInput;
  /** Input for `definePermissionPolicy` for the agent the runs acted as. */
  permissions: PermissionPolicyInput;
  /** Each grant with its reason. */
  grants: PolicyGrant[];
  /**
   * Observed checks and runs the suggestion is based on. `folded`: flood aggregates of observed
   * checks (the audit log folds more than 20 like events of one run and tool per minute); only their
   * sample is known, so when it is not 0 the suggestion may miss something: observe with
   * `createAuditLog({ aggregate: false })`.
   */
  basis: { observations: number; runs: number; folded: number };
}

/** Options of {@link suggestPolicy}. */
export interface SuggestPolicyOptions {
  /** The agent to suggest for. Default: the one agent the observed events name (required when they name several). */
  agent?: string;
}

interface Use {
  count: number;
  tools: Set<string>;
  wouldDeny: Set<string>;
  evidence: string[];
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Suggests the least privilege that would have allowed what observed runs did.
 *
 * @param events Audit events (from `AuditLog.query`, `subscribe`, or a JSONL export parsed back); only
 *   those flagged `details.observed` count, the rest are ignored.
 * @throws {InvalidArgumentError} `INVALID_ARGUMENT` when `events` is not an array of objects, when the
 *   observed events name several agents and `options.agent` is missing, or for an unknown option.
 */
export function suggestPolicy(events: readonly unknown[], options: SuggestPolicyOptions = {}): PolicySuggestion {
  if (!Array.isArray(events)) throw invalidArgument('events', 'an array of audit events', events);
  checkOptions('options', options, ['agent']);
  if (options.agent !== undefined && (typeof options.agent !== 'string' || options.agent.length === 0)) throw invalidArgument('options.agent', 'a non-empty agent name', options.agent);

  let folded = 0;
  const observed = events.flatMap((e, i) => {
    if (!isPlainObject(e)) throw invalidArgument(`events[${i}]`, 'an audit event object', e);
    if (!isPlainObject(e.details)) return [];
    if (e.details.observed === true) return [e];
    // A flood aggregate of observed checks: its sample is all that is known of them.
    if (e.details.aggregated === true && isPlainObject(e.details.sample) && e.details.sample.observed === true) {
      folded += 1;
      return [{ ...e, details: e.details.sample }];
    }
    return [];
  }) as Array<Record<string, unknown> & { details: Record<string, unknown> }>;

  const agents = new Set(observed.filter((e) => typeof e.agent === 'string').map((e) => e.agent as string));
  let agent = options.agent;
  if (agent === undefined) {
    if (agents.size > 1) throw invalidArgument('options.agent', `one of the observed agents (${[...agents].join(', ')})`, undefined);
    agent = [...agents][0] ?? 'observed-agent';
  }

  const flags = new Map<string, Use>();
  const paths = new Map<string, Use>();
  const hosts = new Map<string, Use>();
  const httpHosts = new Map<string, Use>();
  const imports = new Map<string, Use>();
  const runs = new Set<string>();
  let maxBytes = 0;
  let maxBytesUse: Use | undefined;
  let observations = 0;

  const use = (map: Map<string, Use>, key: string, event: Record<string, unknown>, wouldDeny: unknown): Use => {
    let u = map.get(key);
    if (!u) map.set(key, u = { count: 0, tools: new Set(), wouldDeny: new Set(), evidence: [] });
    u.count += 1;
    if (typeof event.tool === 'string') u.tools.add(event.tool);
    if (Array.isArray(wouldDeny)) for (const d of wouldDeny) if (isPlainObject(d) && typeof d.rule === 'string') u.wouldDeny.add(`${d.rule} by the ${d.by === 'policy' ? 'sandbox policy' : 'agent'}`);
    if (typeof event.id === 'string' && u.evidence.length < 5 && !u.evidence.includes(event.id)) u.evidence.push(event.id);
    return u;
  };

  for (const event of observed) {
    const d = event.details;
    if (event.agent !== undefined && event.agent !== agent) continue;
    observations += 1;
    if (typeof event.runId === 'string') runs.add(event.runId);
    if (typeof d.import === 'string') {
      use(imports, d.import, event, d.wouldDeny);
      continue;
    }
    const action = Array.isArray(d.action) ? d.action.filter((a): a is string => (PERMISSION_NAMES as readonly string[]).includes(a as string)) : [];
    for (const flag of action) use(flags, flag, event, d.wouldDeny);
    if (d.kind === 'path' && typeof d.resource === 'string') {
      use(paths, d.resource, event, d.wouldDeny);
      if (typeof d.bytes === 'number' && d.bytes > maxBytes) {
        maxBytes = d.bytes;
        maxBytesUse = { count: 1, tools: new Set(typeof event.tool === 'string' ? [event.tool] : []), wouldDeny: new Set(), evidence: typeof event.id === 'string' ? [event.id] : [] };
      }
    }
    if (d.kind === 'url' && typeof d.resource === 'string') {
      let url: URL;
      try { url = new URL(d.resource); } catch { continue; }
      // host[:port] as parseHostRule reads it: the port only when it is not the scheme's default.
      use(hosts, url.host, event, d.wouldDeny);
      if (url.protocol === 'http:') use(httpHosts, url.hostname, event, d.wouldDeny);
    }
  }

  // Paths: drop one only when a used ancestor covers it (that ancestor is needed anyway).
  const usedPaths = [...paths.keys()].sort();
  const keptPaths = usedPaths.filter((p) => !usedPaths.some((q) => q !== p && isPathWithin(p, q)));
  for (const p of usedPaths) {
    if (keptPaths.includes(p)) continue;
    const parent = keptPaths.find((q) => isPathWithin(p, q))!;
    const child = paths.get(p)!;
    const merged = paths.get(parent)!;
    merged.count += child.count;
    for (const t of child.tools) merged.tools.add(t);
  }

  const permissions: PermissionSet = [...flags.keys()].reduce((set, name) => set | Permission[name as (typeof PERMISSION_NAMES)[number]], 0);
  const allowHttp = httpHosts.size === 0 ? 'never' : [...httpHosts.keys()].every((h) => LOOPBACK.has(h)) ? 'loopback' : 'always';
  const domains = [...hosts.keys()].sort();
  const importList = [...imports.keys()].sort();

  const describe = (u: Use, what: string): string => {
    const tools = u.tools.size > 0 ? ` by ${[...u.tools].sort().map((t) => `\`${t}\``).join(', ')}` : '';
    const denied = u.wouldDeny.size > 0 ? `; would have been denied (${[...u.wouldDeny].sort().join('; ')})` : '; already allowed';
    return `${what}${tools}, ${u.count} time${u.count === 1 ? '' : 's'}${denied}`;
  };
  const grants: PolicyGrant[] = [];
  for (const name of PERMISSION_NAMES) {
    const u = flags.get(name);
    if (u) grants.push({ kind: 'permission', value: name, reason: describe(u, `${name} used`), evidence: u.evidence, count: u.count });
  }
  for (const p of keptPaths) {
    const u = paths.get(p)!;
    grants.push({ kind: 'path', value: p, reason: describe(u, `\`${p}\` accessed`), evidence: u.evidence, count: u.count });
  }
  for (const h of domains) {
    const u = hosts.get(h)!;
    grants.push({ kind: 'domain', value: h, reason: describe(u, `\`${h}\` fetched`), evidence: u.evidence, count: u.count });
  }
  if (allowHttp !== 'never') {
    const hostsUsed = [...httpHosts.keys()].sort();
    const u = httpHosts.get(hostsUsed[0]!)!;
    grants.push({ kind: 'http', value: allowHttp, reason: `plain http used to ${hostsUsed.map((h) => `\`${h}\``).join(', ')}`, evidence: u.evidence, count: [...httpHosts.values()].reduce((n, x) => n + x.count, 0) });
  }
  if (maxBytesUse && maxBytes > 0) {
    grants.push({ kind: 'fileSize', value: String(maxBytes), reason: `largest file seen: ${maxBytes} bytes${maxBytesUse.tools.size ? ` (by \`${[...maxBytesUse.tools][0]}\`)` : ''}`, evidence: maxBytesUse.evidence, count: 1 });
  }
  for (const m of importList) {
    const u = imports.get(m)!;
    grants.push({ kind: 'import', value: m, reason: describe(u, `\`${m}\` imported`), evidence: u.evidence, count: u.count });
  }

  const fileOps = (permissions & (Permission.READ_FILE | Permission.WRITE_FILE)) !== 0;
  const netOps = (permissions & Permission.NETWORK_ACCESS) !== 0;
  const policy: PolicyInput = {
    preset: 'webApi',
    allowedOperations: { fileOperations: fileOps, networkOperations: netOps, imports: importList },
    ...(fileOps ? { files: { allowedPaths: keptPaths, ...(maxBytes > 0 ? { maxFileBytes: Math.max(maxBytes, 1) } : {}) } } : {}),
    ...(netOps ? { network: { allowedDomains: domains, allowHttp } } : {}),
  };
  const permissionInput: PermissionPolicyInput = {
    agent,
    permissions,
    allowedPaths: keptPaths,
    allowedDomains: domains,
    ...(maxBytes > 0 ? { maxFileSize: maxBytes } : {}),
    allowHttp,
  };
  return { policy, permissions: permissionInput, grants, basis: { observations, runs: runs.size, folded } };
}

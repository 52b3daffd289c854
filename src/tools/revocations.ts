/**
 * Live revocation of what an agent may do: a tool, permission flags, a path or a domain, taken away
 * from every sandbox of one agent or from one sandbox, and given back. The registry consults this
 * state on every check, so a revocation is effective for the very next call, including calls already
 * queued, waiting for approval, or in a handler that checks again (a fetch redirect hop).
 */
import { invalidArgument } from '../errors.js';
import { isPathWithin, normalizeVirtualPath, parseHostRule, type HostRule } from './guards.js';
import { isPermissionSet, permissionNames, type PermissionDecision, type PermissionSet } from './permissions.js';
import { isToolName } from './define.js';

/** What to take away (or give back): exactly one of these keys. */
export type Revocable =
  | { tool: string }
  | { permission: PermissionSet }
  /** A canonical virtual path: the path and everything below it. */
  | { path: string }
  /** A host or `host:port` as in `allowedDomains`; a bare host covers every port. */
  | { domain: string };

/** From whom: every dispatcher of one agent (by its policy name), or one sandbox's dispatcher (by its `id`). */
export type RevocationScope = { agent: string } | { sandbox: string };

/** One revocation in force. */
export interface RevocationEntry {
  what: Revocable;
  scope: RevocationScope;
  /** Epoch ms. */
  at: number;
  reason?: string;
  by?: string;
}

interface Stored extends RevocationEntry {
  key: string;
  host?: HostRule;
}

/** Checked `what`, with its canonical key. @throws {InvalidArgumentError} `INVALID_ARGUMENT`. */
function checkWhat(what: unknown): { what: Revocable; key: string; host?: HostRule } {
  if (typeof what !== 'object' || what === null || Array.isArray(what) || Object.keys(what).length !== 1) {
    throw invalidArgument('what', 'an object with exactly one of tool, permission, path, domain', what);
  }
  const [kind, value] = Object.entries(what)[0] as [string, unknown];
  switch (kind) {
    case 'tool':
      if (!isToolName(value)) throw invalidArgument('what.tool', 'a tool name', value);
      return { what: { tool: value }, key: `tool:${value}` };
    case 'permission':
      if (!isPermissionSet(value) || value === 0) throw invalidArgument('what.permission', 'a non-empty Permission flag set', value);
      return { what: { permission: value }, key: `permission:${value}` };
    case 'path': {
      const path = normalizeVirtualPath(value);
      if (!path.ok || path.value !== value) throw invalidArgument('what.path', `a canonical absolute path${path.ok ? ` (\`${path.value}\`)` : ` (${path.reason})`}`, value);
      return { what: { path: value }, key: `path:${value}` };
    }
    case 'domain': {
      const host = parseHostRule(value);
      if (!host.ok) throw invalidArgument('what.domain', `a host or host:port (${host.reason})`, value);
      return { what: { domain: value as string }, key: `domain:${host.value.host}:${host.value.port}`, host: host.value };
    }
    default:
      throw invalidArgument(`what.${kind}`, 'absent (known keys: tool, permission, path, domain)', value);
  }
}

function checkScope(scope: unknown): { scope: RevocationScope; key: string } {
  if (typeof scope !== 'object' || scope === null || Array.isArray(scope) || Object.keys(scope).length !== 1) {
    throw invalidArgument('scope', 'an object with exactly one of agent, sandbox', scope);
  }
  const s = scope as { agent?: unknown; sandbox?: unknown };
  if ('agent' in s) {
    if (typeof s.agent !== 'string' || s.agent.length === 0 || s.agent.length > 64) throw invalidArgument('scope.agent', 'an agent name', s.agent);
    return { scope: { agent: s.agent }, key: `agent:${s.agent}` };
  }
  if ('sandbox' in s) {
    if (typeof s.sandbox !== 'string' || s.sandbox.length === 0) throw invalidArgument('scope.sandbox', "a dispatcher id (`registry.forAgent(...).id`)", s.sandbox);
    return { scope: { sandbox: s.sandbox }, key: `sandbox:${s.sandbox}` };
  }
  throw invalidArgument(`scope.${Object.keys(scope)[0]}`, 'absent (known keys: agent, sandbox)', scope);
}

/** The revocations of one registry. */
export class Revocations {
  private readonly entries = new Map<string, Stored>();

  /** Adds a revocation; returns false when the same one was already in force. */
  revoke(what: unknown, scope: unknown, meta: { at: number; reason?: string; by?: string }): { entry: RevocationEntry; added: boolean } {
    const w = checkWhat(what);
    const s = checkScope(scope);
    const key = `${s.key}\u0000${w.key}`;
    const existing = this.entries.get(key);
    if (existing) return { entry: publicEntry(existing), added: false };
    const stored: Stored = { what: w.what, scope: s.scope, at: meta.at, key, ...(w.host ? { host: w.host } : {}), ...(meta.reason === undefined ? {} : { reason: meta.reason }), ...(meta.by === undefined ? {} : { by: meta.by }) };
    this.entries.set(key, stored);
    return { entry: publicEntry(stored), added: true };
  }

  /** Lifts the revocation with the same `what` and `scope`; returns it, or undefined when there was none. */
  grant(what: unknown, scope: unknown): RevocationEntry | undefined {
    const key = `${checkScope(scope).key}\u0000${checkWhat(what).key}`;
    const stored = this.entries.get(key);
    if (!stored) return undefined;
    this.entries.delete(key);
    return publicEntry(stored);
  }

  list(): RevocationEntry[] {
    return [...this.entries.values()].map(publicEntry);
  }

  private applying(agent: string, sandbox: string | undefined): Stored[] {
    const out: Stored[] = [];
    for (const e of this.entries.values()) {
      if ('agent' in e.scope ? e.scope.agent === agent : e.scope.sandbox === sandbox) out.push(e);
    }
    return out;
  }

  /** The revocation of tool `name` that applies, if any. */
  tool(name: string, agent: string, sandbox: string | undefined): RevocationEntry | undefined {
    return this.applying(agent, sandbox).find((e) => 'tool' in e.what && e.what.tool === name);
  }

  /** Flags revoked for this agent and sandbox. */
  flags(agent: string, sandbox: string | undefined): PermissionSet {
    let flags = 0;
    for (const e of this.applying(agent, sandbox)) if ('permission' in e.what) flags |= e.what.permission;
    return flags;
  }

  /** A denial of a canonical path or URL href that a revocation covers, or undefined. */
  deny(resource: string | undefined, agent: string, sandbox: string | undefined): PermissionDecision | undefined {
    if (resource === undefined) return undefined;
    const list = this.applying(agent, sandbox);
    if (list.length === 0) return undefined;
    if (resource.startsWith('/')) {
      const hit = list.find((e) => 'path' in e.what && isPathWithin(resource, e.what.path));
      return hit ? { allowed: false, rule: 'revoked.path', reason: `path \`${(hit.what as { path: string }).path}\` was revoked from agent \`${agent}\`` } : undefined;
    }
    let url: URL;
    try {
      url = new URL(resource);
    } catch {
      return undefined;
    }
    const port = url.port === '' ? (url.protocol === 'https:' ? '443' : '80') : url.port;
    const hit = list.find((e) => e.host !== undefined && e.host.host === url.hostname && (e.host.port === '' || e.host.port === port));
    return hit ? { allowed: false, rule: 'revoked.domain', reason: `domain \`${(hit.what as { domain: string }).domain}\` was revoked from agent \`${agent}\`` } : undefined;
  }
}

function publicEntry(e: Stored): RevocationEntry {
  return { what: { ...e.what } as Revocable, scope: { ...e.scope } as RevocationScope, at: e.at, ...(e.reason === undefined ? {} : { reason: e.reason }), ...(e.by === undefined ? {} : { by: e.by }) };
}

/** `what` as audit details: flag names instead of a bit mask. */
export function describeRevocable(what: Revocable): Record<string, unknown> {
  return 'permission' in what ? { permission: permissionNames(what.permission) } : { ...what };
}

/**
 * What a denied call attempted, in a form fit for the audit log: after an incident the first thing an
 * operator asks is *what* was tried (which path, which host, which permission). The attempted
 * resource comes from the guest, so it is treated as hostile data: every string passes the guardrail
 * detectors (a token in a URL path becomes `[REDACTED:SECRET]`), the query string and fragment of a
 * URL are left out (they are where secrets travel), and sizes are capped.
 */
import { detectUnchecked } from '../guardrails/detect.js';
import { replaceSpans } from '../guardrails/apply.js';
import { DETECTORS, type DetectorId } from '../policy.js';
import { PERMISSION_NAMES } from './permissions.js';

/** Longest string kept in an attempted resource (UTF-16 code units); longer ones are cut and marked `…`. */
export const MAX_EVIDENCE_STRING = 256;

const REDACT_ALL = Object.fromEntries(DETECTORS.map((id) => [id, 'redact'])) as Record<DetectorId, 'redact'>;

/** Cuts to the cap first (so the scan is bounded), then redacts what the detectors find. */
export function evidenceString(value: string): string {
  const cut = value.length > MAX_EVIDENCE_STRING ? `${value.slice(0, MAX_EVIDENCE_STRING)}…` : value;
  return replaceSpans(cut, detectUnchecked(cut, DETECTORS), REDACT_ALL);
}

/** A resource a built-in tool was refused, as raw guest input. */
export type AttemptedResource = { path: unknown } | { url: unknown };

/**
 * The `attempted` detail of a denied `tool_call` event:
 * `{ path }`, `{ url: { scheme, host, path, query?: true } }` (or `{ url: { raw } }` when it does not
 * parse), each string capped and redacted.
 */
export function describeAttempt(resource: AttemptedResource): Record<string, unknown> {
  if ('path' in resource) return { path: typeof resource.path === 'string' ? evidenceString(resource.path) : `(${typeof resource.path})` };
  const raw = resource.url;
  if (typeof raw !== 'string') return { url: { raw: `(${typeof raw})` } };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { url: { raw: evidenceString(raw) } };
  }
  const out: Record<string, unknown> = { scheme: url.protocol.replace(/:$/, ''), host: evidenceString(url.host), path: evidenceString(url.pathname) };
  if (url.search !== '' || url.hash !== '') out.query = true;
  if (url.username !== '' || url.password !== '') out.userinfo = true;
  return { url: out };
}

/** Names of the permission flags in `set` (what a denied agent asked for). */
export function permissionsAsked(set: number): string[] {
  return PERMISSION_NAMES.filter((_, bit) => (set & (1 << bit)) !== 0);
}

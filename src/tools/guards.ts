/**
 * Resource guards: virtual paths and URLs.
 *
 * Both guards fail closed. They do not try to "repair" a suspicious input into a safe one (that is how
 * traversal bugs are born: decode once, check, decode again later); they accept only one canonical
 * spelling of each resource and reject every other spelling with a stable rule id and a reason.
 */

/** Outcome of a guard. `rule` is a stable id (tests and audit events pin it); `reason` is for people. */
export type GuardResult<T> = { ok: true; value: T } | { ok: false; rule: string; reason: string };

const deny = (rule: string, reason: string): { ok: false; rule: string; reason: string } => ({ ok: false, rule, reason });

/** Longest accepted virtual path, in UTF-16 code units. */
export const MAX_PATH_LENGTH = 1024;
const MAX_SEGMENT_LENGTH = 255;
const MAX_DEPTH = 64;

/**
 * Characters a path segment may hold: letters, combining marks, digits, space and `_ - . ~ + @ , = ( ) [ ]`.
 * Everything else is out: separators and their look-alikes (U+2215 division slash, U+2044 fraction
 * slash, U+29F8 big solidus), `%` (encoded forms), `:` (drive letters, alternate data streams),
 * glob and shell characters, and invisible format characters (bidi overrides, zero-width joiners).
 */
const SEGMENT_CHARS = /^[\p{L}\p{N}_\-~+@,=()[\] ][\p{L}\p{M}\p{N}_\-.~+@,=()[\] ]*$|^\.[\p{L}\p{M}\p{N}_\-.~+@,=()[\] ]+$/u;
// eslint-disable-next-line no-control-regex -- the point of this pattern is to find control characters
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Checks a virtual path and returns its one canonical spelling: absolute, `/`-separated, no empty,
 * `.` or `..` segments, at most one trailing `/` (dropped).
 *
 * Rejected (rule id): not a string (`path.type`), too long (`path.length`), NUL (`path.null-byte`),
 * other control characters (`path.control`), `%` (`path.encoded`: `%2e%2e`, `%252e`), `\`
 * (`path.backslash`), text that NFKC normalization changes (`path.unicode`: fullwidth solidus and full
 * stop, one/two-dot leaders, ligatures), relative paths (`path.relative`), `//` (`path.empty-segment`),
 * `.`/`..`/`...` (`path.traversal`), a segment ending in a dot or a space or starting with a space
 * (`path.trailing-dot`, `path.whitespace`: Windows strips those, so `a.` and `a` would alias), other
 * characters (`path.charset`), too deep or too long segments (`path.depth`, `path.segment-length`).
 */
export function normalizeVirtualPath(input: unknown): GuardResult<string> {
  if (typeof input !== 'string') return deny('path.type', 'path must be a string');
  if (input.length === 0) return deny('path.relative', 'path is empty');
  if (input.length > MAX_PATH_LENGTH) return deny('path.length', `path is longer than ${MAX_PATH_LENGTH} characters`);
  if (input.includes('\u0000')) return deny('path.null-byte', 'path contains a NUL character');
  if (CONTROL.test(input)) return deny('path.control', 'path contains a control character');
  if (input.includes('%')) return deny('path.encoded', 'path contains `%`: percent-encoded forms are not accepted');
  if (input.includes('\\')) return deny('path.backslash', 'path contains a backslash; use `/`');
  // Look-alikes: NFKC folds fullwidth `／` and `．`, `․` (one-dot leader), `‥` (two-dot leader) and
  // friends into ASCII. Whatever NFKC would change is rejected rather than silently folded.
  if (input.normalize('NFKC') !== input) return deny('path.unicode', 'path contains characters that Unicode NFKC normalization changes (look-alikes)');
  if (!input.startsWith('/')) return deny('path.relative', 'path must be absolute (start with `/`)');
  if (input === '/') return { ok: true, value: '/' };
  const body = input.endsWith('/') ? input.slice(1, -1) : input.slice(1);
  const segments = body.split('/');
  if (segments.length > MAX_DEPTH) return deny('path.depth', `path is deeper than ${MAX_DEPTH} segments`);
  for (const segment of segments) {
    if (segment === '') return deny('path.empty-segment', 'path contains an empty segment (`//`)');
    if (/^\.+$/.test(segment)) return deny('path.traversal', `path contains a \`${segment}\` segment`);
    if (segment.endsWith('.')) return deny('path.trailing-dot', 'a path segment ends with a dot');
    if (segment.startsWith(' ') || segment.endsWith(' ')) return deny('path.whitespace', 'a path segment starts or ends with a space');
    if (segment.length > MAX_SEGMENT_LENGTH) return deny('path.segment-length', `a path segment is longer than ${MAX_SEGMENT_LENGTH} characters`);
    if (!SEGMENT_CHARS.test(segment)) return deny('path.charset', 'path contains a character outside letters, digits, space and `_-.~+@,=()[]`');
  }
  return { ok: true, value: `/${segments.join('/')}` };
}

/**
 * True when canonical `path` is `root` or below it. Compares whole segments, so `/data2` is not
 * inside `/data`. Both arguments must already be canonical ({@link normalizeVirtualPath}).
 */
export function isPathWithin(path: string, root: string): boolean {
  return root === '/' || path === root || path.startsWith(`${root}/`);
}

/**
 * Normalizes `input` and confines it to `roots` (canonical paths). An empty `roots` list allows nothing.
 * Rejects with `path.outside` when the path is canonical but under no root.
 */
export function confinePath(input: unknown, roots: readonly string[]): GuardResult<string> {
  const normalized = normalizeVirtualPath(input);
  if (!normalized.ok) return normalized;
  if (!roots.some((root) => isPathWithin(normalized.value, root))) {
    return deny('path.outside', roots.length === 0 ? 'no paths are allowed' : `path is outside the allowed paths (${roots.join(', ')})`);
  }
  return normalized;
}

/** One entry of an allowed-domain list, parsed. `port` is `''` for "the scheme's default port". */
export interface HostRule {
  /** Canonical host as the URL parser spells it: lowercase, punycode for IDN, IPv6 in brackets. */
  host: string;
  port: string;
}

const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'http:': '80', 'https:': '443' };

/**
 * Parses an allowed-domain entry: `host` or `host:port`, nothing else (no scheme, path, userinfo or
 * wildcard). Unicode names are converted to punycode by the platform URL parser, so `bücher.de` and
 * `xn--bcher-kva.de` are the same rule. A bare host allows only the scheme's default port.
 */
export function parseHostRule(entry: unknown): GuardResult<HostRule> {
  if (typeof entry !== 'string' || entry.length === 0 || entry.length > 260) return deny('domain.type', 'domain must be a non-empty string of at most 260 characters');
  if (/[\s/\\@?#*%]/.test(entry) || CONTROL.test(entry)) return deny('domain.shape', 'domain must be a bare host or host:port (no scheme, path, userinfo, wildcard or spaces)');
  let url: URL;
  try {
    url = new URL(`http://${entry}/`);
  } catch {
    return deny('domain.shape', 'domain does not parse as a host');
  }
  if (url.username !== '' || url.password !== '' || url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    return deny('domain.shape', 'domain must be a bare host or host:port');
  }
  if (url.hostname.endsWith('.')) return deny('domain.trailing-dot', 'domain must not end with a dot');
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d{1,5}))?$/.exec(entry);
  if (match === null) return deny('domain.shape', 'domain must be a bare host or host:port');
  // An IP entry must be written the way the parser writes it, so the list says what it allows.
  if ((IPV4.test(url.hostname) || url.hostname.startsWith('[')) && match[1]!.toLowerCase() !== url.hostname) {
    return deny('domain.ip-notation', `IP literal must be written canonically (\`${url.hostname}\`)`);
  }
  const port = match[2];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return deny('domain.port', 'port must be from 1 to 65535');
  return { ok: true, value: { host: url.hostname, port: port === undefined ? '' : String(Number(port)) } };
}

/** Where plain `http:` is accepted: nowhere, only to loopback hosts, or to every allowed host. */
export type HttpAllowance = 'never' | 'loopback' | 'always';

/** Hosts whose traffic never leaves the machine (browsers count them as potentially trustworthy). */
const isLoopback = (hostname: string): boolean =>
  hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);

/** Longest accepted URL, in UTF-16 code units. */
export const MAX_URL_LENGTH = 2048;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/**
 * Parses `input` with the platform `URL` parser and accepts it only when its exact host (and port) is in
 * `rules`. The input must already be in canonical form: the text right after `scheme://` must be the
 * parser's own hostname. That single comparison rejects userinfo (`https://allowed.com@evil.com`), IP
 * literals in odd notations (`0x7f.1`, `2130706433`, `0177.0.0.1`, `[::ffff:127.0.0.1]`), Unicode
 * hosts and look-alike dots (send punycode), and `https:host` without slashes.
 *
 * Rule ids: `url.type`, `url.length`, `url.control`, `url.backslash`, `url.parse`, `url.scheme`
 * (anything but http/https: `javascript:`, `data:`, `file:`, `blob:`), `url.userinfo`, `url.ip-notation`,
 * `url.non-canonical-host`, `url.trailing-dot`, `url.host-not-allowed`, `url.port-not-allowed`,
 * `url.insecure-scheme` (`http:` where `allowHttp` does not allow it; checked after the host, so an
 * unlisted host is reported as such).
 */
export function checkUrl(input: unknown, rules: readonly HostRule[], allowHttp: HttpAllowance = 'always'): GuardResult<URL> {
  if (typeof input !== 'string') return deny('url.type', 'url must be a string');
  if (input.length > MAX_URL_LENGTH) return deny('url.length', `url is longer than ${MAX_URL_LENGTH} characters`);
  // The URL parser silently strips leading/trailing C0 controls and every tab and newline
  // (`java\nscript:`): reject them so the text we check is the text that gets parsed.
  // eslint-disable-next-line no-control-regex -- the point of this pattern is to find control characters
  if (/[\u0000-\u0020\u007f]/.test(input)) return deny('url.control', 'url contains whitespace or a control character');
  // Special schemes treat `\` as `/`: one more way to hide where the authority ends.
  if (input.includes('\\')) return deny('url.backslash', 'url contains a backslash');
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return deny('url.parse', 'url does not parse as an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return deny('url.scheme', `scheme \`${url.protocol}\` is not allowed (http and https only)`);
  if (url.username !== '' || url.password !== '') return deny('url.userinfo', 'url must not contain userinfo (`user@host`)');
  const prefix = `${url.protocol}//${url.hostname}`;
  const raw = input.slice(0, prefix.length).toLowerCase();
  const next = input.charAt(prefix.length);
  if (raw !== prefix || (next !== '' && !':/?#'.includes(next))) {
    const ip = IPV4.test(url.hostname) || url.hostname.startsWith('[');
    return ip
      ? deny('url.ip-notation', `host is an IP literal in a non-canonical notation (parses as ${url.hostname})`)
      : deny('url.non-canonical-host', `host must be written in canonical form (parses as ${url.hostname})`);
  }
  if (url.hostname.endsWith('.')) return deny('url.trailing-dot', 'host must not end with a dot');
  const hostRules = rules.filter((r) => r.host === url.hostname);
  if (hostRules.length === 0) return deny('url.host-not-allowed', `host \`${url.hostname}\` is not an allowed domain`);
  const effectivePort = url.port === '' ? DEFAULT_PORTS[url.protocol] : url.port;
  const portOk = hostRules.some((r) => (r.port === '' ? url.port === '' : r.port === effectivePort));
  if (!portOk) return deny('url.port-not-allowed', `port ${effectivePort ?? ''} of \`${url.hostname}\` is not allowed`);
  if (url.protocol === 'http:' && (allowHttp === 'never' || (allowHttp === 'loopback' && !isLoopback(url.hostname)))) {
    return deny('url.insecure-scheme', `plain http to \`${url.hostname}\` is not allowed (${allowHttp === 'never' ? 'https only' : 'https only, except to localhost'})`);
  }
  return { ok: true, value: url };
}

/**
 * Secrets with a recognizable shape: vendor API-key prefixes, JSON Web Tokens and PEM private keys.
 *
 * One regex pass finds the literal prefixes (alternation of literals after a one-character
 * lookbehind: no nested quantifier, nothing to backtrack into); each hit is then checked by hand with
 * a capped body length, so the scan stays linear on inputs like `sk-sk-sk-…` or `eyJeyJeyJ…`.
 */
import { codeAt, isAsciiAlnum, isDigit, isUpper } from '../chars.js';
import type { DetectedSpan } from '../types.js';

type CharClass = (c: number) => boolean;
const alnum: CharClass = isAsciiAlnum;
const upperDigit: CharClass = (c) => isUpper(c) || isDigit(c);
const word: CharClass = (c) => isAsciiAlnum(c) || c === 95;
const token: CharClass = (c) => isAsciiAlnum(c) || c === 95 || c === 45; // base64url and friends
const slack: CharClass = (c) => isAsciiAlnum(c) || c === 45;

interface PrefixRule {
  kind: string;
  prefixes: readonly string[];
  body: CharClass;
  min: number;
  max: number;
  confidence: number;
  /** Extra test of the body (entropy-ish shape), when the prefix alone is too common. */
  check?: (body: string) => boolean;
}

const mixed = (body: string): boolean => /\d/.test(body) && /[a-z]/.test(body) && /[A-Z]/.test(body);
const cased = (body: string): boolean => /[a-z]/.test(body) && /[A-Z]/.test(body);

/** Vendor key formats, as documented by each vendor or seen in their secret-scanning partner programs. */
const RULES: readonly PrefixRule[] = [
  { kind: 'aws_access_key_id', prefixes: ['AKIA', 'ASIA', 'ABIA', 'ACCA'], body: upperDigit, min: 16, max: 16, confidence: 0.9 },
  { kind: 'github_token', prefixes: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'], body: alnum, min: 36, max: 36, confidence: 0.95 },
  { kind: 'github_token', prefixes: ['github_pat_'], body: word, min: 22, max: 255, confidence: 0.95 },
  { kind: 'gitlab_token', prefixes: ['glpat-'], body: token, min: 20, max: 255, confidence: 0.95 },
  { kind: 'slack_token', prefixes: ['xoxa-', 'xoxb-', 'xoxp-', 'xoxr-', 'xoxs-', 'xapp-'], body: slack, min: 10, max: 255, confidence: 0.9 },
  { kind: 'stripe_key', prefixes: ['sk_live_', 'rk_live_'], body: alnum, min: 16, max: 255, confidence: 0.95 },
  { kind: 'stripe_key', prefixes: ['sk_test_', 'rk_test_'], body: alnum, min: 16, max: 255, confidence: 0.7 },
  // Publishable live keys are meant to ship in web pages, but secret scanners (GitHub's partner
  // program, gitleaks, trufflehog) report them: they name the live account and, leaked next to other
  // data, show which account it belongs to. Reported below secret keys; `pk_test_` is not reported.
  { kind: 'stripe_publishable_key', prefixes: ['pk_live_'], body: alnum, min: 16, max: 255, confidence: 0.8 },
  { kind: 'google_api_key', prefixes: ['AIza'], body: token, min: 35, max: 35, confidence: 0.9 },
  { kind: 'anthropic_key', prefixes: ['sk-ant-'], body: token, min: 32, max: 255, confidence: 0.95 },
  { kind: 'openai_key', prefixes: ['sk-proj-', 'sk-svcacct-', 'sk-admin-'], body: token, min: 20, max: 255, confidence: 0.9 },
  // Legacy `sk-` + 48 alphanumerics. `sk-` alone is common in prose and CSS class names, so the body
  // must look random (digits and both cases); keys carrying OpenAI's `T3BlbkFJ` marker rank higher.
  { kind: 'openai_key', prefixes: ['sk-'], body: alnum, min: 32, max: 255, confidence: 0.8, check: mixed },
  { kind: 'npm_token', prefixes: ['npm_'], body: alnum, min: 36, max: 36, confidence: 0.9 },
  { kind: 'huggingface_token', prefixes: ['hf_'], body: alnum, min: 34, max: 34, confidence: 0.85, check: cased },
];

const PEM_LABELS = ['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY', 'DSA PRIVATE KEY', 'OPENSSH PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'PGP PRIVATE KEY BLOCK'];

/** Every vendor prefix, longest first (the `mask` strategy keeps the prefix of a secret). */
export const SECRET_PREFIXES: readonly string[] = Object.freeze([...new Set(RULES.flatMap((r) => r.prefixes))].sort((a, b) => b.length - a.length));

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
// Longest prefixes first so `sk-ant-` wins over `sk-`. The lookbehind keeps `sk-sk-sk-…` from
// starting a match at every repetition.
const FINDER = new RegExp(`(?<![A-Za-z0-9_-])(?:${SECRET_PREFIXES.map(escape).join('|')}|eyJ)|-----BEGIN `, 'g');

/**
 * Finds secrets. Confidence: PEM private key with its END line 0.99 (0.9 when the END line is
 * missing, e.g. a truncated log); vendor prefixes 0.85 to 0.95 (Stripe test keys 0.7); JWT 0.95 when
 * the header decodes to JSON with `alg` and the payload is JSON too, 0.85 when only the header does.
 *
 * Not detected: secrets without a recognizable prefix (AWS secret access keys, database passwords,
 * generic hex or base64 tokens), keys split across lines or strings, encoded or encrypted secrets.
 */
export function findSecrets(text: string): DetectedSpan[] {
  const out: DetectedSpan[] = [];
  FINDER.lastIndex = 0;
  for (let m = FINDER.exec(text); m !== null; m = FINDER.exec(text)) {
    const start = m.index;
    const hit = m[0];
    let span: DetectedSpan | undefined;
    if (hit === '-----BEGIN ') span = matchPem(text, start);
    else if (hit === 'eyJ') span = matchJwt(text, start);
    else span = matchPrefix(text, start, hit);
    if (span !== undefined) {
      out.push(span);
      FINDER.lastIndex = span.end;
    }
  }
  return out;
}

function matchPrefix(text: string, start: number, prefix: string): DetectedSpan | undefined {
  for (const rule of RULES) {
    if (!rule.prefixes.includes(prefix)) continue;
    const bodyStart = start + prefix.length;
    let end = bodyStart;
    while (end - bodyStart <= rule.max && rule.body(codeAt(text, end))) end++;
    const length = end - bodyStart;
    // Too short, or longer than any real key of this kind (then it is something else).
    if (length < rule.min || length > rule.max) continue;
    // A fixed-length key glued to more word characters (`AKIA…XYZ_more`) is not that key.
    if (word(codeAt(text, end))) continue;
    const body = text.slice(bodyStart, end);
    if (rule.check !== undefined && !rule.check(body)) continue;
    const confidence = rule.kind === 'openai_key' && body.includes('T3BlbkFJ') ? 0.95 : rule.confidence;
    return { type: 'secret', start, end, confidence, value: text.slice(start, end), kind: rule.kind };
  }
  return undefined;
}

const MAX_JWT_SEGMENT = 16_384;

function matchJwt(text: string, start: number): DetectedSpan | undefined {
  const segments: number[] = [start];
  let p = start;
  for (let seg = 0; seg < 3; seg++) {
    const s = p;
    while (p - s <= MAX_JWT_SEGMENT && token(codeAt(text, p))) p++;
    if (p - s > MAX_JWT_SEGMENT || (seg < 2 && p === s)) return undefined;
    if (seg < 2) {
      if (codeAt(text, p) !== 46) return undefined;
      p++;
      segments.push(p);
    }
  }
  // A fourth segment (`a.b.c.d`, JWE has five) is not a signed JWT; a sentence's final `.` is fine.
  if (token(codeAt(text, p)) || (codeAt(text, p) === 46 && token(codeAt(text, p + 1)))) return undefined;
  const header = decodeJsonObject(text.slice(start, (segments[1] as number) - 1));
  if (header === undefined || typeof header.alg !== 'string') return undefined;
  const payload = decodeJsonObject(text.slice(segments[1] as number, (segments[2] as number) - 1));
  return { type: 'secret', start, end: p, confidence: payload === undefined ? 0.85 : 0.95, value: text.slice(start, p), kind: 'jwt' };
}

/** Decodes a base64url segment holding a JSON object, or undefined. */
function decodeJsonObject(segment: string): Record<string, unknown> | undefined {
  try {
    const b64 = segment.replace(/-/g, '+').replace(/_/g, '/');
    const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (ch) => ch.charCodeAt(0));
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function matchPem(text: string, start: number): DetectedSpan | undefined {
  const labelStart = start + '-----BEGIN '.length;
  const label = PEM_LABELS.find((l) => text.startsWith(`${l}-----`, labelStart));
  if (label === undefined) return undefined;
  const endMarker = `-----END ${label}-----`;
  // Walk the body (base64, line breaks, `Proc-Type:`/`DEK-Info:` headers, and `\n` escapes when
  // the key sits in JSON text) up to the END line. Each character is read once: no search for END
  // across the rest of the text, which would be quadratic on many BEGIN lines without END.
  let end = labelStart + label.length + 5;
  while (end < text.length) {
    const c = text.charCodeAt(end);
    if (c === 45 && text.startsWith('-----', end)) {
      if (text.startsWith(endMarker, end)) {
        end += endMarker.length;
        return { type: 'secret', start, end, confidence: 0.99, value: text.slice(start, end), kind: 'private_key' };
      }
      break;
    }
    if (!isPemBodyChar(c)) break;
    end++;
  }
  // No END line (truncated output): the header and whatever body there is.
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  return { type: 'secret', start, end, confidence: 0.9, value: text.slice(start, end), kind: 'private_key' };
}

const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13;
const isPemBodyChar = (c: number): boolean =>
  isAsciiAlnum(c) || isSpace(c) || c === 43 || c === 47 || c === 61 || c === 58 || c === 45 || c === 44 || c === 92;

/** Kinds of secret this detector reports, for docs and for filtering hits. */
export const SECRET_KINDS: readonly string[] = Object.freeze([...new Set([...RULES.map((r) => r.kind), 'jwt', 'private_key'])]);

/**
 * IP addresses: dotted-quad IPv4 with octets 0-255 and no leading zeros, and IPv6 in full, compressed
 * (`2001:db8::1`, `::1`) and IPv4-embedded (`::ffff:192.0.2.1`) forms.
 *
 * Version strings are the main false positive of IPv4. Decision: a dotted quad is not an address
 * when it is glued to a letter (`v1.2.3.4`), follows a product token (`Chrome/120.0.0.0`), follows
 * a version keyword (`version 1.2.3.4`, `build: 10.0.0.1`), or has a fifth part or a `-suffix`
 * (`1.2.3.4.5`, `1.2.3.4-beta`). Quads whose octets are all single digits get a low confidence.
 */
import { codeAt, isAsciiAlnum, isAsciiAlpha, isDigit, isHex, isWordAt } from '../chars.js';
import type { DetectedSpan } from '../types.js';

const VERSION_WORDS = new Set(['v', 'ver', 'version', 'release', 'build', 'firmware', 'fw', 'rev', 'revision', 'tag']);

/** True for a strict dotted-quad IPv4 address (`192.0.2.1`; no leading zeros, no extra parts). */
export function isValidIpv4(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every(isOctet);
}

function isOctet(part: string): boolean {
  if (part.length === 0 || part.length > 3 || (part.length > 1 && part.charCodeAt(0) === 48)) return false;
  let n = 0;
  for (let i = 0; i < part.length; i++) {
    const c = part.charCodeAt(i);
    if (!isDigit(c)) return false;
    n = n * 10 + (c - 48);
  }
  return n <= 255;
}

/** True for an IPv6 address in full, compressed or IPv4-embedded form (no zone id, no brackets). */
export function isValidIpv6(text: string): boolean {
  return ipv6Groups(text) !== undefined;
}

/** Number of 16-bit groups written out, or undefined when `text` is not IPv6. */
function ipv6Groups(text: string): { written: number; compressed: boolean } | undefined {
  if (text.length < 2 || text.length > 45) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const compressed = halves.length === 2;
  let written = 0;
  for (let h = 0; h < halves.length; h++) {
    const half = halves[h] ?? '';
    if (half === '') continue;
    const groups = half.split(':');
    for (let g = 0; g < groups.length; g++) {
      const group = groups[g] ?? '';
      const lastOfAll = h === halves.length - 1 && g === groups.length - 1;
      if (lastOfAll && group.includes('.')) {
        if (!isValidIpv4(group)) return undefined;
        written += 2;
      } else if (/^[0-9A-Fa-f]{1,4}$/.test(group)) {
        written += 1;
      } else {
        return undefined;
      }
    }
  }
  if (compressed ? written > 7 : written !== 8) return undefined;
  return { written, compressed };
}

/**
 * Finds IPv4 and IPv6 addresses. Confidence: IPv4 0.85 (0.6 when every octet is one digit, like
 * `1.2.3.4`); IPv6 full form 0.9, compressed with three or more groups 0.8, shorter (`::1`, `fe80::1`) 0.6.
 *
 * Not detected: IPv4 with leading zeros (`010.000.000.001`), integer or hex IPv4 forms, IPv6 zone ids
 * (the address before `%eth0` is found, the zone is not), IPv6 written without any digit
 * (`dead::beef`), ranges glued with `-`.
 */
export function findIps(text: string): DetectedSpan[] {
  const spans = [...findIpv4(text), ...findIpv6(text)];
  spans.sort((a, b) => a.start - b.start);
  // The two scans can overlap on an IPv4-embedded IPv6 address: keep the longer (IPv6) one.
  const out: DetectedSpan[] = [];
  for (const span of spans) {
    const prev = out[out.length - 1];
    if (prev !== undefined && span.start < prev.end) {
      if (span.end - span.start > prev.end - prev.start) out[out.length - 1] = span;
      continue;
    }
    out.push(span);
  }
  return out;
}

function findIpv4(text: string): DetectedSpan[] {
  const out: DetectedSpan[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (!isDigit(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const end = ipv4Before(text, i) ? quadEnd(text, i) : undefined;
    if (end !== undefined && ipv4After(text, end) && !precededByVersionWord(text, i)) {
      const value = text.slice(i, end);
      const confidence = value.length === 7 ? 0.6 : 0.85;
      out.push({ type: 'ip', start: i, end, confidence, value, kind: 'ipv4' });
      i = end;
      continue;
    }
    while (i < n && isDigit(text.charCodeAt(i))) i++;
  }
  return out;
}

/** End of a dotted quad starting at `start`, or undefined. Reads at most 15 characters. */
function quadEnd(text: string, start: number): number | undefined {
  let p = start;
  for (let part = 0; part < 4; part++) {
    if (part > 0) {
      if (codeAt(text, p) !== 46) return undefined;
      p++;
    }
    const s = p;
    while (p - s < 4 && isDigit(codeAt(text, p))) p++;
    if (!isOctet(text.slice(s, p))) return undefined;
  }
  return p;
}

function ipv4Before(text: string, start: number): boolean {
  const before = codeAt(text, start - 1);
  if (isWordAt(text, start - 1) || before === 46) return false;
  // The IPv4 tail of an IPv6 address is reported by the IPv6 scan.
  if (before === 58 && (isHex(codeAt(text, start - 2)) || codeAt(text, start - 2) === 58)) return false;
  // Product token: `Chrome/120.0.0.0`, `curl/7.1.2.3`.
  if (before === 47 && isAsciiAlnum(codeAt(text, start - 2))) return false;
  return true;
}

function ipv4After(text: string, end: number): boolean {
  const after = codeAt(text, end);
  if (isWordAt(text, end)) return false;
  if (after === 46 && isDigit(codeAt(text, end + 1))) return false; // 1.2.3.4.5
  if (after === 45 && isAsciiAlnum(codeAt(text, end + 1))) return false; // 1.2.3.4-beta
  return true;
}

function precededByVersionWord(text: string, start: number): boolean {
  let p = start - 1;
  let skipped = 0;
  while (p >= 0 && skipped < 3 && (text[p] === ' ' || text[p] === ':' || text[p] === '=' || text[p] === '\t')) {
    p--;
    skipped++;
  }
  const wordEnd = p + 1;
  while (p >= 0 && wordEnd - p <= 16 && isAsciiAlpha(text.charCodeAt(p))) p--;
  return VERSION_WORDS.has(text.slice(p + 1, wordEnd).toLowerCase());
}

const isV6Char = (c: number): boolean => isHex(c) || c === 58 || c === 46;

function findIpv6(text: string): DetectedSpan[] {
  const out: DetectedSpan[] = [];
  const n = text.length;
  // Runs of [0-9A-Fa-f:.] that contain a colon; every character is read at most twice.
  for (let i = text.indexOf(':'); i !== -1; i = text.indexOf(':', i)) {
    let s = i;
    while (s > 0 && isV6Char(text.charCodeAt(s - 1))) s--;
    let e = i;
    while (e < n && isV6Char(text.charCodeAt(e))) e++;
    i = e;
    if (e - s > 46 || isWordAt(text, s - 1) || isWordAt(text, e)) continue; // 45 + a trailing `.`
    let colons = 0;
    for (let p = s; p < e && colons < 2; p++) if (text.charCodeAt(p) === 58) colons++;
    if (colons < 2) continue; // the shortest IPv6 address, `::`, has two (`10:30` has one)
    // Sentence punctuation after the address: `::1.` or `fe80::1:` (but keep a trailing `::`).
    while (e > s && text[e - 1] === '.') e--;
    if (e - s > 1 && text[e - 1] === ':' && text[e - 2] !== ':') e--;
    const value = text.slice(s, e);
    if (!/\d/.test(value)) continue;
    const shape = ipv6Groups(value);
    if (shape === undefined) continue;
    const confidence = !shape.compressed ? 0.9 : shape.written >= 3 ? 0.8 : 0.6;
    out.push({ type: 'ip', start: s, end: e, confidence, value, kind: 'ipv6' });
  }
  return out;
}

/**
 * Email addresses: `local@domain.tld`, ASCII only.
 *
 * Scans from each `@` outwards with hard caps (64 characters left, 253 right, the RFC 5321 limits),
 * so the cost per `@` is bounded and the whole scan is linear even on `a@a@a@…`.
 */
import { codeAt, isAsciiAlnum, isAsciiAlpha, isDigit, isWordAt } from '../chars.js';
import type { DetectedSpan } from '../types.js';

const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;

// Local-part characters commonly seen in real addresses (a subset of RFC 5322 atext; quoted local
// parts are not detected).
const isLocalChar = (c: number): boolean =>
  isAsciiAlnum(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45 || c === 39;
const isDomainChar = (c: number): boolean => isAsciiAlnum(c) || c === 46 || c === 45;

/** Extensions that are not real TLDs but show up after `@` in file names (`logo@2x.png`, `data@v2.json`). */
const FILE_EXTENSIONS = new Set(['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'bmp', 'ico', 'js', 'mjs', 'ts', 'css', 'json', 'txt', 'md', 'html', 'map']);

/**
 * Finds email addresses. Confidence 0.9; 0.5 when the "TLD" is a common file extension.
 *
 * Not detected: quoted local parts, IP-literal domains, internationalized (non-ASCII) addresses,
 * obfuscated forms (`john at example dot com`).
 */
export function findEmails(text: string): DetectedSpan[] {
  const out: DetectedSpan[] = [];
  let floor = 0; // never reach back into an earlier match
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    if (at < floor) continue;
    let start = at;
    while (start > floor && at - start < MAX_LOCAL && isLocalChar(text.charCodeAt(start - 1))) start--;
    if (start > floor && isLocalChar(text.charCodeAt(start - 1))) continue; // local part over 64: not an address
    // Prose punctuation before the address (`see...john@`, `'john@`) is not part of it.
    // An ellipsis is prose, not address: `see...bob@example.org` is `bob@example.org`.
    for (let p = at - 2; p >= start; p--) {
      if (text[p] === '.' && text[p + 1] === '.') {
        start = p + 2;
        break;
      }
    }
    while (start < at && (text[start] === '.' || text[start] === "'" || text[start] === '-' || text[start] === '+')) start++;
    if (start === at) continue;
    const local = text.slice(start, at);
    if (local.endsWith('.')) continue;

    let end = at + 1;
    while (end < text.length && end - at - 1 < MAX_DOMAIN && isDomainChar(text.charCodeAt(end))) end++;
    if (isDomainChar(codeAt(text, end))) continue; // domain over 253
    while (end > at + 1 && (text[end - 1] === '.' || text[end - 1] === '-')) end--; // sentence end: `mail a@b.com.`
    // `a@b.com_x`, `a@b.com@c`, or a non-ASCII continuation: not a clean address.
    if (isWordAt(text, end) || text[end] === '@') continue;
    const tldConfidence = domainConfidence(text.slice(at + 1, end));
    if (tldConfidence === 0) continue;
    out.push({ type: 'email', start, end, confidence: tldConfidence, value: text.slice(start, end), kind: 'email' });
    floor = end;
    at = end - 1;
  }
  return out;
}

/** 0 when `domain` is not a plausible host name; otherwise the confidence it gives the address. */
function domainConfidence(domain: string): number {
  const labels = domain.split('.');
  if (labels.length < 2) return 0;
  for (const label of labels) {
    if (label.length === 0 || label.length > 63 || label.startsWith('-') || label.endsWith('-')) return 0;
  }
  const tld = labels[labels.length - 1] ?? '';
  const punycode = tld.length > 4 && tld.toLowerCase().startsWith('xn--');
  if (!punycode && (tld.length < 2 || ![...tld].every((ch) => isAsciiAlpha(ch.charCodeAt(0))))) return 0;
  // Retina asset names: `icon@2x.png`.
  const first = labels[0] ?? '';
  if (/^\d+x$/i.test(first) && isDigit(first.charCodeAt(0))) return 0;
  return FILE_EXTENSIONS.has(tld.toLowerCase()) ? 0.5 : 0.9;
}

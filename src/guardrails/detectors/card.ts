/**
 * Payment card numbers (PANs): 13 to 19 digits, contiguous or grouped with single spaces or dashes
 * (`4111 1111 1111 1111`, `3782-822463-10005`), Luhn-checked, with the issuer (IIN) range telling
 * the brand.
 */
import { codeAt, isDigit, numberBoundaryAfter, numberBoundaryBefore } from '../chars.js';
import type { DetectedSpan } from '../types.js';

/** True when the digit string passes the Luhn (mod 10) check. Non-digits make it false. */
export function isValidLuhn(digits: string): boolean {
  if (digits.length < 2) return false;
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    const c = digits.charCodeAt(i);
    if (!isDigit(c)) return false;
    let d = c - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** [brand, prefix range low, high (same digit count), allowed lengths]. More specific ranges first. */
const IIN: ReadonlyArray<readonly [string, number, number, readonly number[]]> = [
  ['amex', 34, 34, [15]],
  ['amex', 37, 37, [15]],
  ['jcb', 3528, 3589, [16, 17, 18, 19]],
  ['diners', 300, 305, [14, 16, 17, 18, 19]],
  ['diners', 36, 36, [14, 15, 16, 17, 18, 19]],
  ['diners', 38, 39, [16, 17, 18, 19]],
  ['visa', 4, 4, [13, 16, 19]],
  ['mastercard', 51, 55, [16]],
  ['mastercard', 2221, 2720, [16]],
  ['mir', 2200, 2204, [16, 17, 18, 19]],
  ['discover', 6011, 6011, [16, 17, 18, 19]],
  ['discover', 644, 649, [16, 17, 18, 19]],
  ['discover', 65, 65, [16, 17, 18, 19]],
  ['unionpay', 62, 62, [16, 17, 18, 19]],
  ['unionpay', 81, 81, [16, 17, 18, 19]],
  ['rupay', 60, 60, [16]],
  ['rupay', 82, 82, [16]],
  ['maestro', 50, 50, [13, 14, 15, 16, 17, 18, 19]],
  ['maestro', 56, 58, [13, 14, 15, 16, 17, 18, 19]],
  ['maestro', 63, 63, [13, 14, 15, 16, 17, 18, 19]],
  ['maestro', 67, 67, [13, 14, 15, 16, 17, 18, 19]],
  ['uatp', 1, 1, [15]],
  ['troy', 9792, 9792, [16]],
];

/** The card brand whose IIN range and length fit `digits`, or undefined. */
export function cardBrand(digits: string): string | undefined {
  for (const [brand, low, high, lengths] of IIN) {
    const width = String(low).length;
    const prefix = Number(digits.slice(0, width));
    if (prefix >= low && prefix <= high && lengths.includes(digits.length)) return brand;
  }
  return undefined;
}

/** Digit groups of one run, as parallel arrays (no object per group: this loop is the hot path). */
interface Groups {
  text: string;
  starts: number[];
  ends: number[];
  /** Separator before each group (char code), -1 for the first. */
  seps: number[];
}

/** Accepted layouts of grouped numbers (digit counts per group). Every 4 with a short tail covers most printed cards. */
function groupedLayout(g: Groups, k: number, w: number): boolean {
  const size = (i: number): number => (g.ends[i] as number) - (g.starts[i] as number);
  if (w - k === 2 && size(k) === 4 && size(k + 1) === 6 && (size(k + 2) === 5 || size(k + 2) === 4)) return true; // Amex, Diners
  // 13-digit Visa printed 4-4-5 (`4222 2222 22222`); the leading `4` keeps other 13-digit groupings out.
  if (w - k === 2 && size(k) === 4 && size(k + 1) === 4 && size(k + 2) === 5) return g.text.charCodeAt(g.starts[k] as number) === 52;
  for (let i = k; i < w; i++) if (size(i) !== 4) return false;
  return size(w) >= 1 && size(w) <= 4;
}

/**
 * Finds payment card numbers. Confidence: 0.95 grouped, Luhn-valid, known brand; 0.9 contiguous,
 * Luhn-valid, known brand; 0.7 grouped and Luhn-valid with an unknown IIN. Contiguous digit runs with
 * an unknown IIN are not reported (one random number in ten passes Luhn: order ids, timestamps).
 *
 * Not detected: numbers split by other separators (`.`, `/`, two spaces), partially masked numbers.
 */
export function findCards(text: string): DetectedSpan[] {
  const out: DetectedSpan[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (!isDigit(text.charCodeAt(i))) {
      i++;
      continue;
    }
    // Cards have 13 digits or more: count before allocating anything (most digit runs are short).
    const start = i;
    let digits = 0;
    for (;;) {
      while (isDigit(codeAt(text, i))) {
        i++;
        digits++;
      }
      const c = codeAt(text, i);
      if ((c !== 32 && c !== 45) || !isDigit(codeAt(text, i + 1))) break;
      i++;
    }
    if (digits < 13) continue;
    const g = readGroups(text, start);
    const count = g.starts.length;
    // Digits before group j, to get a window's digit count without building strings.
    const before = [0];
    for (let j = 0; j < count; j++) before.push((before[j] as number) + (g.ends[j] as number) - (g.starts[j] as number));
    // Longest card-shaped window at each group, left to right. A window that starts inside a run of
    // digit groups (`Qty 12 4111 1111 1111 1111`) must also have a known IIN: in a table of numbers,
    // one window in ten passes Luhn by chance.
    let k = numberBoundaryBefore(text, g.starts[0] as number) ? 0 : 1;
    let clean = k === 0;
    while (k < count) {
      let matched = false;
      for (let w = Math.min(k + 5, count) - 1; w >= k; w--) {
        const digits = (before[w + 1] as number) - (before[k] as number);
        if (digits < 13 || digits > 19) continue;
        if (w > k && (!groupedLayout(g, k, w) || !sameSeparator(g, k, w))) continue;
        const end = g.ends[w] as number;
        if (!numberBoundaryAfter(text, end)) continue;
        const span = classify(text, g.starts[k] as number, end, w > k);
        if (span === undefined || (!clean && span.kind === 'unknown')) continue;
        out.push(span);
        k = w + 1;
        matched = true;
        break;
      }
      clean = matched;
      if (!matched) k++;
    }
  }
  return out;
}

// One separator kind throughout: `4111 1111-1111 1111` is not how cards are printed.
function sameSeparator(g: Groups, k: number, w: number): boolean {
  for (let i = k + 2; i <= w; i++) if (g.seps[i] !== g.seps[k + 1]) return false;
  return true;
}

function readGroups(text: string, start: number): Groups {
  const g: Groups = { text, starts: [], ends: [], seps: [] };
  let s = start;
  let sep = -1;
  for (;;) {
    let e = s;
    while (isDigit(codeAt(text, e))) e++;
    g.starts.push(s);
    g.ends.push(e);
    g.seps.push(sep);
    const c = codeAt(text, e);
    if ((c !== 32 && c !== 45) || !isDigit(codeAt(text, e + 1))) break;
    sep = c;
    s = e + 1;
  }
  return g;
}

function classify(text: string, start: number, end: number, grouped: boolean): DetectedSpan | undefined {
  // Luhn straight over the text, separators skipped: no string is built for the many windows that fail.
  let sum = 0;
  let double = false;
  let same = true;
  const last = text.charCodeAt(end - 1);
  for (let p = end - 1; p >= start; p--) {
    const c = text.charCodeAt(p);
    if (!isDigit(c)) continue;
    if (c !== last) same = false;
    let d = c - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  if (same || sum % 10 !== 0) return undefined;
  const value = text.slice(start, end);
  const brand = cardBrand(grouped ? value.replace(/\D/g, '') : value);
  let confidence: number;
  if (!grouped) {
    if (brand === undefined) return undefined;
    confidence = 0.9;
  } else {
    confidence = brand === undefined ? 0.7 : 0.95;
  }
  return { type: 'card', start, end, confidence, value, kind: brand ?? 'unknown' };
}

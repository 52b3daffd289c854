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

interface Group {
  start: number;
  end: number;
  sep: number; // char code of the separator before this group, -1 for the first
}

/** Accepted layouts of grouped numbers (digit counts per group). Every 4 with a short tail covers most printed cards. */
function groupedLayout(sizes: number[]): boolean {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total < 13 || total > 19) return false;
  const key = sizes.join('-');
  if (key === '4-6-5' || key === '4-6-4') return true; // Amex, Diners
  return sizes.every((size, i) => (i < sizes.length - 1 ? size === 4 : size >= 1 && size <= 4));
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
    const groups = readGroups(text, i);
    const last = groups[groups.length - 1] as Group;
    i = last.end;
    if (last.end - (groups[0] as Group).start < 13) continue; // cards have 13 digits or more
    // Longest card-shaped window at each group, left to right. A window that starts inside a run of
    // digit groups (`Qty 12 4111 1111 1111 1111`) must also have a known IIN: in a table of numbers,
    // one window in ten passes Luhn by chance.
    let k = numberBoundaryBefore(text, (groups[0] as Group).start) ? 0 : 1;
    let clean = k === 0;
    while (k < groups.length) {
      let matched = false;
      for (let w = Math.min(k + 5, groups.length) - 1; w >= k; w--) {
        const window = groups.slice(k, w + 1);
        const start = (window[0] as Group).start;
        const end = (window[window.length - 1] as Group).end;
        if (!numberBoundaryAfter(text, end)) continue;
        const span = classify(text, window, start, end);
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

function readGroups(text: string, start: number): Group[] {
  const groups: Group[] = [];
  let s = start;
  let sep = -1;
  for (;;) {
    let e = s;
    while (isDigit(codeAt(text, e))) e++;
    groups.push({ start: s, end: e, sep });
    const c = codeAt(text, e);
    if ((c !== 32 && c !== 45) || !isDigit(codeAt(text, e + 1))) break;
    sep = c;
    s = e + 1;
  }
  return groups;
}

function classify(text: string, window: Group[], start: number, end: number): DetectedSpan | undefined {
  const sizes = window.map((g) => g.end - g.start);
  const digits = window.map((g) => text.slice(g.start, g.end)).join('');
  if (window.length === 1) {
    if (digits.length < 13 || digits.length > 19) return undefined;
  } else {
    // One separator kind throughout: `4111 1111-1111 1111` is not how cards are printed.
    const sep = (window[1] as Group).sep;
    if (window.slice(2).some((g) => g.sep !== sep) || !groupedLayout(sizes)) return undefined;
  }
  if (/^(\d)\1*$/.test(digits) || !isValidLuhn(digits)) return undefined;
  const brand = cardBrand(digits);
  let confidence: number;
  if (window.length === 1) {
    if (brand === undefined) return undefined;
    confidence = 0.9;
  } else {
    confidence = brand === undefined ? 0.7 : 0.95;
  }
  return { type: 'card', start, end, confidence, value: text.slice(start, end), kind: brand ?? 'unknown' };
}

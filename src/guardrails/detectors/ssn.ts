/**
 * US Social Security numbers: `AAA-GG-SSSS`, `AAA GG SSSS`, or nine plain digits right after a
 * keyword (`SSN`, `social security`). Numbers the SSA never issues are rejected: area 000, 666 or
 * 900-999, group 00, serial 0000.
 */
import { codeAt, isDigit, numberBoundaryAfter, numberBoundaryBefore } from '../chars.js';
import type { DetectedSpan } from '../types.js';

/** True when area, group and serial (digit strings) could belong to an issued SSN. */
export function isValidSsn(area: string, group: string, serial: string): boolean {
  if (!/^\d{3}$/.test(area) || !/^\d{2}$/.test(group) || !/^\d{4}$/.test(serial)) return false;
  return area !== '000' && area !== '666' && area[0] !== '9' && group !== '00' && serial !== '0000';
}

const KEYWORD_WINDOW = 32;
const KEYWORDS = ['ssn', 'social security', 'soc sec', 'ss#', 'ss #', 'ss no'];

function hasKeyword(text: string, start: number): boolean {
  const before = text.slice(Math.max(0, start - KEYWORD_WINDOW), start).toLowerCase();
  return KEYWORDS.some((k) => before.includes(k));
}

/** Length of the digit run at `i`. */
function runLength(text: string, i: number): number {
  let e = i;
  while (isDigit(codeAt(text, e))) e++;
  return e - i;
}

/**
 * Finds SSNs. Confidence: dashed 0.85, spaced 0.6, plain nine digits 0.6 (only after a keyword);
 * a keyword in the 32 characters before raises dashed and spaced forms to 0.95 and 0.8.
 *
 * Not detected: ITINs are not told apart (9xx is rejected), SSNs in other separators (`123.45.6789`),
 * plain nine digits without a keyword. A dashed 3-2-4 number that is not an SSN (some part numbers)
 * is a false positive.
 */
export function findSsns(text: string): DetectedSpan[] {
  const out: DetectedSpan[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (!isDigit(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const len = runLength(text, i);
    const span = len === 3 || len === 9 ? match(text, i, len) : undefined;
    if (span !== undefined) {
      out.push(span);
      i = span.end;
    } else {
      i += len;
    }
  }
  return out;
}

function match(text: string, start: number, len: number): DetectedSpan | undefined {
  if (!numberBoundaryBefore(text, start)) return undefined;
  // A space before, preceded by a digit: part of a longer spaced number (`12 123 45 6789`).
  if (codeAt(text, start - 1) === 32 && isDigit(codeAt(text, start - 2))) return undefined;
  if (len === 9) {
    const end = start + 9;
    if (!numberBoundaryAfter(text, end) || !hasKeyword(text, start)) return undefined;
    const d = text.slice(start, end);
    if (!isValidSsn(d.slice(0, 3), d.slice(3, 5), d.slice(5))) return undefined;
    return { type: 'ssn', start, end, confidence: 0.6, value: d, kind: 'plain' };
  }
  const sep = codeAt(text, start + 3);
  if (sep !== 45 && sep !== 32) return undefined;
  if (runLength(text, start + 4) !== 2 || codeAt(text, start + 6) !== sep || runLength(text, start + 7) !== 4) return undefined;
  const end = start + 11;
  if (!numberBoundaryAfter(text, end)) return undefined;
  if (sep === 32 && codeAt(text, end) === 32 && isDigit(codeAt(text, end + 1))) return undefined;
  if (!isValidSsn(text.slice(start, start + 3), text.slice(start + 4, start + 6), text.slice(start + 7, end))) return undefined;
  const keyword = hasKeyword(text, start);
  const confidence = sep === 45 ? (keyword ? 0.95 : 0.85) : keyword ? 0.8 : 0.6;
  return { type: 'ssn', start, end, confidence, value: text.slice(start, end), kind: sep === 45 ? 'dashed' : 'spaced' };
}

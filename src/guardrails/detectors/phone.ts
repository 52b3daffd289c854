/**
 * Phone numbers in three shapes: international (`+44 20 7946 0958`, `+14155552671`, `0044 20 …`),
 * North American (`(415) 555-2671`, `415-555-2671`, `1 415 555 2671`) and European national numbers
 * with a trunk `0` (`020 7946 0958`, `06 12 34 56 78`, `030-12345678`, and the German `030/12345678`
 * with a slash after the area code).
 *
 * The scan groups digit runs joined by one separator (space, no-break space, `-`, `.`, or a
 * parenthesized area code) into sequences, then takes phone-shaped windows of at most 7 groups from
 * the start of each sequence. Each character is looked at a bounded number of times: linear.
 */
import { codeAt, isDigit, numberBoundaryAfter, numberBoundaryBefore } from '../chars.js';
import type { DetectedSpan } from '../types.js';

interface Group {
  start: number;
  end: number;
  /** `(` right before the digits. */
  open: boolean;
  /** `)` right after the digits (only recorded when `open`). */
  close: boolean;
  /** Separator before this group, parentheses excluded: SPACE (no-break space too), DASH, DOT, or NONE. */
  sep: number;
}

const MAX_WINDOW = 7;
const NONE = -1;
const SPACE = 32;
const DASH = 45;
const SLASH = 47;
const isSep = (c: number): boolean => c === 32 || c === 0xa0 || c === 45 || c === 46 || c === 47;

/**
 * Finds phone numbers. Confidence: 0.85 international with separators, 0.75 compact `+` numbers and
 * `00` prefixes, 0.8 North American with `(…)` or dashes, 0.7 with dots or spaces, 0.65 national
 * numbers with a trunk `0`.
 *
 * Not detected, on purpose: plain digit runs without `+` (`4155552671`: indistinguishable from ids),
 * 7-digit local numbers (`555-2671`), extensions, numbers glued by a space to a preceding number.
 */
export function findPhones(text: string): DetectedSpan[] {
  const out: DetectedSpan[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (!isDigit(text.charCodeAt(i))) {
      i++;
      continue;
    }
    // Every phone shape has 9 digits or more (8 after a `+`): dates, times and versions stop here,
    // before any group is allocated.
    const light = readSequence(text, i, null);
    const opened = codeAt(text, i - 1) === 40;
    const plus = codeAt(text, opened ? i - 2 : i - 1) === 43;
    i = light.end;
    if (light.digits < (plus ? 8 : 9)) continue;
    const groups: Group[] = [];
    readSequence(text, light.start, groups);
    const first = groups[0] as Group;
    let lead = first.start - (first.open ? 1 : 0) - (plus ? 1 : 0);
    if (!numberBoundaryBefore(text, lead)) continue;
    // Greedy, left to right: the longest phone-shaped window at the current group, then carry on
    // after it. A failed start ends the sequence (a phone inside a longer number run is not trusted).
    let k = 0;
    while (k < groups.length) {
      let matched = false;
      for (let w = Math.min(k + MAX_WINDOW, groups.length) - 1; w >= k; w--) {
        const window = groups.slice(k, w + 1);
        const lastGroup = window[window.length - 1] as Group;
        const end = lastGroup.end;
        // Also rejects a window that stops before `-`/`.` + digit: `415-555-2671-22` is not a phone.
        if (lastGroup.open || !numberBoundaryAfter(text, end)) continue;
        const shape = classify(text, window, k === 0 && plus);
        if (shape === undefined) continue;
        out.push({ type: 'phone', start: lead, end, confidence: shape.confidence, value: text.slice(lead, end), kind: shape.kind });
        k = w + 1;
        const next = groups[k];
        if (next !== undefined) lead = next.start - (next.open ? 1 : 0);
        matched = true;
        break;
      }
      if (!matched) break;
    }
  }
  return out;
}

/**
 * Reads the digit groups starting at `start` (a digit) joined by single separators, into `groups`
 * when given. Returns where the sequence ends (after a closing `)`) and how many digits it has.
 */
function readSequence(text: string, start: number, groups: Group[] | null): { start: number; end: number; digits: number } {
  let digits = 0;
  let s = start;
  let open = codeAt(text, s - 1) === 40;
  let sep = NONE;
  for (;;) {
    let e = s;
    while (isDigit(codeAt(text, e))) e++;
    let p = e;
    const close = open && codeAt(text, p) === 41;
    if (close) p++;
    groups?.push({ start: s, end: e, open, close, sep });
    digits += e - s;
    const c = codeAt(text, p);
    const nextSep = isSep(c) ? (c === 0xa0 ? SPACE : c) : NONE;
    if (nextSep !== NONE) p++;
    const nextOpen = codeAt(text, p) === 40;
    if (nextOpen) p++;
    // Groups join only with exactly one separator, or with none right after `)`: `(415)555-2671`.
    if (!isDigit(codeAt(text, p)) || (nextSep === NONE && !close)) return { start, end: close ? e + 1 : e, digits };
    sep = nextSep;
    open = nextOpen;
    s = p;
  }
}

interface Shape {
  kind: 'international' | 'nanp' | 'national';
  confidence: number;
}

function classify(text: string, window: Group[], plus: boolean): Shape | undefined {
  // Parentheses only around one early group, and always balanced.
  for (let g = 0; g < window.length; g++) {
    const group = window[g] as Group;
    if (group.open !== group.close || (group.open && g > 2)) return undefined;
  }
  const sizes = window.map((g) => g.end - g.start);
  const digits = window.map((g) => text.slice(g.start, g.end)).join('');
  const count = digits.length;
  const seps = window.slice(1).map((g) => g.sep);
  // A slash only ever follows the area code of a national number (`0221/1234567`, `089/123 456 78`):
  // dates (`01/02/2024`), fractions and paths have other shapes.
  const slashed = seps.includes(SLASH);
  if (slashed && (plus || seps.lastIndexOf(SLASH) !== 0 || digits[0] !== '0' || digits.startsWith('00') || window.some((g) => g.open))) return undefined;

  if (plus) {
    if (count < 8 || count > 15 || digits[0] === '0') return undefined;
    if (window.length === 1) return { kind: 'international', confidence: 0.75 };
    if (sizes.some((size) => size > 8)) return undefined;
    return { kind: 'international', confidence: 0.85 };
  }
  if (digits.startsWith('00')) {
    // `0044 20 7946 0958`: the international call prefix instead of `+`.
    if (window.length < 2 || count - 2 < 8 || count - 2 > 15 || digits[2] === '0') return undefined;
    if (sizes.some((size) => size > 8)) return undefined;
    return { kind: 'international', confidence: 0.75 };
  }
  const nanp = slashed ? undefined : classifyNanp(window, sizes, digits, seps);
  if (nanp !== undefined) return nanp;
  if (digits[0] === '0') {
    // European national number with trunk prefix: 9 to 12 digits, separated, one separator kind.
    if (window.length < 2 || count < 9 || count > 12) return undefined;
    const first = sizes[0] ?? 0;
    if (first < 2 || first > 5 || sizes.some((size) => size > 8)) return undefined;
    if (window.some((g, idx) => g.open && idx !== 0)) return undefined;
    const kinds = new Set(seps.filter((sep, idx) => !(window[idx]?.close === true) && !(slashed && idx === 0)));
    if (kinds.size > 1) return undefined;
    return { kind: 'national', confidence: 0.65 };
  }
  return undefined;
}

/** NANP: `[1] NXX NXX XXXX` with N in 2..9, as `(415) 555-2671`, `415-555-2671`, `415.555.2671`, `415 555 2671`. */
function classifyNanp(window: Group[], sizes: number[], digits: string, seps: number[]): Shape | undefined {
  let offset = 0;
  if (sizes.length === 4 && sizes[0] === 1 && digits[0] === '1') offset = 1;
  else if (sizes.length !== 3) return undefined;
  if (sizes[offset] !== 3 || sizes[offset + 1] !== 3 || sizes[offset + 2] !== 4) return undefined;
  const area = digits.slice(offset, offset + 3);
  const exchange = digits.slice(offset + 3, offset + 6);
  if (area < '200' || exchange < '200') return undefined;
  const areaGroup = window[offset] as Group;
  if (window.some((g, idx) => g.open && idx !== offset)) return undefined;
  // Separators after the area code and after the exchange; the one after `1` may differ.
  const afterArea = seps[offset] ?? NONE;
  const afterExchange = seps[offset + 1] ?? NONE;
  if (areaGroup.open) {
    if (afterArea !== SPACE && afterArea !== NONE) return undefined;
    if (afterExchange === NONE) return undefined;
    return { kind: 'nanp', confidence: 0.8 };
  }
  if (afterArea !== afterExchange || afterArea === NONE) return undefined;
  return { kind: 'nanp', confidence: afterArea === DASH ? 0.8 : 0.7 };
}

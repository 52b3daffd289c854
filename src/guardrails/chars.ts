/**
 * Character classes of the hand-written scanners. The detectors scan with charCodeAt and bounded
 * loops instead of global regular expressions: a backtracking regex such as `[\w.]+@[\w.]+` restarted
 * at every position is quadratic on inputs like `aaaa…a` with no `@`, which an attacker controls.
 */

export const isDigit = (c: number): boolean => c >= 48 && c <= 57;
export const isUpper = (c: number): boolean => c >= 65 && c <= 90;
export const isLower = (c: number): boolean => c >= 97 && c <= 122;
export const isAsciiAlpha = (c: number): boolean => isUpper(c) || isLower(c);
export const isAsciiAlnum = (c: number): boolean => isDigit(c) || isAsciiAlpha(c);
export const isHex = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

const NON_ASCII_WORD = /[\p{L}\p{N}\p{M}]/u;
/**
 * Scripts written without spaces between words (Chinese, Japanese kana, and the marks they share such
 * as `ー`): a value glued to them (`电话13800138000`, `カード4111111111111111です`) starts a new token,
 * so these letters are boundaries, not word characters. One character class, tested per character.
 */
const UNSPACED_SCRIPT = /[\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}]/u;

/**
 * True when the character at `i` belongs to a word: an ASCII letter, digit or `_`, or any Unicode
 * letter, digit or mark except those of scripts written without spaces (Han, Hiragana, Katakana).
 * Out of range is false, so string edges count as boundaries.
 */
export function isWordAt(text: string, i: number): boolean {
  if (i < 0 || i >= text.length) return false;
  const c = text.charCodeAt(i);
  if (c < 128) return isAsciiAlnum(c) || c === 95;
  const ch = text[i] ?? '';
  return NON_ASCII_WORD.test(ch) && !UNSPACED_SCRIPT.test(ch);
}

/** Code at `i`, or -1 out of range (so class tests on it are false). */
export const codeAt = (text: string, i: number): number => (i >= 0 && i < text.length ? text.charCodeAt(i) : -1);

/**
 * Punctuation that continues a number when a digit sits on its other side (`1.5`, `1,000`, `10:30`,
 * `2024-01-15`, `1/2`): a candidate next to one of these is part of something longer.
 */
export const isNumberJoiner = (c: number): boolean => c === 46 || c === 44 || c === 45 || c === 47 || c === 58;

/**
 * True when a number-like candidate may start at `start`: the character before it is not part of a
 * word, not a currency or id sign, and not punctuation glued to an earlier number.
 */
export function numberBoundaryBefore(text: string, start: number): boolean {
  const c = codeAt(text, start - 1);
  if (c === -1) return true;
  if (isWordAt(text, start - 1)) return false;
  // '$12', '#123', '+' after '+', '*' (masked digits), '=' glued (key=value is fine with a space).
  if (c === 36 || c === 35 || c === 43 || c === 42 || c === 0x20ac || c === 0xa3 || c === 0xa5) return false;
  if (isNumberJoiner(c) && isDigit(codeAt(text, start - 2))) return false;
  return true;
}

/** True when a number-like candidate may end at `end` (exclusive): mirror of {@link numberBoundaryBefore}. */
export function numberBoundaryAfter(text: string, end: number): boolean {
  const c = codeAt(text, end);
  if (c === -1) return true;
  if (isWordAt(text, end)) return false;
  if (c === 37 || c === 42) return false; // '12%', masked '1234****'
  if (isNumberJoiner(c) && isDigit(codeAt(text, end + 1))) return false;
  return true;
}

/**
 * Folding before the scan: people write numbers and keys with full-width forms (`４１１１`,
 * `ｓｋ＿ｌｉｖｅ＿`), other scripts' digits (`٤١١١`, `४१११`), and typographic dashes (`030‐1234567`). The
 * detectors read ASCII, so the text is folded to ASCII look-alikes first, one code point at a time,
 * and every span found in the folded text is mapped back to offsets in the original string.
 *
 * Linear: one pass over the text, and a digit's value is found by a walk of at most 50 code points
 * back to the start of its block of decimal digits (Unicode's longest run of `Nd` is 50, the
 * mathematical digits).
 */

const NEEDS_FOLDING = /[\u0660-\uffff]/;
const DECIMAL_DIGIT = /\p{Nd}/u;
/** Hyphen, non-breaking hyphen, figure dash, en dash, minus sign, small and full-width hyphen-minus. */
const DASHES = new Set([0x2010, 0x2011, 0x2012, 0x2013, 0x2212, 0xfe63]);

/** Folded text and, when a fold changed a length, the original offset of each folded offset. */
export interface FoldedText {
  text: string;
  /**
   * `map[j]` is the offset in the original string where folded code unit `j` came from, and
   * `map[folded.length]` is the original length. Undefined when offsets are the same in both.
   */
  map: Int32Array | undefined;
}

const isDecimal = (cp: number): boolean => DECIMAL_DIGIT.test(String.fromCodePoint(cp));

/** The ASCII character a code point folds to, or undefined when it stays as it is. */
function foldCodePoint(cp: number): string | undefined {
  if (cp >= 0xff01 && cp <= 0xff5e) return String.fromCharCode(cp - 0xfee0); // full-width ASCII forms
  if (cp === 0x3000) return ' '; // ideographic space
  if (DASHES.has(cp)) return '-';
  if (cp > 0x7f) {
    const digit = digitOf(cp);
    return digit < 0 ? undefined : String.fromCharCode(48 + digit);
  }
  return undefined;
}

/**
 * Decimal value of a code point, or -1. Answers for the BMP are remembered in a 64 KiB table (one
 * regex test per distinct code point, whatever the input length); astral code points are rare.
 */
const BMP_DIGITS = new Int8Array(0x10000); // 0: not looked up yet, 1: not a digit, 2 + value
function digitOf(cp: number): number {
  if (cp < 0x10000 && BMP_DIGITS[cp] !== 0) return (BMP_DIGITS[cp] as number) - 2;
  let value = -1;
  if (isDecimal(cp)) {
    // Every run of Unicode decimal digits is made of whole blocks of ten starting at zero.
    let zero = cp;
    while (cp - zero < 50 && isDecimal(zero - 1)) zero--;
    value = (cp - zero) % 10;
  }
  if (cp < 0x10000) BMP_DIGITS[cp] = value < 0 ? 1 : value + 2;
  return value;
}

/** Folds `text` for scanning (see the module comment). Returns the input itself when nothing folds. */
export function foldForScan(text: string): FoldedText {
  if (!NEEDS_FOLDING.test(text)) return { text, map: undefined };
  const parts: string[] = [];
  const origins: number[] = [];
  let changed = false;
  let lengthChanged = false;
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i) as number;
    const width = cp > 0xffff ? 2 : 1;
    const folded = cp < 0x660 ? undefined : foldCodePoint(cp);
    if (folded === undefined) {
      parts.push(text.slice(i, i + width));
      for (let k = 0; k < width; k++) origins.push(i + k);
    } else {
      changed = true;
      if (width !== 1) lengthChanged = true;
      parts.push(folded);
      origins.push(i);
    }
    i += width;
  }
  if (!changed) return { text, map: undefined };
  const folded = parts.join('');
  if (!lengthChanged) return { text: folded, map: undefined };
  origins.push(text.length);
  return { text: folded, map: Int32Array.from(origins) };
}

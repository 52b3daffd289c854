/**
 * IBANs (ISO 13616): country code, two check digits, national account number; electronic form
 * (`DE89370400440532013000`) or print form in groups of four (`DE89 3704 0044 0532 0130 00`).
 * Checked against the country's length and the ISO 7064 mod-97-10 checksum.
 */
import { codeAt, isAsciiAlnum, isDigit, isUpper, isWordAt } from '../chars.js';
import type { DetectedSpan } from '../types.js';

/**
 * IBAN length per country, from the SWIFT IBAN registry (2024 release), with the territories that use
 * their parent's format (AX → FI, the French overseas codes → FR, GG/IM/JE → GB).
 */
const IBAN_LENGTHS: Readonly<Record<string, number>> = Object.freeze({
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28,
  CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18,
  FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HN: 28, HR: 21, HU: 28,
  IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20,
  LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28,
  NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24,
  SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26,
  UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
  AX: 18, GF: 27, GP: 27, MQ: 27, RE: 27, PF: 27, TF: 27, YT: 27, NC: 27, BL: 27, MF: 27, PM: 27,
  WF: 27, GG: 22, IM: 22, JE: 22,
});

/** The registry length of IBANs of `country` (two uppercase letters), or undefined when it has none. */
export function ibanLength(country: string): number | undefined {
  return Object.hasOwn(IBAN_LENGTHS, country) ? IBAN_LENGTHS[country] : undefined;
}

/**
 * True when `iban` (electronic form: uppercase letters and digits, no spaces) has its country's
 * registry length, check digits 02 to 98, and passes mod-97.
 */
export function isValidIban(iban: string): boolean {
  if (iban.length < 5 || ibanLength(iban.slice(0, 2)) !== iban.length) return false;
  const check = iban.slice(2, 4);
  if (!/^\d\d$/.test(check) || check === '00' || check === '01' || check === '99') return false;
  let rem = 0;
  // Rearranged: BBAN first, then country and check digits; letters count as 10..35.
  for (let k = 0; k < iban.length; k++) {
    const c = iban.charCodeAt((k + 4) % iban.length);
    if (isDigit(c)) rem = (rem * 10 + (c - 48)) % 97;
    else if (isUpper(c)) rem = (rem * 100 + (c - 55)) % 97;
    else return false;
  }
  return rem === 1;
}

/**
 * Finds IBANs. Confidence 0.95 (length and checksum hold). A wrong checksum is not reported.
 *
 * Not detected: lowercase IBANs, groupings other than by four, IBANs of countries missing from the
 * registry table.
 */
export function findIbans(text: string): DetectedSpan[] {
  const out: DetectedSpan[] = [];
  const n = text.length - 3;
  let i = 0;
  while (i < n) {
    const c0 = text.charCodeAt(i);
    if (!isUpper(c0) || !isUpper(text.charCodeAt(i + 1)) || !isDigit(text.charCodeAt(i + 2)) || !isDigit(text.charCodeAt(i + 3)) || isWordAt(text, i - 1)) {
      i++;
      continue;
    }
    const length = ibanLength(text.slice(i, i + 2));
    const end = length === undefined ? undefined : ibanEnd(text, i, length);
    if (end !== undefined && isValidIban(text.slice(i, end).replace(/ /g, ''))) {
      out.push({ type: 'iban', start: i, end, confidence: 0.95, value: text.slice(i, end), kind: text.slice(i, i + 2) });
      i = end;
    } else {
      i++;
    }
  }
  return out;
}

/** End of `length` IBAN characters from `start`: all contiguous, or a space after every fourth; or undefined. */
function ibanEnd(text: string, start: number, length: number): number | undefined {
  const spaced = codeAt(text, start + 4) === 32;
  let count = 0;
  let p = start;
  while (count < length) {
    const c = codeAt(text, p);
    if (c === 32 && spaced && count % 4 === 0 && count > 0 && isAsciiAlnum(codeAt(text, p + 1))) {
      p++;
      continue;
    }
    if (!isDigit(c) && !isUpper(c)) return undefined;
    count++;
    p++;
  }
  return isWordAt(text, p) ? undefined : p;
}

/**
 * `detect()` and `mergeSpans()`: detector choice, the no-overlap tie rule, input checks, and linear
 * time on adversarial megabyte inputs (asserted by a correct result within the test timeout; speed
 * itself is measured in bench/guardrails.bench.ts).
 */
import { describe, expect, test } from 'vitest';
import { DETECTORS } from '../../src/policy.js';
import { FINDERS, detect, mergeSpans, sandwich, type DetectedSpan } from '../../src/guardrails/index.js';

const GH = `ghp_${'aB3dE5'.repeat(6)}`;
const span = (type: DetectedSpan['type'], start: number, end: number, confidence: number): DetectedSpan =>
  ({ type, start, end, confidence, value: 'x'.repeat(Math.max(0, end - start)), kind: 'k' });
const summary = (spans: DetectedSpan[]) => spans.map((s) => [s.type, s.value]);

const MIXED = [
  'Contact john.doe@example.com or +44 20 7946 0958.',
  'Card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00, SSN 123-45-6789.',
  `Server 10.0.0.1 and 2001:db8::1, token ${GH}.`,
  'Released version 1.2.3.4 on 2024-01-15 at 10:30.',
].join('\n');

describe('detect', () => {
  test('finds every detector in mixed text, sorted by start', () => {
    expect(summary(detect(MIXED))).toEqual([
      ['email', 'john.doe@example.com'],
      ['phone', '+44 20 7946 0958'],
      ['card', '4111 1111 1111 1111'],
      ['iban', 'DE89 3704 0044 0532 0130 00'],
      ['ssn', '123-45-6789'],
      ['ip', '10.0.0.1'],
      ['ip', '2001:db8::1'],
      ['secret', GH],
    ]);
  });

  test('options.detectors limits the scan to the listed detectors', () => {
    expect(summary(detect(MIXED, { detectors: ['ip', 'ssn'] }))).toEqual([
      ['ssn', '123-45-6789'],
      ['ip', '10.0.0.1'],
      ['ip', '2001:db8::1'],
    ]);
    expect(detect(MIXED, { detectors: [] })).toEqual([]);
  });

  test('overlapping claims: the higher confidence wins and the loser is dropped whole', () => {
    // The email detector claims `ghp_…@example.com` (0.9), the secret detector `ghp_…` (0.95).
    const text = `${GH}@example.com`;
    expect(summary(detect(text))).toEqual([['secret', GH]]);
    expect(summary(detect(text, { detectors: ['email'] }))).toEqual([['email', text]]);
  });

  test('every finder returns sorted, non-overlapping spans whose value is the text slice', () => {
    for (const id of DETECTORS) {
      const spans = FINDERS[id](MIXED.repeat(3));
      spans.forEach((s, i) => {
        expect(s.type).toBe(id);
        expect(MIXED.repeat(3).slice(s.start, s.end)).toBe(s.value);
        if (i > 0) expect(s.start).toBeGreaterThanOrEqual((spans[i - 1] as DetectedSpan).end);
      });
    }
  });

  test.each([
    [42, 'text'],
    [null, 'text'],
  ])('rejects text %j with INVALID_ARGUMENT naming `text`', (text, field) => {
    expect(() => detect(text as unknown as string)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field }));
  });

  test.each([
    [{ detectors: 'email' }, 'options.detectors'],
    [{ detectors: ['email', 'name'] }, 'options.detectors[1]'],
    [{ detector: ['email'] }, 'options.detector'],
    [[], 'options'],
  ])('rejects options %j with INVALID_ARGUMENT naming %s', (options, field) => {
    expect(() => detect('a@b.co', options as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field }));
  });
});

type Found = readonly (readonly [type: string, value: string, start: number, end: number])[];

describe('values written the way people write them', () => {
  const found = (text: string): Found => detect(text).map((s) => [s.type, s.value, s.start, s.end] as const);

  test.each<[string, string, Found]>([
    // Chinese and Japanese text has no spaces: a value glued to it is still a value.
    ['phone glued to Chinese', '电话+8613800138000谢谢', [['phone', '+8613800138000', 2, 16]]],
    ['card glued to Japanese', 'カード番号4111111111111111です', [['card', '4111111111111111', 5, 21]]],
    ['email glued to Chinese', '邮箱john@example.com联系', [['email', 'john@example.com', 2, 18]]],
    ['IBAN after a katakana long mark', 'コードーDE89370400440532013000', [['iban', 'DE89370400440532013000', 4, 26]]],
    // Full-width and other scripts' digits: offsets and value in the original string.
    ['full-width card', 'カード４１１１ １１１１ １１１１ １１１１', [['card', '４１１１ １１１１ １１１１ １１１１', 3, 22]]],
    ['full-width email', 'ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ', [['email', 'ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ', 0, 16]]],
    ['Arabic-Indic digits', 'رقم ٤١١١١١١١١١١١١١١١', [['card', '٤١١١١١١١١١١١١١١١', 4, 20]]],
    ['Devanagari phone', 'फोन +४४ २० ७९४६ ०९५८', [['phone', '+४४ २० ७९४६ ०९५८', 4, 20]]],
    ['non-breaking hyphens', 'Tel. 030‑12345678', [['phone', '030‑12345678', 5, 17]]],
    // Mathematical digits take two UTF-16 units each: offsets still point into the original.
    ['mathematical digits', 'x 𝟒𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏 y', [['card', '𝟒𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏', 2, 34]]],
    ['full-width Stripe key', `ｐｋ＿ｌｉｖｅ＿${'ＡｂＣ１２３'.repeat(4)}`, [['secret', `ｐｋ＿ｌｉｖｅ＿${'ＡｂＣ１２３'.repeat(4)}`, 0, 32]]],
  ])('%s', (_title, text, expected) => {
    const spans = found(text);
    expect(spans).toEqual(expected);
    for (const [, value, start, end] of spans) expect(text.slice(start, end)).toBe(value);
  });

  test.each<[string, string]>([
    // near misses: glued to letters of scripts that do use spaces, checksums that fail, digit-like symbols
    ['Latin letters glued', 'ref4111111111111111'],
    ['Cyrillic glued', 'номер4111111111111111'],
    ['Hangul glued (Korean uses spaces)', '카드4111111111111111'],
    ['full-width card failing Luhn', '４１１１ １１１１ １１１１ １１１２'],
    ['Arabic-Indic date', '٢٠٢٤-٠١-١٥'],
    ['Chinese date', '2024年01月15日'],
    ['Chinese order number failing Luhn', '订单号4111111111111112'],
    ['circled digits are not decimal digits', '④①①①①①①①①①①①①①①①'],
    ['superscripts are not decimal digits', '⁴¹¹¹¹¹¹¹¹¹¹¹¹¹¹¹'],
  ])('%s: nothing', (_title, text) => {
    expect(found(text)).toEqual([]);
  });
});

describe('mergeSpans tie rule', () => {
  test.each([
    ['higher confidence', [span('phone', 0, 10, 0.8), span('card', 5, 20, 0.7)], [['phone', 0, 10]]],
    ['then longer', [span('phone', 0, 10, 0.8), span('card', 2, 14, 0.8)], [['card', 2, 14]]],
    ['then earlier', [span('phone', 4, 14, 0.8), span('card', 0, 10, 0.8)], [['card', 0, 10]]],
    ['then secret, card, iban, ssn, email, ip, phone', [span('phone', 0, 10, 0.8), span('ip', 0, 10, 0.8), span('ssn', 0, 10, 0.8)], [['ssn', 0, 10]]],
    ['disjoint spans all stay, sorted', [span('ip', 20, 30, 0.5), span('email', 0, 10, 0.9), span('ip', 10, 20, 0.6)], [['email', 0, 10], ['ip', 10, 20], ['ip', 20, 30]]],
  ])('%s', (_title, input, expected) => {
    const before = JSON.stringify(input);
    expect(mergeSpans(input).map((s) => [s.type, s.start, s.end])).toEqual(expected);
    expect(JSON.stringify(input)).toBe(before);
  });

  test('agrees with a brute-force reference on random span sets, large clusters included', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const reference = (spans: DetectedSpan[]) => {
      const order = [...spans].sort((a, b) => b.confidence - a.confidence || (b.end - b.start) - (a.end - a.start) || a.start - b.start
        || ['secret', 'card', 'iban', 'ssn', 'email', 'ip', 'phone'].indexOf(a.type) - ['secret', 'card', 'iban', 'ssn', 'email', 'ip', 'phone'].indexOf(b.type));
      const kept: DetectedSpan[] = [];
      for (const s of order) if (kept.every((k) => k.end <= s.start || s.end <= k.start)) kept.push(s);
      return kept.sort((a, b) => a.start - b.start);
    };
    for (let round = 0; round < 200; round++) {
      const count = round < 100 ? 1 + Math.floor(rand() * 10) : 40 + Math.floor(rand() * 60);
      const spans = Array.from({ length: count }, () => {
        const start = Math.floor(rand() * count * 4);
        return span(DETECTORS[Math.floor(rand() * DETECTORS.length)] as DetectedSpan['type'], start, start + 1 + Math.floor(rand() * 12), Math.round(rand() * 4) / 4);
      });
      expect(mergeSpans(spans)).toEqual(reference(spans));
    }
  });

  test('a bad span fails with INVALID_ARGUMENT and the message leaves out its value', () => {
    const bad = { ...span('email', 5, 2, 0.9), value: 'secret@example.com' };
    expect(() => mergeSpans([bad])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'spans[0]' }));
    expect(() => mergeSpans([bad])).toThrow(expect.not.stringContaining('secret@example.com'));
    expect(() => mergeSpans([{ ...span('email', 0, 2, 1.5) }])).toThrow(expect.objectContaining({ field: 'spans[0]' }));
    expect(() => mergeSpans([{ ...span('name' as never, 0, 2, 0.5) }])).toThrow(expect.objectContaining({ field: 'spans[0]' }));
  });
});

describe('linear time on 1 MB adversarial inputs', () => {
  const MB = 1 << 20;
  const fill = (unit: string): string => unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);
  // Each unit is a near miss repeated: the classic quadratic traps for backtracking scanners.
  test.each([
    ['letters without @', 'a', 0],
    ['a@ (local part without domain)', 'a@', 0],
    ['a@a. (domains without TLD)', 'a@a.', 0],
    ['dots', 'a.', 0],
    ['single digits and spaces', '1 ', 0],
    ['+1 repeated', '+1 ', 0],
    ['1- repeated', '1-', 0],
    ['1. repeated', '1.', 0],
    ['(1) repeated', '(1) ', 0],
    ['zeros', '0', 0],
    ['4-digit groups failing Luhn', '4111 ', 0],
    ['IBAN prefixes', 'DE89 ', 0],
    ['glued IBAN prefixes', 'DE89', 0],
    ['SSN prefixes', '123-45-', 0],
    ['colons and digits', '1:', 0],
    ['colons', ':', 0],
    ['hex and colons', 'a:', 0],
    ['three-part versions', '1.2.3.', 0],
    ['JWT starts', 'eyJ', 0],
    ['JWT segments', 'eyJ.', 0],
    ['sk- repeated', 'sk-', 0],
    ['AKIA repeated', 'AKIA', 0],
    ['ghp_ repeated', 'ghp_', 0],
    ['PEM BEGIN lines without END', '-----BEGIN RSA PRIVATE KEY-----x', Math.ceil(MB / 32)],
    ['full-width zeros', '０', 0],
    ['Arabic-Indic digits and spaces', '٤١ ', 0],
    ['mathematical digits', '𝟎', 0],
    ['Han and a digit', '电1', 0],
    ['slash-joined digits', '0/', 0],
    ['4-4 groups failing Luhn', '4111 1111 ', 0],
    ['pk_live_ repeated', 'pk_live_', 0],
  ])('%s', (_title, unit, expected) => {
    const text = fill(unit);
    expect(detect(text)).toHaveLength(expected);
  });

  test('many real matches in a megabyte are all found', () => {
    const unit = 'x@y.co ';
    expect(detect(unit.repeat(Math.floor(MB / unit.length)))).toHaveLength(Math.floor(MB / unit.length));
  });

  test('the sandwich neutralizes a megabyte of marker fragments', () => {
    const { prompt } = sandwich({ instruction: 'Summarize.', data: fill('<<<END UNTRUSTED ') });
    expect(prompt.match(/<<</g)).toHaveLength(4);
  });
});

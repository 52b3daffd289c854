/**
 * Detector tables: each row is a text and exactly what its detector must report in it (value,
 * confidence, kind), or nothing. Near-miss rows sit next to the shapes they resemble.
 */
import { describe, expect, test } from 'vitest';
import {
  cardBrand,
  findCards,
  findEmails,
  findIbans,
  findIps,
  findPhones,
  findSecrets,
  findSsns,
  isValidIban,
  isValidIpv4,
  isValidIpv6,
  isValidLuhn,
  isValidSsn,
  type DetectedSpan,
} from '../../src/guardrails/index.js';

type Row = readonly [text: string, expected: ReadonlyArray<readonly [value: string, confidence: number, kind: string]>];

function check(finder: (text: string) => DetectedSpan[], [text, expected]: Row): void {
  const spans = finder(text);
  expect(spans.map((s) => [s.value, s.confidence, s.kind])).toEqual(expected);
  for (const s of spans) expect(text.slice(s.start, s.end)).toBe(s.value);
}

// Test secrets are assembled at run time so no complete key-shaped literal sits in the repository.
const rnd = (pattern: string, length: number): string => pattern.repeat(Math.ceil(length / pattern.length)).slice(0, length);
const GH = `ghp_${rnd('aB3dE5', 36)}`;
const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';

describe('email', () => {
  const rows: Row[] = [
    ['mail john.doe@example.com today', [['john.doe@example.com', 0.9, 'email']]],
    ['Write to <jane+news@mail.example.co.uk>.', [['jane+news@mail.example.co.uk', 0.9, 'email']]],
    ["o'brien@example.ie", [["o'brien@example.ie", 0.9, 'email']]],
    ['see...bob@example.org.', [['bob@example.org', 0.9, 'email']]],
    ['ADMIN@EXAMPLE.COM', [['ADMIN@EXAMPLE.COM', 0.9, 'email']]],
    ['info@example.xn--p1ai', [['info@example.xn--p1ai', 0.9, 'email']]],
    ['a@b.co, c@d.io', [['a@b.co', 0.9, 'email'], ['c@d.io', 0.9, 'email']]],
    ['data@v2.json', [['data@v2.json', 0.5, 'email']]],
    // near misses
    ['icon@2x.png', []],
    ['npm i lodash@4.17.21', []],
    ['@scope/pkg and @media print', []],
    ['root@localhost', []],
    ['a@b.c', []],
    // Two dots read as an ellipsis in prose: the address starts after them.
    ['john..doe@example.com', [['doe@example.com', 0.9, 'email']]],
    ['john.@example.com', []],
    ['foo@-bar.com', []],
    ['name@domain_x.com', []],
    [`${'a'.repeat(65)}@example.com`, []],
    ['@example.com', []],
    ['john@exämple.com', []],
  ];
  test.each(rows)('%j', (...row) => check(findEmails, row));
});

describe('phone', () => {
  const rows: Row[] = [
    ['call +44 20 7946 0958 now', [['+44 20 7946 0958', 0.85, 'international']]],
    ['+1 (415) 555-2671', [['+1 (415) 555-2671', 0.85, 'international']]],
    ['+33 1 23 45 67 89', [['+33 1 23 45 67 89', 0.85, 'international']]],
    ['+49 30 12345678', [['+49 30 12345678', 0.85, 'international']]],
    ['tel:+14155552671', [['+14155552671', 0.75, 'international']]],
    ['0044 20 7946 0958', [['0044 20 7946 0958', 0.75, 'international']]],
    ['(415) 555-2671', [['(415) 555-2671', 0.8, 'nanp']]],
    ['(415)555-2671', [['(415)555-2671', 0.8, 'nanp']]],
    ['415-555-2671', [['415-555-2671', 0.8, 'nanp']]],
    ['1-415-555-2671', [['1-415-555-2671', 0.8, 'nanp']]],
    ['415.555.2671', [['415.555.2671', 0.7, 'nanp']]],
    ['415 555 2671.', [['415 555 2671', 0.7, 'nanp']]],
    ['020 7946 0958', [['020 7946 0958', 0.65, 'national']]],
    ['06 12 34 56 78', [['06 12 34 56 78', 0.65, 'national']]],
    ['06.12.34.56.78', [['06.12.34.56.78', 0.65, 'national']]],
    ['030-12345678', [['030-12345678', 0.65, 'national']]],
    ['(030) 1234567', [['(030) 1234567', 0.65, 'national']]],
    ['415-555-2671 415-555-2672', [['415-555-2671', 0.8, 'nanp'], ['415-555-2672', 0.8, 'nanp']]],
    // German style: a slash after the area code, the rest contiguous or spaced.
    ['Tel. 030/12345678', [['030/12345678', 0.65, 'national']]],
    ['0221/1234567,', [['0221/1234567', 0.65, 'national']]],
    ['089/123 456 78', [['089/123 456 78', 0.65, 'national']]],
    // near misses: dates, times, versions, plain numbers, other number shapes
    ['2024-01-15', []],
    ['15.01.2024', []],
    ['01/15/2024', []],
    ['2024-01-15 10:30', []],
    ['01.02.2024 10:30', []],
    ['version 10.0.19041.1', []],
    ['id 4155552671', []],
    ['123-456-7890', []],
    ['415-155-2671', []],
    ['555-2671', []],
    ['192.168.100.100', []],
    ['+0 123 456 789', []],
    ['+1 234', []],
    ['4111 1111 1111 1111', []],
    ['v415-555-2671', []],
    ['415-555-2671-22', []],
    ['$415 555 2671', []],
    ['415-555 2671', []],
    ['123-45-6789', []],
    // near misses of the slash form: dates, fractions, two slashes, no trunk 0, NANP or `+` with a slash
    ['01/02/2024', []],
    ['12/345678901', []],
    ['030/1234/5678', []],
    ['0221/1234567/89', []],
    ['0/123456789', []],
    ['030/1234', []],
    ['415/555/2671', []],
    ['+49 30/12345678', []],
    ['0049 30/12345678', []],
  ];
  test.each(rows)('%j', (...row) => check(findPhones, row));
});

describe('card', () => {
  const rows: Row[] = [
    ['4111 1111 1111 1111', [['4111 1111 1111 1111', 0.95, 'visa']]],
    ['4111-1111-1111-1111', [['4111-1111-1111-1111', 0.95, 'visa']]],
    ['pan=4111111111111111;', [['4111111111111111', 0.9, 'visa']]],
    ['4222222222222', [['4222222222222', 0.9, 'visa']]],
    ['5555 5555 5555 4444', [['5555 5555 5555 4444', 0.95, 'mastercard']]],
    ['2223 0031 2200 3222', [['2223 0031 2200 3222', 0.95, 'mastercard']]],
    ['3782 822463 10005', [['3782 822463 10005', 0.95, 'amex']]],
    ['378282246310005', [['378282246310005', 0.9, 'amex']]],
    ['6011 1111 1111 1117', [['6011 1111 1111 1117', 0.95, 'discover']]],
    ['3566 0020 2036 0505', [['3566 0020 2036 0505', 0.95, 'jcb']]],
    ['3056 9309 0259 04', [['3056 9309 0259 04', 0.95, 'diners']]],
    ['6200 0000 0000 0005', [['6200 0000 0000 0005', 0.95, 'unionpay']]],
    ['7000 0000 0000 0005', [['7000 0000 0000 0005', 0.7, 'unknown']]],
    ['4222 2222 22222', [['4222 2222 22222', 0.95, 'visa']]],
    ['4111-1111-11119', [['4111-1111-11119', 0.95, 'visa']]],
    ['4111 1111 1111 1111 5555 5555 5555 4444', [['4111 1111 1111 1111', 0.95, 'visa'], ['5555 5555 5555 4444', 0.95, 'mastercard']]],
    // near misses
    ['4111 1111 1111 1112', []],
    ['4111111111111112', []],
    ['7000000000000005', []],
    ['ts 1700000000004', []],
    ['0000 0000 0000 0000', []],
    ['4111.1111.1111.1111', []],
    ['4111 1111-1111 1111', []],
    ['41111111111111111111', []],
    ['v4111111111111111', []],
    ['4111 1111 1111', []],
    ['Qty 12 4111 1111 1111 1111', [['4111 1111 1111 1111', 0.95, 'visa']]],
    ['12 7000 0000 0000 0005', []],
    // near misses of 4-4-5: Luhn fails, not a Visa (Maestro 13 digits is Luhn-valid), 4-4-6, mixed separators
    ['4222 2222 22223', []],
    ['5000 0000 00005', []],
    ['4222 2222 222222', []],
    ['4222 2222-22222', []],
  ];
  test.each(rows)('%j', (...row) => check(findCards, row));

  test('isValidLuhn and cardBrand', () => {
    expect(isValidLuhn('79927398713')).toBe(true);
    expect(isValidLuhn('79927398710')).toBe(false);
    expect(isValidLuhn('4111-1111')).toBe(false);
    expect(cardBrand('4111111111111111')).toBe('visa');
    expect(cardBrand('411111111111111')).toBeUndefined(); // 15-digit "Visa"
    expect(cardBrand('9999999999999995')).toBeUndefined();
  });
});

describe('iban', () => {
  const valid = [
    'DE89 3704 0044 0532 0130 00',
    'GB29 NWBK 6016 1331 9268 19',
    'GB29NWBK60161331926819',
    'FR14 2004 1010 0505 0001 3M02 606',
    'NL91 ABNA 0417 1643 00',
    'NO93 8601 1117 947',
    'MT84 MALT 0110 0001 2345 MTLC AST0 01S',
    'BE68 5390 0754 7034',
    'CH93 0076 2011 6238 5295 7',
  ];
  const rows: Row[] = [
    ...valid.map((v): Row => [`IBAN: ${v}.`, [[v, 0.95, v.slice(0, 2)]]]),
    ['IBAN:DE89370400440532013000', [['DE89370400440532013000', 0.95, 'DE']]],
    // near misses
    ['DE88 3704 0044 0532 0130 00', []],
    ['DE89 3704 0044 0532 0130 0', []],
    ['DE89 3704 0044 0532 0130 001', []],
    ['de89370400440532013000', []],
    ['XX89370400440532013000', []],
    ['ADE89370400440532013000', []],
    ['DE89 370 4004 4053 2013 000', []],
  ];
  test.each(rows)('%j', (...row) => check(findIbans, row));

  test('isValidIban: length per country, check digits, mod-97', () => {
    expect(isValidIban('DE89370400440532013000')).toBe(true);
    expect(isValidIban('DE8937040044053201300')).toBe(false);
    expect(isValidIban('DE00370400440532013000')).toBe(false);
    expect(isValidIban('DE89 3704 0044 0532 0130 00')).toBe(false); // electronic form only
  });
});

describe('ssn', () => {
  const rows: Row[] = [
    ['id 123-45-6789', [['123-45-6789', 0.85, 'dashed']]],
    ['SSN: 123-45-6789', [['123-45-6789', 0.95, 'dashed']]],
    ['social security number 078-05-1120', [['078-05-1120', 0.95, 'dashed']]],
    ['123 45 6789', [['123 45 6789', 0.6, 'spaced']]],
    ['SSN 123 45 6789', [['123 45 6789', 0.8, 'spaced']]],
    ['ssn=123456789', [['123456789', 0.6, 'plain']]],
    // near misses
    ['000-12-3456', []],
    ['666-12-3456', []],
    ['912-34-5678', []],
    ['123-00-4567', []],
    ['123-45-0000', []],
    ['order 123456789', []],
    ['SSN 000123456', []],
    ['123-45-67890', []],
    ['1123-45-6789', []],
    ['ZIP 12345-6789', []],
    ['123-456-7890', []],
    ['123.45.6789', []],
    ['12 123 45 6789', []],
    ['123-45 6789', []],
  ];
  test.each(rows)('%j', (...row) => check(findSsns, row));

  test('isValidSsn', () => {
    expect(isValidSsn('123', '45', '6789')).toBe(true);
    expect(isValidSsn('900', '45', '6789')).toBe(false);
    expect(isValidSsn('12', '45', '6789')).toBe(false);
  });
});

describe('ip', () => {
  const rows: Row[] = [
    ['host 192.168.1.1 up', [['192.168.1.1', 0.85, 'ipv4']]],
    ['10.0.0.1:8080', [['10.0.0.1', 0.85, 'ipv4']]],
    ['http://203.0.113.42/path', [['203.0.113.42', 0.85, 'ipv4']]],
    ['route 10.0.0.0/8', [['10.0.0.0', 0.85, 'ipv4']]],
    ['dns 1.1.1.1', [['1.1.1.1', 0.6, 'ipv4']]],
    ['255.255.255.255', [['255.255.255.255', 0.85, 'ipv4']]],
    ['localhost ::1.', [['::1', 0.6, 'ipv6']]],
    ['2001:db8::1', [['2001:db8::1', 0.8, 'ipv6']]],
    ['fe80::1%eth0', [['fe80::1', 0.6, 'ipv6']]],
    ['[2001:db8::1]:443', [['2001:db8::1', 0.8, 'ipv6']]],
    ['::ffff:192.0.2.1', [['::ffff:192.0.2.1', 0.8, 'ipv6']]],
    ['2001:0db8:85a3:0000:0000:8a2e:0370:7334', [['2001:0db8:85a3:0000:0000:8a2e:0370:7334', 0.9, 'ipv6']]],
    // near misses: version strings and other dotted or colon numbers
    ['v1.2.3.4', []],
    ['version 1.2.3.4', []],
    ['Version: 10.0.0.1', []],
    ['build=10.0.0.1', []],
    ['release 10.0.0.1', []],
    ['Chrome/120.0.0.0 Safari', []],
    ['1.2.3.4.5', []],
    ['1.2.3.4-beta', []],
    ['256.1.1.1', []],
    ['192.168.01.1', []],
    ['1.2.3', []],
    ['at 12:30:45', []],
    ['00:1A:2B:3C:4D:5E', []],
    ['dead::beef', []],
    ['std::vector<int>', []],
    ['1:2:3:4:5:6:7:8:9', []],
    ['1::2::3', []],
    ['12345::1', []],
  ];
  test.each(rows)('%j', (...row) => check(findIps, row));

  test('isValidIpv4 and isValidIpv6', () => {
    expect(isValidIpv4('0.0.0.0')).toBe(true);
    expect(isValidIpv4('1.2.3.04')).toBe(false);
    expect(isValidIpv6('::')).toBe(true);
    expect(isValidIpv6('1:2:3:4:5:6:7::')).toBe(true);
    expect(isValidIpv6('1:2:3:4:5:6:7:8::')).toBe(false);
    expect(isValidIpv6('::ffff:1.2.3.4')).toBe(true);
    expect(isValidIpv6('1.2.3.4::')).toBe(false);
  });
});

describe('secret', () => {
  const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx9\nW3+q/Zz==\n-----END RSA PRIVATE KEY-----';
  const rows: Row[] = [
    ['aws_access_key_id = AKIAIOSFODNN7EXAMPLE', [['AKIAIOSFODNN7EXAMPLE', 0.9, 'aws_access_key_id']]],
    [`token: ${GH}`, [[GH, 0.95, 'github_token']]],
    [`github_pat_${rnd('11AbC_dEf', 82)}`, [[`github_pat_${rnd('11AbC_dEf', 82)}`, 0.95, 'github_token']]],
    [`glpat-${rnd('aB3-dE_5', 20)}`, [[`glpat-${rnd('aB3-dE_5', 20)}`, 0.95, 'gitlab_token']]],
    [`xoxb-${rnd('1234567890-', 24)}abc`, [[`xoxb-${rnd('1234567890-', 24)}abc`, 0.9, 'slack_token']]],
    [`"sk_live_${rnd('a1B2', 24)}"`, [[`sk_live_${rnd('a1B2', 24)}`, 0.95, 'stripe_key']]],
    [`rk_test_${rnd('a1B2', 24)}`, [[`rk_test_${rnd('a1B2', 24)}`, 0.7, 'stripe_key']]],
    [`Stripe('pk_live_${rnd('51HxYz9', 99)}')`, [[`pk_live_${rnd('51HxYz9', 99)}`, 0.8, 'stripe_publishable_key']]],
    [`key=AIza${rnd('Sy-A1b_2C3', 35)}`, [[`AIza${rnd('Sy-A1b_2C3', 35)}`, 0.9, 'google_api_key']]],
    [`sk-ant-api03-${rnd('Ab1_cD2-', 80)}`, [[`sk-ant-api03-${rnd('Ab1_cD2-', 80)}`, 0.95, 'anthropic_key']]],
    [`sk-proj-${rnd('Ab1_cD2-', 60)}`, [[`sk-proj-${rnd('Ab1_cD2-', 60)}`, 0.9, 'openai_key']]],
    [`sk-${rnd('Ab1cD2eF3', 48)}`, [[`sk-${rnd('Ab1cD2eF3', 48)}`, 0.8, 'openai_key']]],
    [`sk-${rnd('Ab1', 20)}T3BlbkFJ${rnd('cD2', 20)}`, [[`sk-${rnd('Ab1', 20)}T3BlbkFJ${rnd('cD2', 20)}`, 0.95, 'openai_key']]],
    [`npm_${rnd('aB3', 36)}`, [[`npm_${rnd('aB3', 36)}`, 0.9, 'npm_token']]],
    [`hf_${rnd('aBcD', 34)}`, [[`hf_${rnd('aBcD', 34)}`, 0.85, 'huggingface_token']]],
    [`Authorization: Bearer ${JWT}.`, [[JWT, 0.95, 'jwt']]],
    [`${pem}\nnext line`, [[pem, 0.99, 'private_key']]],
    ['log: -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkq\n[truncated]', [['-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkq', 0.9, 'private_key']]],
    [JSON.stringify({ private_key: `${pem}\n` }), [[pem.replaceAll('\n', '\\n'), 0.99, 'private_key']]],
    // near misses
    ['AKIAIOSFODNN7EXAMPL', []],
    ['AKIAIOSFODNN7EXAMPLEX', []],
    ['xAKIAIOSFODNN7EXAMPLE', []],
    [GH.slice(0, -1), []],
    [`${GH}_x`, []],
    ['class="sk-loading-spinner-container-large-variant"', []],
    [`sk-${'a'.repeat(48)}`, []],
    ['id 123e4567-e89b-12d3-a456-426614174000', []],
    ['sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', []],
    ['eyJhbGciOiJIUzI1NiJ9', []],
    ['eyJub3QiOiJqd3QifQ.eyJhIjoxfQ.c2ln', []],
    [`${JWT}.eyJhIjoxfQ`, []],
    ['-----BEGIN PUBLIC KEY-----\nMIIBIjANBg\n-----END PUBLIC KEY-----', []],
    ['-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----', []],
    ['sk_test_short', []],
    // publishable keys: test mode is not reported, too short or glued is not a key
    [`pk_test_${rnd('51HxYz9', 99)}`, []],
    ['pk_live_short', []],
    [`xpk_live_${rnd('51HxYz9', 24)}`, []],
    [`pk_live_${rnd('51HxYz9', 24)}_x`, []],
  ];
  test.each(rows)('%j', (...row) => check(findSecrets, row));
});

/**
 * The synchronous SHA-256 that links the chain inside one IndexedDB transaction must agree with
 * SubtleCrypto (which verify() uses) on every length around the block boundaries and on any text.
 */
import { describe, expect, test } from 'vitest';
import { sha256Hex, subtleSha256Hex } from '../../src/sha256.js';

describe('sha256Hex', () => {
  test.each([
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'],
  ])('matches the FIPS 180-4 vector for %j', (input, digest) => {
    expect(sha256Hex(input)).toBe(digest);
  });

  test('matches the one-million-a vector', () => {
    expect(sha256Hex('a'.repeat(1_000_000))).toBe('cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
  });

  test('agrees with SubtleCrypto for every length from 0 to 200 bytes (padding boundaries 55/56/64)', async () => {
    for (let length = 0; length <= 200; length++) {
      const text = Array.from({ length }, (_, i) => String.fromCharCode(33 + ((i * 7 + length) % 90))).join('');
      expect(sha256Hex(text), `length ${length}`).toBe(await subtleSha256Hex(text));
    }
  });

  test.each([
    ['multi-byte UTF-8', 'événement 事件 🚨'],
    ['a lone surrogate (encoded as U+FFFD by both)', 'a\ud800b'],
    ['control characters and separators', '\u0000\n\r\u2028\u2029\u0085'],
  ])('agrees with SubtleCrypto on %s', async (_name, text) => {
    expect(sha256Hex(text)).toBe(await subtleSha256Hex(text));
  });
});

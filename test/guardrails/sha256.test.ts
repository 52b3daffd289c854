/**
 * The synchronous SHA-256 / HMAC behind the `hash` strategy, against the NIST and RFC 4231 vectors
 * and against WebCrypto on every length around the block boundaries.
 */
import { describe, expect, test } from 'vitest';
import { hmacSha256, sha256, toHex } from '../../src/sha256.js';

const enc = new TextEncoder();
const hex = (s: string) => toHex(sha256(enc.encode(s)));
const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7) & 0xff);

describe('sha256', () => {
  test.each([
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'],
  ])('NIST vector %j', (input, digest) => {
    expect(hex(input)).toBe(digest);
  });

  test('one million "a"', () => {
    expect(hex('a'.repeat(1_000_000))).toBe('cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
  });

  test('matches crypto.subtle for lengths 0 to 200', async () => {
    for (let n = 0; n <= 200; n++) {
      const data = bytes(n, n);
      const expected = toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', data)));
      expect(toHex(sha256(data)), `length ${n}`).toBe(expected);
    }
  });
});

describe('hmacSha256', () => {
  test('RFC 4231 test case 2', () => {
    expect(toHex(hmacSha256(enc.encode('Jefe'), enc.encode('what do ya want for nothing?'))))
      .toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  test('RFC 4231 test case 6 (key longer than a block)', () => {
    const key = new Uint8Array(131).fill(0xaa);
    expect(toHex(hmacSha256(key, enc.encode('Test Using Larger Than Block-Size Key - Hash Key First'))))
      .toBe('60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54');
  });

  test('matches crypto.subtle for keys of 1 to 130 bytes', async () => {
    for (const n of [1, 31, 32, 63, 64, 65, 130]) {
      const raw = bytes(n, 3);
      const message = bytes(n + 17, 5);
      const key = await crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
      const expected = toHex(new Uint8Array(await crypto.subtle.sign('HMAC', key, message)));
      expect(toHex(hmacSha256(raw, message)), `key length ${n}`).toBe(expected);
    }
  });
});

/**
 * Synchronous SHA-256 and HMAC-SHA-256 (FIPS 180-4, RFC 2104), shared by the audit chain, the
 * guardrails' `hash` strategy and the sandbox's code hashes. The primitives are @noble/hashes
 * (audited, synchronous, several times faster than the hand-written version this file used to hold);
 * this module only fixes the shapes the rest of quickcage uses (hex of UTF-8 text, a WebCrypto cross-check).
 *
 * Why not only WebCrypto: `crypto.subtle.digest` is asynchronous, and awaiting it inside an IndexedDB
 * transaction lets the transaction auto-commit (the audit chain reads the last hash, hashes and
 * writes in ONE transaction so tabs cannot fork it); and `crypto.subtle` is missing in insecure
 * contexts (plain `http://` on a LAN address), where the guardrails must still work synchronously.
 * Tests check this against `crypto.subtle` and the NIST / RFC 4231 vectors; the audit log's
 * `verify()` recomputes every hash with SubtleCrypto as an independent implementation.
 */

import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

/** SHA-256 digest of `data` (32 bytes). */
export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data);
}

/** HMAC-SHA-256 of `message` under `key` (32 bytes). */
export function hmacSha256(key: Uint8Array, message: Uint8Array): Uint8Array {
  return hmac(nobleSha256, key, message);
}

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return bytesToHex(bytes);
}

const encoder = new TextEncoder();

/** SHA-256 of the UTF-8 encoding of `text`, as 64 lower-case hex digits. */
export function sha256Hex(text: string): string {
  return toHex(sha256(encoder.encode(text)));
}

/** The same digest through SubtleCrypto (async); an independent implementation for verification. */
export async function subtleSha256Hex(text: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text))));
}

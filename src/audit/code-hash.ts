/**
 * Code hashes off the run path. Every run's audit record carries `codeHash` (SHA-256 of the
 * source), but hashing on the page thread for every run cost more than the rest of the record.
 * The sandbox hands the audit log the source under {@link CODE_SOURCE} instead; the log keeps it on
 * the queued event and hashes when the batch is written or spilled ({@link materializeCodeHash}),
 * off the caller's path. A sink that is not a quickcage audit log gets the hash at once. Both go
 * through {@link codeHashOf}, which remembers recent sources: a program run again is not hashed again.
 */
import { sha256Hex } from '../sha256.js';
import type { PreparedEvent } from './model.js';

/** On a `record()` input: the source whose hash becomes `codeHash` (only when `codeHash` is absent). */
export const CODE_SOURCE: unique symbol = Symbol('quickcage.codeSource');
/** Marks an event sink that accepts {@link CODE_SOURCE} (the audit log). */
export const ACCEPTS_CODE_SOURCE: unique symbol = Symbol('quickcage.acceptsCodeSource');

/** An event whose `codeHash` is still to be computed from {@link CODE_SOURCE}. */
export type PendingCode = { [CODE_SOURCE]?: string };

const CACHE_ENTRIES = 64;
const CACHE_MAX_CHARS = 64 * 1024;
const cache = new Map<string, string>();

/** SHA-256 hex of `code`, remembered for the last {@link CACHE_ENTRIES} sources (up to 64 K chars each). */
export function codeHashOf(code: string): string {
  const known = cache.get(code);
  if (known !== undefined) return known;
  const hash = sha256Hex(code);
  if (code.length <= CACHE_MAX_CHARS) {
    if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
    cache.set(code, hash);
  }
  return hash;
}

/** True when `sink` hashes {@link CODE_SOURCE} itself. */
export function acceptsCodeSource(sink: object): boolean {
  return (sink as { [ACCEPTS_CODE_SOURCE]?: unknown })[ACCEPTS_CODE_SOURCE] === true;
}

/** Sets `codeHash` from a pending source (and forgets the source). Call before sealing or spilling. */
export function materializeCodeHash(events: readonly PreparedEvent[]): void {
  for (const event of events) {
    const pending = event as PreparedEvent & PendingCode;
    const code = pending[CODE_SOURCE];
    if (code === undefined) continue;
    delete pending[CODE_SOURCE];
    if (event.codeHash === undefined) event.codeHash = codeHashOf(code);
  }
}

/**
 * The input-check kit: one meaning of "plain object", one unknown-key check (with the policy's
 * "did you mean" hint) and one message shape for it, one integer check. Every public entry point
 * checks its options through these, so a caller sees the same wording everywhere:
 *
 *   Unknown option `options.maxEvent` (INVALID_ARGUMENT); known options: dbName, ...; did you mean `options.maxEvents`?
 *
 * Values that fail a type check use {@link invalidArgument}'s ``Expected `field` to be X, got `v` ``.
 */
import { InvalidArgumentError, InvalidPolicyError, invalidArgument } from '../errors.js';

/**
 * True for a plain data object: `{}` / `Object.create(null)` of this realm. Arrays, class
 * instances (`Date`, `Map`), functions and objects of another realm are not.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** `value` when it is an integer in `[min, max]`; throws `INVALID_ARGUMENT` naming `field` otherwise. */
export function checkInt(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidArgument(field, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

/** Edit distance of two short strings, case-insensitive, for "did you mean" hints. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      prev = next;
    }
  }
  return row[b.length]!;
}

/** The first known key within two edits of `key`, if any. */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  return known.find((k) => distance(k, key) <= 2);
}

/** How an unknown key is named in the message, and which error it raises. */
export interface KeyCheckOptions {
  /** `option` (default for fields under `options`), `key`, or a longer noun such as `policy key`. */
  noun?: string;
  /** `policy` raises {@link InvalidPolicyError} (`INVALID_POLICY`); default {@link InvalidArgumentError}. */
  error?: 'argument' | 'policy';
}

/**
 * Throws for the first own key of `value` that is not in `known`. The error's `field` is the key's
 * path (`field.key`, or the key alone when `field` is empty); the message is the one shape of the
 * kit, with the nearest known key as a hint.
 */
export function checkKnownKeys(field: string, value: object, known: readonly string[], options: KeyCheckOptions = {}): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const at = field ? `${field}.${key}` : key;
    const noun = options.noun ?? (field === 'options' || field.startsWith('options.') ? 'option' : 'key');
    const plural = noun.endsWith('option') ? 'options' : 'keys';
    const code = options.error === 'policy' ? 'INVALID_POLICY' : 'INVALID_ARGUMENT';
    const near = nearestKey(key, known);
    const message = `Unknown ${noun} \`${at}\` (${code}); known ${plural}: ${known.join(', ')}${near === undefined ? '' : `; did you mean \`${field ? `${field}.` : ''}${near}\`?`}`;
    throw options.error === 'policy' ? new InvalidPolicyError(at, message) : new InvalidArgumentError(at, message);
  }
}

/**
 * `value` as a record when it is a plain object with only `known` keys. Throws `INVALID_ARGUMENT`
 * (``Expected `field` to be a plain object``) or the unknown-key error of {@link checkKnownKeys}.
 */
export function checkOptions(field: string, value: unknown, known: readonly string[], options?: KeyCheckOptions): Record<string, unknown> {
  if (!isPlainObject(value)) throw invalidArgument(field, 'a plain object', value);
  checkKnownKeys(field, value, known, options);
  return value;
}

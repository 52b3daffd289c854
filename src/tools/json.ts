/**
 * JSON helpers of the tool layer: canonical text (for approval digests), SHA-256, and deep freezing.
 * Tool arguments and results are plain JSON data; anything else is refused here.
 */

/** Deepest nesting accepted in tool arguments and results. */
export const MAX_JSON_DEPTH = 64;

const isPlainObject = (value: object): boolean => {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
};

/**
 * Canonical JSON in the style of RFC 8785 (JCS): object keys sorted by UTF-16 code units, no
 * whitespace, numbers as ECMAScript prints them. Properties whose value is `undefined` are omitted
 * (as `JSON.stringify` does). Two values that mean the same data give the same text, whatever order
 * their keys were written in.
 *
 * @throws {TypeError} for anything that is not plain JSON data: non-finite numbers, bigint, functions,
 *   symbols, class instances (`Date`, `Map`), sparse or `undefined` array items, cycles, nesting deeper
 *   than {@link MAX_JSON_DEPTH}, a `__proto__` key.
 */
export function canonicalJson(value: unknown): string {
  return jsonText(value, true);
}

/**
 * JSON text of plain JSON data, keys in their own order, with the checks of {@link canonicalJson}.
 *
 * @throws {TypeError} as {@link canonicalJson}.
 */
export function plainJson(value: unknown): string {
  return jsonText(value, false);
}

function jsonText(value: unknown, sortKeys: boolean): string {
  const seen = new Set<object>();
  const walk = (v: unknown, depth: number, where: string): string => {
    if (v === null || typeof v === 'boolean' || typeof v === 'string') return JSON.stringify(v);
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new TypeError(`${where} is not a finite number`);
      return JSON.stringify(v);
    }
    if (typeof v !== 'object') throw new TypeError(`${where} is a ${typeof v}, not JSON data`);
    if (depth >= MAX_JSON_DEPTH) throw new TypeError(`${where} is nested deeper than ${MAX_JSON_DEPTH} levels`);
    if (seen.has(v)) throw new TypeError(`${where} is a cycle`);
    seen.add(v);
    let text: string;
    if (Array.isArray(v)) {
      const items: string[] = [];
      for (let i = 0; i < v.length; i++) {
        if (!Object.hasOwn(v, i) || v[i] === undefined) throw new TypeError(`${where}[${i}] is missing or undefined`);
        items.push(walk(v[i], depth + 1, `${where}[${i}]`));
      }
      text = `[${items.join(',')}]`;
    } else {
      if (!isPlainObject(v)) throw new TypeError(`${where} is a ${Object.prototype.toString.call(v)}, not a plain object`);
      const record = v as Record<string, unknown>;
      const keys = Object.keys(record).filter((k) => record[k] !== undefined);
      // An own `__proto__` key (JSON.parse makes one) turns into a prototype swap in any handler that
      // copies arguments with Object.assign or a for-in loop: refuse it at the boundary.
      if (keys.includes('__proto__')) throw new TypeError(`${where} has a \`__proto__\` key`);
      if (sortKeys) keys.sort();
      text = `{${keys.map((k) => `${JSON.stringify(k)}:${walk(record[k], depth + 1, `${where}.${k}`)}`).join(',')}}`;
    }
    seen.delete(v);
    return text;
  };
  return walk(value, 0, 'value');
}

/** SHA-256 of the UTF-8 text, as 64 lower-case hex digits (synchronous; works where `crypto.subtle` is missing). */
export { sha256Hex } from '../sha256.js';

/** Freezes `value` and everything reachable from it; returns it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/** Length of `text` in UTF-8 bytes, without allocating the encoded copy. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * The JSON-data kit: one walker that checks a value is plain JSON data (with options for the few
 * places that differ), one canonical text, deep freezing and UTF-8 length.
 *
 * Who uses what: tool arguments/results and approval digests use {@link checkJson} in its strict
 * form (via tools/json.ts); values crossing into the sandbox (`globals`, host-module results) use
 * it with `undefinedItems: 'null'` and their own error classes (sandbox.ts `toJson`); audit events
 * are hashed over {@link canonicalJson} of data the audit model has already made safe.
 */

/** What {@link checkJson} found wrong, passed to `options.fail`. */
export type JsonProblem =
  | { kind: 'type'; type: string }
  | { kind: 'non-finite'; value: number }
  | { kind: 'cycle' }
  | { kind: 'depth'; maxDepth: number }
  | { kind: 'not-plain'; tag: string }
  | { kind: 'missing-item' }
  | { kind: 'proto-key' };

/** Options of {@link checkJson}. */
export interface JsonCheckOptions {
  /** Deepest nesting accepted (objects and arrays count one level each). */
  maxDepth: number;
  /** Array holes and `undefined` items: rejected, or written as `null` (what `JSON.stringify` does). Default `reject`. */
  undefinedItems?: 'reject' | 'null';
  /** Refuse an own `__proto__` key (a prototype swap in any handler that copies with `Object.assign`). Default true. */
  rejectProtoKey?: boolean;
  /** Order of the depth and cycle checks on one object, for callers whose first error is documented. Default `depth-first`. */
  order?: 'depth-first' | 'cycle-first';
  /** The error to throw for the first problem at `path` (`root.a[2].b`). */
  fail(path: string, problem: JsonProblem): Error;
}

const plain = (value: object): boolean => {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/**
 * Checks that `value` is plain JSON data: null, booleans, strings, finite numbers, arrays and plain
 * objects, nested at most `maxDepth` deep, without cycles. Object members whose value is
 * `undefined` are skipped (as `JSON.stringify` does). Throws `options.fail(path, problem)` for the
 * first problem, `path` starting at `root`.
 */
export function checkJson(value: unknown, root: string, options: JsonCheckOptions): void {
  const { maxDepth, undefinedItems = 'reject', rejectProtoKey = true, order = 'depth-first', fail } = options;
  const ancestors = new Set<object>();
  const walk = (v: unknown, depth: number, path: string): void => {
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return;
      case 'number':
        if (!Number.isFinite(v)) throw fail(path, { kind: 'non-finite', value: v });
        return;
      case 'object':
        break;
      default:
        throw fail(path, { kind: 'type', type: typeof v });
    }
    if (v === null) return;
    if (order === 'depth-first' && depth >= maxDepth) throw fail(path, { kind: 'depth', maxDepth });
    if (ancestors.has(v)) throw fail(path, { kind: 'cycle' });
    if (order === 'cycle-first' && depth >= maxDepth) throw fail(path, { kind: 'depth', maxDepth });
    ancestors.add(v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        if (!Object.hasOwn(v, i) || v[i] === undefined) {
          if (undefinedItems === 'reject') throw fail(`${path}[${i}]`, { kind: 'missing-item' });
          continue;
        }
        walk(v[i], depth + 1, `${path}[${i}]`);
      }
    } else {
      if (!plain(v)) throw fail(path, { kind: 'not-plain', tag: Object.prototype.toString.call(v) });
      const record = v as Record<string, unknown>;
      const keys = Object.keys(record).filter((key) => record[key] !== undefined);
      if (rejectProtoKey && keys.includes('__proto__')) throw fail(path, { kind: 'proto-key' });
      for (const key of keys) walk(record[key], depth + 1, `${path}.${key}`);
    }
    ancestors.delete(v);
  };
  walk(value, 0, root);
}

/**
 * Canonical JSON in the style of RFC 8785 (JCS): object keys sorted by UTF-16 code units, no
 * whitespace, numbers as ECMAScript prints them, members whose value is `undefined` omitted. Two
 * values that mean the same data give the same text, whatever order their keys were written in.
 * Expects data {@link checkJson} accepts (or the audit model's sanitized events); anything else is
 * written as `JSON.stringify` would write it inside an array (`null`). Audit hashes cover this text:
 * changing it changes every stored chain.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    return text === undefined ? 'null' : text;
  }
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  const record = value as Record<string, unknown>;
  const entries = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
  return `{${entries.join(',')}}`;
}

/** Freezes `value` and everything reachable from it; returns it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/** Length of `text` in UTF-8 bytes, without allocating the encoded copy (lone surrogates count 3, as U+FFFD). */
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

/**
 * JSON rules of the tool layer, over the kit in src/internal/json.ts: tool arguments and results
 * are plain JSON data (checked strictly: no holes, no `__proto__` key, at most
 * {@link MAX_JSON_DEPTH} deep), written canonically for approval digests.
 */
import { canonicalJson as canonicalText, checkJson, type JsonProblem } from '../internal/json.js';

export { deepFreeze, utf8Length } from '../internal/json.js';
/** SHA-256 of the UTF-8 text, as 64 lower-case hex digits (synchronous; works where `crypto.subtle` is missing). */
export { sha256Hex } from '../sha256.js';

/** Deepest nesting accepted in tool arguments and results. */
export const MAX_JSON_DEPTH = 64;

const problemText = (where: string, p: JsonProblem): string => {
  switch (p.kind) {
    case 'non-finite': return `${where} is not a finite number`;
    case 'type': return `${where} is a ${p.type}, not JSON data`;
    case 'depth': return `${where} is nested deeper than ${p.maxDepth} levels`;
    case 'cycle': return `${where} is a cycle`;
    case 'missing-item': return `${where} is missing or undefined`;
    case 'not-plain': return `${where} is a ${p.tag}, not a plain object`;
    case 'proto-key': return `${where} has a \`__proto__\` key`;
  }
};

/** Throws a TypeError for anything that is not plain JSON data (see {@link canonicalJson}). */
function checkToolJson(value: unknown): void {
  checkJson(value, 'value', { maxDepth: MAX_JSON_DEPTH, fail: (where, problem) => new TypeError(problemText(where, problem)) });
}

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
  checkToolJson(value);
  return canonicalText(value);
}

/**
 * JSON text of plain JSON data, keys in their own order, with the checks of {@link canonicalJson}.
 *
 * @throws {TypeError} as {@link canonicalJson}.
 */
export function plainJson(value: unknown): string {
  checkToolJson(value);
  return JSON.stringify(value);
}

/**
 * Resolves computed keys that are constant, so `x['constr' + 'uctor']` is checked like
 * `x.constructor`. Folds literals (acorn already cooks `\x63` and `\u0063` escapes), `+`,
 * templates, `String.fromCharCode`/`fromCodePoint`, pure string and array methods on constants
 * (`concat`, `join`, `reverse`, `split`, `slice`, `toLowerCase`, ...), `String.raw`, indexing into
 * constant arrays and strings, and `const` bindings with a constant initializer.
 *
 * A branch (`c ? 'a' : 'constructor'`, `a || 'b'`) yields every candidate, so the rules check each.
 * Anything else is dynamic; the caller decides whether a dynamic key matters on its target.
 *
 * Folding runs the host's own string methods on primitives only (and arrays of primitives), inside
 * the worker's realm, with sizes capped: no guest code runs here.
 */
import { unwrap, type N } from './ast.js';
import { constantInit, type Scope } from './scope.js';

/** A folded value: a primitive, an array of folded values, or a well-known symbol like `@@iterator`. */
export type Folded = string | number | boolean | bigint | null | undefined | WellKnownSymbol | Folded[];

/** `Symbol.iterator` and friends: keys that are constant and harmless. */
export class WellKnownSymbol {
  constructor(readonly name: string) {}
}

/** The key is not constant. */
export const DYNAMIC = null;
/** Folding gave up because the expression nests too deep: callers must fail closed. */
export const TOO_DEEP = 'too-deep' as const;

/** Every value the expression may take (one unless it branches), or {@link DYNAMIC}, or {@link TOO_DEEP}. */
export type FoldResult = Folded[] | typeof DYNAMIC | typeof TOO_DEEP;

/** Most candidates kept for one key; beyond it the key counts as dynamic. */
const MAX_CANDIDATES = 16;
/** Longest folded string; beyond it the key counts as dynamic (no property name is that long). */
const MAX_STRING = 4096;
/** Deepest recursion of the folder (expression nesting plus `const` hops). */
export const MAX_FOLD_DEPTH = 400;

const STRING_METHODS = new Set([
  'concat', 'toLowerCase', 'toUpperCase', 'trim', 'trimStart', 'trimEnd', 'slice', 'substring', 'substr', 'charAt', 'at',
  'repeat', 'split', 'padStart', 'padEnd', 'replace', 'replaceAll', 'normalize', 'toString', 'valueOf', 'toLocaleLowerCase',
  'toLocaleUpperCase',
]);
const ARRAY_METHODS = new Set(['join', 'reverse', 'toReversed', 'concat', 'slice', 'at', 'toString', 'flat']);

class Deep extends Error {}

/** Property key of a folded value, as `ToPropertyKey` computes it (symbols as `@@name`). */
export function toKey(value: Folded): string {
  if (value instanceof WellKnownSymbol) return `@@${value.name}`;
  if (Array.isArray(value)) return value.map((v) => (v === null || v === undefined ? '' : toKey(v))).join(',');
  return String(value);
}

/**
 * Folds `node` in `scope`.
 *
 * @returns the candidate values, {@link DYNAMIC} when the value is not constant, or
 *   {@link TOO_DEEP} when the expression nests deeper than {@link MAX_FOLD_DEPTH}.
 */
export function fold(node: N, scope: Scope): FoldResult {
  try {
    return foldNode(node, scope, 0);
  } catch (error) {
    if (error instanceof Deep) return TOO_DEEP;
    throw error;
  }
}

function foldNode(node: N, scope: Scope, depth: number): Folded[] | null {
  if (depth > MAX_FOLD_DEPTH) throw new Deep();
  const n = unwrap(node);
  switch (n.type) {
    case 'Literal':
      if (n.regex) return [`/${n.regex.pattern}/${n.regex.flags}`];
      return [n.value as Folded];
    case 'TemplateLiteral':
      return template(n, scope, depth, false);
    case 'TaggedTemplateExpression': {
      // String.raw`...`
      const tag = unwrap(n.tag!);
      if (isGlobalMember(tag, scope, 'String', 'raw') && n.quasi) return template(n.quasi, scope, depth, true);
      return null;
    }
    case 'Identifier': {
      const name = n.name!;
      const binding = scope.lookup(name);
      if (binding === undefined) {
        if (name === 'undefined') return [undefined];
        if (name === 'NaN') return [NaN];
        if (name === 'Infinity') return [Infinity];
        return null;
      }
      const init = constantInit(binding);
      return init === null ? null : foldNode(init, binding.scope, depth + 1);
    }
    case 'ArrayExpression': {
      const values: Folded[] = [];
      for (const element of n.elements!) {
        if (element === null) {
          values.push(undefined);
          continue;
        }
        if (element.type === 'SpreadElement') {
          // `[...'constructor']`, `[...['a', 'b']]`
          const spread = spreadValues(element, scope, depth);
          if (spread === null) return null;
          values.push(...spread);
          continue;
        }
        const v = single(foldNode(element, scope, depth + 1));
        if (v === null) return null;
        values.push(v.value);
      }
      return values.length > MAX_STRING ? null : [values];
    }
    case 'BinaryExpression': {
      if (n.operator !== '+') return null;
      // Flatten the left-leaning chain `a + b + c + ...` without recursing on it.
      const operands: N[] = [];
      let left: N = n;
      while (left.type === 'BinaryExpression' && left.operator === '+') {
        operands.push(left.right!);
        left = unwrap(left.left!);
      }
      operands.push(left);
      let acc = foldNode(operands[operands.length - 1]!, scope, depth + 1);
      for (let i = operands.length - 2; i >= 0 && acc !== null; i--) {
        const right = foldNode(operands[i]!, scope, depth + 1);
        acc = right === null ? null : combine(acc, right, plus);
      }
      return acc;
    }
    case 'UnaryExpression': {
      if (n.operator === 'void') return [undefined];
      const arg = foldNode(n.argument!, scope, depth + 1);
      if (arg === null) return null;
      return map(arg, (v) => {
        if (v instanceof WellKnownSymbol || Array.isArray(v) || typeof v === 'bigint') return NO;
        if (n.operator === '-') return -Number(v);
        if (n.operator === '+') return Number(v);
        if (n.operator === '!') return !v;
        if (n.operator === 'typeof') return v === null ? 'object' : typeof v;
        return NO;
      });
    }
    case 'ConditionalExpression': {
      const a = foldNode(n.consequent as N, scope, depth + 1);
      const b = a === null ? null : foldNode(n.alternate!, scope, depth + 1);
      return a === null || b === null ? null : union(a, b);
    }
    case 'LogicalExpression': {
      const a = foldNode(n.left!, scope, depth + 1);
      const b = a === null ? null : foldNode(n.right!, scope, depth + 1);
      return a === null || b === null ? null : union(a, b);
    }
    case 'AssignmentExpression':
      // `x[k = 'constructor']`: the value of an assignment is its right side.
      return n.operator === '=' ? foldNode(n.right!, scope, depth + 1) : null;
    case 'NewExpression': {
      // `new String('constructor')` converts to its string as a key.
      const callee = unwrap(n.callee!);
      const args = n.arguments ?? [];
      if (callee.type !== 'Identifier' || callee.name !== 'String' || scope.lookup('String') !== undefined || args.length !== 1 || args[0]!.type === 'SpreadElement') return null;
      const v = foldNode(args[0]!, scope, depth + 1);
      return v === null ? null : map(v, (x) => (x instanceof WellKnownSymbol ? NO : toKey(x)));
    }
    case 'SequenceExpression':
      return foldNode(n.expressions![n.expressions!.length - 1]!, scope, depth + 1);
    case 'MemberExpression': {
      const object = unwrap(n.object!);
      // Symbol.iterator and the other well-known symbols.
      if (!n.computed && object.type === 'Identifier' && object.name === 'Symbol' && scope.lookup('Symbol') === undefined) {
        return [new WellKnownSymbol(n.property!.name!)];
      }
      const base = foldNode(object, scope, depth + 1);
      if (base === null) return null;
      const keys = n.computed ? foldNode(n.property!, scope, depth + 1) : [n.property!.name!];
      if (keys === null) return null;
      return combine(base, keys, (b, k) => {
        if (!(typeof b === 'string' || Array.isArray(b)) || k instanceof WellKnownSymbol) return NO;
        const key = toKey(k);
        if (key === 'length') return b.length;
        const index = Number(key);
        return Number.isInteger(index) && index >= 0 && String(index) === key ? (b[index] ?? undefined) : NO;
      });
    }
    case 'CallExpression':
      return call(n, scope, depth);
    default:
      return null;
  }
}

/** Marks a combination that does not fold. */
const NO: unique symbol = Symbol('no');
type Maybe = Folded | typeof NO;

function single(values: Folded[] | null): { value: Folded } | null {
  return values !== null && values.length === 1 ? { value: values[0] } : null;
}

function checkSize(value: Folded): boolean {
  return !(typeof value === 'string' && value.length > MAX_STRING) && !(Array.isArray(value) && value.length > MAX_STRING);
}

function map(values: Folded[], f: (v: Folded) => Maybe): Folded[] | null {
  const out: Folded[] = [];
  for (const v of values) {
    const r = f(v);
    if (r === NO || !checkSize(r)) return null;
    out.push(r);
  }
  return dedupe(out);
}

function combine(a: Folded[], b: Folded[], f: (x: Folded, y: Folded) => Maybe): Folded[] | null {
  if (a.length * b.length > MAX_CANDIDATES) return null;
  const out: Folded[] = [];
  for (const x of a) {
    for (const y of b) {
      const r = f(x, y);
      if (r === NO || !checkSize(r)) return null;
      out.push(r);
    }
  }
  return dedupe(out);
}

function union(a: Folded[], b: Folded[]): Folded[] | null {
  return a.length + b.length > MAX_CANDIDATES ? null : dedupe([...a, ...b]);
}

function dedupe(values: Folded[]): Folded[] {
  if (values.length < 2) return values;
  const seen = new Set<unknown>();
  return values.filter((v) => {
    const k = typeof v === 'object' && v !== null ? v : `${typeof v}:${String(v)}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** `a + b` with JavaScript's semantics on primitives (arrays join first, as ToPrimitive does). */
function plus(a: Folded, b: Folded): Maybe {
  if (a instanceof WellKnownSymbol || b instanceof WellKnownSymbol) return NO;
  const x = Array.isArray(a) ? toKey(a) : a;
  const y = Array.isArray(b) ? toKey(b) : b;
  if (typeof x === 'bigint' || typeof y === 'bigint') {
    return typeof x === 'bigint' && typeof y === 'bigint' ? x + y : typeof x === 'string' || typeof y === 'string' ? String(x) + String(y) : NO;
  }
  return (x as string) + (y as string);
}

function template(n: N, scope: Scope, depth: number, raw: boolean): Folded[] | null {
  let acc: Folded[] = [''];
  const quasis = n.quasis!;
  const expressions = n.expressions!;
  for (let i = 0; i < quasis.length; i++) {
    const value = quasis[i]!.value as { cooked?: string | null; raw: string };
    const text = raw ? value.raw : value.cooked;
    if (typeof text !== 'string') return null;
    acc = combine(acc, [text], (a, b) => `${a as string}${b as string}`) ?? [];
    if (acc.length === 0) return null;
    if (i < expressions.length) {
      const v = foldNode(expressions[i]!, scope, depth + 1);
      if (v === null) return null;
      const next = combine(acc, v, (a, b) => (b instanceof WellKnownSymbol ? NO : `${a as string}${toKey(b)}`));
      if (next === null) return null;
      acc = next;
    }
  }
  return acc;
}

/** True when `node` is `Global.member` and `Global` is not shadowed by a local binding. */
function isGlobalMember(node: N, scope: Scope, global: string, member: string): boolean {
  if (node.type !== 'MemberExpression' || node.computed) return false;
  const object = unwrap(node.object!);
  return object.type === 'Identifier' && object.name === global && node.property!.name === member && scope.lookup(global) === undefined;
}

/** The items of a spread of a constant string or array, or null. */
function spreadValues(element: N, scope: Scope, depth: number): Folded[] | null {
  const v = single(foldNode(element.argument!, scope, depth + 1));
  if (v === null) return null;
  if (typeof v.value === 'string') return [...v.value];
  return Array.isArray(v.value) ? v.value : null;
}

/** Pure global functions of one string that a key may be built with. */
const STRING_FUNCTIONS: Readonly<Record<string, (s: string) => unknown>> = {
  decodeURIComponent,
  decodeURI,
  unescape: (s) => (globalThis as unknown as { unescape(s: string): string }).unescape(s),
};

function call(n: N, scope: Scope, depth: number): Folded[] | null {
  const callee = unwrap(n.callee!);
  const args: Folded[][] = [];
  for (const arg of n.arguments!) {
    if (arg.type === 'SpreadElement') {
      // `String.fromCharCode(...[99, 111])`
      const spread = spreadValues(arg, scope, depth);
      if (spread === null || spread.length > MAX_STRING) return null;
      for (const v of spread) args.push([v]);
      continue;
    }
    const v = foldNode(arg, scope, depth + 1);
    if (v === null) return null;
    args.push(v);
  }
  const onlyArgs = (): Folded[] | null => {
    const values: Folded[] = [];
    for (const a of args) {
      if (a.length !== 1) return null;
      values.push(a[0]);
    }
    return values;
  };
  // String(x)
  if (callee.type === 'Identifier' && callee.name === 'String' && scope.lookup('String') === undefined) {
    return args.length === 0 ? [''] : map(args[0]!, (v) => (v instanceof WellKnownSymbol ? NO : toKey(v)));
  }
  // decodeURIComponent('%63onstructor'), decodeURI, unescape
  if (callee.type === 'Identifier' && Object.hasOwn(STRING_FUNCTIONS, callee.name!) && scope.lookup(callee.name!) === undefined && args.length === 1) {
    const f = STRING_FUNCTIONS[callee.name!]!;
    return map(args[0]!, (v) => {
      if (typeof v !== 'string') return NO;
      try {
        return f(v) as string;
      } catch {
        return NO; // URIError on malformed input
      }
    });
  }
  // JSON.parse('"constructor"'): data only, kept when it is a primitive or an array of primitives.
  if (callee.type === 'MemberExpression' && isGlobalMember(callee, scope, 'JSON', 'parse') && args.length === 1) {
    return map(args[0]!, (v) => {
      if (typeof v !== 'string' || v.length > MAX_STRING) return NO;
      try {
        const parsed: unknown = JSON.parse(v);
        const primitive = (x: unknown): boolean => x === null || ['string', 'number', 'boolean'].includes(typeof x);
        return primitive(parsed) || (Array.isArray(parsed) && parsed.every(primitive)) ? (parsed as Folded) : NO;
      } catch {
        return NO;
      }
    });
  }
  if (callee.type !== 'MemberExpression') return null;
  // String.fromCharCode(99, 111, ...) and String.fromCodePoint(...)
  for (const name of ['fromCharCode', 'fromCodePoint'] as const) {
    if (isGlobalMember(callee, scope, 'String', name)) {
      const values = onlyArgs();
      if (values === null || values.length > MAX_STRING || !values.every((v) => typeof v === 'number' || typeof v === 'string')) return null;
      try {
        return [String[name](...values.map(Number))];
      } catch {
        return null; // fromCodePoint throws RangeError on invalid code points
      }
    }
  }
  // Pure methods on a constant string or array receiver.
  const method = callee.computed ? single(foldNode(callee.property!, scope, depth + 1)) : { value: callee.property!.name as Folded };
  if (method === null || typeof method.value !== 'string') return null;
  const name = method.value;
  const receiver = foldNode(callee.object!, scope, depth + 1);
  const values = onlyArgs();
  if (receiver === null || values === null) return null;
  if (!values.every((v) => v === undefined || typeof v === 'string' || typeof v === 'number' || Array.isArray(v))) return null;
  return map(receiver, (r) => {
    try {
      // (1234567).toString(36): numbers spell letters in a radix.
      if (typeof r === 'number' && (name === 'toString' || name === 'toFixed' || name === 'toPrecision' || name === 'toExponential')) {
        const f = (Number.prototype as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!;
        return f.apply(r, values) as Folded;
      }
      if (typeof r === 'string' && STRING_METHODS.has(name)) {
        if (name === 'repeat' && !(typeof values[0] === 'number' && values[0] * r.length <= MAX_STRING)) return NO;
        if ((name === 'padStart' || name === 'padEnd') && !(typeof values[0] === 'number' && values[0] <= MAX_STRING)) return NO;
        if ((name === 'replace' || name === 'replaceAll') && typeof values[1] !== 'string') return NO; // no callbacks
        const f = (String.prototype as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!;
        return f.apply(r, values) as Folded;
      }
      if (Array.isArray(r) && ARRAY_METHODS.has(name)) {
        if (name === 'reverse' || name === 'toReversed') return [...r].reverse();
        const f = (Array.prototype as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!;
        return f.apply(r, values) as Folded;
      }
    } catch {
      return NO;
    }
    return NO;
  });
}

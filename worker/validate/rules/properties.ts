/**
 * Property rules: the names that lead from ordinary values to constructors, prototypes and callers
 * (`forbidden-property`), writes into prototypes (`no-prototype-write`), and computed keys that are
 * not constant on targets where any key could be one of those (`dynamic-sensitive-access`).
 *
 * A property is reached the same way whether it is written `x.k`, `x?.k`, `x['k']`,
 * `x['\x6b']`, `x[`k`]`, `x['' + 'k']`, `const { k } = x` or `Reflect.get(x, 'k')`: every form
 * goes through the same site check, with the key folded to a constant when it is one.
 */
import { target, unwrap, type N } from '../ast.js';
import { DYNAMIC, fold, toKey, TOO_DEEP, type FoldResult } from '../constant.js';
import type { Context } from '../context.js';
import { snippetOf } from '../position.js';
import { constantInit, type Scope } from '../scope.js';
import { SiteKind, type CallSite, type PropertySite } from '../walk.js';
import { evaluationRule } from './evaluation.js';
import { hostGlobalProperty, isGlobalThis } from './globals.js';

/** Forbidden property names, with the path each opens. */
export const FORBIDDEN_PROPERTIES: ReadonlyMap<string, string> = new Map([
  ['constructor', '`constructor` leads from any value to its constructor, and from there to `Function`'],
  ['__proto__', '`__proto__` reads or replaces an object\'s prototype'],
  ['__defineGetter__', '`__defineGetter__` installs accessors on any object, prototypes included'],
  ['__defineSetter__', '`__defineSetter__` installs accessors on any object, prototypes included'],
  ['__lookupGetter__', '`__lookupGetter__` hands out accessor functions found along the prototype chain'],
  ['__lookupSetter__', '`__lookupSetter__` hands out accessor functions found along the prototype chain'],
  ['caller', '`caller` exposes the function that called this one'],
  ['callee', '`callee` exposes the running function'],
]);

/**
 * Globals whose dynamic members are sensitive: the global object and the ECMAScript constructors
 * and namespaces (a dynamic key on them can name `eval`, `Function`, `defineProperty`, ...).
 * `Math` and `JSON` are left out on purpose: `Math[name](x)` is ordinary code, and neither holds
 * anything a plain object does not.
 */
export const SENSITIVE_GLOBALS: ReadonlySet<string> = new Set([
  'globalThis', 'window', 'self', 'global', 'top', 'parent', 'frames',
  'Object', 'Function', 'Reflect', 'Proxy', 'Symbol', 'Array', 'String', 'Number', 'Boolean', 'BigInt', 'Date', 'RegExp', 'Promise',
  'Error', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError', 'AggregateError', 'InternalError',
  'Map', 'Set', 'WeakMap', 'WeakSet', 'WeakRef', 'FinalizationRegistry', 'Iterator', 'ArrayBuffer', 'SharedArrayBuffer', 'DataView',
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float16Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'Atomics', 'Intl',
]);

/** Reflective accessors treated as the member access they perform: `Reflect.get(o, k)` is `o[k]`. */
const REFLECTIVE: ReadonlyMap<string, { kind: typeof SiteKind.Read | typeof SiteKind.Write; keyed: boolean }> = new Map([
  ['Reflect.get', { kind: SiteKind.Read, keyed: true }],
  ['Reflect.getOwnPropertyDescriptor', { kind: SiteKind.Read, keyed: true }],
  ['Object.getOwnPropertyDescriptor', { kind: SiteKind.Read, keyed: true }],
  ['Reflect.set', { kind: SiteKind.Write, keyed: true }],
  ['Reflect.defineProperty', { kind: SiteKind.Write, keyed: true }],
  ['Reflect.deleteProperty', { kind: SiteKind.Write, keyed: true }],
  ['Object.defineProperty', { kind: SiteKind.Write, keyed: true }],
  // Writes into their first argument under keys of their own: checked as writes into a prototype.
  ['Object.defineProperties', { kind: SiteKind.Write, keyed: false }],
  ['Object.assign', { kind: SiteKind.Write, keyed: false }],
  ['Object.setPrototypeOf', { kind: SiteKind.Write, keyed: false }],
  ['Reflect.setPrototypeOf', { kind: SiteKind.Write, keyed: false }],
]);

const PROTOTYPE_WHY = 'writing to a prototype changes every object that inherits from it (prototype pollution); use a class, or a plain object';
const MAX_ALIAS_HOPS = 16;

/** Checks every recorded property site. */
export function checkSites(ctx: Context, sites: readonly PropertySite[]): void {
  for (const site of sites) {
    if (ctx.full) return;
    checkSite(ctx, site);
  }
}

/** Checks calls to reflective accessors as the member accesses they perform. */
export function checkCalls(ctx: Context, calls: readonly CallSite[]): void {
  for (const { node, scope } of calls) {
    if (ctx.full) return;
    const name = globalMethodName(unwrap(node.callee!), scope);
    const spec = name === null ? undefined : REFLECTIVE.get(name);
    const args = node.arguments ?? [];
    const object = args[0];
    if (spec === undefined || object === undefined || object.type === 'SpreadElement') continue;
    if (spec.keyed) {
      const key = args[1];
      if (key === undefined || key.type === 'SpreadElement') {
        // The key is unknowable: as dynamic as `o[k]`.
        if (!ctx.options.allowDynamicSensitiveAccess) dynamic(ctx, { kind: spec.kind, at: node.start, node, key: node, object, scope });
        if (spec.kind === SiteKind.Write && isPrototypeObject(object, scope, 0)) prototypeWrite(ctx, node.start, node);
        continue;
      }
      checkSite(ctx, { kind: spec.kind, at: key.start, node, key, object, scope });
    } else if (isPrototypeObject(object, scope, 0)) prototypeWrite(ctx, object.start, node);
  }
}

function checkSite(ctx: Context, site: PropertySite): void {
  const { kind, object, scope } = site;
  const keys: FoldResult = typeof site.key === 'string' ? [site.key] : fold(site.key, scope);
  if (keys === TOO_DEEP) {
    ctx.report('nesting-too-deep', site.at, site.node.start, site.node.end, snippetOf(ctx.code, site.node.start, site.node.end), 'the computed key nests too deep to resolve; simplify it');
    return;
  }
  const read = kind === SiteKind.Read || kind === SiteKind.PatternRead;
  const write = kind === SiteKind.Write;
  if (keys !== DYNAMIC) {
    for (const value of keys) {
      const key = toKey(value);
      if (read || write) {
        const evaluation = evaluationRule(key, object);
        if (evaluation !== null) {
          ctx.report(evaluation.rule, site.at, site.node.start, site.node.end, key, evaluation.why);
          continue;
        }
      }
      const forbidden = FORBIDDEN_PROPERTIES.get(key);
      if (forbidden !== undefined) {
        ctx.report('forbidden-property', site.at, site.node.start, site.node.end, key, forbidden);
        continue;
      }
      if (write && key === 'prototype') prototypeWrite(ctx, site.at, site.node);
      else if (read && object !== null && isGlobalThis(target(object), (name) => scope.lookup(name))) {
        const why = hostGlobalProperty(ctx, key);
        if (why !== null) ctx.report('host-global', site.at, site.node.start, site.node.end, key, why);
      }
    }
  }
  // A write into a prototype is reported as such, whatever its key; a dynamic key elsewhere on a sensitive target is its own rule.
  if (write && object !== null && isPrototypeObject(object, scope, 0)) prototypeWrite(ctx, site.at, site.node);
  else if (keys === DYNAMIC && (read || write) && object !== null && !ctx.options.allowDynamicSensitiveAccess) dynamic(ctx, site);
}

function dynamic(ctx: Context, site: PropertySite): void {
  const what = sensitive(site.object!, site.scope, 0);
  if (what === null) return;
  const subject = snippetOf(ctx.code, site.node.start, site.node.end);
  ctx.report(
    'dynamic-sensitive-access',
    site.at,
    site.node.start,
    site.node.end,
    subject,
    `a computed key that is not a constant, on ${what}, could name anything there (\`eval\`, \`Function\`, \`constructor\`); use a constant key or a Map (a policy can relax this with validation.allowDynamicSensitiveAccess)`,
  );
}

function prototypeWrite(ctx: Context, at: number, node: N): void {
  ctx.report('no-prototype-write', at, node.start, node.end, snippetOf(ctx.code, node.start, node.end), PROTOTYPE_WHY);
}

/** `Object.defineProperty` and the like, when the global (`Object`, `Reflect`) is not shadowed. */
function globalMethodName(callee: N, scope: Scope): string | null {
  if (callee.type !== 'MemberExpression') return null;
  const object = unwrap(callee.object!);
  if (object.type !== 'Identifier' || (object.name !== 'Object' && object.name !== 'Reflect') || scope.lookup(object.name) !== undefined) return null;
  const key = propertyName(callee, scope);
  return key === null ? null : `${object.name}.${key}`;
}

/** The constant name of a member's property, or null. */
function propertyName(member: N, scope: Scope): string | null {
  if (!member.computed) return member.property?.type === 'Identifier' ? member.property.name! : null;
  const keys = fold(member.property!, scope);
  return Array.isArray(keys) && keys.length === 1 ? toKey(keys[0]) : null;
}

/**
 * What makes `node` a sensitive target, or null: the global object, a built-in constructor or
 * namespace, a prototype, a function or class (literal or declared), or an alias of one (a `const`,
 * or a `let`/`var` nothing writes again).
 */
export function sensitive(node: N, scope: Scope, hops: number): string | null {
  const n = target(node);
  switch (n.type) {
    case 'Identifier': {
      const name = n.name!;
      const binding = scope.lookup(name);
      if (binding === undefined) return SENSITIVE_GLOBALS.has(name) ? `the global \`${name}\`` : null;
      if (binding.kind === 'function' || binding.kind === 'class') return `the ${binding.kind} \`${name}\``;
      const init = constantInit(binding);
      return init !== null && hops < MAX_ALIAS_HOPS ? sensitive(init, binding.scope, hops + 1) : null;
    }
    case 'ThisExpression':
      return scope.thisIsGlobal ? 'the global object (`this` at the top level of a script)' : null;
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
    case 'ClassExpression':
      return 'a function literal';
    default:
      return isPrototypeObject(n, scope, hops) ? 'a prototype object' : null;
  }
}

/** True for `x.prototype`, `x.__proto__`, `Object.getPrototypeOf(x)`, `Reflect.getPrototypeOf(x)`, and aliases of those (see {@link sensitive}). */
function isPrototypeObject(node: N, scope: Scope, hops: number): boolean {
  const n = target(node);
  if (n.type === 'MemberExpression') {
    const key = propertyName(n, scope);
    return key === 'prototype' || key === '__proto__';
  }
  if (n.type === 'CallExpression') {
    const name = globalMethodName(unwrap(n.callee!), scope);
    return name === 'Object.getPrototypeOf' || name === 'Reflect.getPrototypeOf';
  }
  if (n.type === 'Identifier' && hops < MAX_ALIAS_HOPS) {
    const binding = scope.lookup(n.name!);
    const init = binding === undefined ? null : constantInit(binding);
    return init !== null && isPrototypeObject(init, binding!.scope, hops + 1);
  }
  return false;
}

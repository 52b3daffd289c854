/**
 * fast-check arbitraries for hostile guest programs (issue 16). A program is a few fragments, each
 * drawn from a class of attack that once crashed the WASM module or could: recursion through every
 * builtin that takes a callback, Proxies, getters on results and tool arguments, promise/job floods,
 * timers, huge and odd strings, typed arrays, BigInt, regexps, module imports, tool calls; fragments
 * nest inside one another (try, async, jobs, timers, getters, loops) the way generated attacks did.
 * Every fragment is valid JavaScript; the harness checks outcomes, not syntax.
 */
import fc from 'fast-check';

/** `r` re-enters itself through a builtin; `D` is replaced by a depth bound (or Infinity). */
const RECURSE_THROUGH: readonly string[] = [
  '[1].map(r)',
  '[1].forEach(r)',
  '[1, 2].filter(r)',
  '[1, 2].reduce((a) => r(a), 0)',
  '[3, 1, 2].sort((a, b) => (r(a), 0))',
  '[1].find(r)',
  '[1].some(r)',
  '[1].flatMap(r)',
  'Array.from({ length: 1 }, r)',
  '"a".replace(/a/, () => String(r()))',
  '"a".replaceAll("a", () => String(r()))',
  'JSON.stringify({ a: 1 }, (k, v) => (k ? r() : v))',
  'JSON.parse("[1]", (k, v) => (r(), v))',
  'new Promise((res) => res(r()))',
  'Reflect.apply(r, null, [])',
  'r.call(null)',
  'r.apply(null, [])',
  'r.bind(null)()',
  '({ get x() { return r(); } }).x',
  '({ set x(v) { r(); } }).x = 1',
  'String({ toString: r })',
  '`${{ toString: r }}`',
  '+{ valueOf: r }',
  '+{ [Symbol.toPrimitive]: r }',
  '1 instanceof { [Symbol.hasInstance]: r }',
  '[...{ [Symbol.iterator]() { r(); return [][Symbol.iterator](); } }]',
  'new Proxy({}, { get: r }).x',
  'new Proxy({}, { has: r }).x in {}',
  '("x" in new Proxy({}, { has: () => r() }))',
  'Object.keys(new Proxy({}, { ownKeys() { r(); return []; } }))',
  'new Proxy(function () {}, { apply: r })()',
  'Object.defineProperty({}, "x", { get: r }).x',
  '[{ toString: r }].join()',
  '[[{ toString: r }]].toString()',
  'new Map([[1, 1]]).forEach(r)',
  'new Set([1]).forEach(r)',
  'Object.entries({ get a() { return r(); } })',
  'Object.assign({}, { get a() { return r(); } })',
  '({ ...{ get a() { return r(); } } })',
  'r.toString() && r()',
];

/** Recursion that is not through a builtin: generators, async, deep data, nested proxies. */
const DEEP: readonly string[] = [
  'function* g(n) { if (n > 0) yield* g(n - 1); else yield 1; } [...g(D)].length',
  'async function f(n) { return n > 0 ? f(n - 1) : 0; } f(D)',
  'async function f(n) { if (n) await f(n - 1); } f(D)',
  'async function* g(n) { if (n > 0) yield* g(n - 1); yield 1; } (async () => { let c = 0; for await (const x of g(D)) c++; return c; })()',
  'JSON.parse("[".repeat(D) + "]".repeat(D))',
  'JSON.parse("{\\"a\\":".repeat(D) + "1" + "}".repeat(D))',
  'let v = 1; for (let i = 0; i < D; i++) v = [v]; JSON.stringify(v)',
  'let v = 1; for (let i = 0; i < D; i++) v = { v }; String(JSON.stringify(v)).length',
  'let v = []; for (let i = 0; i < D; i++) v = [v]; v.flat(Infinity)',
  'let v = []; for (let i = 0; i < D; i++) v = [v]; String(v)',
  'let p = {}; for (let i = 0; i < D; i++) p = new Proxy(p, {}); p.x',
  'let o = {}; for (let i = 0; i < D; i++) o = Object.create(new Proxy(o, {})); o.x',
  'let f = function () { return 1; }; for (let i = 0; i < D; i++) f = f.bind(null); f()',
  'const a = []; let c = a; for (let i = 0; i < D; i++) { const n = []; c.push(n); c = n; } c.push(a); String(a)',
  'new RegExp("(?:a|".repeat(D) + ")".repeat(D)).test("a")',
  'new RegExp("(".repeat(Math.min(D, 60000)) + ")".repeat(Math.min(D, 60000))).exec("")',
  'let v = 1; for (let i = 0; i < D; i++) v = [v]; v',
];

/** Job, timer and host-call floods, and things left running when the run answers. */
const FLOOD: readonly string[] = [
  'function loop() { return Promise.resolve().then(loop); } loop();',
  'function lc() { return Promise.resolve().then(lc).catch(lc); } lc();',
  'for (let i = 0; i < N; i++) Promise.resolve(i).then((x) => x + 1);',
  'for (let i = 0; i < N; i++) queueMicrotask(() => {});',
  'for (let i = 0; i < N; i++) setTimeout(() => {}, i % 3);',
  'function t() { setTimeout(t, 0); setTimeout(t, 0); } t();',
  'for (let i = 0; i < Math.min(N, 2000); i++) tools.echo(i);',
  'await Promise.all(Array.from({ length: Math.min(N, 500) }, (_, i) => tools.echo(i)));',
  'await new Promise((res) => setTimeout(res, N % 50));',
  'await tools.echo({ n: N, s: "x".repeat(N % 1000) });',
  'const fr = new FinalizationRegistry(() => { for (let i = 0; i < 100; i++) fr.register({}, 0); }); for (let i = 0; i < N; i++) fr.register({}, 0);',
  'const fr = new FinalizationRegistry(() => {}); for (let i = 0; i < N; i++) fr.register({ i }, i);',
  'const refs = []; for (let i = 0; i < N; i++) refs.push(new WeakRef({ i })); refs.filter((r) => r.deref()).length;',
  'const keep = []; for (let i = 0; i < N; i++) keep.push({ i, self: keep });',
  'Promise.resolve().then(() => { const a = []; for (let i = 0; i < N * 20; i++) a.push({ i }); });',
  'Promise.reject(new Error("unhandled"));',
];

/** Odd values: strings, buffers, BigInt, regexps, values that cross to the host. */
const DATA: readonly string[] = [
  '"x".repeat(N * 1000).length',
  '"\\ud800\\u0000\\udfff".repeat(N)',
  'String.fromCharCode(0xd800, 0, 0xdfff).normalize()',
  'new Uint8Array(N * 1024).fill(7).reduce((a, b) => a + b, 0)',
  'new Float64Array(new ArrayBuffer(N * 8)).map((x, i) => i).length',
  'new DataView(new ArrayBuffer(16)).getFloat64(0)',
  'const keep = []; for (let i = 0; i < N; i++) keep.push(new ArrayBuffer(1 << 16)); keep.length',
  'new ArrayBuffer(8, { maxByteLength: 1 << 20 }).resize(N)',
  '(2n ** BigInt(N * 10)).toString().length',
  'BigInt("9".repeat(Math.min(N * 10, 20000))) % 7n',
  '/^(a+)+$/.test("a".repeat(Math.min(N, 28)) + "b")',
  '"ab".repeat(N).match(/(a|b)*/g).length',
  'new RegExp("[" + "a-z".repeat(N % 100) + "]", "u").test("q")',
  'JSON.stringify({ s: "\\u2028\\u0000", n: -0, a: [undefined, () => 1, Symbol("x")] })',
  'Array.from({ length: N }, (_, i) => i).join().length',
  'Object.fromEntries(Array.from({ length: N }, (_, i) => ["k" + i, i]))',
  'new Date(8.64e15 + N).getTime()',
  'Symbol.for("x".repeat(N % 100)).description.length',
  'new Intl.NumberFormat ? 1 : 0',
  'Math.random() < 1',
];

/** Values handed to a tool: getters, toJSON, proxies, cycles, bigints, functions, deep nesting. */
const TOOL_ARG: readonly string[] = [
  '{ a: 1 }',
  '{ get a() { return tools.echo(1); } }',
  '{ toJSON() { tools.echo(1); return 1; } }',
  'new Proxy({}, { ownKeys() { tools.echo(1); return ["a"]; }, getOwnPropertyDescriptor() { return { value: 1, enumerable: true, configurable: true }; } })',
  '(() => { const o = {}; o.o = o; return o; })()',
  '{ n: 1n }',
  '{ f() {} }',
  '(() => { let v = 1; for (let i = 0; i < N; i++) v = [v]; return v; })()',
  '"x".repeat(N * 100)',
  '[undefined, null, NaN, -0, Infinity]',
];

/** Wrappers a fragment can run inside; `$` is the fragment. The second field: `await` allowed inside. */
const WRAP: ReadonlyArray<readonly [string, boolean]> = [
  ['try { $ } catch (e) { String(e); }', true],
  ['try { $ } finally { 1; }', true],
  ['await (async () => { $ })();', true],
  ['(async () => { $ })();', true],
  ['Promise.resolve().then(async () => { $ });', true],
  ['setTimeout(async () => { $ }, 0);', true],
  ['for (let i = 0; i < 2; i++) { $ }', true],
  ['({ get x() { $ } }).x;', false],
  ['function* w() { $ } [...w()];', false],
  ['new Proxy({}, { get() { $ } }).x;', false],
];

const depth = fc.oneof(fc.integer({ min: 1, max: 600 }), fc.constantFrom(1000, 5000, 30000, 100000, 1000000));
const count = fc.oneof(fc.integer({ min: 1, max: 200 }), fc.constantFrom(1000, 10000, 100000));

const recursion = fc.tuple(fc.constantFrom(...RECURSE_THROUGH), fc.boolean()).map(([through, bounded]) =>
  // Unbounded recursion must end in STACK_OVERFLOW; bounded recursion must just work.
  bounded
    ? `{ let n = 0; function r() { if (n++ < 50) ${through}; return 1; } r(); }`
    : `{ function r() { ${through}; return 1; } r(); }`);

/** Puts the drawn numbers in for the placeholders `D` and `N` (whole words only: `NaN`, `Date` stay). */
const fill = (template: string, d: number, n: number): string => template.replace(/\bD\b/g, String(d)).replace(/\bN\b/g, String(n));

const leaf: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: recursion },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...DEEP), depth).map(([t, d]) => `${fill(t, d, d)};`) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...FLOOD), count).map(([t, n]) => fill(t, n, n)) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...DATA), fc.integer({ min: 0, max: 4000 })).map(([t, n]) => `${fill(t, n, n)};`) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...TOOL_ARG), fc.integer({ min: 1, max: 400 })).map(([t, n]) => `await tools.echo(${fill(t, n, n)});`) },
  { weight: 1, arbitrary: fc.constantFrom('throw null;', 'throw "";', 'throw Symbol("s");', 'throw { get message() { throw 1; } };', 'throw new Proxy({}, {});') },
);

/** A fragment, possibly nested inside wrappers. */
const fragment: fc.Arbitrary<string> = fc.letrec<{ frag: string }>((tie) => ({
  frag: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.tuple(fc.constantFrom(...WRAP), tie('frag')).map(([[w, awaitAllowed], inner]) =>
      w.replace('$', () => (awaitAllowed ? inner : inner.replace(/\bawait\s+/g, '')))),
  ),
})).frag;

/** A whole guest program and how it is run. */
export interface FuzzProgram {
  code: string;
  /** Run in a session (whose globals persist) instead of a fresh context. */
  session: boolean;
  /** Index of the sandbox (each has a different maxStackBytes). */
  stack: number;
  /** Abort the run from the host after this many ms (or never). */
  abortAfterMs: number | null;
}

export const programs: fc.Arbitrary<FuzzProgram> = fc.record({
  code: fc.tuple(fc.boolean(), fc.array(fragment, { minLength: 1, maxLength: 4 }), fc.constantFrom('1', 'globalThis.x', '[1, { a: 2 }]', '"done"', 'undefined'))
    .map(([asModule, body, last]) => `${asModule ? 'import { echo } from "quickcage:tools";\n' : ''}${body.join('\n')}\n${last}`),
  session: fc.boolean(),
  stack: fc.integer({ min: 0, max: 2 }),
  // One run in six is aborted by the host at a random moment.
  abortAfterMs: fc.oneof({ weight: 5, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 200 }) }),
});

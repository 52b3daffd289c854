/**
 * The nesting limits hold against the engine that matters: for every recursive construct, the
 * deepest input that checkLimits + parseSource + validate accept (at the default budget) must
 * compile in QuickJS, in a worker, on a cold module, without an exception out of the WASM (which
 * would poison the module). And ordinary nesting (30 levels of anything) must pass.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { parseSource } from '../../worker/source.js';
import { checkLimits, DEFAULT_MAX_NESTING_DEPTH, validate } from '../../worker/validate.js';
import { QuickJSFixture } from './quickjs.js';

const r = (s: string, n: number): string => s.repeat(n);

/** One recursive construct per entry, nested n deep. */
const SHAPES: Record<string, (n: number) => string> = {
  parentheses: (n) => `${r('(', n)}1${r(')', n)}`,
  arrays: (n) => `${r('[', n)}${r(']', n)}`,
  objects: (n) => `({a:${r('{a:', n)}1${r('}', n)}})`,
  calls: (n) => `${r('f(', n)}${r(')', n)}`,
  'computed members': (n) => `${r('a[', n)}0${r(']', n)}`,
  templates: (n) => `${r('`${', n)}1${r('}`', n)}`,
  'unary operators': (n) => `${r('!', n)}1`,
  exponents: (n) => `${r('2**', n)}1`,
  'new chains': (n) => `${r('new ', n)}f`,
  conditionals: (n) => `${r('a?1:', n)}1`,
  arrows: (n) => `${r('x=>', n)}1`,
  assignments: (n) => `${r('a=', n)}1`,
  'if statements': (n) => `${r('if(a)', n)};`,
  'else-if chains': (n) => `if(a){}${r('else if(a){}', n)}`,
  labels: (n) => `${Array.from({ length: n }, (_, i) => `l${i}:`).join('')};`,
  blocks: (n) => `${r('{', n)}${r('}', n)}`,
  functions: (n) => `${r('function f(){', n)}${r('}', n)}`,
  classes: (n) => `${r('(class{m(){return ', n)}1${r('}})', n)}`,
  'negated parentheses': (n) => `${r('!(', n)}1${r(')', n)}`,
  'arrows in parentheses': (n) => `${r('(x=>', n)}1${r(')', n)}`,
  'regex groups': (n) => `/${r('(?:', n)}${r(')', n)}/`,
  'destructuring patterns': (n) => `${r('[', n)}a${r(']', n)}=[]`,
  'mixed conditional, array, not': (n) => `${r('(a?[!', n)}0${r(']:0)', n)}`,
  'binary chains': (n) => `1${r('+1', n)}`,
};

/** True when the validator lets `code` through (other rules aside: only nesting matters here). */
function accepted(code: string, maxNestingDepth = DEFAULT_MAX_NESTING_DEPTH): boolean {
  if (checkLimits(code, { maxSourceBytes: 16 * 1024 * 1024, maxNestingDepth }) !== null) return false;
  const parsed = parseSource(code, 'script');
  if (!parsed.ok) {
    if (parsed.violation) return false;
    throw new Error(`not valid JavaScript: ${parsed.message}`);
  }
  return !validate(parsed, code, { maxNestingDepth }).some((v) => v.rule === 'nesting-too-deep');
}

/** The largest n (up to `cap`) for which `accepted(shape(n))` holds. */
function deepestAccepted(shape: (n: number) => string, cap = 100_000): number {
  let lo = 0;
  let hi = 1;
  while (hi <= cap && accepted(shape(hi))) {
    lo = hi;
    hi *= 2;
  }
  if (hi > cap) return lo;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (accepted(shape(mid))) lo = mid;
    else hi = mid;
  }
  return lo;
}

const quickjs = new QuickJSFixture();
afterAll(() => quickjs.dispose());

describe('nesting the validator accepts compiles in QuickJS without overflowing the worker stack', () => {
  for (const [name, shape] of Object.entries(SHAPES)) {
    test(`${name}: the deepest accepted input compiles on a cold module`, async () => {
      const n = deepestAccepted(shape);
      expect(n).toBeGreaterThanOrEqual(30);
      const reply = await quickjs.call({ kind: 'compile', code: `var a=[],f=()=>0;${shape(n)}`, module: false, maxStackBytes: 256 * 1024, fresh: true });
      // A guest-level SyntaxError ("stack overflow" from QuickJS's own check) is acceptable; a host exception is not.
      expect(reply.ok || !reply.host, `${name} at depth ${n}: ${reply.ok ? '' : reply.error}`).toBe(true);
    });
  }
});

describe('ordinary nesting passes', () => {
  for (const [name, shape] of Object.entries(SHAPES)) {
    test(`${name}: 30 levels are accepted`, () => {
      expect(accepted(shape(30))).toBe(true);
    });
  }
});

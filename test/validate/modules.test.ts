/**
 * The trusted default modules: each passes the validator like guest code, and each behaves like
 * the Python function it stands for, evaluated in real QuickJS with a module loader that serves
 * DEFAULT_MODULES (expected values from the Python and Node documentation).
 */
import { afterAll, describe, expect, test } from 'vitest';
import { parseSource } from '../../worker/source.js';
import { DEFAULT_IMPORTS, DEFAULT_MODULES, OPTIONAL_IMPORTS, validate } from '../../worker/validate.js';
import { QuickJSFixture } from './quickjs.js';

const quickjs = new QuickJSFixture();
afterAll(() => quickjs.dispose());

/** Evaluates `main` (a module that exports `result`) in QuickJS with the default modules loadable. */
async function run(main: string): Promise<unknown> {
  const reply = await quickjs.call({ kind: 'module', code: main, modules: { ...DEFAULT_MODULES } });
  if (!reply.ok) throw new Error(reply.error);
  return reply.value;
}

describe('DEFAULT_MODULES', () => {
  test('provides exactly the default and optional specifiers', () => {
    expect(Object.keys(DEFAULT_MODULES).sort()).toEqual([...DEFAULT_IMPORTS, ...OPTIONAL_IMPORTS].sort());
    expect(Object.isFrozen(DEFAULT_MODULES)).toBe(true);
  });

  for (const [specifier, source] of Object.entries(DEFAULT_MODULES)) {
    test(`${specifier} passes the validator like guest code`, () => {
      const parsed = parseSource(source, 'module');
      if (!parsed.ok) throw new Error(parsed.message);
      expect(validate(parsed, source, {})).toEqual([]);
    });
  }
});

describe('quickcage:math', () => {
  test('matches Python math', async () => {
    expect(await run(`
      import { gcd, lcm, factorial, comb, perm, isqrt, isclose, prod } from 'quickcage:math';
      export const result = [gcd(12, 18), gcd(), gcd(-4, 6), lcm(4, 6), lcm(3, 0), factorial(0), factorial(5), comb(5, 2), comb(2, 5),
        perm(5, 2), perm(4), isqrt(17), isqrt(16), isclose(0.1 + 0.2, 0.3), isclose(1, 1.1), isclose(0, 1e-10, { absTol: 1e-9 }), prod([1, 2, 3, 4]), comb(60, 30)];
    `)).toEqual([6, 0, 2, 12, 0, 1, 120, 10, 0, 20, 24, 4, 4, true, false, true, 24, 118264581564861424]);
  });

  test('names the function, the argument and the value on bad input', async () => {
    await expect(run(`import { factorial } from 'quickcage:math'; export const result = factorial(-1);`)).rejects.toThrow(
      'RangeError: factorial: expected n to be >= 0, got -1',
    );
    await expect(run(`import { gcd } from 'quickcage:math'; export const result = gcd(1.5);`)).rejects.toThrow(
      'TypeError: gcd: expected value to be a safe integer, got 1.5',
    );
  });
});

describe('quickcage:random', () => {
  test('the same seed gives the same sequence; helpers stay in range', async () => {
    const [a, b, c, checks] = (await run(`
      import { createRandom, seed, random } from 'quickcage:random';
      const g1 = createRandom(42), g2 = createRandom(42), g3 = createRandom('other');
      const seq = (g) => [g.random(), g.random(), g.randint(1, 6)];
      seed(7); const s1 = random(); seed(7); const s2 = random();
      const ints = Array.from({ length: 1000 }, () => g1.randint(1, 6));
      const shuffled = g1.shuffle([1, 2, 3, 4, 5]).slice().sort();
      const sample = g1.sample('abcdef', 4);
      export const result = [seq(createRandom(42)), seq(g2), seq(g3), [
        s1 === s2, Math.min(...ints), Math.max(...ints), shuffled.join(), new Set(sample).size, sample.length,
        'abc'.includes(g1.choice('abc')), g1.random() < 1, typeof g1.gauss(),
      ]];
    `)) as unknown[][];
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(checks).toEqual([true, 1, 6, '1,2,3,4,5', 4, 4, true, true, 'number']);
  });

  test('rejects bad arguments with a message', async () => {
    await expect(run(`import { choice } from 'quickcage:random'; export const result = choice([]);`)).rejects.toThrow('RangeError: choice: the population is empty');
    await expect(run(`import { sample } from 'quickcage:random'; export const result = sample([1], 2);`)).rejects.toThrow(/sample: expected 0 <= k <= 1, got 2/);
  });
});

describe('quickcage:statistics', () => {
  test('matches the examples of the Python documentation', async () => {
    const r = (await run(`
      import * as s from 'quickcage:statistics';
      const data = [105, 129, 87, 86, 111, 111, 89, 81, 108, 92, 110, 100, 75, 105, 103, 109, 76, 119, 99, 91, 103, 129,
        106, 101, 84, 111, 74, 87, 86, 103, 103, 106, 86, 111, 75, 87, 102, 121, 111, 88, 89, 101, 106, 95, 103, 107, 101, 81, 109, 104];
      const year = [1971, 1975, 1979, 1982, 1983], films = [1, 2, 3, 4, 5];
      const { slope, intercept } = s.linearRegression(year, films);
      export const result = {
        mean: s.mean([1, 2, 3, 4, 4]), median: [s.median([1, 3, 5]), s.median([1, 3, 5, 7])],
        low: s.medianLow([1, 3, 5, 7]), high: s.medianHigh([1, 3, 5, 7]),
        mode: s.mode([1, 1, 2, 3, 3, 3, 3, 4]), modeText: s.mode(['red', 'blue', 'blue', 'red', 'green', 'red', 'red']),
        multimode: s.multimode('aabbbbccddddeeffffgg'),
        variance: s.variance([2.75, 1.75, 1.25, 0.25, 0.5, 1.25, 3.5]), pstdev: s.pstdev([1.5, 2.5, 2.5, 2.75, 3.25, 4.75]),
        pvariance: s.pvariance([0.0, 0.25, 0.25, 1.25, 1.5, 1.75, 2.75, 3.25]), stdev: s.stdev([1.5, 2.5, 2.5, 2.75, 3.25, 4.75]),
        deciles: s.quantiles(data, { n: 10 }).map((x) => Math.round(x * 10) / 10),
        inclusive: s.quantiles([1, 2, 3, 4, 5], { method: 'inclusive' }),
        correlation: s.correlation([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 1, 2, 3, 1, 2, 3]),
        covariance: s.covariance([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 1, 2, 3, 1, 2, 3]),
        films2019: Math.round(slope * 2019 + intercept),
      };
    `)) as Record<string, unknown>;
    expect(r).toEqual({
      mean: 2.8,
      median: [3, 4],
      low: 3,
      high: 5,
      mode: 3,
      modeText: 'red',
      multimode: ['b', 'd', 'f'],
      variance: expect.closeTo(1.3720238095238095, 14),
      pstdev: expect.closeTo(0.986893273527251, 14),
      pvariance: expect.closeTo(1.25, 14),
      stdev: expect.closeTo(1.0810874155219827, 14),
      deciles: [81, 86.2, 89, 99.4, 102.5, 103.6, 106, 109.8, 111],
      inclusive: [2, 3, 4],
      correlation: expect.closeTo(0.31622776601683794, 14),
      covariance: expect.closeTo(0.75, 14),
      films2019: 16,
    });
  });

  test('rejects empty data with a message', async () => {
    await expect(run(`import { mean } from 'quickcage:statistics'; export const result = mean([]);`)).rejects.toThrow('RangeError: mean requires at least 1 data point');
    await expect(run(`import { variance } from 'quickcage:statistics'; export const result = variance([1]);`)).rejects.toThrow('RangeError: variance requires at least 2 data points');
  });
});

describe('quickcage:itertools', () => {
  test('matches Python itertools', async () => {
    expect(await run(`
      import * as it from 'quickcage:itertools';
      const a = (g) => Array.from(g);
      export const result = [
        a(it.range(5)), a(it.range(2, 10, 3)), a(it.range(5, 0, -2)), a(it.enumerate('ab', 1)), a(it.zip([1, 2, 3], 'ab')),
        a(it.chain([1], [2, 3])), a(it.product('ab', [1, 2])), a(it.combinations('ABCD', 2)).map((c) => c.join('')),
        a(it.permutations([1, 2, 3])).length, a(it.permutations('abc', 2)).map((p) => p.join('')), a(it.accumulate([1, 2, 3, 4])),
        a(it.accumulate([1, 2, 3], (x, y) => x * y, 10)), a(it.pairwise('abc')), a(it.groupBy('AAABBC')),
        a(it.batched(it.range(7), 3)), a(it.takeWhile([1, 4, 6, 4, 1], (x) => x < 5)), a(it.dropWhile([1, 4, 6, 4, 1], (x) => x < 5)),
        it.count(10, 5).take(3).toArray(), it.cycle('ab').take(5).toArray().join(''), a(it.repeat('x', 3)), a(it.combinations([1], 2)),
      ];
    `)).toEqual([
      [0, 1, 2, 3, 4], [2, 5, 8], [5, 3, 1], [[1, 'a'], [2, 'b']], [[1, 'a'], [2, 'b']],
      [1, 2, 3], [['a', 1], ['a', 2], ['b', 1], ['b', 2]], ['AB', 'AC', 'AD', 'BC', 'BD', 'CD'],
      6, ['ab', 'ac', 'ba', 'bc', 'ca', 'cb'], [1, 3, 6, 10],
      [10, 10, 20, 60], [['a', 'b'], ['b', 'c']], [['A', ['A', 'A', 'A']], ['B', ['B', 'B']], ['C', ['C']]],
      [[0, 1, 2], [3, 4, 5], [6]], [1, 4], [6, 4, 1],
      [10, 15, 20], 'ababa', ['x', 'x', 'x'], [],
    ]);
  });
});

describe('quickcage:path', () => {
  test('matches Node path.posix (relative to /, there is no working directory)', async () => {
    expect(await run(`
      import * as p from 'quickcage:path';
      export const result = [
        p.join('/a', 'b', '../c'), p.join('a', '', 'b/'), p.join(), p.normalize('a//b/./c/..'), p.normalize('/../x'), p.normalize('../a/../../b'),
        p.dirname('/a/b/c.txt'), p.dirname('/a'), p.dirname('a'), p.basename('/a/b/c.txt'), p.basename('/a/b/c.txt', '.txt'), p.basename('/a/b/'),
        p.extname('x.tar.gz'), p.extname('.bashrc'), p.extname('a/b'), p.resolve('a', '../b'), p.resolve('/x', 'y', '/z', 'w'), p.relative('/a/b/c', '/a/d'),
        p.isAbsolute('/a'), p.isAbsolute('a'), p.parse('/home/u/file.txt'), p.sep,
      ];
    `)).toEqual([
      '/a/c', 'a/b/', '.', 'a/b', '/x', '../../b',
      '/a/b', '/', '.', 'c.txt', 'c', 'b',
      '.gz', '', '', '/b', '/z/w', '../../d',
      true, false, { root: '/', dir: '/home/u', base: 'file.txt', ext: '.txt', name: 'file' }, '/',
    ]);
  });
});

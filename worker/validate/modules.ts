/**
 * Trusted modules quickcage provides to guest code, by specifier, as ES module source text that
 * the engine registers with the QuickJS module loader.
 *
 * What the seeds' Python allow-list means in JavaScript. Most of it is built into the language,
 * and QuickJS has it: `json` is `JSON`, `re` is `RegExp`, `collections` is `Map`/`Set`/`Object.groupBy`,
 * `functools`/`operator` are closures, `.bind` and `Array.prototype.reduce`, `string` is
 * `String.prototype`, `datetime` is `Date` (QuickJS has no `Intl`), `math` is mostly `Math` (with
 * `Math.sumPrecise` for `fsum`). A module is provided only where the language has no equivalent:
 *
 * - `quickcage:math`: integer and comparison helpers Python has and `Math` lacks.
 * - `quickcage:random`: a *seedable* generator (`Math.random` cannot be seeded), with Python's helpers.
 * - `quickcage:statistics`: mean, median, mode, variance, quantiles, correlation, regression.
 * - `quickcage:itertools`: lazy `range`, `zip`, `product`, `combinations`, `permutations`, ...
 * - `quickcage:path`: POSIX path helpers for the file tools (importable only when a policy allows
 *   it: the `trustedEnvironment` preset does).
 *
 * The sources are trusted code, but they are written to pass the validator like guest code would
 * (a test checks that), so they hold nothing a guest could not write itself. They keep no state
 * besides `quickcage:random`'s default generator, and they never touch built-in prototypes, so
 * they work unchanged on frozen intrinsics.
 */
import type { DEFAULT_IMPORTS, OPTIONAL_IMPORTS } from './rules.js';

const math = String.raw`
function integer(fn, name, n) {
  if (!Number.isSafeInteger(n)) throw new TypeError(fn + ': expected ' + name + ' to be a safe integer, got ' + String(n));
  return n;
}
function natural(fn, name, n) {
  integer(fn, name, n);
  if (n < 0) throw new RangeError(fn + ': expected ' + name + ' to be >= 0, got ' + n);
  return n;
}
function gcd2(a, b) {
  a = Math.abs(a);
  b = Math.abs(b);
  while (b !== 0) { const t = a % b; a = b; b = t; }
  return a;
}
/** Greatest common divisor of integers (0 for no arguments). */
export function gcd(...values) {
  let g = 0;
  for (const v of values) g = gcd2(g, integer('gcd', 'value', v));
  return g;
}
/** Least common multiple of integers (1 for no arguments). */
export function lcm(...values) {
  let l = 1;
  for (const v of values) {
    integer('lcm', 'value', v);
    if (v === 0) return 0;
    l = Math.abs((l / gcd2(l, v)) * v);
  }
  return l;
}
/** n! as a number: exact up to 18!, approximate beyond, Infinity past 170!. */
export function factorial(n) {
  natural('factorial', 'n', n);
  let r = 1;
  for (let i = 2; i <= n; i++) r *= i;
  return r;
}
/** Ways to choose k of n items, without order. */
export function comb(n, k) {
  natural('comb', 'n', n);
  natural('comb', 'k', k);
  if (k > n) return 0;
  k = Math.min(k, n - k);
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}
/** Ways to choose k of n items, in order (k defaults to n). */
export function perm(n, k = n) {
  natural('perm', 'n', n);
  natural('perm', 'k', k);
  if (k > n) return 0;
  let r = 1;
  for (let i = n - k + 1; i <= n; i++) r *= i;
  return r;
}
/** Integer square root: the largest r with r * r <= n. */
export function isqrt(n) {
  natural('isqrt', 'n', n);
  let r = Math.floor(Math.sqrt(n));
  while (r * r > n) r--;
  while ((r + 1) * (r + 1) <= n) r++;
  return r;
}
/** Python's math.isclose: |a - b| <= max(relTol * max(|a|, |b|), absTol). */
export function isclose(a, b, options = {}) {
  const relTol = options.relTol === undefined ? 1e-9 : options.relTol;
  const absTol = options.absTol === undefined ? 0 : options.absTol;
  if (!(relTol >= 0) || !(absTol >= 0)) throw new RangeError('isclose: tolerances must be >= 0');
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  const diff = Math.abs(a - b);
  return diff <= Math.abs(relTol * b) || diff <= Math.abs(relTol * a) || diff <= absTol;
}
/** Product of an iterable of numbers, times start (default 1). */
export function prod(values, start = 1) {
  let r = start;
  for (const v of values) r *= v;
  return r;
}
`;

const random = String.raw`
function seedState(seed) {
  let h = 0x9e3779b9;
  const text = String(seed);
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x85ebca6b);
    h ^= h >>> 13;
  }
  const state = [];
  for (let i = 0; i < 4; i++) {
    h = (h + 0x9e3779b9) | 0;
    let z = h;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    state.push((z ^ (z >>> 15)) >>> 0);
  }
  return state;
}
/** A generator seeded with any value (same seed, same sequence); unseeded: seeded from Math.random. */
export function createRandom(seed) {
  let s = seedState(seed === undefined ? Math.random() : seed);
  // sfc32: small, fast, and passes PractRand; not for secrets.
  function next() {
    const t = (((s[0] + s[1]) | 0) + s[3]) | 0;
    s[3] = (s[3] + 1) | 0;
    s[0] = s[1] ^ (s[1] >>> 9);
    s[1] = (s[2] + (s[2] << 3)) | 0;
    s[2] = (s[2] << 21) | (s[2] >>> 11);
    s[2] = (s[2] + t) | 0;
    return t >>> 0;
  }
  for (let i = 0; i < 12; i++) next();
  function random() {
    return ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992;
  }
  function below(n) {
    return Math.floor(random() * n);
  }
  function list(fn, population) {
    if (population == null || typeof population.length !== 'number') throw new TypeError(fn + ': expected an array or a string');
    return population;
  }
  return Object.freeze({
    /** Reseeds this generator. */
    seed(value) { s = seedState(value === undefined ? Math.random() : value); for (let i = 0; i < 12; i++) next(); },
    /** A float in [0, 1). */
    random,
    /** An integer in [a, b], both ends included. */
    randint(a, b) {
      if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || b < a) throw new RangeError('randint: expected integers a <= b, got ' + a + ', ' + b);
      return a + below(b - a + 1);
    },
    /** A float in [a, b). */
    uniform(a, b) { return a + (b - a) * random(); },
    /** One element of a non-empty array or string. */
    choice(population) {
      const p = list('choice', population);
      if (p.length === 0) throw new RangeError('choice: the population is empty');
      return p[below(p.length)];
    },
    /** Shuffles an array in place (Fisher-Yates) and returns it. */
    shuffle(array) {
      if (!Array.isArray(array)) throw new TypeError('shuffle: expected an array');
      for (let i = array.length - 1; i > 0; i--) {
        const j = below(i + 1);
        const t = array[i];
        array[i] = array[j];
        array[j] = t;
      }
      return array;
    },
    /** k distinct elements, in random order. */
    sample(population, k) {
      const pool = Array.from(list('sample', population));
      if (!Number.isSafeInteger(k) || k < 0 || k > pool.length) throw new RangeError('sample: expected 0 <= k <= ' + pool.length + ', got ' + k);
      for (let i = 0; i < k; i++) {
        const j = i + below(pool.length - i);
        const t = pool[i];
        pool[i] = pool[j];
        pool[j] = t;
      }
      return pool.slice(0, k);
    },
    /** A normally distributed float (Box-Muller). */
    gauss(mu = 0, sigma = 1) {
      let u = 0;
      while (u === 0) u = random();
      return mu + sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
    },
  });
}
const shared = createRandom();
/** Reseeds the module's shared generator: same seed, same sequence. */
export const seed = shared.seed;
export const random = shared.random;
export const randint = shared.randint;
export const uniform = shared.uniform;
export const choice = shared.choice;
export const shuffle = shared.shuffle;
export const sample = shared.sample;
export const gauss = shared.gauss;
`;

const statistics = String.raw`
function numbers(fn, data, min = 1) {
  const xs = Array.from(data);
  for (const x of xs) if (typeof x !== 'number') throw new TypeError(fn + ': expected numbers, got ' + typeof x);
  if (xs.length < min) throw new RangeError(fn + ' requires at least ' + min + ' data point' + (min === 1 ? '' : 's'));
  return xs;
}
function sum(xs) {
  if (typeof Math.sumPrecise === 'function') return Math.sumPrecise(xs);
  let s = 0;
  let c = 0;
  for (const x of xs) {
    const t = s + x;
    c += Math.abs(s) >= Math.abs(x) ? s - t + x : x - t + s;
    s = t;
  }
  return s + c;
}
function sorted(xs) {
  return xs.slice().sort((a, b) => a - b);
}
function squares(xs, m) {
  return sum(xs.map((x) => (x - m) * (x - m))) - sum(xs.map((x) => x - m)) ** 2 / xs.length;
}
/** Arithmetic mean. */
export function mean(data) {
  const xs = numbers('mean', data);
  return sum(xs) / xs.length;
}
/** Median (mean of the two middle values for an even count). */
export function median(data) {
  const xs = sorted(numbers('median', data));
  const h = xs.length >> 1;
  return xs.length % 2 === 1 ? xs[h] : (xs[h - 1] + xs[h]) / 2;
}
/** The lower of the two middle values for an even count. */
export function medianLow(data) {
  const xs = sorted(numbers('medianLow', data));
  return xs[(xs.length - 1) >> 1];
}
/** The higher of the two middle values for an even count. */
export function medianHigh(data) {
  const xs = sorted(numbers('medianHigh', data));
  return xs[xs.length >> 1];
}
function counts(data) {
  const m = new Map();
  for (const x of data) m.set(x, (m.get(x) || 0) + 1);
  return m;
}
/** The most common value (the first one seen on ties); works on any values. */
export function mode(data) {
  const m = counts(data);
  if (m.size === 0) throw new RangeError('mode requires at least 1 data point');
  let best;
  let top = 0;
  for (const [x, n] of m) if (n > top) { best = x; top = n; }
  return best;
}
/** Every most common value, in first-seen order. */
export function multimode(data) {
  const m = counts(data);
  const top = Math.max(0, ...m.values());
  return Array.from(m).filter((e) => e[1] === top).map((e) => e[0]);
}
/** Population variance. */
export function pvariance(data, mu) {
  const xs = numbers('pvariance', data);
  return squares(xs, mu === undefined ? sum(xs) / xs.length : mu) / xs.length;
}
/** Sample variance (n - 1 in the denominator). */
export function variance(data, xbar) {
  const xs = numbers('variance', data, 2);
  return squares(xs, xbar === undefined ? sum(xs) / xs.length : xbar) / (xs.length - 1);
}
/** Population standard deviation. */
export function pstdev(data, mu) {
  return Math.sqrt(pvariance(data, mu));
}
/** Sample standard deviation. */
export function stdev(data, xbar) {
  return Math.sqrt(variance(data, xbar));
}
/** n - 1 cut points dividing the data into n intervals (Python's 'exclusive' or 'inclusive' method). */
export function quantiles(data, options = {}) {
  const n = options.n === undefined ? 4 : options.n;
  const method = options.method === undefined ? 'exclusive' : options.method;
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError('quantiles: n must be an integer >= 1, got ' + n);
  const xs = sorted(numbers('quantiles', data, 1));
  const ld = xs.length;
  const result = [];
  if (ld === 1) {
    for (let i = 1; i < n; i++) result.push(xs[0]);
    return result;
  }
  if (method === 'inclusive') {
    const m = ld - 1;
    for (let i = 1; i < n; i++) {
      const j = Math.floor((i * m) / n);
      const delta = i * m - j * n;
      result.push((xs[j] * (n - delta) + xs[Math.min(j + 1, ld - 1)] * delta) / n);
    }
    return result;
  }
  if (method !== 'exclusive') throw new RangeError("quantiles: method must be 'exclusive' or 'inclusive', got " + String(method));
  const m = ld + 1;
  for (let i = 1; i < n; i++) {
    let j = Math.floor((i * m) / n);
    j = j < 1 ? 1 : j > ld - 1 ? ld - 1 : j;
    const delta = i * m - j * n;
    result.push((xs[j - 1] * (n - delta) + xs[j] * delta) / n);
  }
  return result;
}
function pairs(fn, x, y) {
  const xs = numbers(fn, x, 2);
  const ys = numbers(fn, y, 2);
  if (xs.length !== ys.length) throw new RangeError(fn + ' requires inputs of the same length');
  return [xs, ys, sum(xs) / xs.length, sum(ys) / ys.length];
}
/** Sample covariance. */
export function covariance(x, y) {
  const [xs, ys, mx, my] = pairs('covariance', x, y);
  return sum(xs.map((v, i) => (v - mx) * (ys[i] - my))) / (xs.length - 1);
}
/** Pearson's correlation coefficient. */
export function correlation(x, y) {
  const [xs, ys, mx, my] = pairs('correlation', x, y);
  const sxy = sum(xs.map((v, i) => (v - mx) * (ys[i] - my)));
  const sxx = sum(xs.map((v) => (v - mx) * (v - mx)));
  const syy = sum(ys.map((v) => (v - my) * (v - my)));
  if (sxx === 0 || syy === 0) throw new RangeError('correlation: at least one of the inputs is constant');
  return sxy / Math.sqrt(sxx * syy);
}
/** Ordinary least squares: y = slope * x + intercept. */
export function linearRegression(x, y) {
  const [xs, ys, mx, my] = pairs('linearRegression', x, y);
  const sxx = sum(xs.map((v) => (v - mx) * (v - mx)));
  if (sxx === 0) throw new RangeError('linearRegression: x is constant');
  const slope = sum(xs.map((v, i) => (v - mx) * (ys[i] - my))) / sxx;
  return { slope, intercept: my - slope * mx };
}
`;

const itertools = String.raw`
/** Integers from start (default 0) up to stop, excluded, by step: range(3) is 0, 1, 2. */
export function* range(start, stop, step = 1) {
  if (stop === undefined) { stop = start; start = 0; }
  if (step === 0) throw new RangeError('range: step must not be 0');
  if (step > 0) for (let i = start; i < stop; i += step) yield i;
  else for (let i = start; i > stop; i += step) yield i;
}
/** start, start + step, ... forever. */
export function* count(start = 0, step = 1) {
  for (let i = start; ; i += step) yield i;
}
/** The items of an iterable, over and over. */
export function* cycle(iterable) {
  const saved = Array.from(iterable);
  if (saved.length === 0) return;
  for (;;) yield* saved;
}
/** value, times times (forever without times). */
export function* repeat(value, times = Infinity) {
  for (let i = 0; i < times; i++) yield value;
}
/** [index, item] pairs. */
export function* enumerate(iterable, start = 0) {
  let i = start;
  for (const x of iterable) yield [i++, x];
}
/** Tuples of the i-th items, stopping at the shortest input. */
export function* zip(...iterables) {
  if (iterables.length === 0) return;
  const its = iterables.map((it) => it[Symbol.iterator]());
  for (;;) {
    const row = [];
    for (const it of its) {
      const r = it.next();
      if (r.done) return;
      row.push(r.value);
    }
    yield row;
  }
}
/** The items of each iterable in turn. */
export function* chain(...iterables) {
  for (const it of iterables) yield* it;
}
/** Cartesian product: every tuple with one item from each input. */
export function* product(...iterables) {
  const pools = iterables.map((it) => Array.from(it));
  if (pools.some((p) => p.length === 0)) return;
  const idx = pools.map(() => 0);
  for (;;) {
    yield idx.map((i, k) => pools[k][i]);
    let k = pools.length - 1;
    while (k >= 0 && ++idx[k] === pools[k].length) { idx[k] = 0; k--; }
    if (k < 0) return;
  }
}
/** r-length combinations, in lexicographic order of positions. */
export function* combinations(iterable, r) {
  const pool = Array.from(iterable);
  const n = pool.length;
  if (r > n) return;
  const idx = Array.from({ length: r }, (_, i) => i);
  yield idx.map((i) => pool[i]);
  for (;;) {
    let i = r - 1;
    while (i >= 0 && idx[i] === i + n - r) i--;
    if (i < 0) return;
    idx[i]++;
    for (let j = i + 1; j < r; j++) idx[j] = idx[j - 1] + 1;
    yield idx.map((k) => pool[k]);
  }
}
/** r-length permutations (r defaults to the length), in lexicographic order of positions. */
export function* permutations(iterable, r) {
  const pool = Array.from(iterable);
  const n = pool.length;
  const size = r === undefined ? n : r;
  if (size > n) return;
  const used = pool.map(() => false);
  const current = [];
  function* step() {
    if (current.length === size) { yield current.slice(); return; }
    for (let i = 0; i < n; i++) {
      if (used[i]) continue;
      used[i] = true;
      current.push(pool[i]);
      yield* step();
      current.pop();
      used[i] = false;
    }
  }
  yield* step();
}
/** Running totals (or running results of fn). */
export function* accumulate(iterable, fn = (a, b) => a + b, initial) {
  let started = initial !== undefined;
  let acc = initial;
  if (started) yield acc;
  for (const x of iterable) {
    acc = started ? fn(acc, x) : x;
    started = true;
    yield acc;
  }
}
/** Overlapping pairs: [a, b], [b, c], ... */
export function* pairwise(iterable) {
  let first = true;
  let prev;
  for (const x of iterable) {
    if (!first) yield [prev, x];
    prev = x;
    first = false;
  }
}
/** Runs of consecutive items with the same key, as [key, items]. */
export function* groupBy(iterable, key = (x) => x) {
  let group = null;
  let current;
  for (const x of iterable) {
    const k = key(x);
    if (group !== null && k === current) group.push(x);
    else {
      if (group !== null) yield [current, group];
      group = [x];
      current = k;
    }
  }
  if (group !== null) yield [current, group];
}
/** Items while predicate holds. */
export function* takeWhile(iterable, predicate) {
  for (const x of iterable) {
    if (!predicate(x)) return;
    yield x;
  }
}
/** Items from the first one for which predicate fails. */
export function* dropWhile(iterable, predicate) {
  let dropping = true;
  for (const x of iterable) {
    if (dropping && predicate(x)) continue;
    dropping = false;
    yield x;
  }
}
/** Arrays of n items (the last may be shorter). */
export function* batched(iterable, n) {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError('batched: n must be an integer >= 1, got ' + n);
  let batch = [];
  for (const x of iterable) {
    batch.push(x);
    if (batch.length === n) { yield batch; batch = []; }
  }
  if (batch.length > 0) yield batch;
}
`;

const path = String.raw`
/** The path separator. */
export const sep = '/';
function check(fn, p) {
  if (typeof p !== 'string') throw new TypeError(fn + ': expected a string path, got ' + typeof p);
  return p;
}
/** Resolves '.', '..' and repeated slashes; keeps a leading slash; '' becomes '.'. */
export function normalize(p) {
  check('normalize', p);
  const absolute = p.startsWith('/');
  const out = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!absolute) out.push('..');
    } else out.push(part);
  }
  const body = out.join('/');
  const trailing = p.length > 1 && p.endsWith('/') && body !== '' ? '/' : '';
  return (absolute ? '/' + body : body || '.') + trailing;
}
/** Joins segments with '/' and normalizes the result. */
export function join(...parts) {
  const kept = parts.map((p) => check('join', p)).filter((p) => p !== '');
  return kept.length === 0 ? '.' : normalize(kept.join('/'));
}
/** True for paths starting with '/'. */
export function isAbsolute(p) {
  return check('isAbsolute', p).startsWith('/');
}
/** An absolute path from segments, right to left, relative to '/'. */
export function resolve(...parts) {
  let resolved = '';
  for (let i = parts.length - 1; i >= 0 && !resolved.startsWith('/'); i--) {
    const p = check('resolve', parts[i]);
    if (p !== '') resolved = resolved === '' ? p : p + '/' + resolved;
  }
  const n = normalize('/' + resolved);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}
/** Everything before the last segment. */
export function dirname(p) {
  check('dirname', p);
  const trimmed = p.length > 1 ? p.replace(/\/+$/, '') : p;
  const i = trimmed.lastIndexOf('/');
  if (i < 0) return '.';
  if (i === 0) return '/';
  return trimmed.slice(0, i);
}
/** The last segment, without ext when it ends with it. */
export function basename(p, ext) {
  check('basename', p);
  const trimmed = p.length > 1 ? p.replace(/\/+$/, '') : p;
  const base = trimmed.slice(trimmed.lastIndexOf('/') + 1);
  return ext !== undefined && base !== ext && base.endsWith(ext) ? base.slice(0, -ext.length) : base;
}
/** The extension of the last segment, dot included ('' when none). */
export function extname(p) {
  const base = basename(check('extname', p));
  const i = base.lastIndexOf('.');
  return i <= 0 ? '' : base.slice(i);
}
/** The relative path from one path to another (both resolved against '/'). */
export function relative(from, to) {
  const a = resolve(from).split('/').filter(Boolean);
  const b = resolve(to).split('/').filter(Boolean);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return a.slice(i).map(() => '..').concat(b.slice(i)).join('/');
}
/** { root, dir, base, ext, name } of a path. */
export function parse(p) {
  check('parse', p);
  const base = basename(p);
  const ext = extname(p);
  const dir = p.includes('/') ? dirname(p) : '';
  return { root: p.startsWith('/') ? '/' : '', dir, base, ext, name: ext ? base.slice(0, -ext.length) : base };
}
`;

const SOURCES: Readonly<Record<(typeof DEFAULT_IMPORTS)[number] | (typeof OPTIONAL_IMPORTS)[number], string>> = {
  'quickcage:math': math,
  'quickcage:random': random,
  'quickcage:statistics': statistics,
  'quickcage:itertools': itertools,
  'quickcage:path': path,
};

/**
 * Source text of every module quickcage provides, by specifier: register all of them with the
 * QuickJS module loader. Which ones a guest may import is decided by the allow-list
 * ({@link DEFAULT_IMPORTS} plus `policy.allowedOperations.imports`), both by the validator and,
 * as a second line, by the loader itself.
 */
export const DEFAULT_MODULES: Readonly<Record<string, string>> = Object.freeze({ ...SOURCES });

/** Source of `quickcage:math`: integer and comparison helpers Python has and `Math` lacks. Trusted, but written to pass the validator (see ../modules.ts). */
export const math = String.raw`
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

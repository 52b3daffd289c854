/** Source of `quickcage:statistics`: mean, median, mode, variance, quantiles, correlation, regression. Trusted, but written to pass the validator (see ../modules.ts). */
export const statistics = String.raw`
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

/** Source of `quickcage:itertools`: lazy `range`, `zip`, `product`, `combinations`, `permutations`, .... Trusted, but written to pass the validator (see ../modules.ts). */
export const itertools = String.raw`
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

/** Source of `quickcage:random`: a seedable generator (`Math.random` cannot be seeded), with Python's helpers. Trusted, but written to pass the validator (see ../modules.ts). */
export const random = String.raw`
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

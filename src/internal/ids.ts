/**
 * Ids, in one place. {@link randomId} is a random UUID (128 random bits as hex where
 * `crypto.randomUUID` is missing: it exists only in secure contexts). {@link uniqueId} is for ids
 * made on every run: one random id per page load, then a counter (`<random>-<n>`, n in base 36),
 * unique across tabs and page loads like a random id each, and several times cheaper. Neither is a
 * secret: they name things, they authorize nothing.
 */
export const randomId = (): string => {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
};

const PREFIX = randomId();
let counter = 0;

/** A new id, unique for this page load and across page loads (run ids). */
export const uniqueId = (): string => `${PREFIX}-${(++counter).toString(36)}`;

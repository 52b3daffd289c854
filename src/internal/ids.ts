/**
 * Run ids without a call into the crypto API per run: one random UUID per page load, then a counter
 * (`<uuid>-<n>`, n in base 36). Unique across tabs and page loads like a random UUID per run, and
 * several times cheaper. Not secret: they name runs, they authorize nothing. (Audit event ids stay
 * random UUIDs, as docs/audit.md documents them.)
 */
const PREFIX: string = (() => {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
})();
let counter = 0;

/** A new id, unique for this page load and across page loads. */
export const uniqueId = (): string => `${PREFIX}-${(++counter).toString(36)}`;

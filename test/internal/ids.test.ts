/**
 * The id helpers (src/internal/ids.ts): random ids, also where `crypto.randomUUID` is missing (it
 * exists only in secure contexts), and run ids unique within and across page loads.
 */
import { describe, expect, it } from 'vitest';
import { randomId, uniqueId } from '../../src/internal/ids.js';

describe('ids', () => {
  it('randomId is a random UUID where crypto.randomUUID exists', () => {
    const ids = new Set(Array.from({ length: 100 }, () => randomId()));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('randomId is 128 random bits in hex where crypto.randomUUID is missing (an insecure context)', () => {
    Object.defineProperty(crypto, 'randomUUID', { value: undefined, configurable: true });
    try {
      const ids = new Set(Array.from({ length: 100 }, () => randomId()));
      expect(ids.size).toBe(100);
      for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
    } finally {
      delete (crypto as { randomUUID?: unknown }).randomUUID;
    }
    expect(typeof crypto.randomUUID).toBe('function');
  });

  it('uniqueId is one random prefix per page load plus a counter: never the same twice', () => {
    const ids = Array.from({ length: 1000 }, () => uniqueId());
    expect(new Set(ids).size).toBe(1000);
    const prefixes = new Set(ids.map((id) => id.slice(0, id.lastIndexOf('-'))));
    expect(prefixes.size).toBe(1);
    expect([...prefixes][0]).toMatch(/^[0-9a-f-]{32,36}$/);
    for (const id of ids) expect(id).toMatch(/-[0-9a-z]+$/);
  });
});

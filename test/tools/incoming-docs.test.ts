/**
 * Runs the examples of docs/incoming-issue-15.md marked `<!-- readme-test -->` against the real library
 * in Chromium (same harness as test/readme.test.ts), so the text handed to the docs cannot drift.
 */
import { describe, expect, it } from 'vitest';
import doc from '../../docs/incoming-issue-15.md?raw';
import * as quickcage from '../../src/index.js';

const AsyncFunction = (async () => {}).constructor as new (...args: string[]) => (...args: unknown[]) => Promise<unknown>;
const blocks = [...doc.matchAll(/<!-- readme-test -->\s*```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('issue 15 docs examples', () => {
  it('has the four examples', () => {
    expect(blocks).toHaveLength(4);
  });

  it.each(blocks.map((code, i) => [i + 1, code] as const))('example %i runs and prints what its comments say', async (_, block) => {
    const code = block.replace(/^import\s*\{([^}]*)\}\s*from\s*'quickcage';?$/gm, (_m, names: string) => `const {${names}} = quickcage;`);
    const printed: unknown[][] = [];
    const fakeConsole = { ...console, log: (...a: unknown[]) => void printed.push(a) };
    await new AsyncFunction('quickcage', 'console', code)(quickcage, fakeConsole);
    // Each `console.log(...); // expected` comment is checked against what was printed.
    const expected = [...block.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => m[1]!);
    expect(printed).toHaveLength(expected.length);
    const flat = (text: string) => text.replace(/["'\s]/g, '');
    printed.forEach((args, i) => {
      const shown = args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
      expect(flat(shown), `console.log #${i + 1}`).toBe(flat(expected[i]!));
    });
  });
});

/**
 * Runs the README's examples marked `<!-- readme-test -->` against the real library in Chromium, so
 * the manual cannot drift from the code. Each block is plain JavaScript-compatible TypeScript that
 * imports from 'quickcage'; the import is bound to src/index.ts.
 */
import { describe, expect, it } from 'vitest';
import readme from '../README.md?raw';
import * as quickcage from '../src/index.js';

const AsyncFunction = (async () => {}).constructor as new (...args: string[]) => (...args: unknown[]) => Promise<unknown>;
const blocks = [...readme.matchAll(/<!-- readme-test -->\s*```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('README examples', () => {
  it('has runnable examples', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(1);
  });

  it.each(blocks.map((code, i) => [i + 1, code] as const))('example %i runs without errors', async (_, block) => {
    const code = block.replace(/^import\s*\{([^}]*)\}\s*from\s*'quickcage';?$/gm, (_m, names: string) => `const {${names}} = quickcage;`);
    const printed: unknown[][] = [];
    const errors: unknown[][] = [];
    const fakeConsole = { ...console, log: (...a: unknown[]) => void printed.push(a), error: (...a: unknown[]) => void errors.push(a) };
    await new AsyncFunction('quickcage', 'console', code)(quickcage, fakeConsole);
    expect(errors).toEqual([]);
    expect(printed.length).toBeGreaterThan(0);
  });
});

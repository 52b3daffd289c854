/**
 * Runs the examples of docs/agents.md marked `<!-- agents-test -->` in Chromium with the real SDKs,
 * and checks what each one prints, so the page cannot drift from the code. Imports are bound to this
 * repository's sources ('quickcage' → src/index.ts, 'quickcage/agent' → src/agent/index.ts).
 */
import { describe, expect, test } from 'vitest';
import * as ai from 'ai';
import * as aiTest from 'ai/test';
import * as mcpServer from '@modelcontextprotocol/sdk/server/mcp.js';
import * as mcpClient from '@modelcontextprotocol/sdk/client/index.js';
import * as mcpMemory from '@modelcontextprotocol/sdk/inMemory.js';
import * as zod from 'zod';
import page from '../../docs/agents.md?raw';
import * as quickcage from '../../src/index.js';
import * as agent from '../../src/agent/index.js';
import * as aiSdkAdapter from '../../src/agent/ai-sdk.js';
import * as openaiAdapter from '../../src/agent/openai.js';
import * as anthropicAdapter from '../../src/agent/anthropic.js';

const MODULES: Record<string, unknown> = {
  quickcage,
  'quickcage/agent': agent,
  'quickcage/agent/ai-sdk': aiSdkAdapter,
  'quickcage/agent/openai': openaiAdapter,
  'quickcage/agent/anthropic': anthropicAdapter,
  ai,
  'ai/test': aiTest,
  '@modelcontextprotocol/sdk/server/mcp.js': mcpServer,
  '@modelcontextprotocol/sdk/client/index.js': mcpClient,
  '@modelcontextprotocol/sdk/inMemory.js': mcpMemory,
  zod,
};

const AsyncFunction = (async () => {}).constructor as new (...args: string[]) => (...args: unknown[]) => Promise<unknown>;
const blocks = [...page.matchAll(/<!-- agents-test -->\s*```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

/** What each marked example prints, in order. */
const PRINTS: ((printed: unknown[][]) => void)[] = [
  (printed) => {
    expect(String(printed[0]![0])).toContain('readFile(args: {');
    expect(printed[1]).toEqual([{ ok: true, value: 23 }]);
  },
  (printed) => expect(printed).toEqual([['The sum is 55.', { ok: true, value: 55 }]]),
  (printed) => expect(printed).toEqual([['{"ok":true,"value":[1,2,3]}']]),
  (printed) => expect(printed).toEqual([[{ ok: true, value: 21 }]]),
];

describe('docs/agents.md examples', () => {
  test('every marked example has its expected output here', () => {
    expect(blocks).toHaveLength(PRINTS.length);
  });

  test.each(blocks.map((code, i) => [i + 1, code] as const))('example %i runs and prints what the page says', async (n, block) => {
    const code = block
      .replace(/^import\s*\{([^}]*)\}\s*from\s*'([^']+)';?$/gm, (_m, names: string, from: string) => `const {${names}} = modules[${JSON.stringify(from)}];`)
      .replace(/^import\s+(\w+)\s+from\s*'([^']+)';?$/gm, (_m, name: string, from: string) => `const ${name} = modules[${JSON.stringify(from)}].default;`);
    for (const from of block.matchAll(/from\s*'([^']+)'/g)) expect(MODULES, `module ${from[1]}`).toHaveProperty([from[1]!]);
    const printed: unknown[][] = [];
    const fakeConsole = { ...console, log: (...a: unknown[]) => void printed.push(a) };
    await new AsyncFunction('modules', 'console', code)(MODULES, fakeConsole);
    PRINTS[n - 1]!(printed);
  });
});

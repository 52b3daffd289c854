/**
 * Anthropic's Messages tool format (`@anthropic-ai/sdk`): the tool definition and `tool_result` blocks
 * have the SDK's types, and a real `messages.create` loop runs through the SDK against a local mock
 * of the Messages endpoint (the SDK's `fetch` option; no network).
 */
import Anthropic from '@anthropic-ai/sdk';
import type { MessageParam, ToolResultBlockParam } from '@anthropic-ai/sdk/resources/messages';
import { afterEach, expect, test } from 'vitest';
import { runAnthropicToolUses, toAnthropicTool } from '../../src/agent/anthropic.js';
import { KB, createWorld, type World } from './helpers.js';

let world: World | undefined;
afterEach(async () => {
  await world?.[Symbol.asyncDispose]();
  world = undefined;
});

/** A Messages endpoint whose model writes two programs (the second from the first's result) and answers. */
function mockMessages(seen: unknown[]): typeof fetch {
  let n = 0;
  return async (_url, init) => {
    const body = JSON.parse(String(init?.body)) as { model: string; messages: MessageParam[]; tools: unknown[] };
    seen.push(body);
    const results = body.messages.flatMap((m) => (Array.isArray(m.content) ? m.content : [])).filter((b): b is ToolResultBlockParam => b.type === 'tool_result');
    const last = results.at(-1);
    const use = (code: string) => [{ type: 'text', text: 'Running a program.' }, { type: 'tool_use', id: `toolu_${++n}`, name: 'run_code', input: { code } }];
    const content = results.length === 0
      ? use("await tools.stat({ path: '/kb/returns.md' })")
      : results.length === 1
        ? use(`const s = ${String(last!.content)}.value;\nawait tools.readFile({ path: s.path + '/../secret' })`)
        : [{ type: 'text', text: `Stopped: ${(JSON.parse(String(last!.content)) as { error: { code: string } }).error.code}` }];
    const message = {
      id: `msg_${n}`, type: 'message', role: 'assistant', model: body.model, content,
      stop_reason: results.length < 2 ? 'tool_use' : 'end_turn', stop_sequence: null,
      usage: { input_tokens: 10, output_tokens: 5 },
    };
    return new Response(JSON.stringify(message), { status: 200, headers: { 'content-type': 'application/json', 'request-id': `req_${n}` } });
  };
}

test('the tool definition has the Messages API shape', async () => {
  world = await createWorld();
  const tool: Anthropic.Tool = toAnthropicTool(world.codeTool);
  expect(tool).toEqual({ name: 'run_code', description: world.codeTool.description, input_schema: world.codeTool.inputSchema });
});

test('a messages.create loop answers each tool_use with a tool_result, is_error on failure', async () => {
  world = await createWorld();
  const seen: unknown[] = [];
  const client = new Anthropic({ apiKey: 'sk-ant-test', dangerouslyAllowBrowser: true, maxRetries: 0, fetch: mockMessages(seen) });
  const messages: MessageParam[] = [{ role: 'user', content: 'Check the returns file.' }];
  let final = '';
  for (let round = 0; round < 5; round++) {
    const response = await client.messages.create({ model: 'claude-test', max_tokens: 1024, messages, tools: [toAnthropicTool(world.codeTool)] });
    messages.push({ role: 'assistant', content: response.content });
    if (response.stop_reason !== 'tool_use') {
      final = response.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
      break;
    }
    messages.push({ role: 'user', content: await runAnthropicToolUses(world.codeTool, response.content) });
  }
  expect(final).toBe('Stopped: TOOL_DENIED');
  const results = messages.flatMap((m) => (m.role === 'user' && Array.isArray(m.content) ? m.content : []));
  expect(results).toEqual([
    { type: 'tool_result', tool_use_id: 'toolu_1', content: expect.any(String) },
    { type: 'tool_result', tool_use_id: 'toolu_2', content: expect.any(String), is_error: true },
  ]);
  const [stat, denied] = results.map((r) => JSON.parse((r as { content: string }).content) as unknown);
  expect(stat).toEqual({ ok: true, value: { path: '/kb/returns.md', type: 'file', size: KB['/kb/returns.md']!.length, mtime: expect.any(Number) } });
  expect(denied).toMatchObject({ ok: false, error: { code: 'TOOL_DENIED', tool: 'readFile', line: 2, message: 'Path "/kb/returns.md/../secret" denied by the sandbox policy: path contains a `..` segment (TOOL_DENIED)' } });
  expect((seen[0] as { tools: unknown[] }).tools).toEqual([toAnthropicTool(world.codeTool)]);
});

/**
 * The OpenAI SDK (`openai` 6) in Chromium against a local chat-completions server on 127.0.0.1
 * (test/agent/servers.mjs): a real multi-step tool-calling loop, JSON and streamed. The scripted model
 * first writes a program the validator rejects and calls a tool that does not exist, reads both typed
 * results, fixes its program, and answers from the result.
 */
import OpenAI from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { afterEach, expect, inject, test } from 'vitest';
import type { ModelResult } from '../../src/agent/index.js';
import { runOpenAIToolCalls, toOpenAITool, toOpenAIResponsesTool, runOpenAIResponsesCalls } from '../../src/agent/openai.js';
import type { AgentServers } from './servers.mjs';
import { createWorld, type World } from './helpers.js';

const servers: AgentServers = inject('agentServers');
const client = new OpenAI({ baseURL: servers.openai, apiKey: servers.openaiKey, dangerouslyAllowBrowser: true, maxRetries: 0 });

let world: World | undefined;
afterEach(async () => {
  await world?.[Symbol.asyncDispose]();
  world = undefined;
});

async function loop(codeTool: World['codeTool'], stream: boolean): Promise<ChatCompletionMessageParam[]> {
  const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: 'How fast do orders ship?' }];
  for (let round = 0; round < 5; round++) {
    const params = { model: 'mock-coder', messages, tools: [toOpenAITool(codeTool)] };
    const completion = stream
      ? await client.chat.completions.stream(params).finalChatCompletion()
      : await client.chat.completions.create(params);
    const message = completion.choices[0]!.message;
    messages.push(message);
    if (!message.tool_calls?.length) break;
    messages.push(...(await runOpenAIToolCalls(codeTool, message.tool_calls)));
  }
  return messages;
}

const toolResults = (messages: ChatCompletionMessageParam[]) =>
  messages.filter((m) => m.role === 'tool').map((m) => JSON.parse(m.content as string) as ModelResult);

test.each([false, true])('a chat-completions loop recovers from a rejected program and answers (stream: %s)', async (stream) => {
  world = await createWorld();
  const messages = await loop(world.codeTool, stream);
  expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'tool', 'assistant', 'tool', 'assistant']);
  const [rejected, refused, fixed] = toolResults(messages);
  expect(rejected).toMatchObject({ ok: false, error: { code: 'VALIDATION_REJECTED', line: 2 } });
  expect(refused).toEqual({ ok: false, error: { code: 'TOOL_DENIED', message: 'There is no tool `web_search` here.', hint: 'Use `run_code` and call the host API from your program.', tool: 'web_search' } });
  expect(fixed).toEqual({ ok: true, value: { text: 'Orders ship within 2 days.', days: 2 } });
  expect(messages.at(-1)).toMatchObject({ role: 'assistant', content: 'Orders ship within 2 days.' });
  // Every tool_call_id is answered, in order.
  const asked = messages.flatMap((m) => (m.role === 'assistant' ? m.tool_calls ?? [] : [])).map((c) => c.id);
  expect(messages.filter((m) => m.role === 'tool').map((m) => (m as { tool_call_id: string }).tool_call_id)).toEqual(asked);
  // Only the code tool's calls ran programs: two runs, the rejected one and the fixed one.
  expect(world.steps.map((s) => s.result.ok)).toEqual([false, true]);
});

test('the server received the code tool exactly as toOpenAITool shaped it', async () => {
  world = await createWorld();
  await client.chat.completions.create({ model: 'mock-coder', messages: [{ role: 'user', content: 'hi' }], tools: [toOpenAITool(world.codeTool)] });
  const seen = (await (await fetch(servers.openai.replace(/\/v1$/, '/__requests'))).json()) as { tools: unknown[] }[];
  expect(seen.at(-1)!.tools).toEqual([{ type: 'function', function: { name: 'run_code', description: world.codeTool.description, parameters: world.codeTool.inputSchema, strict: true } }]);
});

test('a wrong key is the SDK\'s AuthenticationError, and no program runs', async () => {
  world = await createWorld();
  const bad = new OpenAI({ baseURL: servers.openai, apiKey: 'sk-wrong', dangerouslyAllowBrowser: true, maxRetries: 0 });
  await expect(bad.chat.completions.create({ model: 'mock-coder', messages: [{ role: 'user', content: 'hi' }], tools: [toOpenAITool(world.codeTool)] }))
    .rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  expect(world.steps).toHaveLength(0);
});

test('Responses API shapes: the tool and function_call_output items', async () => {
  world = await createWorld();
  expect(toOpenAIResponsesTool(world.codeTool)).toEqual({ type: 'function', name: 'run_code', description: world.codeTool.description, parameters: world.codeTool.inputSchema, strict: true });
  const outputs = await runOpenAIResponsesCalls(world.codeTool, [
    { type: 'function_call', call_id: 'fc_1', name: 'run_code', arguments: '{"code":"[1, 2, 3].map((n) => n * 2)"}' },
    { type: 'function_call', call_id: 'fc_2', name: 'run_code', arguments: '{"code": oops' },
  ]);
  expect(outputs).toEqual([
    { type: 'function_call_output', call_id: 'fc_1', output: '{"ok":true,"value":[2,4,6]}' },
    { type: 'function_call_output', call_id: 'fc_2', output: JSON.stringify({ ok: false, error: { code: 'INVALID_ARGUMENT', message: 'The tool arguments are not valid JSON.', hint: 'Call again with arguments {"code": "<program>"} as JSON.' } }) },
  ]);
});

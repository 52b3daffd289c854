/**
 * The Vercel AI SDK (`ai` 6) runs a real multi-step `generateText` loop with its mock language model:
 * the model writes a program, reads the result, writes the next one (which hits an approval), and
 * answers. The SDK validates the tool input against our schema object and executes our tool.
 */
import { generateText, stepCountIs, type ModelMessage } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { afterEach, expect, test } from 'vitest';
import type { ModelResult } from '../../src/agent/index.js';
import { toAiSdkTool } from '../../src/agent/ai-sdk.js';
import { createWorld, type World } from './helpers.js';

const usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 5, text: 5, reasoning: undefined },
};
const call = (id: string, code: string) => ({
  content: [{ type: 'tool-call' as const, toolCallId: id, toolName: 'run_code', input: JSON.stringify({ code }) }],
  finishReason: { unified: 'tool-calls' as const, raw: 'tool_calls' },
  usage,
  warnings: [],
});
const answer = (text: string) => ({ content: [{ type: 'text' as const, text }], finishReason: { unified: 'stop' as const, raw: 'stop' }, usage, warnings: [] });

/** The last tool result the model was shown, parsed. */
function lastToolResult(prompt: ModelMessage[] | unknown[]): ModelResult {
  const tool = [...(prompt as { role: string; content: unknown }[])].reverse().find((m) => m.role === 'tool');
  const part = (tool?.content as { type: string; output: { type: string; value: unknown } }[])[0]!;
  return part.output.value as ModelResult;
}

let world: World | undefined;
afterEach(async () => {
  await world?.[Symbol.asyncDispose]();
  world = undefined;
});

/**
 * A scripted model: reads what the previous program returned and decides the next step, as a real
 * model would. Records the tools it was offered.
 */
function scriptedModel(offered: unknown[]) {
  return new MockLanguageModelV3({
    doGenerate: async (options) => {
      offered.push(options.tools);
      const tools = options.prompt.filter((m) => m.role === 'tool').length;
      if (tools === 0) return call('c1', "const t = await tools.readFile({ path: '/kb/returns.md' });\nt.split('\\n')[0]");
      const previous = lastToolResult(options.prompt);
      if (tools === 1) {
        if (!previous.ok) return answer('I could not read the policy.');
        return call('c2', `await tools.sendEmail({ to: 'ada@example.com', subject: ${JSON.stringify(String(previous.value).slice(0, 40))} })`);
      }
      return answer(previous.ok ? 'Sent the returns policy to Ada.' : `Not sent: ${previous.error.code} (${previous.error.tool}).`);
    },
  });
}

test('a three-step generateText loop reads a file, sends an approved email and answers', async () => {
  world = await createWorld();
  world.answer.next = 'approve';
  const offered: unknown[] = [];
  const result = await generateText({
    model: scriptedModel(offered),
    tools: { run_code: toAiSdkTool(world.codeTool) },
    stopWhen: stepCountIs(5),
    prompt: 'Email Ada the first line of our returns policy.',
  });
  expect(result.steps).toHaveLength(3);
  expect(result.text).toBe('Sent the returns policy to Ada.');
  expect(result.steps[0]!.toolResults[0]!.output).toEqual({ ok: true, value: 'Returns are accepted within 30 days with a receipt.' });
  expect(result.steps[1]!.toolResults[0]!.output).toEqual({ ok: true, value: { sent: true } });
  expect(world.sent).toEqual([{ to: 'ada@example.com', subject: 'Returns are accepted within 30 days with' }]);
  // The SDK sent our schema and description to the model.
  expect(offered[0]).toEqual([{ type: 'function', name: 'run_code', description: world.codeTool.description, inputSchema: world.codeTool.inputSchema, providerOptions: undefined }]);
  // One execution record per program, each with its tool calls and approvals.
  expect(world.steps.map((s) => s.events.filter((e) => e.type === 'tool_call').map((e) => e.tool))).toEqual([['readFile'], ['sendEmail']]);
  expect(world.steps[1]!.approvals.map((e) => e.details?.decision)).toEqual(['requested', 'approved']);
});

test('a denial reaches the model as a typed result, and it answers accordingly', async () => {
  world = await createWorld();
  world.answer.next = 'deny';
  const result = await generateText({
    model: scriptedModel([]),
    tools: { run_code: toAiSdkTool(world.codeTool) },
    stopWhen: stepCountIs(5),
    prompt: 'Email Ada the first line of our returns policy.',
  });
  expect(result.steps[1]!.toolResults[0]!.output).toMatchObject({ ok: false, error: { code: 'APPROVAL_DENIED', tool: 'sendEmail' } });
  expect(result.text).toBe('Not sent: APPROVAL_DENIED (sendEmail).');
  expect(world.sent).toEqual([]);
});

test('input that does not match { code: string } is refused by the SDK before anything runs', async () => {
  world = await createWorld();
  const model = new MockLanguageModelV3({
    doGenerate: async (options) => options.prompt.some((m) => m.role === 'tool')
      ? answer('done')
      : { ...call('c1', 'unused'), content: [{ type: 'tool-call' as const, toolCallId: 'c1', toolName: 'run_code', input: JSON.stringify({ program: '1' }) }] },
  });
  const result = await generateText({ model, tools: { run_code: toAiSdkTool(world.codeTool) }, stopWhen: stepCountIs(3), prompt: 'x' });
  const error = result.steps[0]!.content.find((p) => p.type === 'tool-error');
  expect(error).toMatchObject({ type: 'tool-error', toolName: 'run_code' });
  expect(world.steps).toHaveLength(0);
});

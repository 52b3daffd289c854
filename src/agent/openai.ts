/**
 * The code tool for the OpenAI SDK (Chat Completions and Responses), published as
 * `quickcage/agent/openai`. The SDK's types are imported with `import type` (erased at build):
 * quickcage never loads the SDK at run time, and only apps that import this subpath see its types.
 */
import type { ChatCompletionFunctionTool, ChatCompletionMessageToolCall, ChatCompletionToolMessageParam } from 'openai/resources/chat/completions';
import type { FunctionTool, ResponseFunctionToolCall, ResponseInputItem } from 'openai/resources/responses/responses';
import { invalidArgument } from '../errors.js';
import type { CodeTool } from './code-tool.js';
import type { ModelResult } from './explain.js';
import { assertCodeTool, inputSchema, parseArguments, resultText, unknownTool } from './adapter-kit.js';

/**
 * The code tool for OpenAI Chat Completions (`tools: [toOpenAITool(codeTool)]`), strict mode on: the
 * schema is closed and `code` is required, as strict mode demands.
 *
 * @throws {InvalidArgumentError} `INVALID_ARGUMENT` when `codeTool` is not from `createCodeTool()`.
 */
export function toOpenAITool(codeTool: CodeTool): ChatCompletionFunctionTool {
  assertCodeTool(codeTool);
  return { type: 'function', function: { name: codeTool.name, description: codeTool.description, parameters: inputSchema(), strict: true } };
}

/** The code tool for the OpenAI Responses API (`tools: [toOpenAIResponsesTool(codeTool)]`). */
export function toOpenAIResponsesTool(codeTool: CodeTool): FunctionTool {
  assertCodeTool(codeTool);
  return { type: 'function', name: codeTool.name, description: codeTool.description, parameters: inputSchema(), strict: true };
}

/**
 * Answers every tool call of an assistant message (Chat Completions), in order: the code tool's calls
 * run one after another (programs may depend on earlier ones' effects), any other call gets a typed
 * refusal, so each `tool_call_id` is answered as the API requires. Append the returned messages.
 *
 * @throws {InvalidArgumentError} `INVALID_ARGUMENT` when `codeTool` is not from `createCodeTool()` or `toolCalls` is not an array.
 */
export async function runOpenAIToolCalls(
  codeTool: CodeTool,
  toolCalls: readonly ChatCompletionMessageToolCall[] | null | undefined,
  options: { signal?: AbortSignal } = {},
): Promise<ChatCompletionToolMessageParam[]> {
  assertCodeTool(codeTool);
  if (toolCalls == null) return [];
  if (!Array.isArray(toolCalls)) throw invalidArgument('toolCalls', 'the tool_calls array of an assistant message', toolCalls);
  const out: ChatCompletionToolMessageParam[] = [];
  for (const call of toolCalls) {
    let result: ModelResult;
    if (call.type !== 'function' || call.function.name !== codeTool.name) {
      result = unknownTool(call.type === 'function' ? call.function.name : call.custom.name, codeTool);
    } else {
      const args = parseArguments(call.function.arguments);
      result = args.ok ? await codeTool.execute(args.value, options) : args.result;
    }
    out.push({ role: 'tool', tool_call_id: call.id, content: resultText(result) });
  }
  return out;
}

/**
 * Answers the `function_call` items of a Responses API output with `function_call_output` items.
 *
 * @throws {InvalidArgumentError} `INVALID_ARGUMENT` when `codeTool` is not from `createCodeTool()`.
 */
export async function runOpenAIResponsesCalls(
  codeTool: CodeTool,
  calls: readonly ResponseFunctionToolCall[],
  options: { signal?: AbortSignal } = {},
): Promise<ResponseInputItem.FunctionCallOutput[]> {
  assertCodeTool(codeTool);
  const out: ResponseInputItem.FunctionCallOutput[] = [];
  for (const call of calls) {
    let result: ModelResult;
    if (call.name !== codeTool.name) result = unknownTool(call.name, codeTool);
    else {
      const args = parseArguments(call.arguments);
      result = args.ok ? await codeTool.execute(args.value, options) : args.result;
    }
    out.push({ type: 'function_call_output', call_id: call.call_id, output: resultText(result) });
  }
  return out;
}

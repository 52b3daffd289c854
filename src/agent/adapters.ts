/**
 * The code tool in the shapes that agent SDKs accept as they are: the Vercel AI SDK (`ai`), the OpenAI
 * SDK (Chat Completions and Responses), and Anthropic's Messages API. Plain objects only: the SDKs'
 * types are imported with `import type` (erased at build), so quickcage never loads an SDK at run time
 * and an app installs only the one it uses.
 */
import type { Tool as AiSdkTool } from 'ai';
import type { ChatCompletionFunctionTool, ChatCompletionMessageToolCall, ChatCompletionToolMessageParam } from 'openai/resources/chat/completions';
import type { FunctionTool, ResponseFunctionToolCall, ResponseInputItem } from 'openai/resources/responses/responses';
import type { Tool as AnthropicTool, ToolResultBlockParam, ToolUseBlock } from '@anthropic-ai/sdk/resources/messages';
import { invalidArgument } from '../errors.js';
import { CODE_INPUT_SCHEMA, type CodeTool } from './code-tool.js';
import type { ModelResult } from './explain.js';

// The AI SDK recognises a schema object by this registered symbol (provider-utils `jsonSchema()`):
// building the object here avoids importing `ai` at run time.
const AI_SCHEMA = Symbol.for('vercel.ai.schema');

function assertCodeTool(tool: unknown): asserts tool is CodeTool {
  const t = tool as Partial<CodeTool> | null;
  if (typeof t !== 'object' || t === null || typeof t.execute !== 'function' || typeof t.name !== 'string') {
    throw invalidArgument('codeTool', 'a code tool from createCodeTool()', tool);
  }
}

/** A fresh, mutable copy of the input schema (SDK types want mutable arrays). */
const inputSchema = () => structuredClone(CODE_INPUT_SCHEMA) as unknown as { [key: string]: unknown };

/** The model result as tool-message text: compact JSON. */
export const resultText = (result: ModelResult): string => JSON.stringify(result);

/**
 * The code tool for the Vercel AI SDK: `generateText({ tools: { [codeTool.name]: toAiSdkTool(codeTool) } })`.
 * The input schema validates `{ code: string }` itself (a bad call becomes the SDK's tool-input error);
 * `execute` forwards the SDK's `abortSignal` to the run.
 *
 * @throws {InvalidArgumentError} `INVALID_ARGUMENT` when `codeTool` is not from `createCodeTool()`.
 */
export function toAiSdkTool(codeTool: CodeTool): AiSdkTool<{ code: string }, ModelResult> {
  assertCodeTool(codeTool);
  const schema = {
    [AI_SCHEMA]: true,
    _type: undefined,
    jsonSchema: inputSchema(),
    validate(value: unknown) {
      const code = (value as { code?: unknown } | null)?.code;
      return typeof code === 'string' && Object.keys(value as object).length === 1
        ? { success: true as const, value: { code } }
        : { success: false as const, error: new TypeError('Expected the input to be { "code": string } and nothing else') };
    },
  };
  return {
    description: codeTool.description,
    inputSchema: schema,
    execute: (input: { code: string }, options: { abortSignal?: AbortSignal }) => codeTool.execute(input, options.abortSignal ? { signal: options.abortSignal } : {}),
  } as unknown as AiSdkTool<{ code: string }, ModelResult>;
}

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

/** Parses a model's JSON arguments; malformed JSON is the model's mistake and becomes its result. */
function parseArguments(text: string): { ok: true; value: unknown } | { ok: false; result: ModelResult } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, result: { ok: false, error: { code: 'INVALID_ARGUMENT', message: 'The tool arguments are not valid JSON.', hint: 'Call again with arguments {"code": "<program>"} as JSON.' } } };
  }
}

const unknownTool = (name: string, codeTool: CodeTool): ModelResult => ({
  ok: false,
  error: { code: 'TOOL_DENIED', message: `There is no tool \`${name.slice(0, 64)}\` here.`, hint: `Use \`${codeTool.name}\` and call the host API from your program.`, tool: name.slice(0, 64) },
});

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

/**
 * The code tool for Anthropic's Messages API (`tools: [toAnthropicTool(codeTool)]`).
 *
 * @throws {InvalidArgumentError} `INVALID_ARGUMENT` when `codeTool` is not from `createCodeTool()`.
 */
export function toAnthropicTool(codeTool: CodeTool): AnthropicTool {
  assertCodeTool(codeTool);
  return { name: codeTool.name, description: codeTool.description, input_schema: inputSchema() as AnthropicTool['input_schema'] };
}

/**
 * Answers the `tool_use` blocks of an assistant message with `tool_result` blocks (one user message's
 * content), `is_error` set when the program failed.
 *
 * @throws {InvalidArgumentError} `INVALID_ARGUMENT` when `codeTool` is not from `createCodeTool()`.
 */
export async function runAnthropicToolUses(
  codeTool: CodeTool,
  content: readonly { type: string }[],
  options: { signal?: AbortSignal } = {},
): Promise<ToolResultBlockParam[]> {
  assertCodeTool(codeTool);
  if (!Array.isArray(content)) throw invalidArgument('content', 'the content blocks of an assistant message', content);
  const out: ToolResultBlockParam[] = [];
  for (const block of content) {
    if (block.type !== 'tool_use') continue;
    const use = block as ToolUseBlock;
    const result = use.name === codeTool.name ? await codeTool.execute(use.input, options) : unknownTool(use.name, codeTool);
    out.push({ type: 'tool_result', tool_use_id: use.id, content: resultText(result), ...(result.ok ? {} : { is_error: true }) });
  }
  return out;
}

/**
 * The code tool for the Vercel AI SDK (`ai`), published as `quickcage/agent/ai-sdk`. The SDK's types are
 * imported with `import type` (erased at build): quickcage never loads the SDK at run time, and only
 * apps that import this subpath (and so have `ai` installed) see its types.
 */
import type { Tool as AiSdkTool } from 'ai';
import type { CodeTool } from './code-tool.js';
import type { ModelResult } from './explain.js';
import { assertCodeTool, inputSchema } from './adapter-kit.js';

// The AI SDK recognises a schema object by this registered symbol (provider-utils `jsonSchema()`):
// building the object here avoids importing `ai` at run time.
const AI_SCHEMA = Symbol.for('vercel.ai.schema');

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

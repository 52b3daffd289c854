/**
 * The code tool for Anthropic's Messages API, published as `quickcage/agent/anthropic`. The SDK's types
 * are imported with `import type` (erased at build): quickcage never loads the SDK at run time, and
 * only apps that import this subpath see its types.
 */
import type { Tool as AnthropicTool, ToolResultBlockParam, ToolUseBlock } from '@anthropic-ai/sdk/resources/messages';
import { invalidArgument } from '../errors.js';
import type { CodeTool } from './code-tool.js';
import { assertCodeTool, inputSchema, resultText, unknownTool } from './adapter-kit.js';

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

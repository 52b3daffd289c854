/**
 * What every SDK adapter of the code tool shares: the argument check, a fresh input schema, the
 * model result as text, JSON argument parsing and the refusal of calls to other tools. The adapters
 * themselves live one per SDK (ai-sdk.ts, openai.ts, anthropic.ts), each its own package subpath, so
 * an app's type-check sees only the SDK it uses.
 */
import { invalidArgument } from '../errors.js';
import type { CodeTool } from './code-tool.js';
import { CODE_INPUT_SCHEMA } from './code-tool.js';
import type { ModelResult } from './explain.js';

export function assertCodeTool(tool: unknown): asserts tool is CodeTool {
  const t = tool as Partial<CodeTool> | null;
  if (typeof t !== 'object' || t === null || typeof t.execute !== 'function' || typeof t.name !== 'string') {
    throw invalidArgument('codeTool', 'a code tool from createCodeTool()', tool);
  }
}

/** A fresh, mutable copy of the input schema (SDK types want mutable arrays). */
export const inputSchema = () => structuredClone(CODE_INPUT_SCHEMA) as unknown as { [key: string]: unknown };

/** The model result as tool-message text: compact JSON. */
export const resultText = (result: ModelResult): string => JSON.stringify(result);

/** Parses a model's JSON arguments; malformed JSON is the model's mistake and becomes its result. */
export function parseArguments(text: string): { ok: true; value: unknown } | { ok: false; result: ModelResult } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, result: { ok: false, error: { code: 'INVALID_ARGUMENT', message: 'The tool arguments are not valid JSON.', hint: 'Call again with arguments {"code": "<program>"} as JSON.' } } };
  }
}

export const unknownTool = (name: string, codeTool: CodeTool): ModelResult => ({
  ok: false,
  error: { code: 'TOOL_DENIED', message: `There is no tool \`${name.slice(0, 64)}\` here.`, hint: `Use \`${codeTool.name}\` and call the host API from your program.`, tool: name.slice(0, 64) },
});

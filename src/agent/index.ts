/**
 * quickcage for agents ("code mode"): the granted tools as a typed API for the prompt, one code tool
 * that runs a model's program in the sandbox and answers with a compact, typed result, and adapters
 * for the Vercel AI SDK, the OpenAI SDK, Anthropic's Messages API and MCP. No SDK is imported at run
 * time: the adapters return the plain objects each SDK accepts.
 *
 * Published as the subpath `quickcage/agent`, so the main entry stays small.
 *
 * @packageDocumentation
 */
export { BUILTIN_RESULTS, generateDeclarations, schemaToType } from './declarations.js';
export type { DeclarationsInput, DeclaredModuleExport, DeclaredTool } from './declarations.js';
export { CODE_INPUT_SCHEMA, createCodeTool, createEventTap } from './code-tool.js';
export type { CodeStep, CodeTool, CodeToolOptions, EventTap } from './code-tool.js';
export { capResult, compactLogs, explainError } from './explain.js';
export type { ModelError, ModelResult } from './explain.js';
export {
  resultText,
  runAnthropicToolUses,
  runOpenAIResponsesCalls,
  runOpenAIToolCalls,
  toAiSdkTool,
  toAnthropicTool,
  toOpenAIResponsesTool,
  toOpenAITool,
} from './adapters.js';
export { importMcpTools, mcpToolName, registerMcpCodeTool } from './mcp.js';
export type { ImportMcpToolsOptions, McpClientLike, McpImport, McpServerLike, McpToolInfo } from './mcp.js';

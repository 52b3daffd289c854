/**
 * quickcage for agents ("code mode"): the granted tools as a typed API for the prompt, one code tool
 * that runs a model's program in the sandbox and answers with a compact, typed result, and MCP in
 * both directions. No SDK is imported at run time.
 *
 * Published as the subpath `quickcage/agent`, so the main entry stays small. The SDK adapters are
 * subpaths of their own (`quickcage/agent/ai-sdk`, `quickcage/agent/openai`,
 * `quickcage/agent/anthropic`): their declarations name the SDK's types, so an app's type-check
 * meets only the SDK it imports.
 *
 * @packageDocumentation
 */
export { BUILTIN_RESULTS, generateDeclarations, schemaToType } from './declarations.js';
export type { DeclarationsInput, DeclaredModuleExport, DeclaredTool } from './declarations.js';
export { CODE_INPUT_SCHEMA, createCodeTool, createEventTap } from './code-tool.js';
export type { CodeStep, CodeTool, CodeToolOptions, EventTap } from './code-tool.js';
export { capResult, compactLogs, explainError } from './explain.js';
export type { ModelError, ModelResult } from './explain.js';
export { resultText } from './adapter-kit.js';
export { importMcpTools, mcpToolName, registerMcpCodeTool } from './mcp.js';
export type { ImportMcpToolsOptions, McpClientLike, McpImport, McpServerLike, McpToolInfo } from './mcp.js';

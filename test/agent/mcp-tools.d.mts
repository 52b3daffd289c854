import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
/** The test MCP server; `calls` receives `[tool, ...args]` for each call that reached it. */
export function buildMcpServer(calls?: unknown[][]): McpServer;

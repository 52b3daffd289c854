/** Types of servers.mjs (Node-side; the project has no @types/node). */
export interface ScriptReply {
  content?: string;
  toolCalls?: { name: string; arguments: string }[];
}
export interface ChatBody {
  model: string;
  stream?: boolean;
  messages: { role: string; content: unknown; tool_calls?: unknown[]; tool_call_id?: string }[];
  tools?: unknown[];
}
export function startOpenAIMock(options: { script: (body: ChatBody) => ScriptReply; apiKey?: string; lifetimeMs?: number }): Promise<{ url: string; requests: ChatBody[]; close(): Promise<void> }>;
export function startMcpHttpServer(options?: { lifetimeMs?: number }): Promise<{ url: string; calls(): number; close(): Promise<void> }>;

export function openAITestScript(body: ChatBody): ScriptReply;
/** Vitest globalSetup of the browser project. */
export default function setup(project: { provide(key: 'agentServers', value: AgentServers): void }): Promise<() => Promise<void>>;
export interface AgentServers {
  /** Base URL of the mock chat-completions API (`.../v1`). */
  openai: string;
  openaiKey: string;
  /** URL of the MCP Streamable HTTP endpoint. */
  mcp: string;
}
declare module 'vitest' {
  interface ProvidedContext {
    agentServers: AgentServers;
  }
}

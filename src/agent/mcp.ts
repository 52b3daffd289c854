/**
 * MCP (Model Context Protocol) in both directions, structurally: quickcage takes the app's own
 * `McpServer` / `Client` objects from `@modelcontextprotocol/sdk` and calls their methods; it never
 * imports the SDK.
 *
 * - Out: {@link registerMcpCodeTool} exposes the code tool as an MCP tool on the app's server.
 * - In: {@link importMcpTools} turns an MCP server's tools into quickcage tools (`defineTool`) that the
 *   app registers in its tool registry: guest code then calls them like any host tool, under the same
 *   permission flags, schema checks, approvals and audit events.
 */
import { checkKnownKeys } from '../internal/checks.js';
import { InvalidArgumentError, ToolError, describeValue, invalidArgument } from '../errors.js';
import { defineTool, isToolName, type ApprovalRule, type Tool } from '../tools/define.js';
import { isPermissionSet, type PermissionSet } from '../tools/permissions.js';
import { compileParams, type JsonSchema } from '../tools/schema.js';
import type { CodeTool } from './code-tool.js';
import { resultText } from './adapter-kit.js';

/**
 * What quickcage needs of an MCP `McpServer`: `registerTool(name, config, callback)`. Typed loosely
 * (the SDK's signature is generic over zod schemas), so any SDK version's server is accepted.
 */
export interface McpServerLike {
  registerTool(name: string, ...rest: never[]): unknown;
}

/** The `registerTool` call quickcage makes. */
type RegisterTool = (
  this: McpServerLike,
  name: string,
  config: { description?: string; inputSchema?: unknown; annotations?: Record<string, unknown> },
  callback: (args: { code: string }, extra: { signal: AbortSignal }) => unknown,
) => unknown;

/** A tool as an MCP server lists it. */
export interface McpToolInfo {
  name: string;
  description?: string;
  inputSchema: { type: 'object'; [key: string]: unknown };
  outputSchema?: { type: 'object'; [key: string]: unknown };
}

/** What quickcage needs of an MCP `Client`. */
export interface McpClientLike {
  listTools(params?: { cursor?: string }, options?: { signal?: AbortSignal }): Promise<{ tools: McpToolInfo[]; nextCursor?: string }>;
  callTool(
    params: { name: string; arguments?: Record<string, unknown> },
    resultSchema?: undefined,
    options?: { signal?: AbortSignal },
  ): Promise<{ content?: unknown; structuredContent?: unknown; isError?: boolean; [key: string]: unknown }>;
}

/**
 * Registers the code tool on an MCP server. The server validates input with a zod schema of the
 * app's own zod (quickcage does not ship zod): pass `z.string()` as `code`.
 *
 * @example
 * registerMcpCodeTool(server, codeTool, { code: z.string() });
 * @throws {InvalidArgumentError} `INVALID_ARGUMENT` when `server` has no `registerTool` or `schema.code` is missing.
 */
export function registerMcpCodeTool(server: McpServerLike, codeTool: CodeTool, schema: { code: unknown }): unknown {
  if (typeof server?.registerTool !== 'function') throw invalidArgument('server', 'an McpServer (with registerTool)', server);
  if (typeof codeTool?.execute !== 'function') throw invalidArgument('codeTool', 'a code tool from createCodeTool()', codeTool);
  if (typeof schema !== 'object' || schema === null || schema.code === undefined) throw invalidArgument('schema.code', 'a zod string schema, e.g. `z.string()`', schema?.code);
  return (server.registerTool as unknown as RegisterTool).call(
    server,
    codeTool.name,
    // Not read-only (tools may write), not open-world beyond what the policy grants.
    { description: codeTool.description, inputSchema: { code: schema.code }, annotations: { title: 'Run code in quickcage', readOnlyHint: false, openWorldHint: false } },
    async (args, extra) => {
      const result = await codeTool.execute(args, { signal: extra.signal });
      return { content: [{ type: 'text', text: resultText(result) }], ...(result.ok ? {} : { isError: true }) };
    },
  );
}

/** Options of {@link importMcpTools}. */
export interface ImportMcpToolsOptions {
  /** Flags an agent must hold to call these tools. Required: what a remote tool does is never guessed. */
  permission: PermissionSet;
  /** Prefix of the guest-side names (`github_` makes `create-issue` into `github_create_issue`). Default none. */
  prefix?: string;
  /** MCP tool names to import. Default: every tool the server lists (at most 200). */
  include?: readonly string[];
  /** Approval per call: a boolean for all, or a function of the MCP tool name and the validated arguments. */
  requiresApproval?: boolean | ((mcpName: string, args: Record<string, unknown>) => boolean);
  /** Aborts listing the tools. */
  signal?: AbortSignal;
}

/** What {@link importMcpTools} returns. */
export interface McpImport {
  /** Tools for `createToolRegistry({ tools })` or `registry.register(tool)`. */
  tools: Tool[];
  /** Result schemas by guest name (from the servers' `outputSchema`), for `createCodeTool({ returns })`. */
  returns: Record<string, JsonSchema>;
  /** Guest name → MCP tool name. */
  names: Record<string, string>;
}

const MAX_TOOLS = 200;

/** A guest-callable identifier for an MCP tool name (`get-weather` → `get_weather`). */
export function mcpToolName(name: string, prefix = ''): string {
  return `${prefix}${name}`.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(?=[0-9])/, '_').slice(0, 64);
}

/** Keywords ajv (strict, no format plugins) refuses, although they describe the data fine. */
function forAjv(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(forAjv);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    // `$schema` names drafts ajv's default instance does not load; `format` needs ajv-formats. The
    // MCP server checks its own input again, so dropping them here loosens nothing that matters.
    if (key === '$schema' || key === 'format') continue;
    out[key] = key === 'properties' || key === '$defs' || key === 'definitions'
      ? Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, forAjv(v)]))
      : forAjv(value);
  }
  return out;
}

/** A tool result as JSON data for the guest: structured content, else the text, else the content list. */
function toGuestValue(result: { content?: unknown; structuredContent?: unknown }): unknown {
  if (result.structuredContent !== undefined) return result.structuredContent;
  const content = Array.isArray(result.content) ? (result.content as { type?: unknown; text?: unknown }[]) : [];
  if (content.every((c) => c?.type === 'text' && typeof c.text === 'string')) return content.map((c) => c.text).join('\n');
  return content;
}

const textOf = (content: unknown): string =>
  (Array.isArray(content) ? content : []).map((c: { text?: unknown }) => (typeof c?.text === 'string' ? c.text : '')).join(' ').replace(/\s+/g, ' ').trim();

/**
 * Lists an MCP server's tools and defines one quickcage tool per MCP tool. Each handler calls the
 * server (`client.callTool`) with the run's abort signal; a result with `isError` becomes `TOOL_FAILED`
 * carrying the server's text. Register the tools in the app's registry: permission flags, the schema
 * check (the MCP tool's `inputSchema`), approvals and `tool_call` audit events then apply as for any tool.
 *
 * @throws {InvalidArgumentError} `INVALID_ARGUMENT` for a bad option, a client without listTools/callTool,
 *   two MCP tools that map to one guest name, or a schema ajv cannot compile (the field names the MCP tool).
 */
export async function importMcpTools(client: McpClientLike, options: ImportMcpToolsOptions): Promise<McpImport> {
  if (typeof client?.listTools !== 'function' || typeof client?.callTool !== 'function') throw invalidArgument('client', 'an MCP Client (with listTools and callTool)', client);
  if (typeof options !== 'object' || options === null) throw invalidArgument('options', 'an object', options);
  const known = ['permission', 'prefix', 'include', 'requiresApproval', 'signal'];
  checkKnownKeys('options', options, known);
  const { permission, prefix = '', include, requiresApproval = false, signal } = options;
  if (!isPermissionSet(permission) || permission === 0) {
    throw new InvalidArgumentError('options.permission', `Expected \`options.permission\` to be a non-empty Permission flag set (declare what the MCP tools may do), got \`${describeValue(permission)}\``);
  }
  if (typeof prefix !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,31}$|^$/.test(prefix)) throw invalidArgument('options.prefix', 'an identifier prefix of at most 32 characters', prefix);
  if (include !== undefined && (!Array.isArray(include) || include.some((n) => typeof n !== 'string'))) throw invalidArgument('options.include', 'an array of MCP tool names', include);
  if (typeof requiresApproval !== 'boolean' && typeof requiresApproval !== 'function') throw invalidArgument('options.requiresApproval', 'a boolean or a function', requiresApproval);

  const listed: McpToolInfo[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor === undefined ? {} : { cursor }, signal === undefined ? {} : { signal });
    listed.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor !== undefined && listed.length < MAX_TOOLS);
  const wanted = include === undefined ? listed.slice(0, MAX_TOOLS) : listed.filter((t) => include.includes(t.name));
  const missing = include?.filter((n) => !listed.some((t) => t.name === n)) ?? [];
  if (missing.length > 0) throw invalidArgument('options.include', `names of tools the server lists (${listed.map((t) => t.name).join(', ')})`, missing[0]);

  const result: McpImport = { tools: [], returns: {}, names: {} };
  for (const info of wanted) {
    const name = mcpToolName(info.name, prefix);
    if (!isToolName(name)) throw invalidArgument(`tools.${info.name}`, 'an MCP tool name that maps to a valid guest name', name);
    if (result.names[name] !== undefined) throw new InvalidArgumentError(`tools.${info.name}`, `MCP tools \`${result.names[name]}\` and \`${info.name}\` both map to the guest name \`${name}\`; import them with \`include\` separately and different prefixes`);
    const { $schema: _drop, ...params } = (info.inputSchema ?? { type: 'object' }) as Record<string, unknown>;
    const validate = compileParams(forAjv(params), `tools.${info.name}.inputSchema`);
    const mcpName = info.name;
    const approval: ApprovalRule<Record<string, unknown>> = typeof requiresApproval === 'function' ? (args) => requiresApproval(mcpName, args) : requiresApproval;
    const description = `${(info.description ?? `MCP tool ${mcpName}.`).slice(0, 900)}${info.outputSchema ? '' : ' Returns the tool\'s text (a string) unless it has structured output.'}`.slice(0, 1000);
    result.tools.push(defineTool<Record<string, unknown>>({
      name,
      description,
      permission,
      params,
      validate,
      requiresApproval: approval,
      handler: async (args, ctx) => {
        const answer = await client.callTool({ name: mcpName, arguments: { ...args } }, undefined, { signal: ctx.signal });
        if (answer.isError === true) {
          throw new ToolError('TOOL_FAILED', `MCP tool \`${name}\` reported an error: ${textOf(answer.content).slice(0, 300) || 'no message'} (TOOL_FAILED)`, { details: { tool: name, reason: 'mcp-error' } });
        }
        return toGuestValue(answer);
      },
    }) as unknown as Tool);
    result.names[name] = mcpName;
    if (info.outputSchema !== undefined) {
      const { $schema: _s, ...out } = info.outputSchema as Record<string, unknown>;
      result.returns[name] = out;
    }
  }
  return result;
}

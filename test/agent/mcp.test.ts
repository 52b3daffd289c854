/**
 * MCP (`@modelcontextprotocol/sdk`) both ways, in Chromium:
 * - in: an MCP server's tools become guest-callable tools under the agent's permission flags, their
 *   schemas, approvals and audit events (in-memory transport, and Streamable HTTP to a local server);
 * - out: the code tool as an MCP tool, driven by an MCP client in a multi-step loop (in-memory, and
 *   Streamable HTTP through the SDK's web-standard server transport answering the client's fetch).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { z } from 'zod';
import { afterEach, describe, expect, inject, test } from 'vitest';
import { Permission } from '../../src/index.js';
import { importMcpTools, mcpToolName, registerMcpCodeTool, type CodeTool, type McpClientLike } from '../../src/agent/index.js';
import { buildMcpServer } from './mcp-tools.mjs';
import { createWorld, type World } from './helpers.js';

const servers = inject('agentServers');
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function inMemoryClient(server: McpServer): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'quickcage-tests', version: '1.0.0' });
  await client.connect(clientSide);
  cleanup.push(() => client.close(), () => server.close());
  return client;
}

async function worldWith(client: Client, permissions?: number): Promise<World> {
  const imported = await importMcpTools(client as unknown as McpClientLike, {
    permission: Permission.DATABASE_READ,
    prefix: 'ext_',
    requiresApproval: (name) => name === 'lookup_order',
  });
  const world = await createWorld({ tools: imported.tools as never[], codeTool: { returns: imported.returns }, ...(permissions === undefined ? {} : { permissions }) });
  cleanup.push(() => world[Symbol.asyncDispose]());
  return world;
}

describe('an MCP server\'s tools inside the sandbox', () => {
  test('are declared with their schemas and called from guest code, each call audited', async () => {
    const calls: unknown[][] = [];
    const world = await worldWith(await inMemoryClient(buildMcpServer(calls)));
    const { declarations } = world.codeTool;
    expect(declarations).toContain('  ext_get_weather(args: {\n    /**\n     * City name, e.g. Oslo.\n     * min length 1\n     */\n    city: string;\n  }): Promise<{\n    city: string;\n    celsius: number;\n  }>;');
    expect(declarations).toMatch(/ext_lookup_order\(args: \{\n {4}\/\*\* pattern \/\^\[0-9\]\{6\}\$\/ \*\/\n {4}id: string;\n {2}\}\): Promise<unknown>;/);
    expect(declarations).toContain('Status of one order by its six-digit id. Returns the tool\'s text (a string) unless it has structured output.');

    world.answer.next = 'approve';
    const result = await world.codeTool.execute({
      code: `const w = await tools.ext_get_weather({ city: 'Oslo' });
        const order = await tools.ext_lookup_order({ id: '123456' });
        ({ w, order })`,
    });
    expect(result).toEqual({ ok: true, value: { w: { city: 'Oslo', celsius: expect.any(Number) }, order: 'Order 123456: shipped, arrives Friday' } });
    expect(calls).toEqual([['get-weather', 'Oslo'], ['lookup_order', '123456']]);
    expect(world.asked.map((r) => r.tool)).toEqual(['ext_lookup_order']);
    const step = world.steps.at(-1)!;
    expect(step.events.filter((e) => e.type === 'tool_call').map((e) => [e.tool, e.details?.outcome, e.details?.approved])).toEqual([
      ['ext_get_weather', 'ok', undefined],
      ['ext_lookup_order', 'ok', true],
    ]);
  });

  test('schema, approval and server errors are typed; refused calls never reach the server', async () => {
    const calls: unknown[][] = [];
    const world = await worldWith(await inMemoryClient(buildMcpServer(calls)));
    expect((await world.codeTool.execute({ code: "await tools.ext_lookup_order({ id: '12' })" }))).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', tool: 'ext_lookup_order' } });
    world.answer.next = 'deny';
    expect((await world.codeTool.execute({ code: "await tools.ext_lookup_order({ id: '654321' })" }))).toMatchObject({ ok: false, error: { code: 'APPROVAL_DENIED', tool: 'ext_lookup_order' } });
    expect(calls).toEqual([]);
    const failed = await world.codeTool.execute({ code: 'await tools.ext_flaky({})' });
    expect(failed).toMatchObject({ ok: false, error: { code: 'TOOL_FAILED', tool: 'ext_flaky', message: 'MCP tool `ext_flaky` reported an error: upstream is down (TOOL_FAILED)' } });
    expect(calls).toEqual([['flaky']]);
  });

  test('an agent without the declared permission neither sees nor calls them', async () => {
    const calls: unknown[][] = [];
    const world = await worldWith(await inMemoryClient(buildMcpServer(calls)), Permission.READ_FILE);
    expect(world.codeTool.declarations).not.toContain('ext_');
    // The guest's `tools` has no such function: the call never leaves the sandbox.
    const result = await world.codeTool.execute({ code: "await tools.ext_get_weather({ city: 'Oslo' })" });
    expect(result).toMatchObject({ ok: false, error: { code: 'GUEST_ERROR', message: expect.stringMatching(/^TypeError: .*not a function/) } });
    expect(world.steps.at(-1)!.events.filter((e) => e.type === 'tool_call')).toEqual([]);
    expect(calls).toEqual([]);
  });

  test('over Streamable HTTP to a local server', async () => {
    const client = new Client({ name: 'quickcage-tests', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(servers.mcp)));
    cleanup.push(() => client.close());
    const world = await worldWith(client);
    const result = await world.codeTool.execute({
      code: "const cities = ['Oslo', 'Lima', 'Pune'];\nconst all = await Promise.all(cities.map((city) => tools.ext_get_weather({ city })));\nall.map((w) => w.city + ' ' + typeof w.celsius)",
    });
    expect(result).toEqual({ ok: true, value: ['Oslo number', 'Lima number', 'Pune number'] });
  });

  test('importMcpTools checks its input', async () => {
    const client = await inMemoryClient(buildMcpServer());
    const like = client as unknown as McpClientLike;
    await expect(importMcpTools(like, {} as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'options.permission' });
    await expect(importMcpTools(like, { permission: Permission.DATABASE_READ, include: ['nope'] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'options.include' });
    await expect(importMcpTools({} as never, { permission: Permission.DATABASE_READ })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'client' });
    expect([mcpToolName('get-weather'), mcpToolName('a.b', 'gh_'), mcpToolName('3d')]).toEqual(['get_weather', 'gh_a_b', '_3d']);
  });
});

/** An MCP client "model" that writes three programs in turn, each chosen from the previous result. */
async function drive(client: Client): Promise<{ texts: string[]; errors: boolean[] }> {
  const texts: string[] = [];
  const errors: boolean[] = [];
  const programs = [
    () => "(await tools.listDir({ path: '/kb' })).map((f) => f.name)",
    (prev: { value: string[] }) => `await tools.sendEmail({ to: 'ada@example.com', subject: ${JSON.stringify(prev.value.join(', '))} })`,
    (prev: { error?: { code: string } }) => `'approval was ' + ${JSON.stringify(prev.error?.code ?? 'granted')}`,
  ];
  let previous: never = undefined as never;
  for (const program of programs) {
    const answer = await client.callTool({ name: 'run_code', arguments: { code: program(previous) } });
    const text = (answer.content as { type: string; text: string }[])[0]!.text;
    texts.push(text);
    errors.push(answer.isError === true);
    previous = JSON.parse(text) as never;
  }
  return { texts, errors };
}

describe('the code tool as an MCP tool', () => {
  const expose = (codeTool: CodeTool) => {
    const server = new McpServer({ name: 'quickcage', version: '0.1.0' });
    registerMcpCodeTool(server, codeTool, { code: z.string() });
    return server;
  };

  test('is listed with its description and { code } schema, and runs a multi-step session (in-memory)', async () => {
    const world = await createWorld();
    cleanup.push(() => world[Symbol.asyncDispose]());
    const client = await inMemoryClient(expose(world.codeTool));
    const { tools } = await client.listTools();
    expect(tools).toHaveLength(1);
    expect(tools[0]).toMatchObject({ name: 'run_code', description: world.codeTool.description, inputSchema: { type: 'object', properties: { code: { type: 'string' } }, required: ['code'] } });
    world.answer.next = 'deny';
    const { texts, errors } = await drive(client);
    expect(errors).toEqual([false, true, false]);
    expect(JSON.parse(texts[0]!)).toEqual({ ok: true, value: ['returns.md', 'shipping.md'] });
    expect(JSON.parse(texts[1]!)).toMatchObject({ ok: false, error: { code: 'APPROVAL_DENIED', tool: 'sendEmail' } });
    expect(JSON.parse(texts[2]!)).toEqual({ ok: true, value: 'approval was APPROVAL_DENIED' });
    expect(world.sent).toEqual([]);
  });

  test('over Streamable HTTP (the SDK\'s web-standard server transport answering the client\'s fetch)', async () => {
    const world = await createWorld();
    cleanup.push(() => world[Symbol.asyncDispose]());
    world.answer.next = 'approve';
    let requests = 0;
    // Stateless: one server and transport per HTTP request, as a serverless handler would do.
    const handle = async (request: Request): Promise<Response> => {
      requests++;
      const server = expose(world.codeTool);
      const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      await server.connect(transport);
      return transport.handleRequest(request);
    };
    const client = new Client({ name: 'quickcage-tests', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL('http://quickcage.invalid/mcp'), {
      fetch: (url, init) => handle(new Request(url, init)),
    }));
    cleanup.push(() => client.close());
    const { texts, errors } = await drive(client);
    expect(errors).toEqual([false, false, false]);
    expect(JSON.parse(texts[1]!)).toEqual({ ok: true, value: { sent: true } });
    expect(world.sent).toEqual([{ to: 'ada@example.com', subject: 'returns.md, shipping.md' }]);
    expect(requests).toBeGreaterThanOrEqual(4); // initialize, initialized, three calls (GET/list may add more)
  });

  test('registerMcpCodeTool checks its input', async () => {
    const world = await createWorld();
    cleanup.push(() => world[Symbol.asyncDispose]());
    expect(() => registerMcpCodeTool({} as never, world.codeTool, { code: z.string() })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'server' }));
    expect(() => registerMcpCodeTool(new McpServer({ name: 'x', version: '1' }), world.codeTool, {} as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'schema.code' }));
  });
});

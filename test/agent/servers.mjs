/**
 * Local servers the agent tests talk to over real HTTP on 127.0.0.1 (Node side):
 *
 * - a mock OpenAI-compatible chat-completions endpoint whose "model" is a script (messages → reply),
 *   speaking the tool-calling protocol, JSON or streamed (SSE);
 * - an MCP server over Streamable HTTP (stateless, JSON responses) with three tools.
 *
 * Both send CORS headers: the browser page calling them is on another origin, as a page calling a
 * local Ollama or a hosted API would be. Both are bounded: they close themselves after `lifetimeMs`.
 * The default export is the Vitest globalSetup of the browser project (ports reach the tests through
 * `inject('agentServers')`).
 */
import { createServer } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { buildMcpServer } from './mcp-tools.mjs';

const LIFETIME_MS = 10 * 60_000;

function cors(res) {
  res.setHeader('access-control-allow-origin', '*');
  res.setHeader('access-control-allow-methods', 'GET, POST, DELETE, OPTIONS');
  res.setHeader('access-control-allow-headers', '*');
  res.setHeader('access-control-expose-headers', 'mcp-session-id, mcp-protocol-version');
  res.setHeader('access-control-max-age', '600');
}

function readBody(req, limit = 1 << 20) {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks = [];
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) reject(new Error('body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Listens on 127.0.0.1 (port 0 = any free port), closes itself after `lifetimeMs`. */
function listen(server, lifetimeMs) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const timer = setTimeout(() => server.close(), lifetimeMs);
      timer.unref();
      server.on('close', () => clearTimeout(timer));
      resolve(server.address().port);
    });
  });
}

const close = (server) => new Promise((resolve) => {
  server.closeAllConnections?.();
  server.close(() => resolve());
});

/**
 * One chat.completion (or its stream) from a script reply `{ content?, toolCalls?: [{ name, arguments }] }`.
 * Streams split content into word chunks and each call's arguments into two halves, as real servers do.
 */
function completion(reply, model, stream, res, n) {
  const id = `chatcmpl-mock-${n}`;
  const created = Math.floor(Date.now() / 1000);
  const toolCalls = (reply.toolCalls ?? []).map((c, i) => ({ id: `call_${n}_${i}`, type: 'function', function: { name: c.name, arguments: c.arguments } }));
  const finish = toolCalls.length > 0 ? 'tool_calls' : 'stop';
  if (!stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({
      id, object: 'chat.completion', created, model,
      choices: [{ index: 0, finish_reason: finish, logprobs: null, message: { role: 'assistant', content: reply.content ?? null, refusal: null, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) } }],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    }));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const send = (delta, finishReason = null) => res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }] })}\n\n`);
  send({ role: 'assistant', content: '' });
  for (const piece of (reply.content ?? '').match(/\S+\s*|\s+/g) ?? []) send({ content: piece });
  toolCalls.forEach((c, index) => {
    const half = Math.ceil(c.function.arguments.length / 2);
    send({ tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.function.name, arguments: c.function.arguments.slice(0, half) } }] });
    send({ tool_calls: [{ index, function: { arguments: c.function.arguments.slice(half) } }] });
  });
  send({}, finish);
  res.write('data: [DONE]\n\n');
  res.end();
}

/**
 * A mock OpenAI-compatible endpoint: `POST /v1/chat/completions` answers with `script(body)`;
 * `GET /v1/models` lists one model; `GET /__requests` returns the request bodies seen so far.
 * @param {{ script: (body: any) => { content?: string, toolCalls?: { name: string, arguments: string }[] }, apiKey?: string, lifetimeMs?: number }} options
 */
export async function startOpenAIMock({ script, apiKey, lifetimeMs = LIFETIME_MS }) {
  const requests = [];
  let n = 0;
  const server = createServer(async (req, res) => {
    cors(res);
    try {
      if (req.method === 'OPTIONS') return void res.writeHead(204).end();
      if (apiKey !== undefined && req.url.startsWith('/v1/') && req.headers.authorization !== `Bearer ${apiKey}`) {
        res.writeHead(401, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } }));
      }
      if (req.method === 'GET' && req.url === '/v1/models') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ object: 'list', data: [{ id: 'mock-coder', object: 'model', created: 0, owned_by: 'quickcage-tests' }] }));
      }
      if (req.method === 'GET' && req.url === '/__requests') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify(requests));
      }
      if (req.method === 'POST' && req.url === '/v1/chat/completions') {
        const body = JSON.parse(await readBody(req));
        requests.push(body);
        return void completion(script(body), body.model, body.stream === true, res, ++n);
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}` } }));
    } catch (error) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: String(error?.message ?? error) } }));
    }
  });
  const port = await listen(server, lifetimeMs);
  return { url: `http://127.0.0.1:${port}/v1`, requests, close: () => close(server) };
}

/** The MCP server over Streamable HTTP at `POST /mcp`, stateless: one server and transport per request. */
export async function startMcpHttpServer({ lifetimeMs = LIFETIME_MS } = {}) {
  let calls = 0;
  const server = createServer(async (req, res) => {
    cors(res);
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    if (req.url !== '/mcp') return void res.writeHead(404).end();
    // Stateless servers have no standalone SSE stream and no sessions to delete.
    if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST' }).end();
    calls++;
    const mcp = buildMcpServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    try {
      await mcp.connect(transport);
      await transport.handleRequest(req, res);
    } catch (error) {
      if (!res.headersSent) res.writeHead(500).end(String(error?.message ?? error));
    }
  });
  const port = await listen(server, lifetimeMs);
  return { url: `http://127.0.0.1:${port}/mcp`, calls: () => calls, close: () => close(server) };
}

/**
 * The scripted model of test/agent/openai.test.ts. It reacts to what it reads, as a model would:
 * first a program the validator rejects plus a call to a tool that does not exist, then the fixed
 * program, then an answer quoting the result.
 */
export function openAITestScript(body) {
  const messages = body.messages;
  const results = messages.filter((m) => m.role === 'tool').map((m) => JSON.parse(m.content));
  const rounds = messages.filter((m) => m.role === 'assistant').length;
  if (rounds === 0) {
    return {
      content: 'Let me look.',
      toolCalls: [
        { name: 'run_code', arguments: JSON.stringify({ code: "const text = await tools.readFile({ path: '/kb/shipping.md' });\nconst days = eval('2');\n({ text, days })" }) },
        { name: 'web_search', arguments: JSON.stringify({ q: 'shipping' }) },
      ],
    };
  }
  if (rounds === 1) {
    const rejected = results[0];
    if (rejected?.error?.code !== 'VALIDATION_REJECTED') return { content: `unexpected: ${JSON.stringify(rejected)}` };
    return { toolCalls: [{ name: 'run_code', arguments: JSON.stringify({ code: "const text = await tools.readFile({ path: '/kb/shipping.md' });\n({ text, days: Number(/within (\\d+) days/.exec(text)[1]) })" }) }] };
  }
  const last = results.at(-1);
  return { content: last?.ok ? `Orders ship within ${last.value.days} days.` : `failed: ${JSON.stringify(last)}` };
}

/** Vitest globalSetup (browser project): the servers for test/agent/*.test.ts. */
export default async function setup(project) {
  const openai = await startOpenAIMock({ script: openAITestScript, apiKey: 'sk-test-local' });
  const mcp = await startMcpHttpServer();
  project.provide('agentServers', { openai: openai.url, openaiKey: 'sk-test-local', mcp: mcp.url });
  return async () => {
    await openai.close();
    await mcp.close();
  };
}

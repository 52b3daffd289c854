/**
 * The MCP server of the agent tests, usable in the browser (in-memory transport) and in Node (served
 * over Streamable HTTP by servers.mjs): weather with structured output, an order lookup answering
 * text, and a tool that always reports an error. `calls` records what reached the server.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

/** The MCP server of the tests: weather (structured), order lookup (text) and a tool that always fails. */
export function buildMcpServer(calls = []) {
  const server = new McpServer({ name: 'quickcage-test-mcp', version: '1.0.0' });
  server.registerTool('get-weather', {
    description: 'Current weather of a city.',
    inputSchema: { city: z.string().min(1).describe('City name, e.g. Oslo.') },
    outputSchema: { city: z.string(), celsius: z.number() },
  }, async ({ city }) => {
    calls.push(['get-weather', city]);
    const celsius = [...city].reduce((n, ch) => (n * 31 + ch.charCodeAt(0)) % 40, 0) - 5;
    return { content: [{ type: 'text', text: `${city}: ${celsius} °C` }], structuredContent: { city, celsius } };
  });
  server.registerTool('lookup_order', {
    description: 'Status of one order by its six-digit id.',
    inputSchema: { id: z.string().regex(/^[0-9]{6}$/) },
  }, async ({ id }) => (calls.push(['lookup_order', id]), { content: [{ type: 'text', text: `Order ${id}: shipped, arrives Friday` }] }));
  server.registerTool('flaky', { description: 'Always fails upstream.', inputSchema: {} }, async () => (calls.push(['flaky']), { content: [{ type: 'text', text: 'upstream is down' }], isError: true }));
  return server;
}


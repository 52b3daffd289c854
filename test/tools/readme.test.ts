/**
 * The examples of README.md's host tools section, run. Keep the two in sync.
 */
import { afterAll, describe, expect, test } from 'vitest';
import type { SecurityEventInput } from '../../src/audit/types.js';
import { createSandbox, type Sandbox } from '../../src/sandbox.js';
import { defineTool } from '../../src/tools/define.js';
import { Permission, definePermissionPolicy } from '../../src/tools/permissions.js';
import { createToolRegistry } from '../../src/tools/registry.js';
import { makePolicy, probe } from './helpers.js';

const sandboxes: Sandbox[] = [];
afterAll(async () => {
  for (const s of sandboxes) await s.dispose();
});

const db = { orders: { status: async (id: string) => ({ id, status: 'shipped' }) } };

test('the first example: a customer-service agent reads the knowledge base and looks up an order', async () => {
  const auditLog = { events: [] as SecurityEventInput[], record(e: SecurityEventInput) { this.events.push(e); } };
  const policy = makePolicy({ allowedOperations: { fileOperations: true }, files: { allowedPaths: ['/kb', '/orders'] } });
  const lookupOrder = defineTool<{ id: string }>({
    name: 'lookupOrder',
    description: 'Status of one order.',
    permission: Permission.DATABASE_READ,
    params: { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9]{6}$' } }, required: ['id'], additionalProperties: false },
    handler: async ({ id }) => db.orders.status(id),
  });
  const registry = createToolRegistry({ policy, tools: [lookupOrder] });
  const support = definePermissionPolicy({ agent: 'customer-service', permissions: Permission.READONLY, allowedPaths: ['/kb', '/orders'] });
  await registry.fileSystem!.writeFile('/kb/returns.md', 'Returns within 30 days.');

  const sandbox = createSandbox({ policy, tools: registry.forAgent(support, { sink: auditLog }), standby: false });
  sandboxes.push(sandbox);
  const { value } = await sandbox.run(`
    const faq = await tools.readFile({ path: '/kb/returns.md' });
    const order = await tools.lookupOrder({ id: '123456' });
    ({ faq, order })`);
  expect(value).toEqual({ faq: 'Returns within 30 days.', order: { id: '123456', status: 'shipped' } });
  expect(auditLog.events.filter((e) => e.type === 'tool_call').map((e) => [e.tool, e.details?.outcome])).toEqual([['readFile', 'ok'], ['lookupOrder', 'ok']]);
});

describe('check() examples', () => {
  const support = definePermissionPolicy({ agent: 'customer-service', permissions: Permission.READONLY, allowedPaths: ['/kb', '/orders'] });
  test.each([
    [Permission.READ_FILE, '/kb/returns.md', { allowed: true, resource: '/kb/returns.md' }],
    [Permission.WRITE_FILE, '/kb/returns.md', { allowed: false, rule: 'permission.missing', reason: 'agent `customer-service` lacks WRITE_FILE' }],
    [Permission.READ_FILE, '/kb/../etc/passwd', { allowed: false, rule: 'path.traversal' }],
    [Permission.READ_FILE, { path: '/kb/big.pdf', bytes: 5e6 }, { allowed: false, rule: 'file.too-large' }],
  ])('%s on %j', (action, resource, expected) => {
    expect(support.check(action, resource)).toMatchObject(expected);
  });
});

describe('the seed use cases', () => {
  const policy = makePolicy({
    allowedOperations: { fileOperations: true, networkOperations: true },
    files: { allowedPaths: ['/'] },
    network: { allowedDomains: ['api.carrier.example', 'localhost:5173', 'registry.npmjs.org'] },
  });
  const carrier = (url: RequestInfo | URL) => Promise.resolve(new Response(`tracked ${String(url)}`));
  const registry = createToolRegistry({ policy, fetchImpl: carrier as typeof fetch });

  const customerService = definePermissionPolicy({
    agent: 'customer-service',
    permissions: Permission.READONLY | Permission.NETWORK_ACCESS,
    allowedPaths: ['/kb', '/orders'],
    allowedDomains: ['api.carrier.example'],
    maxFileSize: 256 * 1024,
  });
  const analyst = definePermissionPolicy({
    agent: 'data-analysis',
    permissions: Permission.READ_FILE | Permission.WRITE_FILE | Permission.DATABASE_READ | Permission.EXECUTE_CODE,
    allowedPaths: ['/datasets', '/reports'],
    maxFileSize: 10 * 1024 * 1024,
  });
  const developer = definePermissionPolicy({
    agent: 'developer',
    permissions: Permission.STANDARD | Permission.EXECUTE_CODE,
    allowedPaths: ['/workspace'],
    allowedDomains: ['localhost:5173', 'registry.npmjs.org'],
  });

  test('customer service: reads two paths and one domain, writes nothing', async () => {
    expect(registry.names(customerService)).toEqual(['fetch', 'listDir', 'readFile', 'stat']);
    await expect(registry.invoke('listDir', { path: '/orders' }, probe(customerService).ctx)).resolves.toEqual([]);
    await expect(registry.invoke('readFile', { path: '/datasets/sales.csv' }, probe(customerService).ctx)).rejects.toMatchObject({ code: 'TOOL_DENIED', details: { rule: 'path.outside' } });
    await expect(registry.invoke('fetch', { url: 'https://api.carrier.example/track/1' }, probe(customerService).ctx)).resolves.toMatchObject({ status: 200 });
    await expect(registry.invoke('fetch', { url: 'https://registry.npmjs.org/' }, probe(customerService).ctx)).rejects.toMatchObject({ code: 'TOOL_DENIED', details: { rule: 'url.host-not-allowed', by: 'agent' } });
    await expect(registry.invoke('writeFile', { path: '/kb/x', content: '' }, probe(customerService).ctx)).rejects.toMatchObject({ code: 'TOOL_DENIED', details: { rule: 'permission.missing' } });
  });

  test('data analysis: reads datasets, writes reports, no network', async () => {
    expect(registry.names(analyst)).toEqual(['deleteFile', 'listDir', 'readFile', 'stat', 'writeFile']);
    await expect(registry.invoke('writeFile', { path: '/reports/q3.md', content: '# Q3' }, probe(analyst).ctx)).resolves.toEqual({ path: '/reports/q3.md', size: 4 });
    await expect(registry.invoke('fetch', { url: 'https://api.carrier.example/' }, probe(analyst).ctx)).rejects.toMatchObject({ code: 'TOOL_DENIED', details: { rule: 'permission.missing' } });
  });

  test('developer: a workspace, the dev server and the package mirror', async () => {
    expect(registry.names(developer)).toEqual(['deleteFile', 'fetch', 'listDir', 'readFile', 'stat', 'writeFile']);
    await expect(registry.invoke('writeFile', { path: '/workspace/src/app.ts', content: 'export {}' }, probe(developer).ctx)).resolves.toMatchObject({ size: 9 });
    await expect(registry.invoke('fetch', { url: 'http://localhost:5173/' }, probe(developer).ctx)).resolves.toMatchObject({ status: 200 });
    await expect(registry.invoke('fetch', { url: 'http://localhost:8080/' }, probe(developer).ctx)).rejects.toMatchObject({ code: 'TOOL_DENIED', details: { rule: 'url.port-not-allowed' } });
    await expect(registry.invoke('writeFile', { path: '/reports/x', content: '' }, probe(developer).ctx)).rejects.toMatchObject({ code: 'TOOL_DENIED', details: { rule: 'path.outside', by: 'agent' } });
  });
});

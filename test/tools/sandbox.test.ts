/**
 * The tool layer wired into the real sandbox: guest code in QuickJS, in a Worker, calls host tools
 * through `registry.forAgent(...)`, and a dynamic tool runs in a second, tool-less sandbox.
 */
import { afterAll, describe, expect, test } from 'vitest';
import type { SecurityEventInput } from '../../src/audit/types.js';
import { createSandbox, type Sandbox } from '../../src/sandbox.js';
import { createApprovalManager } from '../../src/tools/approvals.js';
import { DYNAMIC_TOOL_GLOBALS, createDynamicToolStore, prepareDynamicToolModule, type DynamicToolRunner } from '../../src/tools/dynamic.js';
import { defineTool } from '../../src/tools/define.js';
import { makePolicy } from './helpers.js';
import { Permission, definePermissionPolicy } from '../../src/tools/permissions.js';
import { createToolRegistry } from '../../src/tools/registry.js';

const sandboxes: Sandbox[] = [];
afterAll(async () => {
  for (const s of sandboxes) await s.dispose();
});

const policy = makePolicy({ allowedOperations: { fileOperations: true }, files: { allowedPaths: ['/kb', '/orders', '/scratch'] }, limits: { timeoutMs: 2000 } });
const support = definePermissionPolicy({ agent: 'customer-service', permissions: Permission.READONLY, allowedPaths: ['/kb', '/orders'] });

describe('guest calls host tools', () => {
  const events: SecurityEventInput[] = [];
  const registry = createToolRegistry({ policy });
  const sandbox = createSandbox({ policy, tools: registry.forAgent(support, { sink: { record: (e) => void events.push(e) } }), standby: false });
  sandboxes.push(sandbox);

  test('a granted tool is an async function on `tools` and an import from quickcage:tools', async () => {
    await registry.fileSystem!.writeFile('/kb/returns.md', 'Returns within 30 days.');
    const viaGlobal = await sandbox.run("await tools.readFile({ path: '/kb/returns.md' })");
    expect(viaGlobal.value).toBe('Returns within 30 days.');
    const viaImport = await sandbox.run("import { readFile } from 'quickcage:tools';\nexport default await readFile({ path: '/kb/returns.md' });");
    expect(viaImport.value).toBe('Returns within 30 days.');
  });

  test('only granted tools exist in the guest', async () => {
    const result = await sandbox.run('Object.keys(tools).sort()');
    expect(result.value).toEqual(['listDir', 'readFile', 'stat']);
  });

  test('a traversal attempt fails in the guest with TOOL_DENIED and never reaches the file system', async () => {
    await registry.fileSystem!.writeFile('/scratch/secret.txt', 'do not read');
    events.length = 0;
    const result = await sandbox.run(`
      const attempts = ['/kb/../scratch/secret.txt', '/kb/%2e%2e/scratch/secret.txt', '/kb\\\\..\\\\scratch\\\\secret.txt', '/kb/\\uff0e\\uff0e/scratch/secret.txt', '/scratch/secret.txt'];
      const out = [];
      for (const path of attempts) {
        try { out.push(await tools.readFile({ path })); } catch (e) { out.push(String(e.message).includes('TOOL_DENIED')); }
      }
      out`);
    expect(result.value).toEqual([true, true, true, true, true]);
    expect(events.filter((e) => e.type === 'tool_call').map((e) => [e.details?.outcome, e.severity])).toEqual(Array(5).fill(['denied', 'high']));
  });
});

describe('guest fetch through the fetch tool', () => {
  test('reaches an allowed host and is denied elsewhere, from inside QuickJS', async () => {
    const net = makePolicy({ allowedOperations: { networkOperations: true }, network: { allowedDomains: [location.host], allowHttp: 'loopback' } });
    const agent = definePermissionPolicy({ agent: 'net', permissions: Permission.NETWORK_ACCESS, allowedDomains: [location.host] });
    const sandbox = createSandbox({ policy: net, tools: createToolRegistry({ policy: net }).forAgent(agent), standby: false });
    sandboxes.push(sandbox);
    const result = await sandbox.run(`
      const ok = await fetch('${location.origin}/test/tools/fixtures/hello.txt');
      let denied;
      try { await fetch('http://0x7f.1/'); } catch (e) { denied = String(e.message); }
      ({ status: ok.status, text: await ok.text(), denied })`);
    expect(result.value).toMatchObject({ status: 200, text: 'hello from the fixture\n', denied: expect.stringContaining('TOOL_DENIED') });
  });
});

describe('approval pauses the run deadline', () => {
  test('a person taking longer than the run timeout does not kill the run', async () => {
    const tight = makePolicy({ limits: { timeoutMs: 1000 } });
    const approvals = createApprovalManager({ storage: 'memory', onApproval: () => new Promise((resolve) => setTimeout(() => resolve('approve'), 2000)) });
    const refund = defineTool<{ amount: number }>({
      name: 'refund',
      description: 'Refunds an order.',
      permission: Permission.DATABASE_WRITE,
      params: { type: 'object', properties: { amount: { type: 'number' } }, required: ['amount'] },
      requiresApproval: true,
      handler: ({ amount }) => ({ refunded: amount }),
    });
    const clerk = definePermissionPolicy({ agent: 'clerk', permissions: Permission.DATABASE_WRITE });
    const sandbox = createSandbox({ policy: tight, tools: createToolRegistry({ tools: [refund], approvals }).forAgent(clerk), standby: false });
    sandboxes.push(sandbox);
    await sandbox.run('1'); // warm: the deadline should be spent waiting for the person, not starting a worker
    await expect(sandbox.run('await tools.refund({ amount: 25 })')).resolves.toMatchObject({ value: { refunded: 25 } });
    approvals.close();
  });
});

describe('dynamic tools in the sandbox', () => {
  test('a user-created tool runs in a tool-less sandbox with the calling user in ctx.deps', async () => {
    const toolSandbox = createSandbox({ policy: makePolicy({}), standby: false });
    sandboxes.push(toolSandbox);
    const runner: DynamicToolRunner = async (code, args, ctx) =>
      (await toolSandbox.run(prepareDynamicToolModule(code), {
        globals: { [DYNAMIC_TOOL_GLOBALS.args]: args, [DYNAMIC_TOOL_GLOBALS.deps]: ctx.deps },
        signal: ctx.signal,
        sourceType: 'module',
      })).value;
    const store = createDynamicToolStore({ runner, consume: () => undefined, storage: 'memory', deps: { currency: 'EUR' } });
    await store.create({
      owner: 'alice',
      name: 'invoiceTotal',
      code: 'export default (args, ctx) => ({ total: args.items.reduce((s, i) => s + i, 0), currency: ctx.deps.currency, for: ctx.deps.user, tools: typeof tools });',
      // Shared, because the sandbox lists tool names without the run's user today (names() with no
      // argument); an owner-only tool needs the sandbox to call names(user).
      shared: true,
    });
    const coder = definePermissionPolicy({ agent: 'analyst', permissions: Permission.EXECUTE_CODE });
    const registry = createToolRegistry({ dynamicTools: store });
    const main = createSandbox({ policy: makePolicy({}), tools: registry.forAgent(coder), standby: false });
    sandboxes.push(main);
    const result = await main.run('await tools.invoiceTotal({ items: [5, 7] })', { user: 'alice' });
    expect(result.value).toEqual({ total: 12, currency: 'EUR', for: 'alice', tools: 'undefined' });
    store.close();
  });
});

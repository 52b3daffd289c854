/**
 * Revocation and re-grant of a tool, a permission, a path or a domain, for one agent or one sandbox:
 * effective for the very next call, including calls waiting for approval, with an audit event.
 */
import { deleteDB } from 'idb';
import { afterAll, afterEach, describe, expect, test, vi } from 'vitest';
import type { SecurityEventInput } from '../../src/audit/types.js';
import { createSandbox, type Sandbox } from '../../src/sandbox.js';
import { createApprovalManager, type ApprovalManager } from '../../src/tools/approvals.js';
import { defineTool } from '../../src/tools/define.js';
import { Permission, definePermissionPolicy } from '../../src/tools/permissions.js';
import { createToolRegistry } from '../../src/tools/registry.js';
import { makePolicy, probe } from './helpers.js';

const agent = definePermissionPolicy({ agent: 'ops', permissions: Permission.STANDARD | Permission.SEND_EMAIL, allowedPaths: ['/data'], allowedDomains: [location.host] });
const call = () => ({ runId: `run-${crypto.randomUUID()}`, user: 'alice', signal: new AbortController().signal, pauseDeadline: () => () => {} });
const lookup = vi.fn(() => ({ ok: true }));
const lookupTool = defineTool({ name: 'lookup', description: 'x', permission: Permission.DATABASE_READ, params: { type: 'object' }, handler: lookup });
const sent: unknown[] = [];
const sendEmail = defineTool({ name: 'sendEmail', description: 'x', permission: Permission.SEND_EMAIL, params: { type: 'object' }, requiresApproval: true, handler: (args) => void sent.push(args) });
const policy = makePolicy({ allowedOperations: { fileOperations: true, networkOperations: true }, files: { allowedPaths: ['/data'] }, network: { allowedDomains: [location.host], allowHttp: 'loopback' }, limits: { timeoutMs: 3000 } });
const revokeEvents = (events: SecurityEventInput[]) => events.filter((e) => e.type === 'permission_revoked' || e.type === 'permission_granted');

describe('revoke and grant on dispatchers', () => {
  test('a revoked tool is denied on the very next call and gone from names(); grant gives it back', async () => {
    const events: SecurityEventInput[] = [];
    const registry = createToolRegistry({ tools: [lookupTool] });
    const d = registry.forAgent(agent, { sink: { record: (e) => void events.push(e) } });
    await expect(d.invoke('lookup', {}, call())).resolves.toEqual({ ok: true });
    registry.revoke({ tool: 'lookup' }, { sandbox: d }, { reason: 'incident 42', by: 'oncall' });
    expect(d.names()).not.toContain('lookup');
    await expect(d.invoke('lookup', {}, call())).rejects.toMatchObject({ code: 'TOOL_DENIED', details: { rule: 'revoked.tool' } });
    expect(registry.grant({ tool: 'lookup' }, { sandbox: d.id }, { by: 'oncall' })).toBe(true);
    await expect(d.invoke('lookup', {}, call())).resolves.toEqual({ ok: true });
    expect(revokeEvents(events).map((e) => [e.type, e.agent, e.tool, e.details])).toEqual([
      ['permission_revoked', 'ops', 'lookup', { what: { tool: 'lookup' }, scope: 'sandbox', sandbox: d.id, reason: 'incident 42', by: 'oncall', abandonedApprovals: 0 }],
      ['permission_granted', 'ops', 'lookup', { what: { tool: 'lookup' }, scope: 'sandbox', sandbox: d.id, by: 'oncall' }],
    ]);
    expect(events.filter((e) => e.type === 'tool_call').map((e) => [e.details?.outcome, e.details?.rule])).toEqual([['ok', undefined], ['denied', 'revoked.tool'], ['ok', undefined]]);
  });

  test('sandbox scope touches one dispatcher; agent scope touches every dispatcher of that agent (near miss: another agent)', async () => {
    const registry = createToolRegistry({ tools: [lookupTool] });
    const a = registry.forAgent(agent);
    const b = registry.forAgent(agent);
    const stranger = registry.forAgent(definePermissionPolicy({ agent: 'other', permissions: Permission.READONLY }));
    registry.revoke({ tool: 'lookup' }, { sandbox: a });
    await expect(a.invoke('lookup', {}, call())).rejects.toMatchObject({ details: { rule: 'revoked.tool' } });
    await expect(b.invoke('lookup', {}, call())).resolves.toEqual({ ok: true });
    registry.revoke({ tool: 'lookup' }, { agent: 'ops' });
    await expect(b.invoke('lookup', {}, call())).rejects.toMatchObject({ details: { rule: 'revoked.tool' } });
    await expect(registry.invoke('lookup', {}, probe(agent).ctx)).rejects.toMatchObject({ details: { rule: 'revoked.tool' } });
    await expect(stranger.invoke('lookup', {}, call())).resolves.toEqual({ ok: true });
    expect(registry.names(agent)).toEqual([]);
    expect(registry.describe(agent)).toEqual([]);
    // Lifting the agent-wide revocation leaves the sandbox one in force.
    registry.grant({ tool: 'lookup' }, { agent: 'ops' });
    await expect(b.invoke('lookup', {}, call())).resolves.toEqual({ ok: true });
    await expect(a.invoke('lookup', {}, call())).rejects.toMatchObject({ details: { rule: 'revoked.tool' } });
    expect(registry.revocations()).toEqual([expect.objectContaining({ what: { tool: 'lookup' }, scope: { sandbox: a.id } })]);
  });

  test('a revoked permission removes every tool that needs it', async () => {
    const registry = createToolRegistry({ policy, tools: [lookupTool] });
    const d = registry.forAgent(agent);
    registry.revoke({ permission: Permission.DATABASE_READ | Permission.WRITE_FILE }, { agent: 'ops' });
    expect(d.names()).toEqual(['deleteFile', 'fetch', 'listDir', 'readFile', 'stat', 'writeFile'].filter((n) => n !== 'deleteFile' && n !== 'writeFile'));
    await expect(d.invoke('lookup', {}, call())).rejects.toMatchObject({ code: 'TOOL_DENIED', details: { rule: 'revoked.permission' } });
    await expect(d.invoke('writeFile', { path: '/data/x', content: 'x' }, call())).rejects.toMatchObject({ details: { rule: 'revoked.permission' } });
    await expect(d.invoke('stat', { path: '/data/x' }, call())).resolves.toBeNull();
  });

  test('a revoked path: the path and everything below it (near miss: a sibling with the same prefix)', async () => {
    const registry = createToolRegistry({ policy });
    await registry.fileSystem!.writeFile('/data/private/a.txt', 'secret');
    await registry.fileSystem!.writeFile('/data/private2/a.txt', 'fine');
    const d = registry.forAgent(agent);
    registry.revoke({ path: '/data/private' }, { sandbox: d });
    await expect(d.invoke('readFile', { path: '/data/private/a.txt' }, call())).rejects.toMatchObject({ code: 'TOOL_DENIED', details: { rule: 'revoked.path', by: 'agent' } });
    await expect(d.invoke('listDir', { path: '/data/private' }, call())).rejects.toMatchObject({ details: { rule: 'revoked.path' } });
    await expect(d.invoke('readFile', { path: '/data/private2/a.txt' }, call())).resolves.toBe('fine');
  });

  test('a revoked domain is refused by fetch before any request; other hosts are unaffected', async () => {
    const requests: string[] = [];
    const fetchImpl = (async (input: RequestInfo | URL) => {
      requests.push(String(input));
      return new Response('ok');
    }) as typeof fetch;
    const registry = createToolRegistry({ policy, fetchImpl });
    const d = registry.forAgent(agent);
    await expect(d.invoke('fetch', { url: `${location.origin}/a` }, call())).resolves.toMatchObject({ status: 200 });
    registry.revoke({ domain: location.hostname }, { agent: 'ops' });
    await expect(d.invoke('fetch', { url: `${location.origin}/b` }, call())).rejects.toMatchObject({ code: 'TOOL_DENIED', details: { rule: 'revoked.domain' } });
    expect(requests).toEqual([`${location.origin}/a`]);
  });

  test('revoking twice records once; granting what is not revoked returns false and records nothing', () => {
    const events: SecurityEventInput[] = [];
    const registry = createToolRegistry({ tools: [lookupTool], sink: { record: (e) => void events.push(e) } });
    registry.revoke({ tool: 'lookup' }, { agent: 'ops' });
    registry.revoke({ tool: 'lookup' }, { agent: 'ops' });
    expect(registry.grant({ path: '/data' }, { agent: 'ops' })).toBe(false);
    expect(revokeEvents(events)).toHaveLength(1);
  });

  test.each([
    [{}, { agent: 'ops' }, 'what'],
    [{ tool: 'lookup', path: '/data' }, { agent: 'ops' }, 'what'],
    [{ path: '/data/../etc' }, { agent: 'ops' }, 'what.path'],
    [{ domain: 'https://x.com' }, { agent: 'ops' }, 'what.domain'],
    [{ permission: 0 }, { agent: 'ops' }, 'what.permission'],
    [{ tool: 'lookup' }, { sandbox: 'sandbox-999' }, 'scope.sandbox'],
    [{ tool: 'lookup' }, { agent: '' }, 'scope.agent'],
  ])('revoke(%j, %j) is INVALID_ARGUMENT naming %s', (what, scope, field) => {
    const registry = createToolRegistry({ tools: [lookupTool] });
    expect(() => registry.revoke(what as never, scope as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field }));
  });
});

describe('revocation while an approval is pending', () => {
  const managers: ApprovalManager[] = [];
  const dbs: string[] = [];
  afterEach(async () => {
    for (const m of managers.splice(0)) m.close();
    for (const name of dbs.splice(0)) await deleteDB(name);
  });
  const manager = (onApproval: () => Promise<'approve' | 'deny'>) => {
    const dbName = `revocation-approvals-${crypto.randomUUID()}`;
    dbs.push(dbName);
    const m = createApprovalManager({ dbName, onApproval });
    managers.push(m);
    return m;
  };

  test('the wait is abandoned at once and the call is denied; the handler never runs', async () => {
    sent.length = 0;
    const ref = {} as { registry: ReturnType<typeof createToolRegistry> };
    const events: SecurityEventInput[] = [];
    // The person never answers: only the revocation can end the wait.
    const approvals = manager(() => {
      ref.registry.revoke({ tool: 'sendEmail' }, { agent: 'ops' }, { reason: 'compromised' });
      return new Promise(() => {});
    });
    ref.registry = createToolRegistry({ tools: [sendEmail], approvals, sink: { record: (e) => void events.push(e) } });
    const { ctx, events: callEvents } = probe(agent);
    await expect(ref.registry.invoke('sendEmail', { to: 'x' }, ctx)).rejects.toMatchObject({ code: 'TOOL_DENIED', details: { rule: 'revoked.tool' } });
    expect(sent).toEqual([]);
    expect(revokeEvents(events)[0]).toMatchObject({ type: 'permission_revoked', details: { abandonedApprovals: 1, reason: 'compromised' } });
    expect(callEvents.filter((e) => e.type === 'tool_call').map((e) => e.details?.rule)).toEqual(['revoked.tool']);
  });

  test('a revoked permission also ends the wait: the call is denied with revoked.permission and the handler never runs', async () => {
    sent.length = 0;
    const ref = {} as { registry: ReturnType<typeof createToolRegistry> };
    const approvals = manager(async () => {
      ref.registry.revoke({ permission: Permission.SEND_EMAIL }, { agent: 'ops' });
      return 'approve';
    });
    ref.registry = createToolRegistry({ tools: [sendEmail], approvals });
    await expect(ref.registry.invoke('sendEmail', { to: 'x' }, probe(agent).ctx)).rejects.toMatchObject({ code: 'TOOL_DENIED', details: { rule: 'revoked.permission' } });
    expect(sent).toEqual([]);
  });

  test('near miss: a revocation of something else leaves the pending call alone', async () => {
    sent.length = 0;
    const ref = {} as { registry: ReturnType<typeof createToolRegistry> };
    const approvals = manager(async () => {
      ref.registry.revoke({ tool: 'lookup' }, { agent: 'ops' });
      return 'approve';
    });
    ref.registry = createToolRegistry({ tools: [sendEmail, lookupTool], approvals });
    await expect(ref.registry.invoke('sendEmail', { to: 'x' }, probe(agent).ctx)).resolves.toBeUndefined();
    expect(sent).toEqual([{ to: 'x' }]);
  });
});

describe('revocation mid-run, end to end in QuickJS', () => {
  const sandboxes: Sandbox[] = [];
  afterAll(async () => {
    for (const s of sandboxes) await s.dispose();
  });

  test('a tool revoked by the operator between two guest calls fails on the second, inside the same run', async () => {
    const ref = {} as { registry: ReturnType<typeof createToolRegistry> };
    let dispatcherId = '';
    // The operator acts while the run is in flight (here: when the guest reports progress).
    const progress = defineTool({ name: 'progress', description: 'x', permission: Permission.DATABASE_READ, params: { type: 'object' }, handler: () => {
      ref.registry.revoke({ tool: 'lookup' }, { sandbox: dispatcherId }, { reason: 'operator stop' });
      return null;
    } });
    ref.registry = createToolRegistry({ tools: [lookupTool, progress] });
    const dispatcher = ref.registry.forAgent(agent);
    dispatcherId = dispatcher.id;
    const sandbox = createSandbox({ tools: dispatcher, standby: false });
    sandboxes.push(sandbox);
    const result = await sandbox.run(`
      const out = [];
      out.push((await tools.lookup({})).ok);
      await tools.progress({});
      try { await tools.lookup({}); out.push('ran'); } catch (e) { out.push(String(e.message).includes('TOOL_DENIED') && String(e.message).includes('revoked')); }
      out`);
    expect(result.value).toEqual([true, true]);
    // The next run of this sandbox is still refused; granting back restores it.
    ref.registry.grant({ tool: 'lookup' }, { sandbox: dispatcher });
    expect((await sandbox.run('(await tools.lookup({})).ok')).value).toBe(true);
  });
});

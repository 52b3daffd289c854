/**
 * Human in the loop, with real IndexedDB: decisions apply once, timeouts deny, approvals are bound to
 * the exact arguments, and a pending request outlives its run.
 */
import { deleteDB } from 'idb';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { createApprovalManager, type ApprovalManager, type ApprovalManagerOptions, type ApprovalRequest } from '../../src/tools/approvals.js';
import { defineTool } from '../../src/tools/define.js';
import { canonicalJson, sha256Hex } from '../../src/tools/json.js';
import { Permission, definePermissionPolicy } from '../../src/tools/permissions.js';
import { createToolRegistry } from '../../src/tools/registry.js';
import { probe } from './helpers.js';

const managers: ApprovalManager[] = [];
const databases = new Set<string>();
afterEach(async () => {
  for (const m of managers.splice(0)) m.close();
  for (const name of databases) await deleteDB(name);
  databases.clear();
});

function manager(options: ApprovalManagerOptions = {}, dbName = `quickcage-approvals-test-${crypto.randomUUID()}`): ApprovalManager {
  databases.add(dbName);
  const m = createApprovalManager({ dbName, ...options });
  managers.push(m);
  return m;
}

const agent = definePermissionPolicy({ agent: 'ops', permissions: Permission.STANDARD | Permission.SEND_EMAIL });
const sent: unknown[] = [];
const sendEmail = defineTool<{ to: string; body: string }>({
  name: 'sendEmail',
  description: 'Sends an email.',
  permission: Permission.SEND_EMAIL,
  params: { type: 'object', properties: { to: { type: 'string' }, body: { type: 'string' } }, required: ['to', 'body'], additionalProperties: false },
  requiresApproval: true,
  handler: (args) => {
    sent.push(args);
    return { sent: true };
  },
});
const refund = defineTool<{ amount: number }>({
  name: 'refund',
  description: 'Refunds an amount; large ones need a person.',
  permission: Permission.DATABASE_READ,
  params: { type: 'object', properties: { amount: { type: 'number' } }, required: ['amount'], additionalProperties: false },
  requiresApproval: ({ amount }) => amount > 100,
  handler: ({ amount }) => ({ refunded: amount }),
});
const mail = { to: 'customer@example.com', body: 'Your refund is on its way.' };
const registryWith = (approvals?: ApprovalManager) => createToolRegistry({ tools: [sendEmail, refund], ...(approvals ? { approvals } : {}) });
const approvalEvents = (events: { type: string; details?: Record<string, unknown> }[]) => events.filter((e) => e.type === 'approval').map((e) => e.details?.decision);

describe('approval flow', () => {
  test('an approved call runs once, with the deadline paused while the person decides', async () => {
    sent.length = 0;
    const onApproval = vi.fn(async () => 'approve' as const);
    const registry = registryWith(manager({ onApproval }));
    const { ctx, events, clock } = probe(agent);
    await expect(registry.invoke('sendEmail', mail, ctx)).resolves.toEqual({ sent: true });
    expect(sent).toEqual([mail]);
    expect(onApproval).toHaveBeenCalledTimes(1);
    expect(clock).toEqual({ paused: 1, resumed: 1 });
    expect(approvalEvents(events)).toEqual(['requested', 'approved']);
    expect(events.at(-1)).toMatchObject({ type: 'tool_call', details: { outcome: 'ok', approved: true } });
  });

  test('the request carries the exact canonical arguments and their SHA-256', async () => {
    let request: ApprovalRequest | undefined;
    const registry = registryWith(manager({ onApproval: (r) => ((request = r), 'approve') }));
    const { ctx } = probe(agent);
    await registry.invoke('sendEmail', { body: mail.body, to: mail.to }, ctx);
    expect(request).toMatchObject({ tool: 'sendEmail', agent: 'ops', user: 'alice', runId: ctx.runId, args: mail });
    expect(request!.argsDigest).toBe(await sha256Hex(canonicalJson(mail)));
    expect(request!.argsDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(request!.expiresAt - request!.createdAt).toBe(5 * 60_000);
  });

  test('a denied call is APPROVAL_DENIED and the handler never runs', async () => {
    sent.length = 0;
    const registry = registryWith(manager({ onApproval: () => 'deny' }));
    const { ctx, events, clock } = probe(agent);
    await expect(registry.invoke('sendEmail', mail, ctx)).rejects.toMatchObject({ code: 'APPROVAL_DENIED', details: { status: 'denied' } });
    expect(sent).toEqual([]);
    expect(clock).toEqual({ paused: 1, resumed: 1 });
    expect(approvalEvents(events)).toEqual(['requested', 'denied']);
    expect(events.at(-1)).toMatchObject({ type: 'tool_call', details: { outcome: 'rejected' } });
  });

  test.each([['yes'], [true], [undefined], [{ decision: 'approve' }]])('an answer other than "approve" (%j) denies', async (answer) => {
    const registry = registryWith(manager({ onApproval: () => answer as never }));
    await expect(registry.invoke('sendEmail', mail, probe(agent).ctx)).rejects.toMatchObject({ code: 'APPROVAL_DENIED' });
  });

  test('an onApproval that throws denies', async () => {
    const registry = registryWith(manager({ onApproval: () => { throw new Error('UI crashed'); } }));
    await expect(registry.invoke('sendEmail', mail, probe(agent).ctx)).rejects.toMatchObject({ code: 'APPROVAL_DENIED' });
  });

  test('requiresApproval as a function asks only when it returns true', async () => {
    const onApproval = vi.fn(() => 'approve' as const);
    const registry = registryWith(manager({ onApproval }));
    await expect(registry.invoke('refund', { amount: 20 }, probe(agent).ctx)).resolves.toEqual({ refunded: 20 });
    expect(onApproval).not.toHaveBeenCalled();
    await expect(registry.invoke('refund', { amount: 500 }, probe(agent).ctx)).resolves.toEqual({ refunded: 500 });
    expect(onApproval).toHaveBeenCalledTimes(1);
  });

  test('a requiresApproval function that throws requires approval (fails closed)', async () => {
    const risky = defineTool({ name: 'risky', description: 'x', permission: Permission.READ_FILE, params: { type: 'object' }, requiresApproval: () => { throw new Error('bug'); }, handler: () => 'ran' });
    const onApproval = vi.fn(() => 'deny' as const);
    const registry = createToolRegistry({ tools: [risky], approvals: manager({ onApproval }) });
    await expect(registry.invoke('risky', {}, probe(agent).ctx)).rejects.toMatchObject({ code: 'APPROVAL_DENIED' });
    expect(onApproval).toHaveBeenCalledTimes(1);
  });

  test('without an approval manager, a call that needs approval is denied', async () => {
    await expect(registryWith().invoke('sendEmail', mail, probe(agent).ctx)).rejects.toMatchObject({ code: 'APPROVAL_DENIED' });
  });
});

describe('approval races', () => {
  test('approve twice: the second decision does not apply and the handler runs once', async () => {
    sent.length = 0;
    let id = '';
    const approvals = manager({ onApproval: (r) => { id = r.id; return new Promise(() => {}); } });
    const registry = registryWith(approvals);
    const call = registry.invoke('sendEmail', mail, probe(agent).ctx);
    await vi.waitFor(() => expect(id).not.toBe(''));
    await expect(approvals.decide(id, 'approve')).resolves.toEqual({ applied: true, status: 'approved' });
    await expect(approvals.decide(id, 'approve')).resolves.toMatchObject({ applied: false });
    await expect(call).resolves.toEqual({ sent: true });
    await expect(approvals.decide(id, 'approve')).resolves.toEqual({ applied: false, status: 'consumed' });
    await expect(approvals.decide(id, 'deny')).resolves.toEqual({ applied: false, status: 'consumed' });
    expect(sent).toHaveLength(1);
  });

  test('deny then approve: the first decision stands', async () => {
    let id = '';
    const approvals = manager({ onApproval: (r) => { id = r.id; return new Promise(() => {}); } });
    const call = registryWith(approvals).invoke('sendEmail', mail, probe(agent).ctx);
    // Observe the rejection now: it happens during decide(), before the assertion below awaits it.
    const outcome = call.then(() => null, (error: unknown) => error);
    await vi.waitFor(() => expect(id).not.toBe(''));
    await approvals.decide(id, 'deny');
    await expect(approvals.decide(id, 'approve')).resolves.toEqual({ applied: false, status: 'denied' });
    expect(await outcome).toMatchObject({ code: 'APPROVAL_DENIED' });
  });

  test('approve after timeout: the call was already denied and the late approval does not apply', async () => {
    sent.length = 0;
    let release: (answer: 'approve') => void = () => {};
    let id = '';
    const approvals = manager({ timeoutMs: 30, onApproval: (r) => { id = r.id; return new Promise((resolve) => { release = resolve; }); } });
    const { ctx, events, clock } = probe(agent);
    await expect(registryWith(approvals).invoke('sendEmail', mail, ctx)).rejects.toMatchObject({ code: 'APPROVAL_DENIED', details: { status: 'expired' } });
    release('approve');
    await expect(approvals.decide(id, 'approve')).resolves.toEqual({ applied: false, status: 'expired' });
    expect(sent).toEqual([]);
    expect(clock).toEqual({ paused: 1, resumed: 1 });
    expect(approvalEvents(events)).toEqual(['requested', 'expired']);
    expect((await approvals.list()).map((r) => r.status)).toEqual(['expired']);
  });

  test('two identical calls need two approvals', async () => {
    sent.length = 0;
    const ids: string[] = [];
    const approvals = manager({ onApproval: (r) => { ids.push(r.id); return new Promise(() => {}); } });
    const registry = registryWith(approvals);
    const first = registry.invoke('sendEmail', mail, probe(agent).ctx);
    const second = registry.invoke('sendEmail', mail, probe(agent).ctx);
    await vi.waitFor(() => expect(ids).toHaveLength(2));
    await approvals.decide(ids[0]!, 'approve');
    await expect(first).resolves.toEqual({ sent: true });
    await approvals.decide(ids[1]!, 'deny');
    await expect(second).rejects.toMatchObject({ code: 'APPROVAL_DENIED' });
    expect(sent).toHaveLength(1);
  });

  test('the person sees a frozen copy: changing it does not change what runs', async () => {
    sent.length = 0;
    const registry = registryWith(manager({
      onApproval: (r) => {
        expect(Object.isFrozen(r) && Object.isFrozen(r.args)).toBe(true);
        expect(() => { (r.args as { to: string }).to = 'attacker@evil.example'; }).toThrow(TypeError);
        return 'approve';
      },
    }));
    await registry.invoke('sendEmail', mail, probe(agent).ctx);
    expect(sent).toEqual([mail]);
  });

  test('aborting the run while it waits rejects with ABORTED, resumes the clock, and leaves the request pending', async () => {
    let id = '';
    const approvals = manager({ onApproval: (r) => { id = r.id; return new Promise(() => {}); } });
    const { ctx, controller, clock } = probe(agent);
    const call = registryWith(approvals).invoke('sendEmail', mail, ctx);
    await vi.waitFor(() => expect(id).not.toBe(''));
    controller.abort();
    await expect(call).rejects.toMatchObject({ code: 'ABORTED' });
    expect(clock).toEqual({ paused: 1, resumed: 1 });
    expect((await approvals.pending()).map((r) => r.id)).toEqual([id]);
  });

  test('a decision made through another manager (another tab) reaches the waiting call', async () => {
    const dbName = `quickcage-approvals-test-${crypto.randomUUID()}`;
    const waiting = manager({}, dbName);
    const otherTab = manager({}, dbName);
    const call = registryWith(waiting).invoke('sendEmail', mail, probe(agent).ctx);
    let pending: Awaited<ReturnType<ApprovalManager['pending']>> = [];
    await vi.waitFor(async () => {
      pending = await otherTab.pending();
      expect(pending).toHaveLength(1);
    });
    await expect(otherTab.decide(pending[0]!.id, 'approve')).resolves.toEqual({ applied: true, status: 'approved' });
    await expect(call).resolves.toEqual({ sent: true });
    expect((await otherTab.list()).map((r) => r.status)).toEqual(['consumed']);
  });
});

describe('a request that outlives its run (reload)', () => {
  /** Leaves a pending request behind, the way a reload does: the run dies, the record stays. */
  async function orphan(approvals: ApprovalManager, args: unknown): Promise<string> {
    const { ctx, controller } = probe(agent);
    const call = registryWith(approvals).invoke('sendEmail', args, ctx);
    let id = '';
    await vi.waitFor(async () => {
      id = (await approvals.pending())[0]?.id ?? '';
      expect(id).not.toBe('');
    });
    controller.abort();
    await call.catch(() => {});
    return id;
  }

  test('an approval given later is used once by an identical call of the same agent and user', async () => {
    sent.length = 0;
    const dbName = `quickcage-approvals-test-${crypto.randomUUID()}`;
    const id = await orphan(manager({}, dbName), mail);
    const onApproval = vi.fn(() => 'deny' as const);
    const afterReload = manager({ onApproval }, dbName);
    expect((await afterReload.pending()).map((r) => [r.id, r.tool, r.args])).toEqual([[id, 'sendEmail', mail]]);
    await expect(afterReload.decide(id, 'approve')).resolves.toEqual({ applied: true, status: 'approved' });
    const registry = registryWith(afterReload);
    const { ctx, events } = probe(agent);
    await expect(registry.invoke('sendEmail', mail, ctx)).resolves.toEqual({ sent: true });
    expect(onApproval).not.toHaveBeenCalled();
    expect(approvalEvents(events)).toEqual(['reused']);
    // Once only: the next identical call asks again (and this person says no).
    await expect(registry.invoke('sendEmail', mail, probe(agent).ctx)).rejects.toMatchObject({ code: 'APPROVAL_DENIED' });
    expect(onApproval).toHaveBeenCalledTimes(1);
    expect(sent).toEqual([mail]);
  });

  test('args changed after approval: a call with different arguments does not use it', async () => {
    sent.length = 0;
    const dbName = `quickcage-approvals-test-${crypto.randomUUID()}`;
    const id = await orphan(manager({}, dbName), mail);
    const onApproval = vi.fn(() => 'deny' as const);
    const afterReload = manager({ onApproval }, dbName);
    await afterReload.decide(id, 'approve');
    const registry = registryWith(afterReload);
    for (const args of [{ ...mail, to: 'attacker@evil.example' }, { ...mail, body: `${mail.body} ` }]) {
      await expect(registry.invoke('sendEmail', args, probe(agent).ctx)).rejects.toMatchObject({ code: 'APPROVAL_DENIED' });
    }
    // Another user or another agent with the same arguments does not use it either.
    await expect(registry.invoke('sendEmail', mail, probe(agent, { user: 'mallory' }).ctx)).rejects.toMatchObject({ code: 'APPROVAL_DENIED' });
    const other = definePermissionPolicy({ agent: 'other', permissions: Permission.FULL });
    await expect(registry.invoke('sendEmail', mail, probe(other).ctx)).rejects.toMatchObject({ code: 'APPROVAL_DENIED' });
    expect(onApproval).toHaveBeenCalledTimes(4);
    expect(sent).toEqual([]);
    // Key order does not matter: the digest is over canonical JSON.
    await expect(registry.invoke('sendEmail', { body: mail.body, to: mail.to }, probe(agent).ctx)).resolves.toEqual({ sent: true });
  });

  test('an approval given after the request timed out does not apply', async () => {
    const dbName = `quickcage-approvals-test-${crypto.randomUUID()}`;
    let now = 1_000_000;
    const id = await orphan(manager({ now: () => now }, dbName), mail);
    now += 5 * 60_000;
    const afterReload = manager({ now: () => now }, dbName);
    await expect(afterReload.decide(id, 'approve')).resolves.toEqual({ applied: false, status: 'expired' });
    expect(await afterReload.pending()).toEqual([]);
  });

  test('an approval not used within reuseWindowMs lapses', async () => {
    const dbName = `quickcage-approvals-test-${crypto.randomUUID()}`;
    let now = 1_000_000;
    const id = await orphan(manager({ now: () => now }, dbName), mail);
    const afterReload = manager({ now: () => now, reuseWindowMs: 1000, onApproval: () => 'deny' }, dbName);
    await afterReload.decide(id, 'approve');
    now += 1000;
    await expect(registryWith(afterReload).invoke('sendEmail', mail, probe(agent).ctx)).rejects.toMatchObject({ code: 'APPROVAL_DENIED' });
  });

  test('a decision with no call waiting is recorded through the manager sink', async () => {
    const dbName = `quickcage-approvals-test-${crypto.randomUUID()}`;
    const id = await orphan(manager({}, dbName), mail);
    const events: unknown[] = [];
    const afterReload = manager({ sink: { record: (e) => void events.push(e) } }, dbName);
    await afterReload.decide(id, 'deny');
    expect(events).toEqual([expect.objectContaining({ type: 'approval', tool: 'sendEmail', agent: 'ops', user: 'alice', details: expect.objectContaining({ decision: 'denied', requestId: id, live: false }) })]);
  });
});

describe('createApprovalManager', () => {
  test('memory storage works the same, but is not persistent', async () => {
    const approvals = createApprovalManager({ storage: 'memory', onApproval: () => 'approve' });
    managers.push(approvals);
    expect(approvals.persistent).toBe(false);
    await expect(registryWith(approvals).invoke('sendEmail', mail, probe(agent).ctx)).resolves.toEqual({ sent: true });
  });

  test.each([
    [{ timeoutMs: 0 }, 'timeoutMs'],
    [{ reuseWindowMs: 1.5 }, 'reuseWindowMs'],
    [{ onApproval: 'yes' }, 'onApproval'],
    [{ storage: 'cookies' }, 'storage'],
    [{ dbName: '' }, 'dbName'],
    [{ sink: {} }, 'sink'],
    [{ timeout: 1 }, 'options.timeout'],
  ])('rejects the option %j naming `%s`', (options, field) => {
    expect(() => createApprovalManager(options as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field }));
  });

  test('decide on an unknown id does nothing', async () => {
    await expect(manager().decide('no-such-id', 'approve')).resolves.toEqual({ applied: false, status: 'unknown' });
  });
});

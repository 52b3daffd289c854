import { describe, expect, test, vi } from 'vitest';
import { ToolError } from '../../src/errors.js';
import { defineTool } from '../../src/tools/define.js';
import { Permission, definePermissionPolicy } from '../../src/tools/permissions.js';
import { createToolRegistry } from '../../src/tools/registry.js';
import { outcomes, probe, makePolicy } from './helpers.js';

const objectOf = (properties: Record<string, unknown>, required: string[] = Object.keys(properties)) => ({ type: 'object', properties, required, additionalProperties: false });

const lookup = vi.fn(async ({ id }: { id: string }) => ({ id, status: 'shipped' }));
const lookupOrder = defineTool<{ id: string }>({
  name: 'lookupOrder',
  description: 'Order status by id.',
  permission: Permission.DATABASE_READ,
  params: objectOf({ id: { type: 'string', pattern: '^[0-9]{6}$' } }),
  handler: lookup,
});
const send = vi.fn(() => ({ sent: true }));
const sendEmail = defineTool({
  name: 'sendEmail',
  description: 'Sends an email.',
  permission: Permission.SEND_EMAIL,
  params: objectOf({ to: { type: 'string' } }),
  handler: send,
});

const reader = definePermissionPolicy({ agent: 'reader', permissions: Permission.READONLY });
const mailer = definePermissionPolicy({ agent: 'mailer', permissions: Permission.READONLY | Permission.SEND_EMAIL });

describe('names and describe', () => {
  const registry = createToolRegistry({ tools: [lookupOrder, sendEmail] });

  test('list only the tools whose flags the agent holds', () => {
    expect(registry.names(reader)).toEqual(['lookupOrder']);
    expect(registry.names(mailer)).toEqual(['lookupOrder', 'sendEmail']);
  });

  test('built-in tools appear only when the policy grants them', () => {
    const full = definePermissionPolicy({ agent: 'full', permissions: Permission.FULL });
    expect(createToolRegistry().names(full)).toEqual([]);
    expect(createToolRegistry({ policy: makePolicy({}, 'trustedEnvironment') }).names(full)).toEqual(['deleteFile', 'listDir', 'readFile', 'stat', 'writeFile']);
    expect(createToolRegistry({ policy: makePolicy({ allowedOperations: { networkOperations: true } }) }).names(full)).toEqual(['fetch']);
    const files = createToolRegistry({ policy: makePolicy({}, 'trustedEnvironment') });
    expect(files.names(reader)).toEqual(['listDir', 'readFile', 'stat']);
  });

  test('describe gives name, description, schema and required flags', () => {
    expect(registry.describe(mailer)).toEqual([
      { name: 'lookupOrder', description: 'Order status by id.', params: lookupOrder.params, permissions: ['DATABASE_READ'], requiresApproval: false, kind: 'app' },
      { name: 'sendEmail', description: 'Sends an email.', params: sendEmail.params, permissions: ['SEND_EMAIL'], requiresApproval: false, kind: 'app' },
    ]);
  });

  test('reject an agent that is not a PermissionPolicy', () => {
    expect(() => registry.names({ ...reader })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'agent' }));
  });
});

describe('register', () => {
  test.each([
    [lookupOrder, 'tool.name'],
    [{ ...lookupOrder, name: 'other' }, 'tool'], // not frozen: not from defineTool
    [defineTool({ name: 'readFile', description: 'x', permission: Permission.READ_FILE, params: { type: 'object' }, handler: () => 1 }), 'tool.name'], // built-in names are reserved
  ])('rejects %#', (tool, field) => {
    const registry = createToolRegistry({ tools: [lookupOrder] });
    expect(() => registry.register(tool as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field }));
  });

  test('rejects unknown options', () => {
    expect(() => createToolRegistry({ toolz: [] } as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'options.toolz' }));
  });
});

describe('invoke', () => {
  const registry = createToolRegistry({ tools: [lookupOrder, sendEmail] });

  test('runs a granted tool with validated arguments and records one ok event', async () => {
    const { ctx, events } = probe(reader);
    await expect(registry.invoke('lookupOrder', { id: '123456' }, ctx)).resolves.toEqual({ id: '123456', status: 'shipped' });
    expect(events).toEqual([
      expect.objectContaining({ type: 'tool_call', severity: 'low', agent: 'reader', tool: 'lookupOrder', user: 'alice', runId: ctx.runId, details: expect.objectContaining({ outcome: 'ok' }) }),
    ]);
  });

  test('denies a tool the agent lacks the flag for; the handler never runs', async () => {
    send.mockClear();
    const { ctx, events } = probe(reader);
    const error = await registry.invoke('sendEmail', { to: 'x@example.com' }, ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolError);
    expect(error).toMatchObject({ code: 'TOOL_DENIED', message: 'Agent `reader` may not call `sendEmail`: agent `reader` lacks SEND_EMAIL (TOOL_DENIED)' });
    expect(send).not.toHaveBeenCalled();
    expect(outcomes(events)).toEqual([['denied', 'medium']]);
  });

  test.each([['nope'], ['constructor'], ['__proto__'], ['toString'], [42]])('denies the unknown tool %j', async (name) => {
    const { ctx, events } = probe(mailer);
    await expect(registry.invoke(name as string, {}, ctx)).rejects.toMatchObject({ code: 'TOOL_DENIED' });
    expect(outcomes(events)).toEqual([['denied', 'medium']]);
  });

  test.each([
    [{ id: 123456 }, 'args.id'],
    [{ id: '12345' }, 'args.id'],
    [{}, 'args'],
    [{ id: '123456', extra: true }, 'args'],
    [[], 'args'],
    ['123456', 'args'],
  ])('rejects the arguments %j with INVALID_ARGUMENT naming `%s`; the handler never runs', async (args, field) => {
    lookup.mockClear();
    const { ctx, events } = probe(reader);
    await expect(registry.invoke('lookupOrder', args, ctx)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field });
    expect(lookup).not.toHaveBeenCalled();
    expect(outcomes(events)).toEqual([['invalid', 'low']]);
  });

  test('the message names the field, the expectation and the value', async () => {
    const { ctx } = probe(reader);
    await expect(registry.invoke('lookupOrder', { id: 'abc' }, ctx)).rejects.toThrow('Expected `args.id` to match pattern "^[0-9]{6}$" for tool `lookupOrder`, got `"abc"`');
  });

  test.each([
    [{ id: '123456', when: new Date(0) }],
    [{ id: '123456', n: NaN }],
    [{ id: '123456', f: () => 1 }],
    [{ id: 1n }],
    [JSON.parse('{"id":"123456","__proto__":{"isAdmin":true}}')],
    [{ id: '123456', nested: JSON.parse('{"__proto__":{"polluted":1}}') }],
  ])('rejects arguments that are not plain JSON data: %#', async (args) => {
    const { ctx } = probe(reader);
    await expect(registry.invoke('lookupOrder', args, ctx)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'args' });
  });

  test('the handler gets a frozen copy of the arguments and the call context', async () => {
    let seen: { args: unknown; frozen: boolean; ctx: unknown } | undefined;
    const tool = defineTool({
      name: 'inspect',
      description: 'x',
      permission: Permission.READ_FILE,
      params: { type: 'object' },
      handler: (args, ctx) => {
        seen = { args, frozen: Object.isFrozen(args) && Object.isFrozen((args as { nested: object }).nested), ctx };
        return null;
      },
    });
    const original = { nested: { b: 2, a: 1 } };
    const { ctx } = probe(reader);
    await createToolRegistry({ tools: [tool] }).invoke('inspect', original, ctx);
    expect(seen?.args).toEqual(original);
    expect(seen?.args).not.toBe(original);
    expect(seen?.frozen).toBe(true);
    expect(seen?.ctx).toMatchObject({ runId: ctx.runId, user: 'alice', signal: ctx.signal });
    // The agent as it stands now (live revocations applied), with the bound policy's fields.
    expect((seen?.ctx as { agent: typeof reader }).agent).toMatchObject({ agent: 'reader', permissions: reader.permissions, allowedPaths: reader.allowedPaths });
  });

  test('the handler sees keys in the order the guest wrote them; approval binds the canonical (sorted) form', async () => {
    let seen: string[] = [];
    const tool = defineTool({
      name: 'ordered',
      description: 'x',
      permission: Permission.READ_FILE,
      params: { type: 'object' },
      requiresApproval: true,
      handler: (args) => {
        const a = args as { z: unknown; a: unknown; m: { y: unknown; b: unknown } };
        seen = [...Object.keys(a), ...Object.keys(a.m)];
        return null;
      },
    });
    const requests: unknown[] = [];
    const approvals = { request: async (req: { args: unknown }) => void requests.push(Object.keys(req.args as object)) } as never;
    const { ctx } = probe(reader);
    await createToolRegistry({ tools: [tool], approvals }).invoke('ordered', { z: 1, a: 2, m: { y: 3, b: 4 } }, ctx);
    expect(seen).toEqual(['z', 'a', 'm', 'y', 'b']);
    expect(requests).toEqual([['a', 'm', 'z']]);
  });

  test('a handler error becomes TOOL_FAILED without the host message; the cause stays on the host', async () => {
    const secret = new Error('connection string postgres://admin:hunter2@db');
    const tool = defineTool({ name: 'boom', description: 'x', permission: Permission.READ_FILE, params: { type: 'object' }, handler: () => { throw secret; } });
    const { ctx, events } = probe(reader);
    const error = await createToolRegistry({ tools: [tool] }).invoke('boom', {}, ctx).catch((e: unknown) => e as ToolError);
    expect(error).toMatchObject({ code: 'TOOL_FAILED', message: 'Tool `boom` failed (TOOL_FAILED)', cause: secret, runId: ctx.runId });
    expect(JSON.stringify(events)).not.toContain('hunter2');
    expect(outcomes(events)).toEqual([['failed', 'low']]);
  });

  test('a ToolError thrown by a handler keeps its code and message', async () => {
    const tool = defineTool({
      name: 'picky',
      description: 'x',
      permission: Permission.READ_FILE,
      params: { type: 'object' },
      handler: () => { throw new ToolError('TOOL_DENIED', 'Not your order (TOOL_DENIED)'); },
    });
    const { ctx, events } = probe(reader);
    await expect(createToolRegistry({ tools: [tool] }).invoke('picky', {}, ctx)).rejects.toMatchObject({ code: 'TOOL_DENIED', message: 'Not your order (TOOL_DENIED)' });
    expect(outcomes(events)).toEqual([['denied', 'medium']]);
  });

  test.each([
    [() => new Date(0), 'result-not-json'],
    [() => ({ f: () => 1 }), 'result-not-json'],
    [() => 'x'.repeat(100), 'result-too-large'],
  ])('fails a result that is not JSON data or too large: %#', async (handler, reason) => {
    const tool = defineTool({ name: 'bad', description: 'x', permission: Permission.READ_FILE, params: { type: 'object' }, handler });
    const { ctx } = probe(reader);
    await expect(createToolRegistry({ tools: [tool], maxResultBytes: 50 }).invoke('bad', {}, ctx)).rejects.toMatchObject({ code: 'TOOL_FAILED', details: { reason } });
  });

  test('results keep their key order', async () => {
    const tool = defineTool({ name: 'ordered', description: 'x', permission: Permission.READ_FILE, params: { type: 'object' }, handler: () => ({ z: 1, a: { y: 2, b: 3 } }) });
    const value = await createToolRegistry({ tools: [tool] }).invoke('ordered', {}, probe(reader).ctx);
    expect(JSON.stringify(value)).toBe('{"z":1,"a":{"y":2,"b":3}}');
  });

  test('returns undefined as is, and plain copies of results', async () => {
    const shared = { list: [1, 2] };
    const tools = [
      defineTool({ name: 'nothing', description: 'x', permission: Permission.READ_FILE, params: { type: 'object' }, handler: () => undefined }),
      defineTool({ name: 'some', description: 'x', permission: Permission.READ_FILE, params: { type: 'object' }, handler: () => shared }),
    ];
    const registry2 = createToolRegistry({ tools });
    const { ctx } = probe(reader);
    expect(await registry2.invoke('nothing', {}, ctx)).toBeUndefined();
    const value = await registry2.invoke('some', undefined, ctx);
    expect(value).toEqual(shared);
    expect(value).not.toBe(shared);
  });

  test('an aborted run rejects with ABORTED before the handler runs', async () => {
    lookup.mockClear();
    const { ctx, controller } = probe(reader);
    controller.abort();
    await expect(registry.invoke('lookupOrder', { id: '123456' }, ctx)).rejects.toMatchObject({ code: 'ABORTED' });
    expect(lookup).not.toHaveBeenCalled();
  });

  test('a handler that fails because the run was aborted reports ABORTED', async () => {
    const tool = defineTool({
      name: 'slow',
      description: 'x',
      permission: Permission.READ_FILE,
      params: { type: 'object' },
      handler: (_args, { signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    });
    const { ctx, controller, events } = probe(reader);
    const pending = createToolRegistry({ tools: [tool] }).invoke('slow', {}, ctx);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
    expect(outcomes(events)).toEqual([['aborted', 'low']]);
  });

  test.each([
    [{ runId: '' }, 'ctx.runId'],
    [{ agent: { agent: 'forged', permissions: Permission.FULL, check: () => ({ allowed: true, reason: '' }) } }, 'ctx.agent'],
    [{ signal: {} }, 'ctx.signal'],
    [{ pauseDeadline: undefined }, 'ctx.pauseDeadline'],
    [{ sink: {} }, 'ctx.sink'],
  ])('rejects a malformed context %#', async (patch, field) => {
    const { ctx } = probe(reader, patch as never);
    await expect(registry.invoke('lookupOrder', { id: '123456' }, ctx)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field });
  });

  test('a throwing sink does not change the outcome', async () => {
    const { ctx } = probe(reader, { sink: { record: () => { throw new Error('sink down'); } } });
    await expect(registry.invoke('lookupOrder', { id: '123456' }, ctx)).resolves.toMatchObject({ status: 'shipped' });
  });
});

describe('forAgent', () => {
  test('binds an agent and a sink to the sandbox dispatcher shape', async () => {
    const events: unknown[] = [];
    const dispatcher = createToolRegistry({ tools: [lookupOrder, sendEmail] }).forAgent(reader, { sink: { record: (e) => void events.push(e) } });
    expect(dispatcher.names()).toEqual(['lookupOrder']);
    const signal = new AbortController().signal;
    await expect(dispatcher.invoke('lookupOrder', { id: '123456' }, { runId: 'r1', user: undefined, signal, pauseDeadline: () => () => {} })).resolves.toMatchObject({ id: '123456' });
    await expect(dispatcher.invoke('sendEmail', { to: 'x' }, { runId: 'r1', signal, pauseDeadline: () => () => {} })).rejects.toMatchObject({ code: 'TOOL_DENIED' });
    expect(events).toHaveLength(2);
  });
});

describe('built-in file tools', () => {
  const policy = makePolicy({ allowedOperations: { fileOperations: true }, files: { allowedPaths: ['/workspace', '/shared'], maxFileBytes: 100 } });
  const dev = definePermissionPolicy({ agent: 'dev', permissions: Permission.STANDARD, allowedPaths: ['/workspace', '/elsewhere'], maxFileSize: 50 });

  test('write, read, list, stat and delete inside the allowed paths', async () => {
    const registry = createToolRegistry({ policy });
    const { ctx } = probe(dev);
    expect(await registry.invoke('writeFile', { path: '/workspace/notes/a.md', content: '# hi' }, ctx)).toEqual({ path: '/workspace/notes/a.md', size: 4 });
    expect(await registry.invoke('readFile', { path: '/workspace/notes/a.md' }, ctx)).toBe('# hi');
    expect(await registry.invoke('listDir', { path: '/workspace' }, ctx)).toEqual([{ name: 'notes', type: 'directory', size: 0 }]);
    expect(await registry.invoke('stat', { path: '/workspace/notes/a.md' }, ctx)).toMatchObject({ type: 'file', size: 4 });
    expect(await registry.invoke('deleteFile', { path: '/workspace/notes/a.md' }, ctx)).toEqual({ deleted: true });
    expect(await registry.invoke('stat', { path: '/workspace/notes/a.md' }, ctx)).toBeNull();
  });

  test.each([
    ['readFile', '/workspace/../etc/passwd', 'path.traversal', 'policy', 'high'],
    ['readFile', '/workspace/%2e%2e/etc/passwd', 'path.encoded', 'policy', 'high'],
    ['readFile', '/workspace\\..\\etc', 'path.backslash', 'policy', 'high'],
    ['readFile', '/workspace/\uff0e\uff0e/x', 'path.unicode', 'policy', 'high'],
    ['readFile', '/workspace/a\u0000.txt', 'path.null-byte', 'policy', 'high'],
    ['readFile', '/workspace2/x', 'path.outside', 'policy', 'high'],
    ['readFile', '/shared/x', 'path.outside', 'agent', 'high'], // the policy allows it, the agent does not
    ['readFile', '/elsewhere/x', 'path.outside', 'policy', 'high'], // the agent allows it, the policy does not
    ['listDir', '/', 'path.outside', 'policy', 'high'],
    ['deleteFile', '/workspace//x', 'path.empty-segment', 'policy', 'high'],
    ['writeFile', 'workspace/x', 'path.relative', 'policy', 'medium'], // a mistake more than an attack
  ])('%s %j is denied with %s by the %s, recorded as %s severity', async (tool, path, rule, by, severity) => {
    const registry = createToolRegistry({ policy });
    const { ctx, events } = probe(dev);
    const args = tool === 'writeFile' ? { path, content: 'x' } : { path };
    await expect(registry.invoke(tool, args, ctx)).rejects.toMatchObject({ code: 'TOOL_DENIED', details: { rule, by } });
    expect(outcomes(events)).toEqual([['denied', severity]]);
  });

  test('file size: the agent cap and the policy cap both apply', async () => {
    const registry = createToolRegistry({ policy });
    const { ctx } = probe(dev);
    await expect(registry.invoke('writeFile', { path: '/workspace/a', content: 'x'.repeat(51) }, ctx)).rejects.toMatchObject({ code: 'TOOL_DENIED', details: { rule: 'file.too-large', by: 'agent' } });
    const roomy = definePermissionPolicy({ agent: 'roomy', permissions: Permission.STANDARD, allowedPaths: ['/workspace'], maxFileSize: 1000 });
    await expect(registry.invoke('writeFile', { path: '/workspace/a', content: 'x'.repeat(101) }, probe(roomy).ctx)).rejects.toMatchObject({ code: 'TOOL_DENIED', details: { rule: 'file.too-large', by: 'policy' } });
  });

  test('reading a file larger than the agent may read is denied', async () => {
    const registry = createToolRegistry({ policy });
    const roomy = definePermissionPolicy({ agent: 'roomy', permissions: Permission.STANDARD, allowedPaths: ['/workspace'], maxFileSize: 100 });
    await registry.invoke('writeFile', { path: '/workspace/big', content: 'x'.repeat(60) }, probe(roomy).ctx);
    await expect(registry.invoke('readFile', { path: '/workspace/big' }, probe(dev).ctx)).rejects.toMatchObject({ code: 'TOOL_DENIED', details: { rule: 'file.too-large' } });
  });

  test('a READONLY agent can read but not write or delete', async () => {
    const registry = createToolRegistry({ policy });
    const ro = definePermissionPolicy({ agent: 'ro', permissions: Permission.READONLY, allowedPaths: ['/workspace'] });
    await expect(registry.invoke('writeFile', { path: '/workspace/a', content: 'x' }, probe(ro).ctx)).rejects.toMatchObject({ code: 'TOOL_DENIED', details: { rule: 'permission.missing' } });
    await expect(registry.invoke('deleteFile', { path: '/workspace/a' }, probe(ro).ctx)).rejects.toMatchObject({ code: 'TOOL_DENIED' });
    await expect(registry.invoke('listDir', { path: '/workspace' }, probe(ro).ctx)).resolves.toEqual([]);
  });

  test('a missing file fails with TOOL_FAILED', async () => {
    const registry = createToolRegistry({ policy });
    await expect(registry.invoke('readFile', { path: '/workspace/none' }, probe(dev).ctx)).rejects.toMatchObject({ code: 'TOOL_FAILED', details: { reason: 'not-found' } });
  });
});

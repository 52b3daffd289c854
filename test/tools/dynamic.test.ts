/**
 * Dynamic tools with real IndexedDB. The runner here is a recording stand-in; sandbox.test.ts runs
 * the same tools through the real sandbox.
 */
import { deleteDB } from 'idb';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { RateLimitedError } from '../../src/errors.js';
import { createApprovalManager } from '../../src/tools/approvals.js';
import { createDynamicToolStore, prepareDynamicToolModule, type DynamicToolRunContext, type DynamicToolStore, type DynamicToolStoreOptions } from '../../src/tools/dynamic.js';
import { defineTool } from '../../src/tools/define.js';
import { Permission, definePermissionPolicy } from '../../src/tools/permissions.js';
import { createToolRegistry } from '../../src/tools/registry.js';
import { outcomes, probe } from './helpers.js';

const stores: DynamicToolStore[] = [];
const databases = new Set<string>();
afterEach(async () => {
  for (const s of stores.splice(0)) s.close();
  for (const name of databases) await deleteDB(name);
  databases.clear();
});

const runs: { code: string; args: unknown; ctx: DynamicToolRunContext }[] = [];
const runner = vi.fn(async (code: string, args: unknown, ctx: DynamicToolRunContext) => {
  runs.push({ code, args, ctx });
  return { ran: ctx.tool, args };
});

function store(options: Partial<DynamicToolStoreOptions> = {}, dbName = `quickcage-tools-test-${crypto.randomUUID()}`): DynamicToolStore {
  databases.add(dbName);
  const s = createDynamicToolStore({ runner, consume: () => ({ allowed: true }), dbName, ...options });
  stores.push(s);
  return s;
}

const CODE = 'export default async (args, ctx) => ({ total: args.a + args.b, user: ctx.deps.user });';
const coder = definePermissionPolicy({ agent: 'coder', permissions: Permission.STANDARD | Permission.EXECUTE_CODE });
const plain = definePermissionPolicy({ agent: 'plain', permissions: Permission.STANDARD });

describe('create', () => {
  test('stores a tool with its hash; get and list read it back', async () => {
    const s = store();
    const record = await s.create({ owner: 'alice', name: 'addUp', code: CODE, description: 'Adds two numbers.' });
    expect(record).toMatchObject({ name: 'addUp', owner: 'alice', code: CODE, shared: false, enabled: true, description: 'Adds two numbers.' });
    expect(record.codeHash).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.isFrozen(record)).toBe(true);
    expect(await s.get('addUp')).toEqual(record);
    expect(await s.list({ owner: 'alice' })).toEqual([record]);
    expect(await s.list({ owner: 'bob' })).toEqual([]);
    expect(s.snapshot()).toEqual([record]);
  });

  test.each([
    ['export default function (args) { return args; }'],
    ['export default async function named(args, ctx) { return ctx.deps; }'],
    ['const helper = (x) => x * 2;\nexport default (args) => helper(args.n);'],
  ])('accepts the shape %j', async (code) => {
    await expect(store().create({ owner: 'alice', name: 'ok', code })).resolves.toMatchObject({ name: 'ok' });
  });

  test.each([
    ['export default 42;', 'dynamic-tool-shape'],
    ['export default class A {}', 'dynamic-tool-shape'],
    ['const f = () => 1;', 'dynamic-tool-shape'],
    ['export const x = 1; export default () => x;', 'dynamic-tool-shape'],
    ["import { readFile } from 'quickcage:tools';\nexport default () => readFile({ path: '/x' });", 'dynamic-tool-import'],
    ["export * from 'quickcage:tools';\nexport default () => 1;", 'dynamic-tool-shape'],
  ])('rejects %j with VALIDATION_REJECTED (%s)', async (code, rule) => {
    const events: unknown[] = [];
    const s = store({ sink: { record: (e) => void events.push(e) } });
    await expect(s.create({ owner: 'alice', name: 'bad', code })).rejects.toMatchObject({ code: 'VALIDATION_REJECTED', violations: expect.arrayContaining([expect.objectContaining({ rule })]) });
    expect(await s.get('bad')).toBeUndefined();
    expect(events).toEqual([expect.objectContaining({ type: 'validation_failure', tool: 'bad', user: 'alice' })]);
  });

  test.each([
    ['export default (args) => eval(args.src);', 'no-eval'],
    ["export default (args) => (() => {}).constructor('return this')();", 'no-function-constructor'],
    ["export default (args) => args.__proto__;", 'forbidden-property'],
    ["export default () => tools.readFile({ path: '/etc/passwd' });", 'host-global'],
    ["export default () => fetch('https://evil.example/');", 'host-global'],
    ["export default () => import('quickcage:tools');", 'no-dynamic-import'],
    ["import { readFile } from 'quickcage:tools';\nexport default () => readFile({ path: '/x' });", 'import-not-allowed'],
    [`export default () => ${'['.repeat(300)}${']'.repeat(300)};`, 'nesting-too-deep'],
  ])('the strict sandbox validator rejects %j (%s) at creation', async (code, rule) => {
    await expect(store().create({ owner: 'alice', name: 'bad', code })).rejects.toMatchObject({ code: 'VALIDATION_REJECTED', violations: expect.arrayContaining([expect.objectContaining({ rule })]) });
  });

  test('a default pure module may be imported', async () => {
    await expect(store().create({ owner: 'alice', name: 'stats', code: "import { mean } from 'quickcage:statistics';\nexport default (args) => mean(args.xs);" })).resolves.toMatchObject({ name: 'stats' });
  });

  test('code that does not parse is a COMPILATION_ERROR with a position', async () => {
    await expect(store().create({ owner: 'alice', name: 'broken', code: 'export default (args) => {' })).rejects.toMatchObject({ code: 'COMPILATION_ERROR', line: 1 });
  });

  test('an app validateCode runs after the built-in checks and its violations reject the tool', async () => {
    const validateCode = vi.fn(() => [{ rule: 'no-eval', message: '`eval` is not allowed', line: 1, column: 30, snippet: 'eval' }]);
    const s = store({ validateCode });
    await expect(s.create({ owner: 'alice', name: 'evil', code: CODE })).rejects.toMatchObject({ code: 'VALIDATION_REJECTED', violations: [expect.objectContaining({ rule: 'no-eval' })] });
    expect(validateCode).toHaveBeenCalledWith(CODE);
  });

  test('names are unique across owners, and the registry and built-in names are reserved', async () => {
    const s = store();
    await s.create({ owner: 'alice', name: 'mine', code: CODE });
    await expect(s.create({ owner: 'bob', name: 'mine', code: CODE })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'name' });
    const lookup = defineTool({ name: 'lookupOrder', description: 'x', permission: Permission.DATABASE_READ, params: { type: 'object' }, handler: () => 1 });
    createToolRegistry({ tools: [lookup], dynamicTools: s });
    for (const name of ['lookupOrder', 'readFile', 'fetch']) {
      await expect(s.create({ owner: 'alice', name, code: CODE })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'name' });
    }
  });

  test.each([
    [{ owner: '', name: 'x', code: CODE }, 'owner'],
    [{ owner: 'a\u0000', name: 'x', code: CODE }, 'owner'],
    [{ owner: 'alice', name: 'then', code: CODE }, 'name'],
    [{ owner: 'alice', name: 'x', code: '' }, 'code'],
    [{ owner: 'alice', name: 'x', code: `export default () => '${'x'.repeat(70_000)}';` }, 'code'],
    [{ owner: 'alice', name: 'x', code: CODE, shared: 'yes' }, 'shared'],
    [{ owner: 'alice', name: 'x', code: CODE, params: { type: 'object', bogus: 1 } }, 'params'],
    [{ owner: 'alice', name: 'x', code: CODE, run: true }, 'run'],
  ])('rejects the input %# naming `%s`, without charging quota', async (input, field) => {
    const consume = vi.fn(() => ({ allowed: true }));
    await expect(store({ consume }).create(input as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field });
    expect(consume).not.toHaveBeenCalled();
  });

  test('creation is rate-limited through consume(owner, "toolCreations")', async () => {
    let left = 2;
    const consume = vi.fn((_user: string, _kind: 'toolCreations') => (left-- > 0 ? { allowed: true, remaining: left } : { allowed: false, remaining: 0, resetAt: 1234 }));
    const s = store({ consume });
    await s.create({ owner: 'alice', name: 'one', code: CODE });
    // A rejected attempt still costs quota: the validator is not a free oracle.
    await expect(s.create({ owner: 'alice', name: 'two', code: 'export default 1;' })).rejects.toMatchObject({ code: 'VALIDATION_REJECTED' });
    const error = await s.create({ owner: 'alice', name: 'three', code: CODE }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({ code: 'RATE_LIMITED', remaining: 0, resetAt: 1234 });
    expect(consume.mock.calls).toEqual([['alice', 'toolCreations'], ['alice', 'toolCreations'], ['alice', 'toolCreations']]);
    expect(await s.get('three')).toBeUndefined();
  });

  test('a consume that throws RateLimitedError refuses the creation', async () => {
    const consume = () => { throw new RateLimitedError('no (RATE_LIMITED)', { remaining: 0, resetAt: 1 }); };
    await expect(store({ consume }).create({ owner: 'alice', name: 'x', code: CODE })).rejects.toMatchObject({ code: 'RATE_LIMITED' });
  });

  test('records tool_created with the code hash', async () => {
    const events: unknown[] = [];
    const record = await store({ sink: { record: (e) => void events.push(e) } }).create({ owner: 'alice', name: 'addUp', code: CODE });
    expect(events).toEqual([expect.objectContaining({ type: 'tool_created', tool: 'addUp', user: 'alice', codeHash: record.codeHash })]);
  });
});

describe('enable and disable', () => {
  test('disable with a reason hides the tool and denies calls; enable brings it back', async () => {
    const events: { type: string }[] = [];
    const s = store({ sink: { record: (e) => void events.push(e) } });
    const registry = createToolRegistry({ dynamicTools: s });
    await s.create({ owner: 'alice', name: 'addUp', code: CODE });
    expect(registry.names(coder, 'alice')).toEqual(['addUp']);
    const off = await s.disable('addUp', 'leaks customer data');
    expect(off).toMatchObject({ enabled: false, reason: 'leaks customer data' });
    expect(registry.names(coder, 'alice')).toEqual([]);
    await expect(registry.invoke('addUp', { a: 1, b: 2 }, probe(coder).ctx)).rejects.toMatchObject({ code: 'TOOL_DENIED', message: 'Tool `addUp` is disabled: leaks customer data (TOOL_DENIED)' });
    await s.enable('addUp', 'fixed in review');
    expect(registry.names(coder, 'alice')).toEqual(['addUp']);
    expect(events.map((e) => e.type)).toEqual(['tool_created', 'tool_disabled', 'tool_enabled']);
  });

  test('a disable in another tab (another store on the same database) is seen by the next call', async () => {
    const dbName = `quickcage-tools-test-${crypto.randomUUID()}`;
    const here = store({}, dbName);
    const otherTab = store({}, dbName);
    const registry = createToolRegistry({ dynamicTools: here });
    await here.create({ owner: 'alice', name: 'addUp', code: CODE });
    await otherTab.disable('addUp', 'incident 42');
    await expect(registry.invoke('addUp', { a: 1, b: 2 }, probe(coder).ctx)).rejects.toMatchObject({ code: 'TOOL_DENIED' });
    await vi.waitFor(() => expect(registry.names(coder, 'alice')).toEqual([]));
  });

  test.each([
    ['nope', 'reason', 'name'],
    ['addUp', '', 'reason'],
    ['addUp', '   ', 'reason'],
  ])('disable(%j, %j) is INVALID_ARGUMENT naming `%s`', async (name, reason, field) => {
    const s = store();
    await s.create({ owner: 'alice', name: 'addUp', code: CODE });
    await expect(s.disable(name, reason)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field });
  });

  test('remove deletes a tool', async () => {
    const s = store();
    await s.create({ owner: 'alice', name: 'addUp', code: CODE });
    expect(await s.remove('addUp')).toBe(true);
    expect(await s.remove('addUp')).toBe(false);
    expect(s.snapshot()).toEqual([]);
  });
});

describe('calling dynamic tools through the registry', () => {
  test('runs through the runner with args and the calling user in ctx.deps, plus app deps', async () => {
    runs.length = 0;
    const s = store({ deps: (user) => ({ plan: user === 'alice' ? 'pro' : 'free', user: 'spoofed' }) });
    const registry = createToolRegistry({ dynamicTools: s });
    await s.create({ owner: 'alice', name: 'addUp', code: CODE });
    const { ctx, events } = probe(coder);
    await expect(registry.invoke('addUp', { a: 1, b: 2 }, ctx)).resolves.toEqual({ ran: 'addUp', args: { a: 1, b: 2 } });
    expect(runs[0]).toMatchObject({ code: CODE, args: { a: 1, b: 2 }, ctx: { runId: ctx.runId, tool: 'addUp', owner: 'alice', deps: { plan: 'pro', user: 'alice' } } });
    expect(Object.isFrozen(runs[0]!.ctx.deps)).toBe(true);
    expect(outcomes(events)).toEqual([['ok', 'low']]);
    expect(events[0]).toMatchObject({ details: { dynamic: true } });
  });

  test('needs EXECUTE_CODE', async () => {
    const s = store();
    const registry = createToolRegistry({ dynamicTools: s });
    await s.create({ owner: 'alice', name: 'addUp', code: CODE, shared: true });
    expect(registry.names(plain, 'alice')).toEqual([]);
    await expect(registry.invoke('addUp', {}, probe(plain).ctx)).rejects.toMatchObject({ code: 'TOOL_DENIED', details: { rule: 'permission.missing' } });
  });

  test('a private tool is visible to its owner only; a shared one to everyone', async () => {
    const s = store();
    const registry = createToolRegistry({ dynamicTools: s });
    await s.create({ owner: 'alice', name: 'mine', code: CODE });
    await s.create({ owner: 'alice', name: 'ours', code: CODE, shared: true });
    expect(registry.names(coder, 'alice')).toEqual(['mine', 'ours']);
    expect(registry.names(coder, 'bob')).toEqual(['ours']);
    expect(registry.names(coder)).toEqual(['ours']);
    await expect(registry.invoke('mine', {}, probe(coder, { user: 'bob' }).ctx)).rejects.toMatchObject({ code: 'TOOL_DENIED', details: { reason: 'unknown' } });
    await expect(registry.invoke('ours', {}, probe(coder, { user: 'bob' }).ctx)).resolves.toMatchObject({ ran: 'ours' });
  });

  test('args are checked against the stored params schema', async () => {
    runner.mockClear();
    const s = store();
    const registry = createToolRegistry({ dynamicTools: s });
    await s.create({ owner: 'alice', name: 'addUp', code: CODE, params: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] } });
    await expect(registry.invoke('addUp', { a: 1, b: 'two' }, probe(coder).ctx)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'args.b' });
    await expect(registry.invoke('addUp', [], probe(coder).ctx)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'args' });
    expect(runner).not.toHaveBeenCalled();
    expect(registry.describe(coder, 'alice')).toEqual([expect.objectContaining({ name: 'addUp', kind: 'dynamic', permissions: ['EXECUTE_CODE'] })]);
  });

  test('a static tool with the same name wins over a dynamic one created before it', async () => {
    const s = store();
    await s.create({ owner: 'alice', name: 'lookupOrder', code: CODE });
    const lookup = defineTool({ name: 'lookupOrder', description: 'x', permission: Permission.DATABASE_READ, params: { type: 'object' }, handler: () => 'static' });
    const registry = createToolRegistry({ tools: [lookup], dynamicTools: s });
    expect(registry.names(coder, 'alice')).toEqual(['lookupOrder']);
    await expect(registry.invoke('lookupOrder', {}, probe(coder).ctx)).resolves.toBe('static');
  });

  test('store-level requiresApproval routes dynamic calls through approvals', async () => {
    const s = store({ requiresApproval: (args) => (args as { a?: number }).a === 666 });
    const approvals = createApprovalManager({ storage: 'memory', onApproval: () => 'deny' });
    const registry = createToolRegistry({ dynamicTools: s, approvals });
    await s.create({ owner: 'alice', name: 'addUp', code: CODE });
    await expect(registry.invoke('addUp', { a: 1 }, probe(coder).ctx)).resolves.toMatchObject({ ran: 'addUp' });
    await expect(registry.invoke('addUp', { a: 666 }, probe(coder).ctx)).rejects.toMatchObject({ code: 'APPROVAL_DENIED' });
    approvals.close();
  });

  test('a runner failure is TOOL_FAILED', async () => {
    const s = store({ runner: async () => { throw new Error('guest threw'); } });
    const registry = createToolRegistry({ dynamicTools: s });
    await s.create({ owner: 'alice', name: 'addUp', code: CODE });
    await expect(registry.invoke('addUp', {}, probe(coder).ctx)).rejects.toMatchObject({ code: 'TOOL_FAILED' });
  });

  test('deps that are not JSON data fail the call', async () => {
    const s = store({ deps: { db: new Map() } as never });
    const registry = createToolRegistry({ dynamicTools: s });
    await s.create({ owner: 'alice', name: 'addUp', code: CODE });
    await expect(registry.invoke('addUp', {}, probe(coder).ctx)).rejects.toMatchObject({ code: 'TOOL_FAILED' });
  });
});

describe('prepareDynamicToolModule', () => {
  test.each([
    ['export default (args, ctx) => args.a;', 'const __tool = (args, ctx) => args.a;'],
    ['export default function (args) { return 1; }', 'const __tool = function (args) { return 1; };'],
    ['const k = 2;\nexport default async function f(a) { return k; }\n// end', 'const k = 2;\nconst __tool = async function f(a) { return k; };\n// end'],
  ])('rewrites %j by AST position', (code, start) => {
    expect(prepareDynamicToolModule(code)).toBe(`${start}\nexport default await __tool(__toolArgs, Object.freeze({ deps: __toolDeps }));\n`);
  });

  test('keeps `export default` text inside strings and comments untouched', () => {
    const code = "const s = 'export default 1';\n/* export default 2 */\nexport default () => s;";
    expect(prepareDynamicToolModule(code)).toContain("const s = 'export default 1';\n/* export default 2 */\nconst __tool = () => s;");
  });

  test.each([['export default 1;', 'VALIDATION_REJECTED'], ['export default (', 'COMPILATION_ERROR']])('refuses %j with %s', (code, code2) => {
    expect(() => prepareDynamicToolModule(code)).toThrow(expect.objectContaining({ code: code2 }));
  });
});

test.each([
  [{ runner: undefined }, 'runner'],
  [{ consume: 'x' }, 'consume'],
  [{ maxCodeBytes: 0 }, 'maxCodeBytes'],
  [{ storage: 'disk' }, 'storage'],
  [{ other: 1 }, 'options.other'],
])('createDynamicToolStore rejects %j naming `%s`', (patch, field) => {
  expect(() => createDynamicToolStore({ runner, consume: () => undefined, ...patch } as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field }));
});

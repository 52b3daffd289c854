/**
 * The code tool itself: what the model is told, and what it reads back after each program, for every
 * kind of outcome. Each failure names its code, its one-line hint and what it must not leak.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createSandbox, definePolicy } from '../../src/index.js';
import { createCodeTool, createEventTap, type ModelResult } from '../../src/agent/index.js';
import { createWorld, type World } from './helpers.js';

let world: World;
beforeAll(async () => {
  world = await createWorld();
});
afterAll(async () => {
  await world[Symbol.asyncDispose]();
});

const failure = (r: ModelResult) => {
  if (r.ok) throw new Error(`expected a failure, got ${JSON.stringify(r)}`);
  return r.error;
};

describe('what the model is told', () => {
  test('the description declares exactly the granted tools, with their schemas as types', () => {
    const { description, declarations, inputSchema, name } = world.codeTool;
    expect(name).toBe('run_code');
    expect(inputSchema).toEqual({ type: 'object', properties: { code: { type: 'string', description: expect.any(String) } }, required: ['code'], additionalProperties: false });
    expect(description).toContain(declarations);
    // READ_FILE and SEND_EMAIL are granted; WRITE_FILE and NETWORK_ACCESS are not.
    for (const granted of ['readFile(args: {', 'listDir(args: {', 'stat(args: {', 'sendEmail(args: {']) expect(declarations).toContain(granted);
    for (const refused of ['writeFile', 'deleteFile', 'fetch']) expect(declarations).not.toContain(refused);
    expect(declarations).toContain('readFile(args: {\n    /** min length 1, max length 1024 */\n    path: string;\n  }): Promise<string>;');
    expect(declarations).toContain('    /**\n     * Recipient address.\n     * pattern /^[^@]+@[^@]+$/\n     */\n    to: string;');
    expect(declarations).toContain('}): Promise<{\n    path: string;\n    type: "file" | "directory";\n    size: number;\n    /** Epoch milliseconds. */\n    mtime: number;\n  } | null>;');
    expect(declarations).toContain('A person must approve each call');
    expect(declarations).toContain("declare module 'quickcage:tools' {\n  export const listDir: typeof tools.listDir;");
    expect(description).toContain('Helper modules you may import: quickcage:math, quickcage:random, quickcage:statistics, quickcage:itertools. Nothing else exists');
  });

  test('host modules are declared only when the policy lets guests import them', async () => {
    const policy = definePolicy({ allowedOperations: { fileOperations: false, networkOperations: false, imports: ['app:db'] } });
    await using sandbox = createSandbox({ policy, modules: { 'app:db': { query: () => [] }, 'app:hidden': { x: () => 1 } } });
    const tool = createCodeTool({
      sandbox,
      modules: {
        'app:db': { query: { description: 'Rows matching a filter.', params: { type: 'object', properties: { table: { type: 'string', enum: ['orders', 'users'] } }, required: ['table'] } } },
        'app:hidden': { x: {} },
      },
    });
    expect(tool.declarations).toContain("declare module 'app:db' {");
    expect(tool.declarations).toContain('table: "orders" | "users";');
    expect(tool.declarations).not.toContain('app:hidden');
    expect(tool.declarations).not.toContain('declare const tools');
  });
});

describe('what the model reads back', () => {
  test('a program that calls tools returns its value and its logs', async () => {
    const result = await world.codeTool.execute({
      code: `const files = await tools.listDir({ path: '/kb' });
        console.log('files', files.length);
        const text = await tools.readFile({ path: '/kb/returns.md' });
        ({ files: files.map((f) => f.name), firstLine: text.split('\\n')[0] })`,
    });
    expect(result).toEqual({ ok: true, value: { files: ['returns.md', 'shipping.md'], firstLine: 'Returns are accepted within 30 days with a receipt.' }, logs: ['log: files 2'] });
    const step = world.steps.at(-1)!;
    expect(step.events.filter((e) => e.type === 'tool_call').map((e) => [e.tool, e.details?.outcome])).toEqual([['listDir', 'ok'], ['readFile', 'ok']]);
    expect(step.events.at(-1)).toMatchObject({ type: 'execution', runId: step.runId });
  });

  test('a validator rejection names the construct, its position and what to change; the next program runs', async () => {
    const error = failure(await world.codeTool.execute({ code: 'const x = 1;\nconst data = eval("(" + "{}" + ")");\ndata' }));
    expect(error).toMatchObject({ code: 'VALIDATION_REJECTED', line: 2, column: 14 });
    // The validator's own message already names the place and the rule: said once.
    expect(error.message).toBe('rejected `eval` at 2:14 (no-eval): `eval` compiles a string into code at run time, beyond every check; call a function instead');
    expect(error.hint).toMatch(/^The code was rejected before it ran: rewrite it/);
    expect(await world.codeTool.execute({ code: 'JSON.parse("{}")' })).toEqual({ ok: true, value: {} });
  });

  test('a guest error is one line with its position and no stack', async () => {
    const error = failure(await world.codeTool.execute({ code: 'function f(o) { return o.missing.deep; }\nf({})' }));
    expect(error.code).toBe('GUEST_ERROR');
    expect(error.message).toMatch(/^TypeError: cannot read property 'deep' of undefined$/);
    expect(error.line).toBe(1);
    expect(JSON.stringify(error)).not.toMatch(/ at |https?:|\.ts/);
  });

  test('a tool rejection that escapes is reported under the tool code, with the tool name', async () => {
    const error = failure(await world.codeTool.execute({ code: "await tools.readFile({ path: '/etc/passwd' })" }));
    expect(error).toMatchObject({ code: 'TOOL_DENIED', tool: 'readFile' });
    expect(error.hint).toMatch(/^This tool or resource is not granted: do not retry it/);
    const invalid = failure(await world.codeTool.execute({ code: "await tools.sendEmail({ to: 'nobody' })" }));
    expect(invalid).toMatchObject({ code: 'INVALID_ARGUMENT', tool: 'sendEmail' });
    expect(world.asked).toHaveLength(0);
  });

  test('an approval pauses the program until a person decides: approved, the call runs', async () => {
    world.answer.next = 'approve';
    const result = await world.codeTool.execute({ code: "await tools.sendEmail({ to: 'ada@example.com', subject: 'Your refund' })" });
    expect(result).toEqual({ ok: true, value: { sent: true } });
    expect(world.sent).toEqual([{ to: 'ada@example.com', subject: 'Your refund' }]);
    expect(world.asked.at(-1)).toMatchObject({ tool: 'sendEmail', agent: 'support', user: 'alice', args: { subject: 'Your refund', to: 'ada@example.com' } });
    expect(world.steps.at(-1)!.approvals.map((e) => e.details?.decision)).toEqual(['requested', 'approved']);
  });

  test('a denial comes back as APPROVAL_DENIED naming the tool, and nothing is sent', async () => {
    world.answer.next = 'deny';
    const before = world.sent.length;
    const error = failure(await world.codeTool.execute({ code: "await tools.sendEmail({ to: 'grace@example.com', subject: 'Hi' })" }));
    expect(error).toMatchObject({ code: 'APPROVAL_DENIED', tool: 'sendEmail' });
    expect(error.hint).toMatch(/^A person refused this call/);
    expect(world.sent).toHaveLength(before);
    expect(world.steps.at(-1)!.approvals.map((e) => e.details?.decision)).toEqual(['requested', 'denied']);
    // A program that catches the denial goes on and decides itself.
    const caught = await world.codeTool.execute({ code: "let code = 'sent';\ntry { await tools.sendEmail({ to: 'grace@example.com', subject: 'Hi' }) } catch (e) { code = e.code }\ncode" });
    expect(caught).toEqual({ ok: true, value: 'APPROVAL_DENIED' });
  });

  test('a large value is cut to the cap with a note; a log flood keeps its first and last lines', async () => {
    const big = await world.codeTool.execute({ code: "'x'.repeat(20000)" });
    expect(big.ok && big.truncated).toBe(true);
    expect(JSON.stringify(big).length).toBeLessThanOrEqual(4000);
    expect(big.ok && String(big.value)).toMatch(/… \(truncated: the value is 20002 characters of JSON; return less\)$/);
    const flood = await world.codeTool.execute({ code: 'for (let i = 0; i < 100; i++) console.log("line", i); 1' });
    expect(flood.ok && flood.logs).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `log: line ${i}`),
      '… 81 more lines …',
      ...Array.from({ length: 9 }, (_, i) => `log: line ${91 + i}`),
    ]);
  });

  test('limits are typed results with a hint', async () => {
    const error = failure(await world.codeTool.execute({ code: 'while (true) {}' }));
    expect(error.code).toBe('DEADLINE_EXCEEDED');
    expect(error.hint).toMatch(/ran out of time/);
    expect(failure(await world.codeTool.execute({ code: 'new Map()' })).code).toBe('UNSERIALIZABLE');
    expect(failure(await world.codeTool.execute({ code: 'const x = ;' }))).toMatchObject({ code: 'COMPILATION_ERROR', line: 1 });
  });

  test('input the model got wrong is a result, not a throw', async () => {
    for (const input of [{}, { code: 5 }, { code: '   ' }, null, 'x'.length]) {
      expect(failure(await world.codeTool.execute(input))).toMatchObject({ code: 'INVALID_ARGUMENT', hint: 'Call the tool again with the program in the `code` field.' });
    }
    // Near miss: a bare string is accepted as the program (some SDKs unwrap single-field inputs).
    expect(await world.codeTool.execute('1 + 1')).toEqual({ ok: true, value: 2 });
  });

  test('a host failure says nothing about the host', async () => {
    const sandbox = { policy: definePolicy({}), run: async () => { throw new Error('secret at http://127.0.0.1/src/sandbox.ts:10'); } };
    const tool = createCodeTool({ sandbox: sandbox as never });
    expect(await tool.execute({ code: '1' })).toEqual({ ok: false, error: { code: 'HOST_ERROR', message: 'The host failed while running the program.', hint: 'Call again once; if it fails again, tell the user.' } });
  });
});

describe('createCodeTool checks its input', () => {
  test.each([
    [{ sandbox: {} }, 'options.sandbox'],
    [{ bogus: 1 }, 'options.bogus'],
    [{ agent: {} }, 'options.registry'],
    [{ name: 'run code' }, 'options.name'],
    [{ maxResultChars: 100 }, 'options.maxResultChars'],
    [{ timeoutMs: 0 }, 'options.timeoutMs'],
  ])('%j fails with INVALID_ARGUMENT naming %s', (patch, field) => {
    const options = { sandbox: world.sandbox, ...patch } as never;
    expect(() => createCodeTool(options)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field }));
  });
});

describe('createEventTap', () => {
  test('keeps events per run until taken, forwards all of them, and stays bounded', () => {
    const forwarded: unknown[] = [];
    const tap = createEventTap({ record: (e) => void forwarded.push(e), isDisabled: (kind, id) => kind === 'user' && id === 'mallory' });
    tap.sink.record({ type: 'tool_call', runId: 'r1', tool: 'a' });
    tap.sink.record({ type: 'audit_degraded' }); // no run: forwarded, not kept
    tap.sink.record({ type: 'execution', runId: 'r1' });
    expect(tap.take('r1').map((e) => e.type)).toEqual(['tool_call', 'execution']);
    expect(tap.take('r1')).toEqual([]);
    expect(forwarded).toHaveLength(3);
    expect([tap.sink.isDisabled?.('user', 'mallory'), tap.sink.isDisabled?.('user', 'alice')]).toEqual([true, false]);
    // The forward target's `ready` travels with it, so the sandbox waits for its disabled state too.
    const ready = Promise.resolve();
    expect(createEventTap({ record: () => undefined, isDisabled: () => false, ready }).sink.ready).toBe(ready);
    for (let i = 0; i < 1500; i++) tap.sink.record({ type: 'execution', runId: `old-${i}` });
    expect(tap.take('old-0')).toEqual([]); // dropped: nobody took it and 1,000 newer events came
    expect(tap.take('old-1499')).toHaveLength(1);
  });

  test('a throwing forward target does not lose the step\'s events', () => {
    const tap = createEventTap({ record: () => { throw new Error('sink down'); } });
    tap.sink.record({ type: 'execution', runId: 'r' });
    expect(tap.take('r')).toHaveLength(1);
    expect(createEventTap().sink.isDisabled).toBeUndefined();
    expect(createEventTap().sink.ready).toBeUndefined();
    expect(() => createEventTap({} as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'forward' }));
  });
});

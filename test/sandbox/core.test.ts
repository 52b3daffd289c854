import { afterAll, describe, expect, it } from 'vitest';
import { createSandbox, isSandboxError, type SandboxError } from '../../src/index.js';
import { rejectsWith } from './helpers.js';

const sandbox = createSandbox({
  modules: { 'app:db': { query: (arg: unknown) => ({ rows: [arg] }), fail: () => { throw new Error('db down'); } } },
});
afterAll(() => sandbox.dispose());

describe('results', () => {
  it('returns the value of the last expression of a script', async () => {
    const out = await sandbox.run('const a = [1, 2, 3]; a.map((x) => x * 2)');
    expect(out.value).toEqual([2, 4, 6]);
    expect(out.trusted).toBe(false);
    expect(out.dangerous).toBe(false);
    expect(typeof out.runId).toBe('string');
  });

  it('returns undefined when the script ends in a declaration', async () => {
    expect((await sandbox.run('let x = 1;')).value).toBeUndefined();
  });

  it('awaits a promise that a script evaluates to', async () => {
    expect((await sandbox.run('(async () => 41 + 1)()')).value).toBe(42);
  });

  it('evaluates top-level await in a script and keeps its last expression', async () => {
    expect((await sandbox.run('const r = await Promise.resolve([1, 2]);\nr.length')).value).toBe(2);
  });

  it('returns the default export of a module', async () => {
    expect((await sandbox.run('export const a = 1;\nexport default { a, b: await Promise.resolve(2) };')).value).toEqual({ a: 1, b: 2 });
  });

  it('reports stats: wall and cpu time, memory, tool calls, queue time', async () => {
    const { stats } = await sandbox.run('let s = 0; for (let i = 0; i < 1e5; i++) s += i; s', { measureHeap: true });
    expect(stats.wallMs).toBeGreaterThan(0);
    expect(stats.cpuMs).toBeGreaterThan(0);
    expect(stats.cpuMs).toBeLessThanOrEqual(stats.wallMs);
    expect(stats.peakMemoryBytes).toBeGreaterThanOrEqual(16 * 1024 * 1024);
    expect(stats.heapBytes).toBeGreaterThan(0);
    expect(stats.toolCalls).toBe(0);
    expect(stats.totalMs).toBeGreaterThanOrEqual(stats.queuedMs);
  });

  it('measures the heap run after run: the measurement leaves nothing behind that a restore breaks', async () => {
    // Regression: runtime.computeMemoryUsage() cached a service context made during a run; the
    // snapshot restore freed it, and the next measuring run crashed (memory access out of bounds).
    const sizes: number[] = [];
    for (const code of ['({ a: [1, 2, 3] })', "['x'].join('_')", 'var big = new Array(20000).fill(7); big.length']) {
      const out = await sandbox.run(code, { measureHeap: true });
      sizes.push(out.stats.heapBytes);
    }
    expect(sizes.every((n) => n > 10_000)).toBe(true);
    // The run that keeps a big array shows it: the number is each run's own heap, measured each time.
    expect(sizes[2]).toBeGreaterThan(sizes[0]!);
    expect((await sandbox.run('1 + 1')).value).toBe(2);
  });

  it('gives every one-shot run a fresh context', async () => {
    // Trusted, so the validator does not stop the prototype write: the fresh context is what holds.
    await sandbox.run('globalThis.leak = 1; Array.prototype.poisoned = true; 0', { trusted: true });
    const out = await sandbox.run('[typeof globalThis.leak, [].poisoned]');
    expect(out.value).toEqual(['undefined', null]);
  });
});

describe('strings cross intact', () => {
  const tricky = ['a\u0000b', '\ud800', 'x\udc00y', '\ud83d\ude00', '\u2028\u2029', '\uffff', ''];

  it('from the guest, in results', async () => {
    const out = await sandbox.run(`["a\\u0000b", "\\ud800", "x\\udc00y", "\\ud83d\\ude00", "\\u2028\\u2029", "\\uffff", ""]`);
    expect(out.value).toEqual(tricky);
  });

  it('into the guest, as globals, and back', async () => {
    const out = await sandbox.run('input.map((s) => [s.length, s])', { globals: { input: tricky } });
    expect(out.value).toEqual(tricky.map((s) => [s.length, s]));
  });

  it('through host calls, both ways', async () => {
    const box = createSandbox({ modules: { 'app:echo': { echo: (arg: unknown) => ({ back: arg, extra: '\u0000\udfff' }) } } });
    try {
      const out = await box.run('import { echo } from "app:echo";\nexport default await echo(["\\u0000", "\\ud800", "a\\udc00b"]);');
      expect(out.value).toEqual({ back: ['\u0000', '\ud800', 'a\udc00b'], extra: '\u0000\udfff' });
    } finally {
      await box.dispose();
    }
  });

  it('in console output', async () => {
    const out = await sandbox.run('console.log("a\\u0000b\\ud800"); console.warn({ k: "\\udc00" }); 1');
    expect(out.logs.map((l) => [l.level, l.message])).toEqual([['log', 'a\u0000b\ud800'], ['warn', '{ k: "\\udc00" }']]);
  });
});

describe('what cannot cross fails clearly', () => {
  it.each([
    ['({ f() {} })', 'result.f is a function'],
    ['[1, Symbol("s")]', 'result[1] is a symbol'],
    ['({ n: 10n })', 'result.n is a bigint'],
    ['({ x: NaN })', 'result.x is NaN'],
    ['const a = { b: {} }; a.b.c = a; a', 'result.b.c is a cycle'],
    ['({ m: new Map() })', 'result.m is [object Map]'],
    ['({ d: new Date(0) })', 'result.d is [object Date]'],
  ])('%s → UNSERIALIZABLE naming the path', async (code, message) => {
    const error = await rejectsWith(sandbox.run(code), 'UNSERIALIZABLE');
    expect(error.message).toContain(message);
  });

  it('near miss: shared (non-cyclic) references and undefined properties are fine', async () => {
    const out = await sandbox.run('const s = { v: 1 }; ({ a: s, b: s, c: undefined, d: [undefined] })');
    expect(out.value).toEqual({ a: { v: 1 }, b: { v: 1 }, d: [null] });
  });

  it('rejects globals that are not JSON-safe on the host side', async () => {
    const error = await rejectsWith(sandbox.run('1', { globals: { f: () => 1 } as never }), 'UNSERIALIZABLE');
    expect(error.message).toContain('options.globals');
  });
});

describe('guest errors', () => {
  it('GUEST_ERROR carries name, message, stack, line and column', async () => {
    const error = await rejectsWith(sandbox.run('const a = 1;\nfunction f() { throw new TypeError("bad " + a); }\nf();', { filename: 'agent.js' }), 'GUEST_ERROR');
    expect(error.name).toBe('GuestError');
    const guest = (error as unknown as { guest: { name: string; message: string; stack: string; line: number; column: number } }).guest;
    expect(guest.name).toBe('TypeError');
    expect(guest.message).toBe('bad 1');
    expect(guest.stack).toContain('agent.js:2');
    expect(guest.line).toBe(2);
    expect(guest.column).toBeGreaterThan(0);
  });

  it('a thrown non-error value is described', async () => {
    const error = await rejectsWith(sandbox.run('throw "plain"'), 'GUEST_ERROR');
    expect(error.message).toContain('plain');
  });

  it('a rejected top-level promise is a GUEST_ERROR', async () => {
    const error = await rejectsWith(sandbox.run('await Promise.reject(new RangeError("nope"))'), 'GUEST_ERROR');
    expect(error.message).toBe('RangeError: nope');
  });

  it('COMPILATION_ERROR carries the syntax error position', async () => {
    const error = await rejectsWith(sandbox.run('let ok = 1;\nlet = = 2;'), 'COMPILATION_ERROR');
    expect(error).toMatchObject({ line: 2 });
    expect((error as unknown as { column: number }).column).toBeGreaterThan(0);
  });

  it('keeps the logs of a failed run', async () => {
    const error = await rejectsWith(sandbox.run('console.log("before"); throw new Error("x")'), 'GUEST_ERROR');
    expect(error.logs.map((l) => l.message)).toEqual(['before']);
  });
});

describe('host modules', () => {
  it('an allowed host module export is an async call to the page', async () => {
    const out = await sandbox.run('import { query } from "app:db";\nexport default await query({ id: 7 });');
    expect(out.value).toEqual({ rows: [{ id: 7 }] });
    expect(out.stats.toolCalls).toBe(1);
  });

  it('a failing host function rejects inside the guest, where it can be caught', async () => {
    const out = await sandbox.run('import { fail } from "app:db";\nlet m; try { await fail(); } catch (e) { m = e.message; }\nexport default m;');
    expect(out.value).toContain('db down');
  });
});

describe('input checks', () => {
  it.each([
    [() => sandbox.run(42 as never), 'code'],
    [() => sandbox.run('1', { timeoutMs: -1 }), 'options.timeoutMs'],
    [() => sandbox.run('1', { timeoutMs: 1.5 }), 'options.timeoutMs'],
    [() => sandbox.run('1', { bogus: true } as never), 'options.bogus'],
    [() => sandbox.run('1', { sourceType: 'esm' as never }), 'options.sourceType'],
    [() => sandbox.run('1', { globals: { 'not ident': 1 } }), 'options.globals.not ident'],
    [() => sandbox.run('1', { user: '' }), 'options.user'],
    [() => sandbox.run('1', { signal: {} as never }), 'options.signal'],
  ])('INVALID_ARGUMENT names the field (%#)', async (call, field) => {
    const error = await rejectsWith(Promise.resolve().then(call), 'INVALID_ARGUMENT');
    expect(error.message).toContain(field);
    expect(error.details.field).toBe(field);
  });

  it('createSandbox rejects unknown options and bad values synchronously', () => {
    expect(() => createSandbox({ workers: 0 })).toThrow(/options\.workers.*got `0`/);
    expect(() => createSandbox({ nope: 1 } as never)).toThrow(/options\.nope/);
    expect(() => createSandbox({ policy: { limits: { timeoutMs: -5 } } })).toThrow(/limits\.timeoutMs/);
  });

  it('an unknown policy key is INVALID_POLICY', () => {
    try {
      createSandbox({ policy: { limit: {} } as never });
      expect.unreachable();
    } catch (error) {
      expect((error as SandboxError).code).toBe('INVALID_POLICY');
      expect((error as SandboxError).message).toContain('limit');
    }
  });
});

describe('errors across realms', () => {
  it('isSandboxError recognises an error made in another realm', async () => {
    const error = await sandbox.run('throw 1').catch((e: unknown) => e);
    const frame = document.createElement('iframe');
    document.body.append(frame);
    const foreign = (frame.contentWindow as unknown as { Error: ErrorConstructor }).Error;
    const copy = Object.assign(new foreign('x'), { name: 'GuestError', code: 'GUEST_ERROR' });
    expect(copy instanceof Error).toBe(false);
    expect(isSandboxError(copy)).toBe(true);
    expect(isSandboxError(error)).toBe(true);
    expect(isSandboxError(new Error('plain'))).toBe(false);
    expect(isSandboxError({ code: 'GUEST_ERROR' })).toBe(false);
    frame.remove();
  });
});

describe('sessions', () => {
  it('keep globals across runs like notebook cells, until disposed', async () => {
    const session = await sandbox.session();
    await session.run('let counter = 1; var v = "kept"; function inc() { return ++counter; }');
    expect((await session.run('inc(); inc()')).value).toBe(3);
    expect((await session.run('v')).value).toBe('kept');
    await session.dispose();
    await rejectsWith(session.run('1'), 'DISPOSED');
  });

  it('freeze shared intrinsics so one cell cannot poison the next', async () => {
    // Trusted, so the validator does not stop the prototype write: the frozen intrinsics are what holds.
    await using session = await sandbox.session({ trusted: true });
    const out = await session.run('"use strict"; let r; try { Array.prototype.map = null; r = "changed"; } catch (e) { r = e.constructor === TypeError ? "blocked" : "other"; } r');
    expect(out.value).toBe('blocked');
    expect((await session.run('[1].map((x) => x + 1)')).value).toEqual([2]);
  });

  it('take globals and host modules on every run', async () => {
    await using session = await sandbox.session();
    expect((await session.run('input * 2', { globals: { input: 2 } })).value).toBe(4);
    expect((await session.run('input * 2', { globals: { input: 5 } })).value).toBe(10);
    const out = await session.run('import { query } from "app:db";\nexport default await query(1);');
    expect(out.value).toEqual({ rows: [1] });
    expect((await session.run('import { query } from "app:db";\nexport default (await query(2)).rows;')).value).toEqual([2]);
  });

  it('are isolated from one-shot runs and from each other', async () => {
    await using a = await sandbox.session();
    await using b = await sandbox.session();
    await a.run('globalThis.secret = 1');
    expect((await b.run('typeof secret')).value).toBe('undefined');
    expect((await sandbox.run('typeof secret')).value).toBe('undefined');
  });
});

describe('lifecycle', () => {
  it('dispose rejects queued and running runs with DISPOSED, and later calls too', async () => {
    const box = createSandbox({ standby: false });
    const running = box.run('while (true) {}', { timeoutMs: 10_000 });
    const queued = box.run('1');
    await new Promise((r) => setTimeout(r, 200));
    await box.dispose();
    await rejectsWith(running, 'DISPOSED');
    await rejectsWith(queued, 'DISPOSED');
    await rejectsWith(box.run('1'), 'DISPOSED');
  });

  it('await using disposes the sandbox', async () => {
    let escaped;
    {
      await using box = createSandbox();
      expect((await box.run('1 + 1')).value).toBe(2);
      escaped = box;
    }
    await rejectsWith(escaped.run('1'), 'DISPOSED');
  });

  it('an AbortSignal aborts a running guest, and the next run works', async () => {
    const controller = new AbortController();
    const pending = sandbox.run('while (true) {}', { signal: controller.signal, timeoutMs: 10_000 });
    setTimeout(() => controller.abort(), 100);
    await rejectsWith(pending, 'ABORTED');
    expect((await sandbox.run('"after"')).value).toBe('after');
  });

  it('an AbortSignal removes a queued run; an aborted signal never starts one', async () => {
    const box = createSandbox({ workers: 1 });
    try {
      const blocker = box.run('const t = Date.now(); while (Date.now() - t < 300) {} 1');
      const controller = new AbortController();
      const queued = box.run('globalThis.ran = 1', { signal: controller.signal });
      controller.abort();
      await rejectsWith(queued, 'ABORTED');
      expect((await blocker).value).toBe(1);
      await rejectsWith(box.run('1', { signal: AbortSignal.abort() }), 'ABORTED');
    } finally {
      await box.dispose();
    }
  });

  it('runs in parallel on a pool and queues beyond it', async () => {
    const box = createSandbox({ workers: 2 });
    try {
      const values = await Promise.all(Array.from({ length: 8 }, (_, i) => box.run(`${i} * 2`)));
      expect(values.map((v) => v.value)).toEqual([0, 2, 4, 6, 8, 10, 12, 14]);
      expect((await box.workerInfo()).length).toBe(2);
    } finally {
      await box.dispose();
    }
  });
});

describe('trusted setup code', () => {
  it('runs first in every fresh context, untamed, and its globals serve guest code', async () => {
    const box = createSandbox({
      setup: 'globalThis.helpers = Object.freeze({ double: eval("(x) => x * 2") }); var setupRuns = (globalThis.setupRuns || 0) + 1;',
      // With no-eval off, only the runtime taming stands between the guest and eval.
      policy: { validation: { disabledRules: ['no-eval'] } },
    });
    try {
      expect((await box.run('helpers.double(21)')).value).toBe(42);
      expect((await box.run('setupRuns')).value).toBe(1);
      const error = await rejectsWith(box.run('eval("1")'), 'GUEST_ERROR');
      expect(error.message).toContain('eval is disabled');
    } finally {
      await box.dispose();
    }
  });

  it('a failing setup script fails runs with GUEST_ERROR marked setup', async () => {
    const box = createSandbox({ setup: 'throw new Error("broken framework")' });
    try {
      const error = await rejectsWith(box.run('1'), 'GUEST_ERROR');
      expect(error.message).toContain('setup code failed: Error: broken framework');
      expect(error.details.setup).toBe(true);
    } finally {
      await box.dispose();
    }
  });

  it('an endless setup script is stopped by its own budget', async () => {
    const box = createSandbox({ setup: 'for (;;) {}' });
    try {
      const error = await rejectsWith(box.run('1'), 'GUEST_ERROR');
      expect(error.message).toContain('setup code failed');
    } finally {
      await box.dispose();
    }
  });
});

describe('runtime taming backs the validator', () => {
  // Every rule that would catch these statically is off: only the prelude's taming is left.
  const unvalidated = createSandbox({
    policy: { validation: { disabledRules: ['no-eval', 'no-function-constructor', 'forbidden-property', 'dynamic-sensitive-access', 'host-global'] } },
  });
  afterAll(() => unvalidated.dispose());

  it.each([
    ['eval', 'eval("1 + 1")'],
    ['indirect eval', '(0, globalThis.eval)("1")'],
    ['Function', 'Function("return 1")()'],
    ['function constructor', '(function () {}).constructor("return 1")()'],
    ['async function constructor', '(async function () {}).constructor("return 1")'],
    ['generator function constructor', '(function* () {}).constructor("yield 1")'],
    ['async generator function constructor', '(async function* () {}).constructor("yield 1")'],
    ['Reflect.construct of Function', 'Reflect.construct(Function, ["return 1"])'],
  ])('%s throws EvalError at runtime when the validator lets it through', async (_, code) => {
    const error = await rejectsWith(unvalidated.run(code), 'GUEST_ERROR');
    expect((error as unknown as { guest: { name: string } }).guest.name).toBe('EvalError');
    expect(error.message).toContain('is disabled in this sandbox');
  });

  it('the same code is rejected statically by default, with rule and position', async () => {
    const error = await rejectsWith(sandbox.run('const f = (function () {}).constructor;\nf("return 1")()'), 'VALIDATION_REJECTED');
    expect((error as unknown as { violations: Array<{ rule: string; line: number }> }).violations[0]).toMatchObject({ rule: 'no-function-constructor', line: 1 });
  });

  it('trusted runs are not tamed, and say so', async () => {
    const out = await sandbox.run('eval("6 * 7")', { trusted: true });
    expect(out).toMatchObject({ value: 42, trusted: true });
  });

  it('instanceof Function still holds for ordinary functions', async () => {
    expect((await unvalidated.run('[(() => 1) instanceof Function, typeof Function.prototype.call]')).value).toEqual([true, 'function']);
  });
});

describe('one WASM compilation', () => {
  it('compiles the QuickJS module once per page and shares it with every worker', async () => {
    const a = createSandbox({ workers: 2 });
    const b = createSandbox({ workers: 2 });
    try {
      await Promise.all([a.run('1'), b.run('2'), a.ready(), b.ready()]);
      // Vite's dev server also serves a tiny JS module for the `?url` import: count real fetches only.
      const fetches = performance.getEntriesByType('resource')
        .filter((e) => e.name.includes('.wasm') && (e as PerformanceResourceTiming).initiatorType === 'fetch');
      expect(fetches).toHaveLength(1);
      const infos = [...(await a.workerInfo()), ...(await b.workerInfo())];
      expect(infos.map((i) => i.wasmFetches)).toEqual([0, 0, 0, 0]);
    } finally {
      await a.dispose();
      await b.dispose();
    }
  });
});

import { afterAll, describe, expect, it } from 'vitest';
import { createSandbox, isSandboxError, type Sandbox } from '../../src/index.js';
import { rejectsWith } from './helpers.js';

const MIB = 1024 * 1024;
// A generous watchdog grace: a cooperative stop (the worker's own interrupt) must win even on a busy
// machine, so asserting that no worker was terminated does not depend on timing.
const sandbox = createSandbox({ policy: { limits: { timeoutMs: 1000 } }, watchdogGraceMs: 1500 });
const watchdogged = createSandbox();
afterAll(() => Promise.all([sandbox.dispose(), watchdogged.dispose()]));

/** Every limit test also proves the sandbox still serves: the next run on it must work. */
async function nextRunWorks(box: Sandbox = sandbox): Promise<void> {
  expect((await box.run('[1, 2, 3].reduce((a, b) => a + b)')).value).toBe(6);
}

describe('deadline', () => {
  it.each([
    ['a busy loop', 'while (true) {}'],
    ['a loop in a catch block', 'for (;;) { try { for (;;) {} } catch (e) {} }'],
    ['catastrophic regex backtracking', '/^(a+)+$/.test("a".repeat(40) + "b")'],
    ['an async function loop', '(async () => { for (;;) await null; })()'],
    ['a never-settling promise', 'await new Promise(() => {})'],
    ['a timer chain', 'await new Promise((r) => { const tick = () => setTimeout(tick, 1); tick(); })'],
    ['a promise-job flood', 'function f() { Promise.resolve().then(f); } f(); await new Promise(() => {})'],
  ])('%s ends with DEADLINE_EXCEEDED', async (_, code) => {
    const error = await rejectsWith(sandbox.run(code, { timeoutMs: 200 }), 'DEADLINE_EXCEEDED');
    expect(error.details.workerTerminated).toBeUndefined();
    await nextRunWorks();
  });

  it('a guest that turns the interrupt into a handled rejection is still stopped', async () => {
    const code = `
      async function spin() { for (;;) {} }
      spin().catch(() => { for (;;) {} }).finally(() => { for (;;) {} });
      await new Promise(() => {});`;
    await rejectsWith(sandbox.run(code, { timeoutMs: 200 }), 'DEADLINE_EXCEEDED');
    await nextRunWorks();
  });

  it('nothing a session run leaves queued runs in the next run', async () => {
    await using session = await sandbox.session();
    await session.run('var hits = 0;');
    // The deadline hits while jobs that would bump `hits` are queued behind a spinning one.
    const code = 'Promise.resolve().then(() => { for (;;) {} }); for (let i = 0; i < 100; i++) Promise.resolve().then(() => { hits++; }); await new Promise(() => {})';
    await rejectsWith(session.run(code, { timeoutMs: 200 }), 'DEADLINE_EXCEEDED');
    const before = (await session.run('hits')).value as number;
    expect((await session.run('await null; await null; hits')).value).toBe(before);
  });

  it.each([
    ['a join of a huge sparse array', 'const a = []; a.length = 2 ** 32 - 1; a.join(",").length'],
    ['indexOf over a fake length of 2**53', 'Array.prototype.indexOf.call({ length: 2 ** 53 }, 1)'],
    ['huge BigInt parsing (quadratic in the digits)', 'const s = "9".repeat(300000); [BigInt(s), BigInt(s), BigInt(s), BigInt(s)].length'],
  ])('%s (no interrupt check inside the builtin) ends with DEADLINE_EXCEEDED via the watchdog', async (_, code) => {
    // Default grace (100 ms): the worker is terminated at deadline + grace, long before the builtin ends.
    const error = await rejectsWith(watchdogged.run(code, { timeoutMs: 50 }), 'DEADLINE_EXCEEDED');
    expect(error.details.workerTerminated).toBe(true);
    await nextRunWorks(watchdogged);
  });

  it('a session whose worker was terminated reports SESSION_LOST from then on', async () => {
    const session = await watchdogged.session();
    await session.run('var x = 1');
    await rejectsWith(session.run('const s = "9".repeat(300000); [BigInt(s), BigInt(s), BigInt(s), BigInt(s)].length', { timeoutMs: 200 }), 'DEADLINE_EXCEEDED');
    await rejectsWith(session.run('x'), 'SESSION_LOST');
    await session.dispose();
    await nextRunWorks(watchdogged);
  });
});

describe('memory', () => {
  const box = createSandbox({ policy: { limits: { memoryLimitBytes: 50 * MIB, timeoutMs: 10_000 } } });
  afterAll(() => box.dispose());

  it.each([
    ['many small objects', 'const a = []; for (;;) a.push({ i: a.length })'],
    ['many small arrays', 'const a = []; for (;;) a.push([1, 2, 3])'],
    ['a growing Map', 'const m = new Map(); for (let i = 0; ; i++) m.set(i, "v" + i)'],
    ['many small strings', 'const a = []; for (let i = 0; ; i++) a.push("s" + i)'],
    ['one huge typed array', 'new Uint8Array(200 * 1024 * 1024).length'],
    ['one huge array', 'new Array(100 * 1024 * 1024).fill(0).length'],
    ['a doubling string', 'let s = "x"; for (;;) s += s'],
    ['string chunks', 'const parts = []; for (;;) parts.push("x".repeat(1 << 20))'],
  ])('%s ends with MEMORY_LIMIT and the WASM memory stays near the limit', async (_, code) => {
    await rejectsWith(box.run(code), 'MEMORY_LIMIT');
    const [info] = await box.workerInfo();
    expect(info!.wasmMemoryBytes).toBeLessThanOrEqual(50 * MIB + 16 * MIB);
    await nextRunWorks(box);
  });

  it('a session at its memory cap gets MEMORY_LIMIT for the next run too, not a module rebuild', async () => {
    // The next run needs the globals installer compiled into the full context: that compile fails
    // like guest code does, and must not be mistaken for a fault of the WASM.
    const small = createSandbox({ policy: { limits: { memoryLimitBytes: 16 * MIB } } });
    try {
      const session = await small.session();
      await rejectsWith(session.run('var keep = []; for (;;) keep.push({ i: keep.length })'), 'MEMORY_LIMIT');
      await rejectsWith(session.run('for (;;) keep.push({ i: input })', { globals: { input: 1 } }), 'MEMORY_LIMIT');
      expect((await small.workerInfo())[0]!.moduleRebuilds).toBe(0);
      // The cap is per worker: the session's memory is freed with it, then the worker serves again.
      await session.dispose();
      await nextRunWorks(small);
    } finally {
      await small.dispose();
    }
  });

  it('near miss: 20 MB of data under a 50 MB limit runs', async () => {
    const out = await box.run('const a = new Uint8Array(20 * 1024 * 1024); a[a.length - 1] = 7; a[a.length - 1]');
    expect(out.value).toBe(7);
  });
});

describe('stack', () => {
  it.each([
    ['deep recursion', 'function f(n) { return f(n + 1) + 1; } f(0)'],
    ['deep recursion through a caught error', 'function f() { try { return f(); } catch (e) { throw e; } } f()'],
    ['deeply nested JSON.parse', 'JSON.parse("[".repeat(100000) + "]".repeat(100000))'],
    ['a deeply nested result', 'let v = 1; for (let i = 0; i < 10000; i++) v = [v]; v'],
  ])('%s ends with STACK_OVERFLOW', async (_, code) => {
    await rejectsWith(sandbox.run(code), 'STACK_OVERFLOW');
    await nextRunWorks();
  });

  it('deeply nested source is refused before any parser recurses', async () => {
    await rejectsWith(sandbox.run(`${'['.repeat(5000)}${']'.repeat(5000)}`), 'STACK_OVERFLOW');
    await nextRunWorks();
  });

  it('near miss: recursion a few hundred frames deep runs', async () => {
    expect((await sandbox.run('function f(n) { return n === 0 ? 0 : 1 + f(n - 1); } f(300)')).value).toBe(300);
  });

  it.each([[96 * 1024], [128 * 1024], [1 * MIB]])('a stack limit the worker cannot honour (%i bytes) is refused with INVALID_POLICY naming the field', (bytes) => {
    let error: unknown;
    try {
      createSandbox({ policy: { limits: { maxStackBytes: bytes } } });
    } catch (e) {
      error = e;
    }
    expect(isSandboxError(error) && error.code).toBe('INVALID_POLICY');
    expect((error as Error).message).toContain('limits.maxStackBytes');
    expect((error as Error).message).toContain(String(bytes));
  });
});

describe('output', () => {
  const box = createSandbox({ policy: { limits: { maxResultBytes: 64 * 1024, maxLogBytes: 16 * 1024 } } });
  afterAll(() => box.dispose());

  it('a huge result ends with OUTPUT_TOO_LARGE before it is built on the host', async () => {
    const error = await rejectsWith(box.run('const s = "x".repeat(1 << 20); Array.from({ length: 50 }, () => s)'), 'OUTPUT_TOO_LARGE');
    expect(error.message).toContain('65536');
    await nextRunWorks(box);
  });

  it('a log flood ends with OUTPUT_TOO_LARGE and keeps the logs up to the cap', async () => {
    const error = await rejectsWith(box.run('for (;;) console.log("spam spam spam spam")'), 'OUTPUT_TOO_LARGE');
    const chars = error.logs.reduce((n, l) => n + l.message.length, 0);
    expect(chars).toBeLessThanOrEqual(16 * 1024);
    expect(error.logs.length).toBeGreaterThan(100);
    await nextRunWorks(box);
  });

  it('near miss: output just under the caps is returned whole', async () => {
    const out = await box.run('console.log("y".repeat(1000)); "z".repeat(60000)');
    expect((out.value as string).length).toBe(60000);
    expect(out.logs[0]!.message.length).toBe(1000);
  });
});

describe('no handle leaks', () => {
  it('after runs of every kind, freeing every runtime finds no leaked QuickJS object', async () => {
    const box = createSandbox({ modules: { 'app:x': { f: (a: unknown) => a } } });
    try {
      await box.run('1');
      await box.run('import { f } from "app:x"; export default await f({ a: 1 });');
      await box.run('throw new Error("x")').catch(() => {});
      await box.run('while (true) {}', { timeoutMs: 50 }).catch(() => {});
      await box.run('const a = []; for (;;) a.push({})').catch(() => {});
      await box.run('({ f() {} })').catch(() => {});
      await box.run('await new Promise((r) => setTimeout(r, 5)); 1');
      const session = await box.session();
      await session.run('var keep = { deep: [1, 2, 3] }');
      const [info] = await box.workerInfo();
      expect(info!.moduleRebuilds).toBe(0);
      expect(await box.leakCheck()).toEqual([{ leaked: false, detail: '' }]);
    } finally {
      await box.dispose();
    }
  });

  it('the leak check can fail: a deliberately leaked handle is reported', async () => {
    const box = createSandbox({ debug: true });
    try {
      await box.leakForTest();
      const [report] = await box.leakCheck();
      expect(report!.leaked).toBe(true);
      expect(report!.detail).toContain('gc_obj_list');
    } finally {
      await box.dispose();
    }
  });

  it('an exception out of the WASM in a one-shot run is WORKER_CRASHED, undone by the snapshot restore: no rebuild, sessions kept, next run works', async () => {
    const box = createSandbox({ debug: true });
    try {
      const session = await box.session();
      await session.run('var kept = 1');
      await box.faultForTest();
      const error = await rejectsWith(box.run('1'), 'WORKER_CRASHED');
      expect(error.details.poisoned).toBeUndefined();
      expect(error.details.restored).toBe(true);
      expect(error.message).toContain('injected by faultForTest');
      expect((await session.run('kept')).value).toBe(1);
      await nextRunWorks(box);
      expect((await box.workerInfo())[0]!.moduleRebuilds).toBe(0);
    } finally {
      await box.dispose();
    }
  });

  it('an exception out of the WASM in a session run discards the session module: poisoned, sessions lost, one-shot runs unaffected', async () => {
    const box = createSandbox({ debug: true });
    try {
      const session = await box.session();
      await session.run('var kept = 1');
      await box.faultForTest();
      const error = await rejectsWith(session.run('kept'), 'WORKER_CRASHED');
      expect(error.details.poisoned).toBe(true);
      expect(error.message).toContain('injected by faultForTest');
      await rejectsWith(session.run('kept'), 'SESSION_LOST');
      await nextRunWorks(box);
      expect((await box.workerInfo())[0]!.moduleRebuilds).toBe(1);
    } finally {
      await box.dispose();
    }
  });

  it('a handle leaked into the one-shot snapshot never reaches a run, and the leak check finds it', async () => {
    const events: Array<{ type: string; details?: Record<string, unknown> }> = [];
    const box = createSandbox({ debug: true, audit: { record: (e) => void events.push(e) } });
    try {
      await box.ready();
      await box.leakForTest();
      expect((await box.run('1')).value).toBe(1);
      await nextRunWorks(box);
      const [info] = await box.workerInfo();
      expect(info!.moduleRebuilds).toBe(0);
      expect(events.filter((e) => e.type === 'worker_recycled')).toEqual([]);
      const [report] = await box.leakCheck();
      expect(report!.leaked).toBe(true);
      expect(report!.detail).toContain('gc_obj_list');
    } finally {
      await box.dispose();
    }
  });
});

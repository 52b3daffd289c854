/**
 * Issue 16, "zero crashes": every hostile program here once ended in a crash of the WASM module (a
 * module rebuild, sessions lost). Each now ends in its own error code (or its value) with the module
 * intact: `details.poisoned` unset, no `worker_recycled` audit event, no rebuild, and the next run works.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createSandbox, isSandboxError, type Sandbox } from '../../src/index.js';
import { rejectsWith } from './helpers.js';

const MIB = 1024 * 1024;

interface Recorded {
  type: string;
  details?: Record<string, unknown>;
}

/** A trivial tool, so guests can re-enter the host from getters, toJSON, proxies and floods. */
const tools = { names: () => ['echo'], invoke: async (_name: string, args: unknown) => args };

function box(limits: Record<string, number> = {}, extra: { debug?: boolean } = {}): { sandbox: Sandbox; events: Recorded[] } {
  const events: Recorded[] = [];
  // A generous watchdog grace: every stop here must be the worker's own, never a terminated worker.
  const sandbox = createSandbox({
    tools,
    policy: { limits: { timeoutMs: 2000, ...limits } },
    watchdogGraceMs: 5000,
    audit: { record: (e) => void events.push(e as Recorded) },
    ...extra,
  });
  return { sandbox, events };
}

/** The module was never rebuilt, nothing was recycled, and the sandbox still answers. */
async function intact({ sandbox, events }: { sandbox: Sandbox; events: Recorded[] }): Promise<void> {
  expect((await sandbox.run('[1, 2, 3].reduce((a, b) => a + b)')).value).toBe(6);
  expect(events.filter((e) => e.type === 'worker_recycled')).toEqual([]);
  for (const info of await sandbox.workerInfo()) expect(info.moduleRebuilds).toBe(0);
}

async function failsCleanly(sandbox: Pick<Sandbox, 'run'>, code: string, expected: string): Promise<void> {
  const error = await rejectsWith(sandbox.run(code), expected);
  expect(error.details.poisoned, error.message).toBeUndefined();
}

/** Recursion through every path found to overflow the worker's native stack before QuickJS's check. */
const DEEP: Array<[string, string]> = [
  ['plain recursion', 'function f(n) { return f(n + 1) + 1; } f(0)'],
  ['recursion retried inside catch', 'let c = 0; function f() { try { return f(); } catch (e) { if (c++ < 2000) return f(); throw e; } } f()'],
  ['a Proxy trap recursing through its receiver', 'const p = new Proxy({}, { get(t, k, r) { return r[k]; } }); p.x'],
  ['a getter on a returned value', 'function g() { return { get a() { return g().a; } }.a; } g()'],
  ['JSON.parse of a string nested a million levels', 'JSON.parse("[".repeat(1e6) + "]".repeat(1e6))'],
  ['JSON.parse nested 100 000 levels', 'JSON.parse("[".repeat(1e5) + "]".repeat(1e5))'],
  ['JSON.stringify of a value nested 100 000 levels', 'let v = 1; for (let i = 0; i < 1e5; i++) v = [v]; JSON.stringify(v)'],
  ['recursion through a JSON.stringify replacer', 'function r(k, v) { JSON.stringify({ a: 1 }, r); return v; } JSON.stringify({ a: 1 }, r)'],
  ['recursion through a JSON.parse reviver', 'JSON.parse("[1]", function r(k, v) { JSON.parse("[1]", r); return v; })'],
  ['String() of an array containing itself through a long chain', 'const a = []; let c = a; for (let i = 0; i < 1e5; i++) { const n = []; c.push(n); c = n; } c.push(a); String(a)'],
  ['join of a deep chain', 'const a = []; let c = a; for (let i = 0; i < 1e5; i++) { const n = []; c.push(n); c = n; } a.join()'],
  ['toLocaleString of a deep chain', 'const a = []; let c = a; for (let i = 0; i < 1e5; i++) { const n = []; c.push(n); c = n; } a.toLocaleString()'],
  ['toString recursion through String()', 'const o = { toString() { return String(o2); } }; const o2 = { toString() { return String(o); } }; String(o)'],
  ['toString recursion through template literals', 'const o = { toString() { return `${o2}`; } }; const o2 = { toString() { return `${o}`; } }; `${o}`'],
  ['valueOf recursion through +', 'const o = { valueOf() { return o2 + 1; } }; const o2 = { valueOf() { return o + 1; } }; o + 1'],
  ['Symbol.toPrimitive recursion', 'const o = { [Symbol.toPrimitive]() { return +o; } }; +o'],
  ['Symbol.hasInstance recursion', 'const C = { [Symbol.hasInstance](x) { return x instanceof C; } }; 1 instanceof C'],
  ['yield* delegation 500 deep', 'function* g(n) { if (n > 0) yield* g(n - 1); else yield 1; } [...g(500)].length'],
  ['endless yield* delegation', 'function* g() { yield* g(); } [...g()]'],
  ['async recursion without await', 'async function f(n) { return n > 0 ? f(n - 1) : 0; } f(1e6)'],
  ['async recursion before the first await', 'async function f(n) { if (n) await f(n - 1); } f(1e6)'],
  ['async generator delegation', 'async function* g(n) { if (n > 0) yield* g(n - 1); yield 1; } (async () => { let c = 0; for await (const x of g(3000)) c++; return c; })()'],
  ['a Proxy apply trap calling itself', 'const p = new Proxy(function () {}, { apply() { return p(); } }); p()'],
  ['an iterator that spreads itself', 'const it = { [Symbol.iterator]() { return [...it][Symbol.iterator](); } }; [...it]'],
  ['flat(Infinity) of a deep array', 'let a = []; for (let i = 0; i < 1e5; i++) a = [a]; a.flat(Infinity).length'],
  ['a chain of 100 000 nested Proxies', 'let p = {}; for (let i = 0; i < 1e5; i++) p = new Proxy(p, {}); p.x'],
  ['a regexp nested 30 000 groups deep', 'new RegExp("(?:a|".repeat(30000) + ")".repeat(30000)).test("")'],
  ['recursion through sort, map and replace callbacks', 'function s() { [3, 2, 1].sort(() => { [1].map(() => "a".replace(/a/, s)); return 0; }); } s()'],
];

describe('native stack: QuickJS\'s own limit trips first at every accepted maxStackBytes', () => {
  for (const kb of [16, 32, 64]) {
    describe(`maxStackBytes ${kb} KiB`, () => {
      const b = box({ maxStackBytes: kb * 1024 });
      afterAll(() => b.sandbox.dispose());

      it.each(DEEP)('%s ends with STACK_OVERFLOW, not a module rebuild', async (_, code) => {
        await failsCleanly(b.sandbox, code, 'STACK_OVERFLOW');
        await intact(b);
      });
    });
  }

  describe('paths that re-enter the host', () => {
    const b = box();
    afterAll(() => b.sandbox.dispose());

    it.each([
      ['a getter on a returned value that calls a tool again', 'function g() { return { get a() { tools.echo(1); return g().a; } }.a; } g()'],
      ['a tool argument whose getter calls the tool again', 'function g() { return tools.echo({ get a() { return g(); } }); } g()'],
      ['a Proxy result that re-enters a tool', 'const p = new Proxy({}, { get(t, k, r) { tools.echo(1); return r[k]; } }); p.x'],
    ])('%s ends with STACK_OVERFLOW', async (_, code) => {
      await failsCleanly(b.sandbox, code, 'STACK_OVERFLOW');
      await intact(b);
    });
  });

  it('near miss: JSON nested 500 levels, yield* 100 deep and 300 plain frames still run at the default', async () => {
    const b = box();
    try {
      expect((await b.sandbox.run('JSON.stringify(JSON.parse("[".repeat(500) + "]".repeat(500))).length')).value).toBe(1000);
      expect((await b.sandbox.run('function* g(n) { if (n > 0) yield* g(n - 1); else yield 1; } [...g(100)].length')).value).toBe(1);
      expect((await b.sandbox.run('function f(n) { return n === 0 ? 0 : 1 + f(n - 1); } f(300)')).value).toBe(300);
      await intact(b);
    } finally {
      await b.sandbox.dispose();
    }
  });
});

describe('freeing a finished run\'s runtime never aborts (gc_obj_list)', () => {
  const b = box({ memoryLimitBytes: 32 * MIB });
  afterAll(() => b.sandbox.dispose());

  it.each([
    ['200 000 objects allocated inside a job', 'await Promise.resolve().then(() => { const a = []; for (let i = 0; i < 200000; i++) a.push({ i }); return a.length; })', 200000],
    ['200 000 objects allocated after an await', '(async () => { await 1; const a = []; for (let i = 0; i < 200000; i++) a.push({ i }); return a.length; })()', 200000],
    ['unawaited tool calls beside a few large buffers', 'const b = []; for (let i = 0; i < 8; i++) b.push(new ArrayBuffer(2 << 20)); for (let i = 0; i < 1000; i++) tools.echo(i); 1', 1],
  ])('%s: the run returns its value and the module stays', async (_, code, value) => {
    expect((await b.sandbox.run(code)).value).toBe(value);
    await intact(b);
    expect(await b.sandbox.leakCheck()).toEqual([{ leaked: false, detail: '' }]);
  });

  it.each([
    ['a promise flood', 'function loop() { Promise.resolve().then(loop); } loop(); await new Promise(() => {})'],
    ['a timer that reschedules itself twice', 'function t() { setTimeout(t, 0); setTimeout(t, 0); } t(); await new Promise(() => {})'],
  ])('%s is stopped by the deadline, and freeing its runtime finds nothing leaked', async (_, code) => {
    // A short deadline: the floods grow memory by the job or timer, and the deadline must come first.
    const error = await rejectsWith(b.sandbox.run(code, { timeoutMs: 300 }), 'DEADLINE_EXCEEDED');
    expect(error.details.poisoned).toBeUndefined();
    await intact(b);
    expect(await b.sandbox.leakCheck()).toEqual([{ leaked: false, detail: '' }]);
  });

  it('an out-of-memory inside a promise job ends the run with MEMORY_LIMIT, and freeing its runtime finds nothing leaked', async () => {
    const code = 'Promise.resolve().then(() => { const a = []; for (;;) a.push({}); }); await new Promise((r) => setTimeout(r, 20)); 1';
    const error = await rejectsWith(b.sandbox.run(code, { timeoutMs: 60_000 }), 'MEMORY_LIMIT');
    expect(error.details.poisoned).toBeUndefined();
    await intact(b);
    expect(await b.sandbox.leakCheck()).toEqual([{ leaked: false, detail: '' }]);
  });

  it('a session drains its leftover jobs without a rebuild and keeps its globals', async () => {
    const session = await b.sandbox.session();
    await session.run('var kept = 41; Promise.resolve().then(() => { const a = []; for (let i = 0; i < 200000; i++) a.push({ i }); })');
    expect((await session.run('kept + 1')).value).toBe(42);
    await intact(b);
  });
});

describe('floods of host calls and timers (no quickjs-emscripten-core newPromise)', () => {
  const b = box({ timeoutMs: 1000, memoryLimitBytes: 128 * MIB });
  afterAll(() => b.sandbox.dispose());

  it.each([
    ['100 000 setTimeout calls', 'for (let i = 0; i < 100000; i++) setTimeout(() => {}, 0); await new Promise(() => {})'],
    ['100 000 setTimeout calls beside growing memory', 'const keep = []; for (let i = 0; i < 100000; i++) { setTimeout(() => {}, 0); keep.push({ i }); } await new Promise(() => {})'],
  ])('%s end with DEADLINE_EXCEEDED, not a host error shown as the guest\'s', async (_, code) => {
    await failsCleanly(b.sandbox, code, 'DEADLINE_EXCEEDED');
    await intact(b);
  });

  it('5 000 concurrent tool calls while memory grows all resolve', async () => {
    const code = 'const keep = []; const calls = []; for (let i = 0; i < 5000; i++) { calls.push(tools.echo(i)); keep.push(new Array(64).fill(i)); } (await Promise.all(calls)).length';
    expect((await b.sandbox.run(code, { timeoutMs: 60_000 })).value).toBe(5000);
    await intact(b);
  });
});

describe('found by the 10-minute fuzz: sessions that fill their worker\'s memory', () => {
  it('a fresh run works while a session holds its worker\'s memory (seed 424242): sessions live in their own module instance', async () => {
    const b = box({ memoryLimitBytes: 16 * MIB });
    try {
      const session = await b.sandbox.session();
      await failsCleanly(session, 'globalThis.keep = []; for (;;) keep.push(new ArrayBuffer(1 << 16));', 'MEMORY_LIMIT');
      expect((await b.sandbox.run('new ArrayBuffer(8 << 20).byteLength')).value).toBe(8 << 20);
      await intact(b);
    } finally {
      await b.sandbox.dispose();
    }
  });

  it('a session that keeps its whole share serves again or is closed cleanly with the reason, never stuck on MEMORY_LIMIT (seed 20261204)', async () => {
    const b = box({ memoryLimitBytes: 16 * MIB });
    try {
      const session = await b.sandbox.session();
      await failsCleanly(session, 'globalThis.keep = []; for (;;) keep.push(new ArrayBuffer(1 << 16));', 'MEMORY_LIMIT');
      const next = await session.run('1 + 1').then((r) => r.value, (e: unknown) => (isSandboxError(e) ? `${e.code}: ${e.message}` : String(e)));
      if (next !== 2) expect(next).toMatch(/^SESSION_LOST: .*was closed because the sessions filled their worker's memory/);
      const fresh = await b.sandbox.session();
      expect((await fresh.run('1 + 1')).value).toBe(2);
      await intact(b);
    } finally {
      await b.sandbox.dispose();
    }
  });
});

describe('floods that all settle: timers and tool calls reach the guest in the run loop, not one host task each', () => {
  const b = box({ timeoutMs: 120_000, memoryLimitBytes: 256 * MIB });
  afterAll(() => b.sandbox.dispose());

  it('100 000 timers all fire, in the order they were set', async () => {
    const code = 'let n = 0, ordered = true; await new Promise((r) => { for (let i = 0; i < 100000; i++) setTimeout(() => { if (n !== i) ordered = false; if (++n === 100000) r(); }, 0); }); [n, ordered]';
    expect((await b.sandbox.run(code)).value).toEqual([100000, true]);
    await intact(b);
  }, 180_000);

  it('a timer callback\'s own promise reactions run before the next timer, as in a browser', async () => {
    const code = 'const seen = []; await new Promise((r) => { setTimeout(() => { Promise.resolve().then(() => seen.push("a2")); seen.push("a1"); }, 0); setTimeout(() => { seen.push("b"); r(); }, 0); }); seen.join(",")';
    expect((await b.sandbox.run(code)).value).toBe('a1,a2,b');
  });

  it('100 000 concurrent tool calls all resolve', async () => {
    const code = '(await Promise.all(Array.from({ length: 100000 }, (_, i) => tools.echo(i)))).reduce((a, b) => a + b, 0)';
    expect((await b.sandbox.run(code)).value).toBe(4999950000);
    await intact(b);
  }, 180_000);
});

describe('a host exception inside a C-to-host callback', () => {
  it('is reported as a worker fault, never as the guest\'s own error a guest could catch; the snapshot restore undoes it without a rebuild', async () => {
    const b = box({}, { debug: true });
    try {
      await b.sandbox.ready();
      await b.sandbox.faultForTest('callback');
      const error = await rejectsWith(b.sandbox.run('let caught = "no"; try { await tools.echo(1); } catch (e) { caught = String(e); } caught'), 'WORKER_CRASHED');
      expect(error.details.poisoned).toBeUndefined();
      expect(error.details.restored).toBe(true);
      expect(error.message).toContain('injected host callback fault');
      await intact(b);
    } finally {
      await b.sandbox.dispose();
    }
  });
});

describe('a promise chain that catches its own interrupt, then a re-entrant tool argument', () => {
  it('the chain ends with DEADLINE_EXCEEDED, the tool argument with its own error, and no WASM trap', async () => {
    const b = box({ timeoutMs: 200, memoryLimitBytes: 256 * MIB });
    try {
      await failsCleanly(b.sandbox, 'function lc() { return Promise.resolve().then(lc).catch(lc); } lc(); await new Promise((r) => setTimeout(r, 20)); 1', 'DEADLINE_EXCEEDED');
      await failsCleanly(b.sandbox, 'await tools.echo({ toJSON() { tools.echo(1); return 1; } })', 'UNSERIALIZABLE');
      await intact(b);
    } finally {
      await b.sandbox.dispose();
    }
  });
});

describe('FinalizationRegistry in a session', () => {
  it('a callback loop ends the run with DEADLINE_EXCEEDED; the session is closed cleanly (SESSION_LOST) and nothing else is rebuilt', async () => {
    const b = box({ timeoutMs: 500 });
    try {
      const session = await b.sandbox.session();
      const other = await b.sandbox.session();
      await other.run('var keep = 7');
      await failsCleanly(session, 'const fr = new FinalizationRegistry(() => { for (let i = 0; i < 1000; i++) fr.register({}, 0); }); for (let i = 0; i < 1000; i++) fr.register({}, 0); await new Promise(() => {})', 'DEADLINE_EXCEEDED');
      const next = await session.run('1 + 1').then((r) => r.value, (e: unknown) => (isSandboxError(e) ? e.code : String(e)));
      expect([2, 'SESSION_LOST']).toContain(next);
      expect((await other.run('keep')).value).toBe(7);
      await intact(b);
    } finally {
      await b.sandbox.dispose();
    }
  });

  it('near miss: a registry whose callbacks settle keeps the session', async () => {
    const b = box();
    try {
      const session = await b.sandbox.session();
      await session.run('var hits = 0; const fr = new FinalizationRegistry(() => { hits++; }); for (let i = 0; i < 1000; i++) fr.register({}, 0); 1');
      expect(typeof (await session.run('hits')).value).toBe('number');
      await intact(b);
    } finally {
      await b.sandbox.dispose();
    }
  });
});

describe('memory the guest can retain stays within memoryLimitBytes', () => {
  for (const mb of [1, 8, 32]) {
    it(`${mb} MiB limit: ArrayBuffers, typed arrays and strings stop at the limit`, async () => {
      const b = box({ memoryLimitBytes: mb * MIB });
      try {
        const buffers = await b.sandbox.run('globalThis.keep = []; try { for (;;) keep.push(new ArrayBuffer(1 << 18)); } catch (e) {} keep.length / 4');
        expect(buffers.value as number).toBeLessThanOrEqual(mb);
        const typed = await b.sandbox.run('globalThis.keep = []; try { for (;;) keep.push(new Uint8Array(1 << 18)); } catch (e) {} keep.length / 4');
        expect(typed.value as number).toBeLessThanOrEqual(mb);
        await failsCleanly(b.sandbox, 'const keep = []; for (;;) keep.push(new ArrayBuffer(1 << 18));', 'MEMORY_LIMIT');
        await intact(b);
      } finally {
        await b.sandbox.dispose();
      }
    });
  }

  it('found by the fuzzer: an async function that fills memory, then a tool call, is MEMORY_LIMIT (no corruption from an unchecked host malloc)', async () => {
    const b = box({ memoryLimitBytes: 16 * MIB, maxStackBytes: 16 * 1024 });
    try {
      await failsCleanly(b.sandbox, 'import { echo } from "quickcage:tools";\n(async () => { let f = function () { return 1; }; for (let i = 0; i < 1000000; i++) f = f.bind(null); f(); })();\nawait tools.echo([[1]]);\n1', 'MEMORY_LIMIT');
      await failsCleanly(b.sandbox, '(async () => { const a = []; for (;;) a.push({}); })();\nawait tools.echo([[1]]);\n1', 'MEMORY_LIMIT');
      await intact(b);
    } finally {
      await b.sandbox.dispose();
    }
  });

  it('near miss: buffers well under the limit are kept', async () => {
    const b = box({ memoryLimitBytes: 32 * MIB });
    try {
      expect((await b.sandbox.run('const keep = []; for (let i = 0; i < 20; i++) keep.push(new ArrayBuffer(1 << 20)); keep.length')).value).toBe(20);
      await intact(b);
    } finally {
      await b.sandbox.dispose();
    }
  });
});

describe('Math.random', () => {
  it('two sandboxes created at the same time draw different sequences, and so do two runs', async () => {
    const a = box();
    const c = box();
    try {
      const code = 'Array.from({ length: 4 }, () => Math.random())';
      const [x, y] = await Promise.all([a.sandbox.run(code), c.sandbox.run(code)]);
      expect(x.value).not.toEqual(y.value);
      const again = await a.sandbox.run(code);
      expect(again.value).not.toEqual(x.value);
      for (const v of [...(x.value as number[]), ...(again.value as number[])]) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThan(1);
      }
    } finally {
      await Promise.all([a.sandbox.dispose(), c.sandbox.dispose()]);
    }
  });

  it('setup code that draws from Math.random does not leave every run the same seed; trusted runs and a session draw their own', async () => {
    // The generator is seeded on first use: setup code seeds it before the snapshot is taken, so
    // the snapshot must hold it unseeded again, or every run restored from it would repeat one sequence.
    const sandbox = createSandbox({ setup: 'globalThis.setupDraw = Math.random();' });
    try {
      const code = '[Math.random(), Math.random(), typeof setupDraw]';
      const runs = [];
      for (let i = 0; i < 3; i++) runs.push((await sandbox.run(code)).value as [number, number, string]);
      expect(new Set(runs.map((r) => r[0])).size).toBe(3);
      for (const r of runs) expect(r[2]).toBe('number');
      const trusted = [(await sandbox.run(code, { trusted: true })).value, (await sandbox.run(code, { trusted: true })).value];
      expect(trusted[0]).not.toEqual(trusted[1]);
      // A session is one continuing context: its generator goes on, it does not restart.
      await using session = await sandbox.session();
      const first = (await session.run('Math.random()')).value as number;
      const second = (await session.run('Math.random()')).value as number;
      expect(second).not.toBe(first);
      expect(runs.map((r) => r[0])).not.toContain(first);
    } finally {
      await sandbox.dispose();
    }
  });
});

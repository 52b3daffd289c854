/**
 * The run pipeline (src/pool.ts, src/sandbox.ts `dispatch`/`execute`, worker/api.ts `serveRuns`):
 * a worker holds the run it evaluates and the next one; a queued run's deadline starts when it
 * starts; a queued run that never started survives its worker's death and can be taken by an idle
 * worker; and a run started while its admission is decided has no effect until it is admitted.
 * Real workers, real WASM. Ordering is asserted, never durations.
 */
import { describe, expect, it } from 'vitest';
import { createSandbox, type SandboxError } from '../../src/index.js';
import { createRateLimiter } from '../../src/rate-limit.js';
import { rejectsWith } from './helpers.js';

/** Spins for `ms` of the guest's own clock: a run that keeps its worker busy without host calls. */
const spin = (ms: number, value: string) => `const t = Date.now(); while (Date.now() - t < ${ms}) {} ${value}`;
/** No interrupt check inside: only the page's watchdog ends it (see limits.test.ts). */
const STUCK_IN_BUILTIN = 'const a = []; a.length = 2 ** 32 - 1; a.join(",").length';

describe('a worker holds the next run', () => {
  it('a queued run gets its whole deadline from when it starts, not from when it was sent', async () => {
    const box = createSandbox({ workers: 1 });
    try {
      await box.ready();
      const first = box.run(spin(300, '"first"'), { timeoutMs: 2000 });
      // Sent to the same worker while the first spins for 300 ms; 200 ms would have run out by then.
      const second = box.run(spin(50, '"second"'), { timeoutMs: 200 });
      expect((await first).value).toBe('first');
      const out = await second;
      expect(out.value).toBe('second');
      // It waited for the first run (queued), and that time is not part of its own run.
      expect(out.stats.queuedMs).toBeGreaterThan(out.stats.wallMs);
    } finally {
      await box.dispose();
    }
  });

  it('many concurrent runs on two workers each answer with their own value, in any order', async () => {
    const box = createSandbox({ workers: 2 });
    try {
      const outs = await Promise.all(Array.from({ length: 200 }, (_, i) => box.run(`${i} * 3`)));
      expect(outs.map((o) => o.value)).toEqual(Array.from({ length: 200 }, (_, i) => i * 3));
      expect(new Set(outs.map((o) => o.runId)).size).toBe(200);
    } finally {
      await box.dispose();
    }
  });

  it('a run queued behind a run the watchdog kills never started: it runs on the replacement worker', async () => {
    const calls: unknown[] = [];
    const box = createSandbox({ workers: 1, modules: { 'app:probe': { hit: (arg: unknown) => { calls.push(arg); return 'hit'; } } } });
    try {
      await box.ready();
      const stuck = box.run(STUCK_IN_BUILTIN, { timeoutMs: 50 });
      const queued = box.run('import { hit } from "app:probe";\nexport default await hit("queued");');
      const killed = await rejectsWith(stuck, 'DEADLINE_EXCEEDED');
      expect(killed.details.workerTerminated).toBe(true);
      expect((await queued).value).toBe('hit');
      // Exactly once: it did not start in the killed worker.
      expect(calls).toEqual(['queued']);
      expect((await box.run('"next"')).value).toBe('next');
    } finally {
      await box.dispose();
    }
  });

  it('an aborted queued run rejects at once, never runs, and leaves the run ahead of it alone', async () => {
    const calls: unknown[] = [];
    const box = createSandbox({ workers: 1, modules: { 'app:probe': { hit: (arg: unknown) => { calls.push(arg); return 'hit'; } } } });
    try {
      await box.ready();
      const ahead = box.run(spin(300, '"ahead"'));
      const controller = new AbortController();
      const queued = box.run('import { hit } from "app:probe";\nexport default await hit("aborted");', { signal: controller.signal });
      let settledFirst: string | undefined;
      void ahead.then(() => { settledFirst ??= 'ahead'; });
      const aborted = queued.catch((e: SandboxError) => { settledFirst ??= 'queued'; throw e; });
      controller.abort();
      await rejectsWith(aborted, 'ABORTED');
      expect((await ahead).value).toBe('ahead');
      expect(settledFirst).toBe('queued');
      expect((await box.run('"after"')).value).toBe('after');
      expect(calls).toEqual([]);
    } finally {
      await box.dispose();
    }
  });

  it('a worker left idle takes a run queued behind a long run in another worker', async () => {
    let release: (() => void) | undefined;
    const held = new Promise<void>((resolve) => { release = resolve; });
    const box = createSandbox({ workers: 2, modules: { 'app:slow': { wait: () => held.then(() => 'released') } } });
    try {
      await box.ready();
      const order: string[] = [];
      // Worker 1: waits on the host until released. Worker 2: spins 150 ms.
      const long = box.run('import { wait } from "app:slow";\nexport default await wait();', { timeoutMs: 10_000 });
      const short = box.run(spin(150, '"short"'));
      // Both workers are busy: this one is queued behind one of them (the first, with the long run).
      const queued = box.run('"queued"');
      void long.then(() => order.push('long'));
      const done = await queued;
      order.push('queued');
      expect(done.value).toBe('queued');
      expect((await short).value).toBe('short');
      // It did not wait for the long run: the idle worker took it.
      expect(order).toEqual(['queued']);
      release!();
      expect((await long).value).toBe('released');
    } finally {
      release?.();
      await box.dispose();
    }
  });

  it('the watchdog keeps every deadline with one timer: a short deadline fires while a longer one is pending', async () => {
    const box = createSandbox({ workers: 2, watchdogGraceMs: 20 });
    try {
      await box.ready();
      const order: string[] = [];
      const long = rejectsWith(box.run(STUCK_IN_BUILTIN, { timeoutMs: 1500 }), 'DEADLINE_EXCEEDED').then((e) => { order.push('long'); return e; });
      const short = rejectsWith(box.run(STUCK_IN_BUILTIN, { timeoutMs: 50 }), 'DEADLINE_EXCEEDED').then((e) => { order.push('short'); return e; });
      const errors = await Promise.all([long, short]);
      expect(order).toEqual(['short', 'long']);
      for (const e of errors) expect(e.details.workerTerminated).toBe(true);
      expect((await box.run('"next"')).value).toBe('next');
    } finally {
      await box.dispose();
    }
  });
});

describe('a run starts while its admission is decided', () => {
  it('a refused run makes no host call and returns nothing; the admitted ones do', async () => {
    const calls: unknown[] = [];
    const limiter = createRateLimiter({ quotas: { execution: { limit: 2, windowMs: 60_000 } }, dbName: `quota-spec-${crypto.randomUUID()}`, lease: false });
    const box = createSandbox({ rateLimiter: limiter, workers: 2, modules: { 'app:probe': { hit: (arg: unknown) => { calls.push(arg); return arg; } } } });
    try {
      await box.ready();
      const code = (i: number) => `import { hit } from "app:probe";\nexport default await hit(${i});`;
      const outcomes = await Promise.allSettled([0, 1, 2, 3].map((i) => box.run(code(i), { user: 'dana' })));
      const values = outcomes.filter((o) => o.status === 'fulfilled').map((o) => (o as PromiseFulfilledResult<{ value: number }>).value.value);
      const refused = outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason as SandboxError);
      expect(values).toHaveLength(2);
      expect(refused.map((e) => e.code)).toEqual(['RATE_LIMITED', 'RATE_LIMITED']);
      // Only the admitted runs reached the host.
      expect([...calls].sort()).toEqual([...values].sort());
      // A refused user's next run waits for its admission (no speculative work) and is refused too.
      await rejectsWith(box.run(code(9), { user: 'dana' }), 'RATE_LIMITED');
      expect(calls).toHaveLength(2);
      expect((await box.run('"other user"', { user: 'erin' })).value).toBe('other user');
    } finally {
      await box.dispose();
      await limiter.dispose();
    }
  });

  it('a result computed before a beforeRun refusal never leaves, and its record says refused', async () => {
    const events: { type: string; details?: Record<string, unknown> }[] = [];
    let refuse: ((error: Error) => void) | undefined;
    const box = createSandbox({
      audit: { record: (e) => { events.push(e as never); } },
      beforeRun: () => new Promise<void>((_, reject) => { refuse = reject; }),
    });
    try {
      await box.ready();
      const run = box.run('"secret result"', { user: 'frank' });
      // Give the guest time to finish while its admission is still open.
      await new Promise((r) => setTimeout(r, 100));
      const { SandboxError: Err } = await import('../../src/index.js');
      refuse!(new Err('RATE_LIMITED', 'over the plan'));
      const error = await rejectsWith(run, 'RATE_LIMITED');
      expect(JSON.stringify(error)).not.toContain('secret result');
      expect(events.at(-1)).toMatchObject({ type: 'rate_limit_exceeded' });
    } finally {
      await box.dispose();
    }
  });

  it('a session run waits for its admission: a refused one never changes the session', async () => {
    let calls = 0;
    const box = createSandbox({
      beforeRun: async () => {
        await new Promise((r) => setTimeout(r, 20));
        if (++calls === 1) {
          const { SandboxError: Err } = await import('../../src/index.js');
          throw new Err('RATE_LIMITED', 'first one refused');
        }
      },
    });
    try {
      const session = await box.session();
      await rejectsWith(session.run('globalThis.counter = 41; "set"'), 'RATE_LIMITED');
      expect((await session.run('typeof globalThis.counter')).value).toBe('undefined');
      await session.dispose();
    } finally {
      await box.dispose();
    }
  });
});

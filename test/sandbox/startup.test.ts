/**
 * Start-up: what the first run of a new sandbox sees when the QuickJS WASM cannot be loaded, and
 * that runs sent before the worker is ready start only from the prepared (tamed, snapshotted)
 * context. The failure test must be the first in its page to load the WASM (the compiled module is
 * cached per page once it compiled); a module that compiles but cannot be instantiated is in
 * startup-instantiate.test.ts, a page of its own.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSandbox } from '../../src/index.js';
import { rejectsWith } from './helpers.js';

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
});

/** Answers the page's fetch of the QuickJS WASM with `answer`; every other fetch goes through. */
function interceptWasm(answer: () => Response): void {
  globalThis.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    return /\.wasm(\?|$)/.test(url) ? Promise.resolve(answer()) : realFetch(input, init);
  };
}

describe('start-up failures', () => {
  it('a failed WASM fetch fails the run with WORKER_CRASHED naming the file, and a later sandbox loads it', async () => {
    interceptWasm(() => new Response('gone', { status: 404 }));
    const broken = createSandbox();
    try {
      const error = await rejectsWith(broken.run('1 + 1'), 'WORKER_CRASHED');
      expect(error.message).toMatch(/worker failed to start: could not load QuickJS WASM from .*\.wasm.*: HTTP 404/);
    } finally {
      await broken.dispose();
    }
    // The failure is not cached: with the network back, a new sandbox compiles and runs.
    globalThis.fetch = realFetch;
    const next = createSandbox();
    try {
      expect((await next.run('1 + 1')).value).toBe(2);
    } finally {
      await next.dispose();
    }
  });
});

describe('runs sent before the worker is ready', () => {
  it('the first guest code meets the tamed context, and what it changes does not reach the next run', async () => {
    // Only the prelude's taming stands between the guest and eval: the rules that catch it statically are off.
    const box = createSandbox({ workers: 1, policy: { validation: { disabledRules: ['no-eval', 'no-prototype-write'] } } });
    try {
      // All three are queued at once, before the worker has instantiated QuickJS or taken its snapshot.
      const [evalRun, pollute, probe] = await Promise.allSettled([
        box.run('eval("1 + 1")'),
        box.run('Object.prototype.polluted = 1; globalThis.leaked = 2; Math.random = () => 4; 1'),
        box.run("[typeof leaked, 'polluted' in {}, Math.random() === 4]"),
      ]);
      expect(evalRun.status).toBe('rejected');
      const error = await rejectsWith(Promise.reject((evalRun as PromiseRejectedResult).reason), 'GUEST_ERROR');
      expect(error.message).toContain('eval is disabled');
      expect(pollute).toMatchObject({ status: 'fulfilled', value: { value: 1 } });
      expect(probe).toMatchObject({ status: 'fulfilled', value: { value: ['undefined', false, false] } });
    } finally {
      await box.dispose();
    }
  });

  it('the first run of a sandbox with setup code sees the setup globals, tamed', async () => {
    const box = createSandbox({ workers: 1, setup: 'globalThis.answer = eval("6 * 7");', policy: { validation: { disabledRules: ['no-eval'] } } });
    try {
      const [first, second] = await Promise.all([box.run('answer'), box.run('answer = 0; answer')]);
      expect([first.value, second.value]).toEqual([42, 0]);
      expect((await box.run('answer')).value).toBe(42);
      await rejectsWith(box.run('eval("1")'), 'GUEST_ERROR');
    } finally {
      await box.dispose();
    }
  });
});

/**
 * Start-up: a WASM module that the page compiles but the worker cannot instantiate fails the first
 * run with WORKER_CRASHED, not a run that waits forever (the QuickJS glue waits for its
 * instantiation callback and never hears of a failure on its own). A page of its own: the broken
 * module stays cached as this page's compiled QuickJS.
 */
import { describe, expect, it } from 'vitest';
import { createSandbox } from '../../src/index.js';
import { rejectsWith } from './helpers.js';

/** A valid module importing a function `zz.zz`, which the glue does not provide: compiles, never links. */
const UNLINKABLE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type section: () => ()
  0x02, 0x09, 0x01, 0x02, 0x7a, 0x7a, 0x02, 0x7a, 0x7a, 0x00, 0x00, // import section: func zz.zz
]);

describe('start-up failures', () => {
  it('a module the worker cannot instantiate fails the run with WORKER_CRASHED instead of hanging', async () => {
    const realFetch = globalThis.fetch;
    globalThis.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      return /\.wasm(\?|$)/.test(url)
        ? Promise.resolve(new Response(UNLINKABLE, { headers: { 'content-type': 'application/wasm' } }))
        : realFetch(input, init);
    };
    const box = createSandbox({ workers: 1 });
    try {
      const error = await rejectsWith(box.run('1 + 1'), 'WORKER_CRASHED');
      expect(error.message).toMatch(/^worker failed to start: .*zz/);
      // The sandbox stays usable as an object: another run fails the same way, promptly.
      await rejectsWith(box.run('2'), 'WORKER_CRASHED');
    } finally {
      globalThis.fetch = realFetch;
      await box.dispose();
    }
  });
});

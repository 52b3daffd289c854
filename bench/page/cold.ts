/**
 * The cold row: import + create + first result in a fresh page. The clock starts before the engine's
 * code is imported (this module imports none of it), so each sample pays for fetching, parsing and
 * compiling the engine's JavaScript and WASM, starting its workers and the first run. bench/run.mjs
 * opens a fresh browser context per sample (empty HTTP and code caches).
 */
import { CODE, describe } from './measure.js';
import { USER, pipeline, type Lib } from './pipeline.js';

/** Where bench/run.mjs serves the separately built cold SDK (bench/page/cold-sdk.ts). */
const COLD_SDK_URL = '/cold-app/cold-sdk.js';
import type { PeerId, RowResult } from './types.js';

async function quickcage(full: boolean): Promise<RowResult> {
  performance.mark('cold:start');
  const t0 = performance.now();
  // Built apart by bench/run.mjs (only what an app with the full pipeline imports; see cold-sdk.ts).
  const lib = (await import(/* @vite-ignore */ COLD_SDK_URL)) as Lib;
  performance.mark('cold:imported');
  const wiring = pipeline(lib, full);
  const sandbox = lib.createSandbox(wiring.options);
  try {
    const out = await sandbox.run(CODE.tiny, { user: USER });
    const ms = performance.now() - t0;
    performance.mark('cold:end');
    if (out.value !== 2) throw new Error(`expected 2, got ${JSON.stringify(out.value)}`);
    return { status: 'ok', unit: 'ms', samples: [ms] };
  } finally {
    await sandbox.dispose();
    await wiring.dispose();
  }
}

async function raw(): Promise<RowResult> {
  performance.mark('cold:start');
  const t0 = performance.now();
  const { coldRun } = await import('./peers/raw.js');
  performance.mark('cold:imported');
  const done = await coldRun();
  const ms = performance.now() - t0;
  performance.mark('cold:end');
  done();
  return { status: 'ok', unit: 'ms', samples: [ms], note: 'import + new Worker + WASM compile in the worker + first run' };
}

async function sebastianwessel(): Promise<RowResult> {
  const t0 = performance.now();
  const { coldRun } = await import('./peers/sebastianwessel.js');
  await coldRun();
  const ms = performance.now() - t0;
  return { status: 'ok', unit: 'ms', samples: [ms], note: 'import + loadQuickJs + first run, on the page thread' };
}

/** One cold sample for `peer`, or undefined when the peer measures the row itself (the floors). */
export async function cold(peer: PeerId): Promise<RowResult | undefined> {
  try {
    switch (peer) {
      case 'quickcage':
        return await quickcage(false);
      case 'quickcageFull':
        return await quickcage(true);
      case 'raw':
        return await raw();
      case 'sebastianwessel':
        return await sebastianwessel();
      default:
        return undefined;
    }
  } catch (error) {
    return { status: 'error', error: describe(error) };
  }
}

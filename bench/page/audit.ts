/**
 * The audit row: how much page-thread time the audit record + quota check add per run. bench/run.mjs
 * drives it: `setup` creates the arms in one page, then it alternates `batch(arm, n)` calls and reads
 * the page's main-thread CPU time (the DevTools protocol's `Performance.getMetrics` `ThreadTime`)
 * before and after each. The full pipeline's time per run minus the default sandbox's, batch pair by
 * batch pair, is what the audit log and the rate limiter cost the page, wherever in quickcage that
 * work happens (hashing, records, quota leases, IndexedDB requests, the garbage they leave).
 */
import * as lib from '../../src/index.js';
import { CODE } from './measure.js';
import { USER, pipeline, type Pipeline } from './pipeline.js';
import { rawTiny } from './peers/raw.js';

/** Idle time after each batch, so IndexedDB callbacks and timers a batch started land in its own batch. */
const SETTLE_MS = 50;
const WARM_UP = 200;

interface Arm {
  run(): Promise<void>;
  settle(): Promise<void>;
  dispose(): Promise<void>;
}

const arms = new Map<string, Arm>();

async function sandboxArm(full: boolean): Promise<Arm> {
  const wiring: Pipeline = pipeline(lib, full);
  const sandbox = lib.createSandbox(wiring.options);
  await sandbox.ready();
  return {
    async run() {
      const out = await sandbox.run(CODE.tiny, { user: USER });
      if (out.value !== 2) throw new Error(`expected 2, got ${JSON.stringify(out.value)}`);
    },
    settle: () => wiring.flush(),
    async dispose() {
      await sandbox.dispose();
      await wiring.dispose();
    },
  };
}

async function rawArm(): Promise<Arm> {
  const w = await rawTiny();
  return { run: () => w.run(), settle: async () => undefined, dispose: async () => w.dispose() };
}

/**
 * Creates the arms and warms each up: `quickcage` (default sandbox), `quickcageFull` (full pipeline),
 * `raw`, and `control`, a second default sandbox: its difference to `quickcage` is the method's own
 * noise floor (it would be 0 with a perfect measurement).
 */
export async function setup(ids: string[]): Promise<void> {
  for (const id of ids) {
    const arm = id === 'raw' ? await rawArm() : await sandboxArm(id === 'quickcageFull');
    arms.set(id, arm);
    for (let i = 0; i < WARM_UP; i++) await arm.run();
    await arm.settle();
  }
}

/** `n` runs back to back on one arm, then its audit records written and a short idle. */
export async function batch(id: string, n: number): Promise<void> {
  const arm = arms.get(id);
  if (!arm) throw new Error(`no arm ${id}`);
  for (let i = 0; i < n; i++) await arm.run();
  await arm.settle();
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
}

export async function teardown(): Promise<void> {
  for (const arm of arms.values()) await arm.dispose();
  arms.clear();
}

/**
 * A worker terminated for a run (watchdog or abort) leaves a `worker_recycled` record carrying that
 * run's id and user, and the run's own record says its worker was terminated and points at it.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { createSandbox } from '../../src/index.js';
import { makeLog } from './helpers.js';

// One long native builtin: no interrupt check inside, so only terminating the worker stops it.
const STUCK = 'const s = "9".repeat(300000); [BigInt(s), BigInt(s), BigInt(s), BigInt(s)].length';

describe('kills are linked to the run and its user', () => {
  const boxes: { dispose(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const box of boxes) await box.dispose();
  });

  test('watchdog: timeout_exceeded says the worker was terminated and names the worker_recycled event', async () => {
    const log = await makeLog();
    const box = createSandbox({ audit: log });
    boxes.push(box);
    const error = await box.run(STUCK, { timeoutMs: 50, user: 'mallory' }).catch((e: { runId: string; code: string }) => e);
    expect(error).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    const events = await log.query({ runId: (error as { runId: string }).runId });
    const recycled = events.find((e) => e.type === 'worker_recycled');
    const timeout = events.find((e) => e.type === 'timeout_exceeded');
    expect(recycled).toMatchObject({ user: 'mallory', details: { reason: 'watchdog' } });
    expect(timeout).toMatchObject({ user: 'mallory', details: { workerTerminated: true, terminationReason: 'watchdog', workerRecycledEventId: recycled!.id } });
    // The next run is unaffected and its record carries no kill.
    const ok = await box.run('1 + 1', { user: 'mallory' });
    expect(ok.value).toBe(2);
    const [next] = await log.query({ runId: ok.runId });
    expect(next!.details).not.toHaveProperty('workerTerminated');
  });

  test('an abort that lands while a fresh sandbox is still starting its worker ends the run with ABORTED', async () => {
    const box = createSandbox();
    boxes.push(box);
    const controller = new AbortController();
    const running = box.run(STUCK, { timeoutMs: 10_000, signal: controller.signal }).then(() => 'finished', (e: { code: string }) => e.code);
    // Whenever it lands (queued, worker starting, running), the run must not finish normally.
    setTimeout(() => controller.abort(), 100);
    expect(await running).toBe('ABORTED');
  });

  test('abort: the worker_recycled record names the aborted run and user', async () => {
    const log = await makeLog();
    const box = createSandbox({ audit: log });
    boxes.push(box);
    await box.ready(); // the abort must land while the builtin runs, not while a worker boots
    const controller = new AbortController();
    const running = box.run(STUCK, { timeoutMs: 10_000, user: 'eve', signal: controller.signal }).catch((e: { runId: string; code: string }) => e);
    setTimeout(() => controller.abort(), 100);
    const error = await running;
    expect(error).toMatchObject({ code: 'ABORTED' });
    const events = await log.query({ runId: (error as { runId: string }).runId });
    const recycled = events.find((e) => e.type === 'worker_recycled');
    expect(recycled).toMatchObject({ user: 'eve', details: { reason: 'aborted' } });
    expect(events.find((e) => e.type !== 'worker_recycled')?.details).toMatchObject({ workerTerminated: true, terminationReason: 'aborted', workerRecycledEventId: recycled!.id });
  });
});

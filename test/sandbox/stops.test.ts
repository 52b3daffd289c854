/**
 * A guest the engine stops (deadline, abort, console flood) ends with the stop's own code, whether
 * QuickJS was interrupted while evaluating the script or while running its promise jobs, in one-shot
 * and session runs. The engine returns a stop instead of throwing it (worker/engine/run.ts
 * `Executed`): these tests pin that every stop still reaches the caller as its code, never as the
 * guest's error or a worker fault, and that the worker serves the next run.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createSandbox } from '../../src/index.js';
import { rejectsWith } from './helpers.js';

// A generous watchdog grace: the worker's own interrupt must win, so no worker is ever terminated.
const sandbox = createSandbox({ policy: { limits: { timeoutMs: 1000, maxLogBytes: 4096 } }, watchdogGraceMs: 1500 });
afterAll(() => sandbox.dispose());

async function nextRunWorks(): Promise<void> {
  expect((await sandbox.run('[1, 2, 3].reduce((a, b) => a + b)')).value).toBe(6);
}

/** The same stop, reached while evaluating the script and while running promise jobs after an await. */
const WHERE = [
  ['evaluating the script', (body: string) => body],
  ['running promise jobs', (body: string) => `await null; ${body}`],
] as const;

describe('a stopped guest ends with the stop, not with the error QuickJS raised for it', () => {
  it.each(WHERE)('deadline while %s', async (_, at) => {
    // The guest catches and swallows its own errors in the loop: the interrupt is not one of them.
    const code = at('for (;;) { try { throw new Error("mine"); } catch (e) {} }');
    const error = await rejectsWith(sandbox.run(code, { timeoutMs: 150 }), 'DEADLINE_EXCEEDED');
    expect(error.details.workerTerminated).toBeUndefined();
    expect(error.message).not.toMatch(/mine|interrupted/);
    await nextRunWorks();
  });

  it.each(WHERE)('console flood while %s', async (_, at) => {
    const error = await rejectsWith(sandbox.run(at('for (;;) console.log("x".repeat(100));')), 'OUTPUT_TOO_LARGE');
    expect(error.logs.length).toBeGreaterThan(0);
    await nextRunWorks();
  });

  it.each(WHERE)('abort while %s', async (_, at) => {
    const controller = new AbortController();
    const run = sandbox.run(at('console.log("started"); for (;;) {}'), { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await rejectsWith(run, 'ABORTED');
    await nextRunWorks();
  });

  it('a guest that throws its own error (no stop) still gets GUEST_ERROR with its message', async () => {
    const error = await rejectsWith(sandbox.run('throw new RangeError("mine")'), 'GUEST_ERROR');
    expect(error.message).toBe('RangeError: mine');
    const later = await rejectsWith(sandbox.run('await null; throw new TypeError("later")'), 'GUEST_ERROR');
    expect(later.message).toBe('TypeError: later');
  });

  it('a session run stopped at its deadline keeps the session: its globals survive, the next run works', async () => {
    await using session = await sandbox.session();
    await session.run('var kept = 41;');
    await rejectsWith(session.run('kept++; for (;;) {}', { timeoutMs: 150 }), 'DEADLINE_EXCEEDED');
    await rejectsWith(session.run('await null; kept++; for (;;) {}', { timeoutMs: 150 }), 'DEADLINE_EXCEEDED');
    expect((await session.run('kept')).value).toBe(43);
  });

  it('a stopped one-shot run leaves nothing for the next one', async () => {
    await rejectsWith(sandbox.run('globalThis.leftover = 1; for (;;) {}', { timeoutMs: 150 }), 'DEADLINE_EXCEEDED');
    expect((await sandbox.run('typeof leftover')).value).toBe('undefined');
  });
});

/**
 * Fuzzing the engine with generated hostile programs (issue 16), in real Chromium.
 *
 * Invariants, checked after every program: the run ends with a value or a typed error code (the
 * watchdog bounds it by deadline + grace); no WASM-level fault (`WORKER_CRASHED`, `poisoned`), no
 * module rebuild, no `worker_recycled` event other than the watchdog's or a host abort's (a long
 * native builtin is stopped by terminating the worker, by design); no host-side error shown as the
 * guest's own (`GUEST_ERROR` naming a detached buffer, a trap or an abort); the next run on the same
 * sandbox (and session) works. Every 20 programs and at the end: no leaked QuickJS handle.
 *
 * The normal test command runs a short seeded fuzz. Long runs: `npm run fuzz -- --minutes N`
 * (scripts/fuzz.mjs passes VITE_QUICKCAGE_FUZZ_MINUTES / VITE_QUICKCAGE_FUZZ_SEED).
 */
import fc from 'fast-check';
import { afterAll, expect, it } from 'vitest';
import { ERROR_CODES, createSandbox, isSandboxError, type Sandbox, type Session } from '../../src/index.js';
import { programs, type FuzzProgram } from './programs.js';

const env = import.meta.env as Record<string, string | undefined>;
const MINUTES = Number(env.VITE_QUICKCAGE_FUZZ_MINUTES ?? 0);
const SEED = Number(env.VITE_QUICKCAGE_FUZZ_SEED ?? 1616);
const SHORT_RUNS = 24;

/** Messages that can only come from the host or the WASM itself, never from these programs. */
const HOST_SIGNATURES = /detached|%TypedArray%|out of bounds|Aborted\(|RuntimeError|unreachable|Lifetime not alive|QuickJSContext|not found for C function|Maximum call stack/i;

interface Recorded {
  type: string;
  details?: Record<string, unknown>;
}

const events: Recorded[] = [];
const tools = { names: () => ['echo'], invoke: async (_name: string, args: unknown) => args };
const STACKS = [16 * 1024, 32 * 1024, 64 * 1024];
const sandboxes: Sandbox[] = STACKS.map((maxStackBytes) => createSandbox({
  tools,
  policy: { limits: { timeoutMs: 300, memoryLimitBytes: 16 * 1024 * 1024, maxStackBytes } },
  watchdogGraceMs: 2000,
  audit: { record: (e) => void events.push(e as Recorded) },
}));
const sessions = new Map<Sandbox, Session>();
afterAll(() => Promise.all(sandboxes.map((s) => s.dispose())));

const tally = new Map<string, number>();
let ran = 0;

async function sessionOf(sandbox: Sandbox): Promise<Session> {
  let session = sessions.get(sandbox);
  if (!session) {
    session = await sandbox.session();
    sessions.set(sandbox, session);
  }
  return session;
}

/** Runs one program and checks every invariant; throws (with the reason) when one fails. */
async function check(program: FuzzProgram): Promise<void> {
  const sandbox = sandboxes[program.stack]!;
  const target: Pick<Sandbox, 'run'> = program.session ? await sessionOf(sandbox) : sandbox;
  const before = events.length;
  // Counted per program (not since the start), so a failure shrinks to the program that caused it.
  const rebuildsBefore = (await sandbox.workerInfo()).map((info) => info.moduleRebuilds);
  const controller = new AbortController();
  const timer = program.abortAfterMs === null ? undefined : setTimeout(() => controller.abort(), program.abortAfterMs);
  let outcome: string;
  try {
    await target.run(program.code, { signal: controller.signal });
    outcome = 'ok';
  } catch (error) {
    if (!isSandboxError(error)) throw new Error(`not a typed error: ${String(error)}`, { cause: error });
    outcome = error.code;
    if (env.VITE_QUICKCAGE_FUZZ_VERBOSE) console.log(`FUZZ ${error.code}: ${error.message.slice(0, 160)}\n${program.code.slice(0, 400)}`);
    expect(ERROR_CODES).toContain(error.code);
    expect(error.code, error.message).not.toBe('WORKER_CRASHED');
    expect(error.details.poisoned, error.message).toBeUndefined();
    if (error.code === 'GUEST_ERROR') expect(error.message).not.toMatch(HOST_SIGNATURES);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
  tally.set(outcome, (tally.get(outcome) ?? 0) + 1);
  const recycled = events.slice(before).filter((e) => e.type === 'worker_recycled' && e.details?.reason !== 'watchdog' && e.details?.reason !== 'aborted');
  expect(recycled, JSON.stringify(recycled)).toEqual([]);
  // The next run works: a fresh context always; a session either serves or was closed cleanly.
  expect((await sandbox.run('[1, 2, 3].reduce((a, b) => a + b)')).value).toBe(6);
  if (program.session) {
    const next = await sessions.get(sandbox)!.run('1 + 1').then((r) => r.value, (e: unknown) => (isSandboxError(e) ? `${e.code}: ${e.message}` : String(e)));
    // Closed cleanly (the module intact): a session that held the worker's memory or whose jobs
    // kept re-arming. A session lost to a module rebuild fails the rebuild check below anyway.
    // A host abort that the worker did not honour in time terminates the worker (by design, like the
    // watchdog); its session goes with it.
    if (typeof next === 'string' && next.startsWith('SESSION_LOST') && (next.includes('was closed') || next.includes('aborted; its worker was terminated'))) sessions.delete(sandbox);
    else expect(next, JSON.stringify(events.slice(before))).toBe(2);
  }
  expect((await sandbox.workerInfo()).map((info) => info.moduleRebuilds)).toEqual(rebuildsBefore);
  if (++ran % 20 === 0) await noLeaks();
}

async function noLeaks(): Promise<void> {
  sessions.clear();
  for (const sandbox of sandboxes) {
    for (const report of await sandbox.leakCheck()) expect(report).toEqual({ leaked: false, detail: '' });
  }
}

it(MINUTES > 0 ? `fuzz for ${MINUTES} minutes (seed ${SEED})` : `a short seeded fuzz (${SHORT_RUNS} programs, seed ${SEED})`, async () => {
  await fc.assert(fc.asyncProperty(programs, check), {
    seed: SEED,
    numRuns: MINUTES > 0 ? 1_000_000_000 : SHORT_RUNS,
    ...(MINUTES > 0 ? { interruptAfterTimeLimit: MINUTES * 60_000, markInterruptAsFailure: false } : {}),
  });
  await noLeaks();
  console.log(`FUZZ ${ran} programs, outcomes ${JSON.stringify(Object.fromEntries(tally))}`);
}, MINUTES > 0 ? MINUTES * 60_000 + 300_000 : 240_000);

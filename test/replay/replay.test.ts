/**
 * Deterministic mode, recording and replay, in QuickJS: the same seed and clock give the same run;
 * a recorded run replays identically without the host; a changed tool result, other arguments, a
 * missing call or another outcome are reported where they happen.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { isSandboxError } from '../../src/errors.js';
import { definePolicy } from '../../src/policy.js';
import { replayRun } from '../../src/replay/replay.js';
import type { RunRecording } from '../../src/replay/recording.js';
import { createSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox.js';

const sandboxes: Sandbox[] = [];
afterAll(async () => { for (const s of sandboxes) await s.dispose(); });
const make = (options: SandboxOptions = {}) => {
  const sandbox = createSandbox({ standby: false, ...options });
  sandboxes.push(sandbox);
  return sandbox;
};

const CLOCK = 1_767_225_600_000; // 2026-01-01T00:00:00Z

describe('deterministic mode', () => {
  const sandbox = make();
  const code = `
    const order = [];
    setTimeout(() => order.push('a@20'), 20);
    setTimeout(() => order.push('b@10'), 10);
    setTimeout(() => order.push('c@10'), 10);
    const t0 = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 3_600_000));
    export default { random: [Math.random(), Math.random(), Math.random()], t0, slept: Date.now() - t0, iso: new Date().toISOString(), order };`;

  test('the same seed and clock give the same random numbers, times and timer order', async () => {
    const a = await sandbox.run(code, { deterministic: { seed: 42, clockStart: CLOCK } });
    const b = await sandbox.run(code, { deterministic: { seed: 42, clockStart: CLOCK } });
    expect(a.value).toEqual(b.value);
    const v = a.value as { t0: number; slept: number; iso: string; order: string[] };
    expect(v.t0).toBe(CLOCK);
    // An hour of sleep passes on the virtual clock at once; each clock read moves it by 1 ms.
    expect(v.slept).toBeGreaterThanOrEqual(3_600_000);
    expect(v.slept).toBeLessThan(3_600_010);
    expect(v.iso.startsWith('2026-01-01T01:00:00.')).toBe(true);
    expect(v.order).toEqual(['b@10', 'c@10', 'a@20']);
  });

  test('another seed gives other random numbers (near miss)', async () => {
    const a = await sandbox.run('[Math.random(), Math.random()]', { deterministic: { seed: 1 } });
    const b = await sandbox.run('[Math.random(), Math.random()]', { deterministic: { seed: 2 } });
    expect(a.value).not.toEqual(b.value);
    // Without deterministic mode the clock is real.
    const real = await sandbox.run('Date.now()');
    expect(Math.abs((real.value as number) - Date.now())).toBeLessThan(60_000);
  });

  test('bad deterministic options are rejected with the field named; sessions refuse it', async () => {
    for (const [deterministic, field] of [[{ seed: -1 }, 'options.deterministic.seed'], [{ seed: 1.5 }, 'options.deterministic.seed'], [{ seed: 1, clock: 0 }, 'options.deterministic.clock'], [{ seed: 1, clockStart: 'now' }, 'options.deterministic.clockStart']] as const) {
      const error = await sandbox.run('1', { deterministic: deterministic as never }).catch((e: unknown) => e);
      expect(isSandboxError(error) && error.code).toBe('INVALID_ARGUMENT');
      expect((error as { field?: string }).field).toBe(field);
    }
    await using session = await sandbox.session();
    await expect(session.run('1', { deterministic: { seed: 1 } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('record and replay', () => {
  const prices: Record<string, number> = { tea: 4, cake: 7 };
  const modules = { 'app:shop': { price: (arg: unknown) => prices[(arg as { sku: string }).sku] ?? null } };
  const program = `
    import { price } from 'app:shop';
    const basket = ['tea', 'cake'];
    let total = 0;
    for (const sku of basket) total += await price({ sku });
    await new Promise((r) => setTimeout(r, 500));
    const discount = Math.random() < 0.5 ? 0.1 : 0;
    export default { total, discount, at: new Date().toISOString() };`;

  const record = async () => {
    prices.tea = 4;
    const sandbox = make({ modules });
    const output = await sandbox.run(program, { record: true, deterministic: { seed: 7, clockStart: CLOCK } });
    return { sandbox, output, recording: output.recording! };
  };

  test('a recorded run replays identically without the host', async () => {
    const { output, recording } = await record();
    expect(recording.calls.map((c) => [c.target, JSON.parse(c.argsJson), c.result])).toEqual([
      ['app:shop#price', { sku: 'tea' }, { ok: true, valueJson: '4' }],
      ['app:shop#price', { sku: 'cake' }, { ok: true, valueJson: '7' }],
    ]);
    expect(recording.outcome).toEqual({ ok: true, valueJson: JSON.stringify(output.value) });
    // A sandbox with no host modules at all: the recording answers.
    const hostless = make();
    const report = await replayRun(hostless, JSON.parse(JSON.stringify(recording)) as RunRecording);
    expect(report).toEqual({ identical: true, outcome: recording.outcome, calls: 2 });
  });

  test('a changed tool result is reported as a divergence, at the call that changed', async () => {
    const { sandbox, recording } = await record();
    prices.tea = 5;
    const live = await replayRun(sandbox, recording, { tools: 'live' });
    expect(live.identical).toBe(false);
    expect(live.divergence).toMatchObject({ kind: 'result', index: 0, expected: { ok: true, value: 4 }, actual: { ok: true, value: 5 } });
    // The same recording against the unchanged host is identical (near miss).
    prices.tea = 4;
    expect((await replayRun(sandbox, recording, { tools: 'live' })).identical).toBe(true);
  });

  test('changed code diverges at the first call that differs; fewer calls and another outcome are reported', async () => {
    const { recording } = await record();
    const hostless = make();
    const otherArgs = { ...recording, code: recording.code.replace("['tea', 'cake']", "['tea', 'coffee']") };
    expect((await replayRun(hostless, otherArgs)).divergence).toMatchObject({ kind: 'call', index: 1, expected: { target: 'app:shop#price', args: { sku: 'cake' } }, actual: { args: { sku: 'coffee' } } });
    const fewer = { ...recording, code: recording.code.replace("['tea', 'cake']", "['tea']") };
    const report = await replayRun(hostless, fewer);
    expect(report.divergence).toMatchObject({ kind: 'missing-call', index: 1 });
    const otherSeed = { ...recording, deterministic: { seed: 8, clockStart: CLOCK } };
    const seeded = await replayRun(hostless, otherSeed);
    // Another seed may or may not flip the discount; the clock and calls still match, so either identical or an outcome divergence.
    expect(seeded.divergence === undefined || seeded.divergence.kind === 'outcome').toBe(true);
  });

  test('a failed run leaves its recording on the error, and the replay reproduces the failure', async () => {
    const sandbox = make({ modules });
    const error = await sandbox.run("import { price } from 'app:shop'; const p = await price({ sku: 'tea' }); throw new Error('boom ' + p);", { record: true, deterministic: { seed: 1 } }).catch((e: unknown) => e);
    expect(isSandboxError(error) && error.code).toBe('GUEST_ERROR');
    const recording = (error as { details: { recording: RunRecording } }).details.recording;
    expect(recording.outcome).toMatchObject({ ok: false, code: 'GUEST_ERROR' });
    expect(await replayRun(make(), recording)).toMatchObject({ identical: true, calls: 1 });
  });

  test('recordings pass through the guardrails before they leave the sandbox', async () => {
    const policy = definePolicy({ guardrails: { detectors: { email: 'redact' } } });
    const sandbox = make({ policy, modules: { 'app:crm': { owner: () => 'Owner: alice@example.com' } } });
    const output = await sandbox.run("import { owner } from 'app:crm'; // contact bob@example.com\nexport default (await owner({})).length;", { record: true });
    const text = JSON.stringify(output.recording);
    expect(text).not.toContain('alice@example.com');
    expect(text).not.toContain('bob@example.com');
    expect(output.recording!.redacted).toBe(true);
  });

  test('replayRun checks its input', async () => {
    const sandbox = make();
    await expect(replayRun(sandbox, {} as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const { recording } = await record();
    await expect(replayRun(sandbox, recording, { tools: 'host' as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(replayRun(sandbox, { ...recording, calls: [{ target: 1 }] } as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

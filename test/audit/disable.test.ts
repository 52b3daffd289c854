/**
 * Auto-disable: N violations of severity >= minSeverity by one user (or naming one tool) within a
 * window disable it with "multiple security violations", recorded as an event and persisted.
 */
import { describe, expect, test } from 'vitest';
import { createAuditLog, type AuditEvent } from '../../src/audit/index.js';
import { fakeClock, freshDbName, makeLog } from './helpers.js';

const config = { threshold: 3, windowMs: 60_000, minSeverity: 'high' as const };

describe('auto-disable', () => {
  test('the threshold-th violation disables the user and records user_disabled', async () => {
    const log = await makeLog({ autoDisable: config });
    for (let i = 0; i < 2; i++) log.record({ type: 'sandbox_violation', user: 'mallory', runId: `r${i}` });
    await log.flush();
    expect(log.isDisabled('user', 'mallory')).toBe(false); // near miss: one short
    log.record({ type: 'sandbox_violation', user: 'mallory', runId: 'r2' });
    await log.flush();
    expect(log.isDisabled('user', 'mallory')).toBe(true);
    expect(log.isDisabled('user', 'mallor')).toBe(false);
    const [event] = await log.query({ type: 'user_disabled' });
    expect(event).toMatchObject({
      user: 'mallory', severity: 'high',
      details: { reason: 'multiple security violations', violations: 3, threshold: 3, windowMs: 60_000, automatic: true },
    });
    expect(log.disabledEntries()).toEqual([expect.objectContaining({ kind: 'user', id: 'mallory', disabled: true, reason: 'multiple security violations' })]);
  });

  test('is recorded once, not again for later violations', async () => {
    const log = await makeLog({ autoDisable: config });
    for (let i = 0; i < 8; i++) log.record({ type: 'suspicious_pattern', user: 'u', runId: `r${i}` });
    await log.flush();
    expect(await log.query({ type: 'user_disabled' })).toHaveLength(1);
  });

  test.each([
    ['below minSeverity (medium)', { type: 'validation_failure' as const }],
    ['not a violation type, even if high (tool_created)', { type: 'tool_created' as const, severity: 'high' as const }],
  ])('events %s do not count', async (_name, event) => {
    const log = await makeLog({ autoDisable: config });
    for (let i = 0; i < 5; i++) log.record({ ...event, user: 'u', runId: `r${i}` });
    await log.flush();
    expect(log.isDisabled('user', 'u')).toBe(event.type === 'tool_created');
  });

  test('violations spread wider than the window do not add up', async () => {
    const clock = fakeClock();
    const log = await makeLog({ now: clock.now, autoDisable: config });
    for (let i = 0; i < 5; i++) {
      log.record({ type: 'sandbox_violation', user: 'slow', runId: `r${i}` });
      await log.flush();
      clock.advance(30_001);
    }
    expect(log.isDisabled('user', 'slow')).toBe(false);
  });

  test('a flood aggregate counts as its number of occurrences', async () => {
    const log = await makeLog({ autoDisable: config, aggregate: { threshold: 1, windowMs: 60_000 } });
    for (let i = 0; i < 10; i++) log.record({ type: 'sandbox_violation', user: 'flooder', runId: 'one-run' });
    await log.flush();
    expect(log.isDisabled('user', 'flooder')).toBe(true);
  });

  test('disables a tool named in violations, recorded as tool_disabled', async () => {
    const log = await makeLog({ autoDisable: config });
    for (let i = 0; i < 3; i++) log.record({ type: 'sandbox_violation', tool: 'evilTool', user: `u${i}` });
    await log.flush();
    expect(log.isDisabled('tool', 'evilTool')).toBe(true);
    expect(log.isDisabled('user', 'u0')).toBe(false);
    expect((await log.query({ type: 'tool_disabled' }))[0]).toMatchObject({ tool: 'evilTool', details: { reason: 'multiple security violations' } });
  });

  test('tools: false leaves tools alone', async () => {
    const log = await makeLog({ autoDisable: { ...config, tools: false } });
    for (let i = 0; i < 3; i++) log.record({ type: 'sandbox_violation', tool: 'evilTool', user: `u${i}` });
    await log.flush();
    expect(log.isDisabled('tool', 'evilTool')).toBe(false);
  });

  test('is persisted: a new instance knows after ready', async () => {
    const dbName = freshDbName();
    const first = createAuditLog({ dbName, lifecycle: false, autoDisable: config });
    for (let i = 0; i < 3; i++) first.record({ type: 'sandbox_violation', user: 'm' });
    await first.dispose();
    const second = createAuditLog({ dbName, lifecycle: false });
    try {
      await second.ready;
      expect(second.isDisabled('user', 'm')).toBe(true);
    } finally {
      await second.dispose();
    }
  });

  test('another instance (tab) learns of the decision through the channel', async () => {
    const dbName = freshDbName();
    const a = await makeLog({ dbName, autoDisable: config });
    const b = await makeLog({ dbName, autoDisable: config });
    const seen = new Promise<AuditEvent>((resolve) => b.subscribe((e) => { if (e.type === 'user_disabled') resolve(e); }));
    for (let i = 0; i < 3; i++) a.record({ type: 'sandbox_violation', user: 'cross' });
    await a.flush();
    await seen;
    expect(b.isDisabled('user', 'cross')).toBe(true);
  });

  test('violations from two tabs add up, and only one user_disabled is written', async () => {
    const dbName = freshDbName();
    const a = await makeLog({ dbName, autoDisable: config });
    const b = await makeLog({ dbName, autoDisable: config });
    a.record({ type: 'sandbox_violation', user: 'both' });
    b.record({ type: 'sandbox_violation', user: 'both' });
    a.record({ type: 'sandbox_violation', user: 'both' });
    b.record({ type: 'sandbox_violation', user: 'both' });
    await Promise.all([a.flush(), b.flush()]);
    expect(await a.query({ type: 'user_disabled' })).toHaveLength(1);
  });

  test('enable() re-enables, is recorded, and earlier violations stop counting', async () => {
    const log = await makeLog({ autoDisable: config });
    for (let i = 0; i < 3; i++) log.record({ type: 'sandbox_violation', user: 'm' });
    await log.flush();
    await log.enable('user', 'm', { by: 'admin@example' });
    expect(log.isDisabled('user', 'm')).toBe(false);
    expect((await log.query({ type: 'user_enabled' }))[0]).toMatchObject({ user: 'm', details: { action: 'enable', kind: 'user', id: 'm', by: 'admin@example' } });
    log.record({ type: 'sandbox_violation', user: 'm' });
    await log.flush();
    expect(log.isDisabled('user', 'm')).toBe(false);
    log.record({ type: 'sandbox_violation', user: 'm' });
    log.record({ type: 'sandbox_violation', user: 'm' });
    await log.flush();
    expect(log.isDisabled('user', 'm')).toBe(true);
  });

  test('disable() by hand is recorded and persisted', async () => {
    const log = await makeLog();
    await log.disable('tool', 'sketchy', { reason: 'manual review', by: 'ops' });
    expect(log.isDisabled('tool', 'sketchy')).toBe(true);
    expect((await log.query({ type: 'tool_disabled' }))[0]).toMatchObject({ tool: 'sketchy', details: { reason: 'manual review', by: 'ops', automatic: false } });
    expect((await log.verify()).ok).toBe(true);
  });

  test('rejects bad arguments with the field named', async () => {
    const log = await makeLog();
    await expect(log.disable('group' as never, 'x')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'kind' });
    await expect(log.enable('user', '')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'id' });
    await expect(log.disable('user', 'x', { why: 'x' } as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'options.why' });
  });
});

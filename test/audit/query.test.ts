/** query(), hourlySummary(), riskScore(), exportJsonl() and subscribe() over real IndexedDB. */
import { describe, expect, test } from 'vitest';
import { type AuditEvent } from '../../src/audit/index.js';
import { canonicalJson } from '../../src/audit/model.js';
import { sha256Hex } from '../../src/sha256.js';
import { ANY_LINE_BREAK, fakeClock, freshDbName, makeLog } from './helpers.js';

const HOUR = 3_600_000;

async function seeded() {
  const clock = fakeClock(Date.UTC(2025, 0, 1, 10, 0, 0));
  const log = await makeLog({ now: clock.now, aggregate: false, autoDisable: false });
  const t0 = clock.now();
  log.record({ type: 'execution', user: 'alice', runId: 'r1' });
  clock.advance(10 * 60_000);
  log.record({ type: 'tool_call', user: 'alice', tool: 'fetch', runId: 'r1' });
  clock.advance(HOUR);
  log.record({ type: 'sandbox_violation', user: 'bob', runId: 'r2' });
  clock.advance(60_000);
  log.record({ type: 'validation_failure', user: 'alice', runId: 'r3' });
  log.record({ type: 'tool_call', user: 'bob', tool: 'readFile', severity: 'critical' });
  await log.flush();
  return { log, clock, t0 };
}

describe('query()', () => {
  test('returns the most recent first, 100 by default', async () => {
    const { log } = await seeded();
    const events = await log.query();
    expect(events.map((e) => e.seq)).toEqual([5, 4, 3, 2, 1]);
  });

  test.each<[string, object, number[]]>([
    ['user', { user: 'alice' }, [4, 2, 1]],
    ['tool', { tool: 'fetch' }, [2]],
    ['type', { type: 'tool_call' }, [5, 2]],
    ['several types', { type: ['execution', 'sandbox_violation'] }, [3, 1]],
    ['severity', { severity: 'high' }, [3]],
    ['several severities', { severity: ['high', 'critical'] }, [5, 3]],
    ['user and type', { user: 'bob', type: 'tool_call' }, [5]],
    ['limit', { limit: 2 }, [5, 4]],
    ['an unknown user (near miss of alice)', { user: 'alic' }, []],
  ])('filters by %s', async (_name, filter, seqs) => {
    const { log } = await seeded();
    expect((await log.query(filter)).map((e) => e.seq)).toEqual(seqs);
  });

  test('filters by an inclusive time window', async () => {
    const { log, t0 } = await seeded();
    expect((await log.query({ since: t0 + 10 * 60_000, until: t0 + 10 * 60_000 + HOUR })).map((e) => e.seq)).toEqual([3, 2]);
    expect((await log.query({ since: t0 + 10 * 60_000 + 1, until: t0 + 10 * 60_000 + HOUR - 1 })).map((e) => e.seq)).toEqual([]);
  });

  test('returned events are copies: editing one does not edit the log', async () => {
    const { log } = await seeded();
    const [event] = await log.query();
    event!.user = 'changed';
    expect((await log.query())[0]!.user).toBe('bob');
    expect((await log.verify()).ok).toBe(true);
  });
});

describe('hourlySummary()', () => {
  test('counts occurrences per UTC hour, type and severity', async () => {
    const { log, t0 } = await seeded();
    expect(await log.hourlySummary()).toEqual([
      { hour: t0, type: 'execution', severity: 'low', count: 1 },
      { hour: t0, type: 'tool_call', severity: 'low', count: 1 },
      { hour: t0 + HOUR, type: 'sandbox_violation', severity: 'high', count: 1 },
      { hour: t0 + HOUR, type: 'tool_call', severity: 'critical', count: 1 },
      { hour: t0 + HOUR, type: 'validation_failure', severity: 'medium', count: 1 },
    ]);
    expect(await log.hourlySummary({ since: t0 + HOUR })).toHaveLength(3);
  });

  test('rejects a bad range with the field named', async () => {
    const { log } = await seeded();
    await expect(log.hourlySummary({ since: 5, until: 1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'range.until' });
    await expect(log.hourlySummary({ limit: 1 } as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'range.limit' });
  });
});

describe('riskScore()', () => {
  test('sums severity weights of violations with a one-hour half-life', async () => {
    const clock = fakeClock();
    const log = await makeLog({ now: clock.now, aggregate: false, autoDisable: false });
    const now = clock.now();
    log.record({ type: 'sandbox_violation', user: 'u' }); // high 5
    log.record({ type: 'execution', user: 'u' }); // routine: not counted
    log.record({ type: 'sandbox_violation', user: 'other' });
    await log.flush();
    expect(await log.riskScore('u', { now })).toEqual({ user: 'u', score: 5, level: 'medium', events: 1, at: now });
    const later = await log.riskScore('u', { now: now + 3_600_000 });
    expect(later.score).toBeCloseTo(2.5, 10);
    expect((await log.riskScore('u', { now: now + 2 * 3_600_000 })).level).toBe('low');
    expect((await log.riskScore('u', { now: now - 1 })).score).toBe(0); // future events do not count
  });

  test.each([
    [['critical', 'critical', 'critical'], 30, 'critical'],
    [['critical'], 10, 'high'],
    [['high', 'high'], 10, 'high'],
    [['medium'], 2, 'medium'],
    [['low', 'low', 'low'], 1.5, 'low'],
  ] as const)('violations %j score %d: level %s', async (severities, score, level) => {
    const clock = fakeClock();
    const log = await makeLog({ now: clock.now, aggregate: false, autoDisable: false });
    for (const severity of severities) log.record({ type: 'suspicious_pattern', severity, user: 'u' });
    const risk = await log.riskScore('u');
    expect(risk.score).toBe(score);
    expect(risk.level).toBe(level);
  });

  test('an aggregate counts as its number of occurrences', async () => {
    const clock = fakeClock();
    const log = await makeLog({ now: clock.now, aggregate: { threshold: 1, windowMs: 60_000 }, autoDisable: false });
    for (let i = 0; i < 10; i++) log.record({ type: 'validation_failure', user: 'u' });
    expect(await log.riskScore('u')).toMatchObject({ score: 20, events: 10, level: 'high' });
  });

  test('custom weights and half-life apply', async () => {
    const clock = fakeClock();
    const log = await makeLog({ now: clock.now, risk: { weights: { high: 1 }, halfLifeMs: 1000 }, aggregate: false, autoDisable: false });
    log.record({ type: 'sandbox_violation', user: 'u' });
    clock.advance(2000);
    expect((await log.riskScore('u')).score).toBeCloseTo(0.25, 10);
  });
});

describe('exportJsonl()', () => {
  test('one canonical line per event in chain order; each line re-hashes to its hash', async () => {
    const { log } = await seeded();
    const text = await log.exportJsonl();
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(5);
    const events = lines.map((line) => JSON.parse(line) as AuditEvent);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    for (const [i, event] of events.entries()) {
      const { hash, ...rest } = event;
      expect(sha256Hex(canonicalJson(rest))).toBe(hash);
      expect(lines[i]).toBe(canonicalJson(event));
    }
    expect((await log.exportJsonl({ user: 'bob' })).trim().split('\n')).toHaveLength(2);
    expect(await log.exportJsonl({ user: 'nobody' })).toBe('');
  });

  test('guest strings that try to start a new line stay inside their own entry', async () => {
    const log = await makeLog({ aggregate: false });
    const forged = `x"}\n{"seq":99,"type":"execution","user":"admin"}\u2028{"seq":100}\r\u0085`;
    log.record({ type: 'tool_call', user: `mallory\n${forged}`, tool: forged, details: { arg: forged } });
    log.record({ type: 'execution', user: 'next' });
    const lines = (await log.exportJsonl()).split(ANY_LINE_BREAK).filter(Boolean);
    expect(lines).toHaveLength(2);
    const first = JSON.parse(lines[0]!) as AuditEvent;
    expect(first.details!.arg).toBe(forged);
    expect(first.user).toBe(`mallory\n${forged}`);
    expect(JSON.parse(lines[1]!)).toMatchObject({ seq: 2, user: 'next' });
  });
});

describe('subscribe()', () => {
  test('sees this tab\'s events once stored, until unsubscribed', async () => {
    const log = await makeLog({ aggregate: false });
    const seen: AuditEvent[] = [];
    const unsubscribe = log.subscribe((event) => seen.push(event));
    log.record({ type: 'execution', user: 'a' });
    await log.flush();
    unsubscribe();
    log.record({ type: 'execution', user: 'b' });
    await log.flush();
    expect(seen.map((e) => [e.user, e.seq])).toEqual([['a', 1]]);
  });

  test('a throwing subscriber does not stop others or the log', async () => {
    const log = await makeLog();
    const seen: number[] = [];
    log.subscribe(() => { throw new Error('bad subscriber'); });
    log.subscribe((event) => seen.push(event.seq));
    log.record({ type: 'execution' });
    await log.flush();
    expect(seen).toEqual([1]);
  });

  test('sees events written by another instance on the same database (another tab) via BroadcastChannel', async () => {
    const dbName = freshDbName();
    const writer = await makeLog({ dbName });
    const reader = await makeLog({ dbName });
    const received = new Promise<AuditEvent>((resolve) => reader.subscribe(resolve));
    writer.record({ type: 'sandbox_violation', user: 'x' });
    await writer.flush();
    expect(await received).toMatchObject({ seq: 1, type: 'sandbox_violation', user: 'x' });
  });
});

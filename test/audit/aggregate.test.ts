/**
 * Flood aggregation: per key (type + severity + tool + run, or user without a run) the first
 * `threshold` events of a window are stored one by one, the rest become one aggregate entry.
 */
import { describe, expect, test } from 'vitest';
import { fakeClock, makeLog } from './helpers.js';

describe('flood aggregation', () => {
  test('stores the first threshold events of a run, then one aggregate with count, first and last', async () => {
    const clock = fakeClock();
    const start = clock.now();
    const log = await makeLog({ now: clock.now, aggregate: { threshold: 20, windowMs: 60_000 } });
    for (let i = 0; i < 1000; i++) {
      log.record({ type: 'tool_call', runId: 'flood', user: 'mallory', tool: 'fetch', details: { i } });
      clock.advance(10);
    }
    const events = await log.query({ limit: 2000 });
    expect(events).toHaveLength(21);
    const [aggregate] = events.filter((e) => e.details?.aggregated === true);
    expect(aggregate).toMatchObject({
      type: 'tool_call', severity: 'low', count: 980, user: 'mallory', tool: 'fetch', runId: 'flood',
      time: start + 999 * 10,
      details: { aggregated: true, count: 980, first: start + 200, last: start + 999 * 10, sample: { i: 20 } },
    });
    const summary = await log.hourlySummary();
    expect(summary.reduce((sum, row) => sum + row.count, 0)).toBe(1000);
  });

  test('the threshold-th event is stored alone; the next one is aggregated (near miss)', async () => {
    const log = await makeLog({ aggregate: { threshold: 3, windowMs: 60_000 } });
    for (let i = 0; i < 3; i++) log.record({ type: 'execution', runId: 'r' });
    expect((await log.query()).every((e) => e.count === 1)).toBe(true);
    log.record({ type: 'execution', runId: 'r' });
    const events = await log.query();
    expect(events.map((e) => e.count)).toEqual([1, 1, 1, 1]);
    expect(events[0]!.details).toMatchObject({ aggregated: true, count: 1 });
  });

  test('severity is part of the key: a high event is never hidden in a low flood', async () => {
    const log = await makeLog({ aggregate: { threshold: 2, windowMs: 60_000 } });
    for (let i = 0; i < 10; i++) log.record({ type: 'tool_call', runId: 'r', tool: 't' });
    log.record({ type: 'tool_call', runId: 'r', tool: 't', severity: 'high', details: { escalated: true } });
    const high = await log.query({ severity: 'high' });
    expect(high).toHaveLength(1);
    expect(high[0]).toMatchObject({ count: 1, details: { escalated: true } });
  });

  test('different runs and users do not share a key', async () => {
    const log = await makeLog({ aggregate: { threshold: 1, windowMs: 60_000 } });
    for (const runId of ['a', 'b', 'c']) log.record({ type: 'execution', runId, user: 'same' });
    for (const user of ['x', 'y']) log.record({ type: 'validation_failure', user });
    expect((await log.query()).every((e) => e.count === 1 && e.details?.aggregated === undefined)).toBe(true);
  });

  test('a new window stores events individually again; the closed window emits its aggregate', async () => {
    const clock = fakeClock();
    const log = await makeLog({ now: clock.now, aggregate: { threshold: 2, windowMs: 1000 } });
    for (let i = 0; i < 5; i++) log.record({ type: 'execution', user: 'u' });
    clock.advance(1000);
    log.record({ type: 'execution', user: 'u' });
    const events = (await log.query()).reverse();
    expect(events.map((e) => e.count)).toEqual([1, 1, 3, 1]);
  });

  test('too many distinct keys collapse per type and severity instead of growing memory', async () => {
    const log = await makeLog({ aggregate: { threshold: 1, windowMs: 60_000, maxKeys: 4 } });
    for (let i = 0; i < 50; i++) log.record({ type: 'tool_call', runId: `run-${i}`, tool: `tool-${i}` });
    const events = await log.query({ limit: 100 });
    expect(events.reduce((sum, e) => sum + e.count, 0)).toBe(50);
    expect(events.length).toBeLessThanOrEqual(6);
    const aggregate = events.find((e) => e.details?.aggregated === true)!;
    expect(aggregate.tool).toBeUndefined();
    expect(aggregate.details!.tools).toEqual(expect.arrayContaining(['tool-5', '…more']));
  });

  test('aggregate: false stores every event', async () => {
    const log = await makeLog({ aggregate: false });
    for (let i = 0; i < 30; i++) log.record({ type: 'execution', runId: 'r' });
    expect(await log.query({ limit: 100 })).toHaveLength(30);
  });
});

/**
 * When IndexedDB cannot be opened, the log keeps working in memory and says so loudly: `degraded`,
 * one console warning, an `audit_degraded` event. The failing factory is injected; IndexedDB is not
 * faked on the happy path.
 */
import { describe, expect, test, vi } from 'vitest';
import { createAuditLog } from '../../src/audit/index.js';
import { freshDbName, makeLog } from './helpers.js';

/** An IDBFactory whose open() fails the way a blocked/private-mode IndexedDB does. */
function failingFactory(mode: 'throw' | 'error'): IDBFactory {
  return {
    open() {
      if (mode === 'throw') throw new DOMException('The user denied permission to access the database.', 'SecurityError');
      const request = {} as IDBOpenDBRequest & { dispatch(): void };
      const target = new EventTarget();
      Object.assign(request, {
        addEventListener: target.addEventListener.bind(target),
        removeEventListener: target.removeEventListener.bind(target),
        error: new DOMException('Internal error opening backing store', 'UnknownError'),
      });
      Object.setPrototypeOf(request, IDBRequest.prototype);
      queueMicrotask(() => target.dispatchEvent(new Event('error')));
      return request;
    },
  } as unknown as IDBFactory;
}

describe('memory fallback', () => {
  test.each([
    ['open() throws', failingFactory('throw'), 'SecurityError'],
    ['open() fires error', failingFactory('error'), 'UnknownError'],
    ['no IndexedDB at all (null)', null, 'indexedDB is not available'],
  ])('when %s: degraded, warns once, records audit_degraded, keeps working', async (_name, factory, errorText) => {
    const warn = vi.fn();
    const log = createAuditLog({ dbName: freshDbName(), indexedDB: factory, lifecycle: false, warn });
    try {
      await log.ready;
      expect(log.degraded).toBe(true);
      expect(log.storage).toBe('memory');
      log.record({ type: 'sandbox_violation', user: 'u' });
      log.record({ type: 'execution', user: 'u' });
      const events = (await log.query()).reverse();
      expect(events.map((e) => e.type)).toEqual(['audit_degraded', 'sandbox_violation', 'execution']);
      expect(events[0]).toMatchObject({ severity: 'high', details: { storage: 'memory', error: expect.stringContaining(errorText) } });
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]![0]).toMatch(/IndexedDB is unavailable.*memory only/);
      expect(await log.verify()).toMatchObject({ ok: true, checked: 3 });
      expect(await log.riskScore('u')).toMatchObject({ level: 'medium' });
    } finally {
      await log.dispose();
    }
  });

  test('the happy path is not degraded and does not warn', async () => {
    const warn = vi.fn();
    const log = await makeLog({ warn });
    log.record({ type: 'execution' });
    await log.flush();
    expect(log.degraded).toBe(false);
    expect(warn).not.toHaveBeenCalled();
  });

  test('memory mode keeps retention and auto-disable', async () => {
    const log = createAuditLog({ indexedDB: null, lifecycle: false, warn: () => undefined, maxEvents: 10, autoDisable: { threshold: 2 } });
    try {
      for (let i = 0; i < 30; i++) log.record({ type: 'execution', runId: `r${i}` });
      log.record({ type: 'sandbox_violation', user: 'm' });
      log.record({ type: 'sandbox_violation', user: 'm' });
      await log.flush();
      expect(log.isDisabled('user', 'm')).toBe(true);
      const events = await log.query({ limit: 100 });
      expect(events.length).toBeLessThanOrEqual(10);
      expect(events.filter((e) => e.type === 'sandbox_violation')).toHaveLength(2);
      expect((await log.verify()).ok).toBe(true);
    } finally {
      await log.dispose();
    }
  });
});

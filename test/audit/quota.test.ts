/**
 * Quota errors with Chromium's real quota: CDP `Storage.overrideQuotaForOrigin` shrinks the origin's
 * quota so IndexedDB commits fail with a genuine QuotaExceededError. Chromium reads the quota when
 * the origin's IndexedDB backing store opens, so the override is set before the log opens.
 */
import { describe, expect, test } from 'vitest';
import { cdp } from 'vitest/browser';
import { createAuditLog } from '../../src/audit/index.js';
import { freshDbName } from './helpers.js';

// Random text: Chromium compresses IndexedDB values, a repeated character would cost nothing.
const filler = () => Array.from(crypto.getRandomValues(new Uint8Array(1500)), (b) => String.fromCharCode(33 + (b % 90))).join('');

describe('quota exceeded', () => {
  test('frees room by retention, keeps security events, leaves a marker, loses nothing it accepted', async () => {
    const session = cdp();
    const origin = location.origin;
    const { usage } = await session.send('Storage.getUsageAndQuota', { origin }) as { usage: number };
    await session.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: usage + 300_000 });
    const log = createAuditLog({ dbName: freshDbName(), lifecycle: false, aggregate: false, autoDisable: false, maxEvents: 1_000_000, batch: { maxSize: 50 } });
    try {
      for (let i = 0; i < 50; i++) log.record({ type: 'sandbox_violation', user: 'keep', details: { i } });
      await log.flush();
      for (let i = 0; i < 600; i++) log.record({ type: 'execution', runId: `r${i}`, details: { filler: filler() } });
      log.record({ type: 'sandbox_violation', user: 'keep', details: { last: true } });
      await log.flush();
      expect(log.degraded).toBe(false);
      expect(await log.query({ type: 'sandbox_violation', limit: 1000 })).toHaveLength(51);
      const markers = await log.query({ type: 'events_dropped', limit: 1000 });
      expect(markers.length).toBeGreaterThan(0);
      expect(markers.at(-1)!.details).toMatchObject({ reason: 'quota_exceeded', securityEntries: 0 });
      const executions = await log.query({ type: 'execution', limit: 1000 });
      const dropped = markers.reduce((sum, m) => sum + (m.details!.entries as number) + ((m.details!.notStored as { entries?: number } | undefined)?.entries ?? 0), 0);
      expect(executions.length + dropped).toBe(600);
      expect((await log.verify()).ok).toBe(true);
    } finally {
      await log.dispose();
      await session.send('Storage.overrideQuotaForOrigin', { origin });
    }
  });

  test('sheds incoming routine events rather than delete stored security events, and says so', async () => {
    const session = cdp();
    const origin = location.origin;
    const { usage } = await session.send('Storage.getUsageAndQuota', { origin }) as { usage: number };
    await session.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: usage + 150_000 });
    const log = createAuditLog({ dbName: freshDbName(), lifecycle: false, aggregate: false, autoDisable: false, maxEvents: 1_000_000, batch: { maxSize: 20 } });
    try {
      // Fill the quota with security evidence only, until retention has had to act once.
      for (let round = 0; round < 200 && (await log.query({ type: 'events_dropped' })).length === 0; round++) {
        for (let i = 0; i < 20; i++) log.record({ type: 'sandbox_violation', user: `u${round}`, details: { filler: filler() } });
        await log.flush();
      }
      const violationsBefore = (await log.query({ type: 'sandbox_violation', limit: 100_000 })).length;
      // More routine data than the whole quota: some of it cannot be stored without deleting evidence.
      for (let i = 0; i < 20; i++) log.record({ type: 'execution', runId: `r${i}`, details: { a: filler(), b: filler(), c: filler(), d: filler(), e: filler(), f: filler() } });
      await log.flush();
      expect(log.degraded).toBe(false);
      expect((await log.query({ type: 'sandbox_violation', limit: 100_000 })).length).toBe(violationsBefore);
      const markers = await log.query({ type: 'events_dropped', limit: 1000 });
      const notStored = markers.map((m) => m.details!.notStored as { entries: number; byType: Record<string, number> } | undefined).filter(Boolean);
      expect(notStored.reduce((sum, n) => sum + n!.entries, 0)).toBe(20 - (await log.query({ type: 'execution', limit: 100 })).length);
      expect(notStored[0]).toMatchObject({ byType: { execution: expect.any(Number) } });
      expect((await log.verify()).ok).toBe(true);
    } finally {
      await log.dispose();
      await session.send('Storage.overrideQuotaForOrigin', { origin });
    }
  });
});

/**
 * Quota errors with Chromium's real quota: CDP `Storage.overrideQuotaForOrigin` shrinks the origin's
 * quota so IndexedDB commits fail with a genuine QuotaExceededError. Chromium reads the quota when
 * the origin's IndexedDB backing store opens, so each test sets it in a fresh browser context before
 * the page opens any database. (`navigator.storage.estimate()` does not show the override; CDP does.)
 */
import { expect, test, type Page } from '@playwright/test';

const FIXTURE = '/test/e2e/fixtures/audit.html';

async function pageWithQuota(page: Page, headroom: number): Promise<void> {
  await page.goto(FIXTURE);
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true');
  const cdp = await page.context().newCDPSession(page);
  const origin = new URL(page.url()).origin;
  const { usage } = await cdp.send('Storage.getUsageAndQuota', { origin });
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: usage + headroom });
}

test('over quota, retention deletes routine events, keeps every security event and accounts for all', async ({ page }) => {
  await pageWithQuota(page, 300_000);
  const result = await page.evaluate(async () => {
    // Random text: Chromium compresses IndexedDB values, a repeated character would cost nothing.
    const filler = () => Array.from(crypto.getRandomValues(new Uint8Array(1500)), (b) => String.fromCharCode(33 + (b % 90))).join('');
    const log = (window as unknown as { qc: Window['qc'] }).qc.createAuditLog({
      dbName: 'quota-retention', aggregate: false, autoDisable: false, maxEvents: 1_000_000, batch: { maxSize: 50 },
    });
    for (let i = 0; i < 50; i++) log.record({ type: 'sandbox_violation', user: 'keep', details: { i } });
    await log.flush();
    for (let i = 0; i < 600; i++) log.record({ type: 'execution', runId: `r${i}`, details: { filler: filler() } });
    log.record({ type: 'sandbox_violation', user: 'keep', details: { last: true } });
    await log.flush();
    const markers = await log.query({ type: 'events_dropped', limit: 1000 });
    type Counts = { byType: Record<string, number> } | undefined;
    const accounted = markers.reduce((sum, m) => sum + ((m.details!.byType as Record<string, number>).execution ?? 0)
      + ((m.details!.notStored as Counts)?.byType.execution ?? 0), 0);
    return {
      degraded: log.degraded,
      violations: (await log.query({ type: 'sandbox_violation', limit: 1000 })).length,
      executions: (await log.query({ type: 'execution', limit: 1000 })).length,
      markers: markers.length,
      reasons: [...new Set(markers.map((m) => m.details!.reason))],
      securityDropped: markers.reduce((sum, m) => sum + (m.details!.securityEntries as number), 0),
      accounted,
      verdict: await log.verify(),
    };
  });
  expect(result).toMatchObject({ degraded: false, violations: 51, reasons: ['quota_exceeded'], securityDropped: 0, verdict: { ok: true } });
  expect(result.markers).toBeGreaterThan(0);
  expect(result.executions).toBeLessThan(600);
  expect(result.executions + result.accounted).toBe(600);
});

test('over quota with only security events stored, incoming routine events are shed, never the evidence', async ({ page }) => {
  await pageWithQuota(page, 400_000);
  const cdp = await page.context().newCDPSession(page);
  const origin = new URL(page.url()).origin;
  await page.exposeFunction('headroom', async () => {
    const { usage, quota } = await cdp.send('Storage.getUsageAndQuota', { origin });
    return quota - usage;
  });
  const result = await page.evaluate(async () => {
    const headroom = (window as unknown as { headroom(): Promise<number> }).headroom;
    const filler = () => Array.from(crypto.getRandomValues(new Uint8Array(1500)), (b) => String.fromCharCode(33 + (b % 90))).join('');
    const log = (window as unknown as { qc: Window['qc'] }).qc.createAuditLog({
      dbName: 'quota-shed', aggregate: false, autoDisable: false, maxEvents: 1_000_000, batch: { maxSize: 20 },
    });
    // Fill with security evidence only, to within 120 kB of the quota (no quota error yet).
    for (let round = 0; round < 200 && (await headroom()) > 120_000; round++) {
      for (let i = 0; i < 20; i++) log.record({ type: 'sandbox_violation', user: `u${round}`, details: { filler: filler() } });
      await log.flush();
    }
    const before = (await log.query({ type: 'sandbox_violation', limit: 100_000 })).length;
    const markersBefore = (await log.query({ type: 'events_dropped' })).length;
    // 20 routine events of ~9 kB: more than the room left, so some cannot be stored.
    for (let i = 0; i < 20; i++) log.record({ type: 'execution', runId: `r${i}`, details: { a: filler(), b: filler(), c: filler(), d: filler(), e: filler(), f: filler() } });
    await log.flush();
    const markers = await log.query({ type: 'events_dropped', limit: 1000 });
    const notStored = markers.map((m) => m.details!.notStored as { entries: number; byType: Record<string, number> } | undefined).filter((n) => n !== undefined);
    return {
      degraded: log.degraded,
      markersBefore,
      before,
      after: (await log.query({ type: 'sandbox_violation', limit: 100_000 })).length,
      executions: (await log.query({ type: 'execution', limit: 100 })).length,
      notStored: notStored.reduce((sum, n) => sum + n.entries, 0),
      notStoredTypes: [...new Set(notStored.flatMap((n) => Object.keys(n.byType)))],
      verdict: await log.verify(),
    };
  });
  // Evidence is never traded for routine events; what was not stored is routine, and is counted in a
  // marker as soon as one can be written (that may have to wait for space, so it is not asserted).
  expect(result).toMatchObject({ degraded: false, markersBefore: 0, verdict: { ok: true } });
  expect(result.before).toBeGreaterThan(40);
  expect(result.after).toBe(result.before);
  expect(result.executions).toBeLessThan(20);
  expect(result.notStoredTypes.every((type) => type === 'execution')).toBe(true);
  expect(result.executions + result.notStored).toBeLessThanOrEqual(20);
});

test('when no room can be made, security events go to the memory fallback, loudly, instead of being lost', async ({ page }) => {
  await pageWithQuota(page, 30_000);
  const result = await page.evaluate(async () => {
    const filler = () => Array.from(crypto.getRandomValues(new Uint8Array(1500)), (b) => String.fromCharCode(33 + (b % 90))).join('');
    const warnings: string[] = [];
    const log = (window as unknown as { qc: Window['qc'] }).qc.createAuditLog({ dbName: 'quota-full', aggregate: false, warn: (m) => warnings.push(m) });
    await log.ready;
    for (let i = 0; i < 10; i++) log.record({ type: 'sandbox_violation', user: 'm', details: { a: filler(), b: filler(), c: filler(), d: filler() } });
    await log.flush();
    const events = await log.query({ limit: 100 });
    return {
      degraded: log.degraded,
      storage: log.storage,
      violations: events.filter((e) => e.type === 'sandbox_violation').length,
      degradedEvent: events.some((e) => e.type === 'audit_degraded'),
      warnings: warnings.length,
    };
  });
  expect(result).toEqual({ degraded: true, storage: 'memory', violations: 10, degradedEvent: true, warnings: 1 });
});

/**
 * OTLP export of the audit trail against a local receiver (test/otel/receiver.mjs) that validates
 * every payload: a collector that fails, then is gone, a reload in the middle of it all, and no
 * event lost.
 */
import { expect, test, type Page } from '@playwright/test';
import { startReceiver, type Receiver } from '../otel/receiver.mjs';
// `window.otelE2E` is declared by the fixture page's module.
import type {} from './fixtures/otel.js';

const PAGE = '/test/e2e/fixtures/otel.html';

async function open(page: Page, db: string, collector: string, extra = ''): Promise<void> {
  await page.goto(`${PAGE}?db=${db}&collector=${encodeURIComponent(collector)}${extra}`);
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true');
}

let receiver: Receiver;
test.beforeEach(async () => { receiver = await startReceiver(); });
test.afterEach(async () => { await receiver.close().catch(() => undefined); });

test.beforeAll(async ({ browser }) => {
  // Let Vite finish optimizing the OpenTelemetry dependencies before a test depends on reload behaviour.
  const page = await browser.newPage();
  await open(page, `warmup-${Date.now()}`, 'http://127.0.0.1:9/v1/logs', '');
  await page.close();
});

test('10,000 events reach the collector through 503s, a closed port and a reload, each with its stable id', async ({ page }) => {
  test.setTimeout(120_000);
  const db = `otel-durable-${Date.now()}`;
  const origin = new URL(page.url() || 'http://127.0.0.1').origin;
  const foreign: string[] = [];
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(receiver.url) && !url.startsWith(new URL(PAGE, test.info().project.use.baseURL).origin) && !url.startsWith(origin)) foreign.push(url);
  });

  // Phase 1: the collector answers 503.
  receiver.setMode('failing');
  await open(page, db, receiver.url);
  const ids: string[] = [];
  ids.push(...await page.evaluate(() => window.otelE2E.record(4_000, 'a')));
  await expect.poll(() => receiver.state.requests.failed, { timeout: 20_000 }).toBeGreaterThanOrEqual(3);

  // Phase 2: the collector is gone (connection refused); more events, and a reload before they are stored.
  await receiver.close();
  await expect.poll(() => page.evaluate(() => window.otelE2E.stats().lastError ?? ''), { timeout: 20_000 }).toMatch(/TypeError|Failed to fetch/);
  ids.push(...await page.evaluate(() => window.otelE2E.record(2_000, 'b')));
  await page.reload();
  // The new page first seals the 2,000 events the old one spilled (audit log) and puts them in the outbox.
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true', { timeout: 60_000 });

  // Phase 3: the new page records more while the collector is still down, then it comes back.
  ids.push(...await page.evaluate(() => window.otelE2E.record(4_000, 'c')));
  expect(new Set(ids).size).toBe(10_000);
  await receiver.reopen();
  receiver.setMode('up');
  await expect.poll(() => ids.filter((id) => !receiver.state.received.has(id)).length, { timeout: 90_000, intervals: [250, 500, 1000] }).toBe(0);

  expect(receiver.state.problems).toEqual([]);
  expect(receiver.state.requests.invalid).toBe(0);
  expect([...receiver.state.contentTypes]).toEqual(['application/json']);
  expect(foreign).toEqual([]);
  // The outbox empties once everything is acknowledged.
  await expect.poll(() => page.evaluate(async () => (await window.otelE2E.flush()).pending), { timeout: 20_000 }).toBe(0);
  // Semantic conventions on what arrived.
  const violation = receiver.state.records.find((r) => r.eventName === 'quickcage.sandbox_violation')!;
  expect(violation.severityNumber).toBe(17);
  const user = violation.attributes.find((a) => a.key === 'user.id')!.value.stringValue;
  expect(user).toMatch(/^[0-9a-f]{64}$/); // hashed (user: 'sha256'), never the plain id
  expect(receiver.state.records.some((r) => r.attributes.some((a) => a.value.stringValue === 'user-3'))).toBe(false);
});

test('a full outbox drops the oldest records and the audit log records how many', async ({ page }) => {
  receiver.setMode('failing');
  const db = `otel-cap-${Date.now()}`;
  await open(page, db, receiver.url, '&maxOutbox=100');
  await page.evaluate(() => window.otelE2E.record(150, 'cap'));
  await page.evaluate(() => window.otelE2E.flushLog());
  await expect.poll(() => page.evaluate(() => window.otelE2E.stats().dropped), { timeout: 20_000 }).toBeGreaterThanOrEqual(50);
  const [first] = await page.evaluate(() => window.otelE2E.dropEvents());
  expect(first).toMatchObject({ reason: 'otlp_outbox_full', entries: 50, total: 50 });
  // The drop record itself is exported once the collector is back; every drop is accounted in the log.
  receiver.setMode('up');
  await expect.poll(() => page.evaluate(async () => (await window.otelE2E.flush()).pending), { timeout: 20_000 }).toBe(0);
  const { dropped } = await page.evaluate(() => window.otelE2E.stats());
  const drops = await page.evaluate(() => window.otelE2E.dropEvents());
  expect(drops.every((d) => d.reason === 'otlp_outbox_full')).toBe(true);
  expect(drops.reduce((sum, d) => sum + Number(d.entries), 0)).toBe(dropped);
  expect(dropped).toBeLessThanOrEqual(51); // the first report can push out one record; no feedback loop
  const names = receiver.state.records.map((r) => r.eventName);
  expect(names).toContain('quickcage.events_dropped');
});

test('the final beacon on pagehide delivers the batch the page could not send', async ({ page, context }) => {
  receiver.setMode('failing');
  const db = `otel-beacon-${Date.now()}`;
  // A retry far away: only the beacon can deliver before the page is gone.
  await open(page, db, receiver.url, '&retryMs=600000');
  const ids = await page.evaluate(() => window.otelE2E.record(20, 'beacon'));
  await expect.poll(() => receiver.state.requests.failed, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
  receiver.setMode('up');
  const before = receiver.state.requests.ok;
  await page.close({ runBeforeUnload: true });
  await expect.poll(() => ids.filter((id) => !receiver.state.received.has(id)).length, { timeout: 20_000 }).toBe(0);
  expect(receiver.state.requests.ok).toBeGreaterThan(before);
  expect(receiver.state.problems).toEqual([]);
  // The outbox still holds them (a beacon is never acknowledged): the next page sends them again, deduplicated by id downstream.
  const next = await context.newPage();
  await open(next, db, receiver.url);
  await expect.poll(() => next.evaluate(async () => (await window.otelE2E.flush()).pending), { timeout: 20_000 }).toBe(0);
  expect(ids.every((id) => (receiver.state.received.get(id) ?? 0) >= 2)).toBe(true);
});

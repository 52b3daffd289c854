/**
 * Cross-tab behaviour of the audit log and the rate limiter: several pages of one origin share one
 * IndexedDB, race for quota, see each other's events, and survive a reload in the middle of writing.
 */
import { expect, test, type BrowserContext, type Page } from '@playwright/test';

const FIXTURE = '/test/e2e/fixtures/audit.html';

async function openTabs(context: BrowserContext, count: number): Promise<Page[]> {
  const pages = await Promise.all(Array.from({ length: count }, () => context.newPage()));
  for (const page of pages) {
    await page.goto(FIXTURE);
    await expect(page.locator('body')).toHaveAttribute('data-ready', 'true');
  }
  return pages;
}

const uniqueName = (prefix: string) => `${prefix}-${Date.now()}-${Math.random().toString(16).slice(2)}`;

test('four tabs racing 100 consumes each against a limit of 100 admit exactly 100', async ({ context }) => {
  const tabs = await openTabs(context, 4);
  const dbName = uniqueName('e2e-quota');
  for (const tab of tabs) {
    await tab.evaluate(async (db) => {
      const w = window as unknown as { limiter: unknown; qc: Window['qc'] };
      const limiter = w.qc.createRateLimiter({ dbName: db, quotas: { execution: { limit: 100, windowMs: 86_400_000 } } });
      await limiter.ready;
      w.limiter = limiter;
    }, dbName);
  }
  const admitted = await Promise.all(tabs.map((tab) => tab.evaluate(async () => {
    const limiter = (window as unknown as { limiter: ReturnType<Window['qc']['createRateLimiter']> }).limiter;
    let allowed = 0;
    for (let i = 0; i < 100; i++) if ((await limiter.consume('racer', 'execution')).allowed) allowed += 1;
    return allowed;
  })));
  expect(admitted.reduce((a, b) => a + b, 0)).toBe(100);
  // Every tab took part in the race rather than one tab finishing before the others started.
  expect(admitted.filter((n) => n > 0).length).toBeGreaterThan(1);
});

test('a subscriber in one tab sees the events another tab records', async ({ context }) => {
  const [writer, reader] = await openTabs(context, 2);
  const dbName = uniqueName('e2e-audit-sub');
  await reader.evaluate(async (db) => {
    const w = window as unknown as { seen: unknown[]; qc: Window['qc'] };
    w.seen = [];
    const log = w.qc.createAuditLog({ dbName: db });
    await log.ready;
    log.subscribe((event) => w.seen.push({ type: event.type, user: event.user, seq: event.seq }));
  }, dbName);
  await writer.evaluate(async (db) => {
    const log = (window as unknown as { qc: Window['qc'] }).qc.createAuditLog({ dbName: db });
    log.record({ type: 'sandbox_violation', user: 'mallory', details: { rule: 'no-eval' } });
    log.record({ type: 'execution', user: 'alice' });
    await log.flush();
  }, dbName);
  await expect.poll(() => reader.evaluate(() => (window as unknown as { seen: unknown[] }).seen)).toEqual([
    { type: 'sandbox_violation', user: 'mallory', seq: 1 },
    { type: 'execution', user: 'alice', seq: 2 },
  ]);
});

test('the chain stays linear and verifiable when four tabs write at the same time', async ({ context }) => {
  const tabs = await openTabs(context, 4);
  const dbName = uniqueName('e2e-audit-chain');
  await Promise.all(tabs.map((tab, index) => tab.evaluate(async ({ db, index }) => {
    const log = (window as unknown as { qc: Window['qc'] }).qc.createAuditLog({ dbName: db, aggregate: false, batch: { maxSize: 7 + index } });
    for (let i = 0; i < 150; i++) {
      log.record({ type: 'tool_call', user: `tab${index}`, runId: `t${index}-${i}` });
      if (i % 25 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await log.flush();
  }, { db: dbName, index })));
  const result = await tabs[0]!.evaluate(async (db) => {
    const log = (window as unknown as { qc: Window['qc'] }).qc.createAuditLog({ dbName: db });
    const events = await log.query({ limit: 10_000 });
    return { verdict: await log.verify(), count: events.length, seqs: new Set(events.map((e) => e.seq)).size, max: Math.max(...events.map((e) => e.seq)) };
  }, dbName);
  expect(result).toMatchObject({ verdict: { ok: true, checked: 600 }, count: 600, seqs: 600, max: 600 });
});

test('a user disabled in one tab is disabled in the others', async ({ context }) => {
  const [a, b] = await openTabs(context, 2);
  const dbName = uniqueName('e2e-audit-disable');
  await b.evaluate(async (db) => {
    const w = window as unknown as { log: ReturnType<Window['qc']['createAuditLog']>; qc: Window['qc'] };
    w.log = w.qc.createAuditLog({ dbName: db, autoDisable: { threshold: 3 } });
    await w.log.ready;
  }, dbName);
  await a.evaluate(async (db) => {
    const log = (window as unknown as { qc: Window['qc'] }).qc.createAuditLog({ dbName: db, autoDisable: { threshold: 3 } });
    for (let i = 0; i < 3; i++) log.record({ type: 'sandbox_violation', user: 'mallory', runId: `r${i}` });
    await log.flush();
  }, dbName);
  await expect.poll(() => b.evaluate(() => (window as unknown as { log: ReturnType<Window['qc']['createAuditLog']> }).log.isDisabled('user', 'mallory'))).toBe(true);
});

test('a tab closed with events still queued: another open tab stores them at once', async ({ context }) => {
  const [closing, staying] = await openTabs(context, 2);
  const dbName = uniqueName('e2e-audit-close');
  await staying.evaluate(async (db) => {
    const w = window as unknown as { seen: string[]; qc: Window['qc'] };
    w.seen = [];
    const log = w.qc.createAuditLog({ dbName: db });
    await log.ready;
    log.subscribe((event) => { if (event.runId) w.seen.push(event.runId); });
  }, dbName);
  await closing.evaluate(async (db) => {
    const qc = (window as unknown as { qc: Window['qc'] }).qc;
    const holder: { log?: ReturnType<typeof qc.createAuditLog> } = {};
    addEventListener('pagehide', () => {
      for (let i = 0; i < 50; i++) holder.log!.record({ type: 'tool_call', user: 'u', runId: `closing-${i}` });
    });
    holder.log = qc.createAuditLog({ dbName: db, aggregate: false });
    await holder.log.ready;
  }, dbName);
  await closing.close({ runBeforeUnload: true });
  await expect.poll(() => staying.evaluate(() => (window as unknown as { seen: string[] }).seen.length)).toBe(50);
});

test.describe('reload in the middle of writing loses nothing record() accepted', () => {
  for (const inFlight of [false, true]) {
    test(inFlight ? 'with a write transaction in flight at pagehide' : 'with events still queued at pagehide', async ({ page }) => {
      await page.goto(FIXTURE);
      await expect(page.locator('body')).toHaveAttribute('data-ready', 'true');
      const dbName = uniqueName('e2e-audit-reload');
      await page.evaluate(async ({ db, inFlight }) => {
        const qc = (window as unknown as { qc: Window['qc'] }).qc;
        const holder: { log?: ReturnType<typeof qc.createAuditLog> } = {};
        // Registered before the log's own listener: these events are recorded while the page is
        // already going away, when no idle callback or timer will ever run again.
        addEventListener('pagehide', () => {
          for (let i = 0; i < 200; i++) holder.log!.record({ type: 'execution', user: 'u', runId: `unload-${i}` });
          if (inFlight) void holder.log!.flush(); // its transaction starts in the microtasks before the log's own pagehide listener
        });
        const log = qc.createAuditLog({ dbName: db, aggregate: false, batch: { maxSize: 10_000 } });
        holder.log = log;
        for (let i = 0; i < 300; i++) log.record({ type: 'execution', user: 'u', runId: `before-${i}` });
        await log.flush();
      }, { db: dbName, inFlight });
      await page.reload();
      await expect(page.locator('body')).toHaveAttribute('data-ready', 'true');
      const result = await page.evaluate(async (db) => {
        const log = (window as unknown as { qc: Window['qc'] }).qc.createAuditLog({ dbName: db });
        const events = await log.query({ limit: 10_000 });
        return { count: events.length, runs: new Set(events.map((e) => e.runId)).size, verdict: await log.verify() };
      }, dbName);
      expect(result).toEqual({ count: 500, runs: 500, verdict: expect.objectContaining({ ok: true, checked: 500 }) });
    });
  }
});

/**
 * Host tools across page lifetimes and tabs, and under a strict CSP: what Vitest's single page cannot show.
 */
import { expect, test, type Page } from '@playwright/test';
// `window.toolsE2E` is declared by the fixture page's module.
import type {} from './fixtures/tools-page.js';

const PAGE = '/test/e2e/fixtures/tools.html';

async function open(page: Page, db: string, extra = ''): Promise<void> {
  await page.goto(`${PAGE}?db=${db}${extra}`);
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true');
}

const pending = (page: Page) => page.evaluate(() => window.toolsE2E.pending());
const mail = { to: 'customer@example.com', body: 'Your refund is on its way.' };

test.beforeAll(async ({ browser }) => {
  // Let Vite finish optimizing dependencies (ajv) before a test depends on reload behaviour.
  const page = await browser.newPage();
  await open(page, 'warmup');
  await page.close();
});

test('reload while pending: the request survives, can be decided, and its approval is used once by an identical call', async ({ page }) => {
  const db = `approvals-reload-${Date.now()}`;
  await open(page, db);
  await page.evaluate((args) => window.toolsE2E.start(args), mail);
  await expect.poll(() => pending(page).then((p) => p.length), { timeout: 20_000 }).toBe(1);

  await page.reload();
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true');
  const [request] = await pending(page);
  expect(request).toMatchObject({ tool: 'sendEmail', agent: 'e2e', user: 'alice', args: mail, status: 'pending' });
  expect(request!.argsDigest).toMatch(/^[0-9a-f]{64}$/);

  expect(await page.evaluate((id) => window.toolsE2E.decide(id, 'approve'), request!.id)).toEqual({ applied: true, status: 'approved' });
  expect(await page.evaluate((id) => window.toolsE2E.decide(id, 'approve'), request!.id)).toEqual({ applied: false, status: 'approved' });

  // Changed arguments do not match the approval: this page's person denies the new prompt.
  await page.evaluate(() => window.toolsE2E.setAnswer('deny'));
  const changed = await page.evaluate((args) => window.toolsE2E.call('sendEmail', args), { ...mail, to: 'attacker@evil.example' });
  expect(changed).toMatchObject({ ok: false, code: 'APPROVAL_DENIED' });

  // The identical call uses the approval without a prompt, once.
  const first = await page.evaluate((args) => window.toolsE2E.call('sendEmail', args), mail);
  expect(first).toEqual({ ok: true, value: { sent: true } });
  const second = await page.evaluate((args) => window.toolsE2E.call('sendEmail', args), mail);
  expect(second).toMatchObject({ ok: false, code: 'APPROVAL_DENIED' });
  expect(await page.evaluate(() => window.toolsE2E.counts())).toEqual({ prompts: 2, sent: 1 });
});

test('reload while pending: with nobody deciding, the request times out to denial', async ({ page }) => {
  const db = `approvals-timeout-${Date.now()}`;
  await open(page, db, '&timeout=500');
  await page.evaluate((args) => window.toolsE2E.start(args), mail);
  await expect.poll(() => pending(page).then((p) => p.length), { timeout: 20_000 }).toBe(1);
  const [request] = await pending(page);
  await page.reload();
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true');
  await expect.poll(() => page.evaluate(() => window.toolsE2E.list()), { timeout: 20_000 }).toEqual([{ id: request!.id, status: 'expired' }]);
  expect(await page.evaluate((id) => window.toolsE2E.decide(id, 'approve'), request!.id)).toEqual({ applied: false, status: 'expired' });
});

test('a decision in another tab releases the call waiting in this one', async ({ context }) => {
  const db = `approvals-tabs-${Date.now()}`;
  const [waiting, deciding] = [await context.newPage(), await context.newPage()];
  await open(waiting, db);
  await open(deciding, db);
  const outcome = waiting.evaluate((args) => window.toolsE2E.call('sendEmail', args), mail);
  await expect.poll(() => pending(deciding).then((p) => p.length), { timeout: 20_000 }).toBe(1);
  const [request] = await pending(deciding);
  expect(await deciding.evaluate((id) => window.toolsE2E.decide(id, 'approve'), request!.id)).toEqual({ applied: true, status: 'approved' });
  expect(await outcome).toEqual({ ok: true, value: { sent: true } });
  expect(await waiting.evaluate(() => window.toolsE2E.counts())).toEqual({ prompts: 1, sent: 1 });
});

test('a real redirect is not followed: the browser hides its target, so the fetch tool fails closed', async ({ page }) => {
  await open(page, `fetch-${Date.now()}`);
  let evilRequested = false;
  await page.route('**/redirect-me', (route) => route.fulfill({ status: 302, headers: { location: 'http://evil.example/steal' } }));
  await page.route('http://evil.example/**', (route) => {
    evilRequested = true;
    return route.fulfill({ status: 200, body: 'stolen' });
  });
  const origin = new URL(page.url()).origin;
  const result = await page.evaluate((url) => window.toolsE2E.call('fetch', { url }), `${origin}/redirect-me`);
  expect(result).toMatchObject({ ok: false, code: 'TOOL_FAILED', details: { reason: 'redirect-hidden' } });
  expect(evilRequested).toBe(false);
  const fine = await page.evaluate((url) => window.toolsE2E.call('fetch', { url }), `${origin}/test/tools/fixtures/hello.txt`);
  expect(fine).toMatchObject({ ok: true, value: { status: 200, body: 'hello from the fixture\n' } });
});

test('under a CSP without unsafe-eval: built-in tools work, app schemas fail clearly, precompiled validators work', async ({ page }) => {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/.test(message.text())) violations.push(message.text());
  });
  await page.goto('/test/e2e/fixtures/tools-csp.html');
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true');
  const result: unknown = JSON.parse((await page.locator('#result').textContent()) ?? 'null');
  expect(result).toEqual({
    evalBlocked: true,
    builtin: 'works under CSP',
    badArgs: 'INVALID_ARGUMENT',
    schemaError: expect.stringMatching(/^INVALID_ARGUMENT: .*Content Security Policy.*validate/),
    precompiledResult: 'looked up /x',
  });
});

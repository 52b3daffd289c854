/**
 * Proves the Playwright pipeline: Vite serves the fixture page and its TypeScript, a module Worker
 * runs QuickJS from the WASM asset, IndexedDB works, and two pages of one context can talk (the
 * basis of cross-tab tests).
 */
import { expect, test } from '@playwright/test';

const FIXTURE = '/test/e2e/fixtures/smoke.html';

test('the fixture page runs QuickJS in a Worker and uses IndexedDB', async ({ page }) => {
  await page.goto(FIXTURE);
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true');
  const result: unknown = JSON.parse((await page.locator('#result').textContent()) ?? 'null');
  expect(result).toEqual({ idb: { stored: true }, quickjs: 42, inWorker: true });
});

test('two pages of one browser context see each other through BroadcastChannel', async ({ context }) => {
  const [sender, receiver] = [await context.newPage(), await context.newPage()];
  for (const page of [sender, receiver]) {
    await page.goto(FIXTURE);
    await expect(page.locator('body')).toHaveAttribute('data-ready', 'true');
  }
  await sender.evaluate(() => {
    (window as unknown as { smokeChannel: BroadcastChannel }).smokeChannel.postMessage('hello from the other tab');
  });
  await expect(receiver.locator('body')).toHaveAttribute('data-received', 'hello from the other tab');
  // A channel does not deliver to itself: the sender saw nothing.
  await expect(sender.locator('body')).not.toHaveAttribute('data-received');
});

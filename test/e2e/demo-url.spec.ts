/**
 * `npm run demo` prints the dev server's root URL (http://127.0.0.1:5173/): that URL must open the
 * playground, which lives at /demo/ because the server's root is the project (tests load fixtures
 * from it). Same config, same redirect, on the e2e server.
 */
import { expect, test } from '@playwright/test';

test('the URL the demo command prints opens the playground', async ({ page }) => {
  const response = await page.goto('/');
  expect(response?.ok()).toBe(true);
  expect(new URL(page.url()).pathname).toBe('/demo/');
  await expect(page.locator('body')).toHaveAttribute('data-state', 'idle', { timeout: 20_000 });
});

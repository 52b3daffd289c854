/**
 * Playwright runs what Vitest cannot: several pages (cross-tab behaviour) and end-to-end flows in the
 * demo. Vite serves the project root, so a fixture page at /test/e2e/fixtures/x.html can import /src/...
 * The browser is the same Chromium the unit tests use (scripts/chromium.mjs); Playwright never downloads one.
 */
import { defineConfig, devices } from '@playwright/test';
import { CHROMIUM_ARGS, resolveChromium } from './scripts/chromium.mjs';

// Module-local: the project does not depend on @types/node just for this one read.
declare const process: { env: Record<string, string | undefined> };

// QUICKCAGE_E2E_PORT lets two checkouts on one machine run e2e at the same time.
const PORT = Number(process.env.QUICKCAGE_E2E_PORT || 5178);
// An IP, not `localhost`: vite.config.ts binds 127.0.0.1, and `localhost` may resolve to ::1 first.
const ORIGIN = `http://127.0.0.1:${PORT}`;
const CI = Boolean(process.env.CI);

export default defineConfig({
  testDir: 'test/e2e',
  testMatch: '**/*.spec.ts',
  // Failure screenshots and traces. Kept under test-results/ but apart from the JSON reports there.
  outputDir: 'test-results/e2e',
  fullyParallel: false,
  workers: 1,
  forbidOnly: true,
  retries: 0,
  timeout: 30_000,
  reporter: [['list'], ['json', { outputFile: 'test-results/playwright.json' }]],
  use: {
    baseURL: ORIGIN,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        headless: true,
        launchOptions: { executablePath: resolveChromium(), args: [...CHROMIUM_ARGS] },
      },
    },
  ],
  webServer: {
    // vite.config.ts has root = project root (the demo lives under /demo/). Port and host are fixed
    // here so the config's dev-server defaults (port 5173) do not matter.
    command: `npx vite --config vite.config.ts --port ${PORT} --strictPort --host 127.0.0.1`,
    url: `${ORIGIN}/test/e2e/fixtures/smoke.html`,
    // vite.config.ts sets `server.open` for `npm run demo`; BROWSER=none stops Vite from launching a
    // desktop browser next to the test browser.
    env: { BROWSER: 'none' },
    reuseExistingServer: !CI,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});

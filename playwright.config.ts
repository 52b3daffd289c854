/**
 * Playwright runs what Vitest cannot: several pages (cross-tab behaviour) and end-to-end flows in the
 * demo. Vite serves the project root, so a fixture page at /test/e2e/fixtures/x.html can import /src/...
 * The browser is the same Chromium the unit tests use (scripts/chromium.mjs); Playwright never downloads one.
 */
import { defineConfig, devices } from '@playwright/test';
import { CHROMIUM_ARGS, resolveChromium } from './scripts/chromium.mjs';

// Module-local: the project does not depend on @types/node just for this one read.
declare const process: { env: Record<string, string | undefined> };

const PORT = 5178;
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
    baseURL: `http://localhost:${PORT}`,
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
    // No --config: Vite loads ./vite.config.ts when it exists (the lead's, with root = project root)
    // and serves the project root with defaults until then.
    command: `npx vite --port ${PORT} --strictPort`,
    url: `http://localhost:${PORT}/test/e2e/fixtures/smoke.html`,
    reuseExistingServer: !CI,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});

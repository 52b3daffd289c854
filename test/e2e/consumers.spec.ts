/**
 * The consumer matrix (issue "Ship it"): the packed tarball installed into a fresh app per bundler,
 * built for production (and Vite's dev server), served on 127.0.0.1 under a strict CSP, and driven in
 * Chromium. Each app runs a result, a deadline, a watchdog kill followed by a working run, a built-in
 * tool call and an audit record in IndexedDB (test/consumers/app.js), with zero CSP violations, zero
 * failed requests and zero console errors.
 */
import { expect, test } from '@playwright/test';
import { CONSUMERS, packTarball, serveStatic, type Served } from '../consumers/harness.mjs';

const BASE_PORT = Number(process.env.QUICKCAGE_CONSUMER_PORT || 5190);
let tarball = '';

test.describe.configure({ mode: 'serial' });

test.beforeAll(() => {
  test.setTimeout(180_000);
  tarball = packTarball();
});

const EXPECTED = {
  result: [2, 4, 6],
  deadline: 'DEADLINE_EXCEEDED',
  killed: 'DEADLINE_EXCEEDED',
  afterKill: 42,
  tool: 'from a tool',
  auditTypes: ['execution'],
  auditInIndexedDB: true,
  violations: [],
};

Object.entries(CONSUMERS).forEach(([name, build], index) => {
  test(`${name}: the packed package runs, kills, calls a tool and audits under a strict CSP`, async ({ page }) => {
    test.setTimeout(180_000);
    const port = BASE_PORT + index;
    const built = await build(tarball, port);
    const served: Served = 'dir' in built ? await serveStatic(built.dir, port) : built;
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && !/favicon/.test(m.location().url)) problems.push(`console: ${m.text()}`);
      if (/Content.Security.Policy/i.test(m.text())) problems.push(`csp: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
    page.on('response', (r) => {
      // Chromium asks for /favicon.ico on its own; the app never does.
      if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`HTTP ${r.status()}: ${r.url()}`);
    });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(new URL(r.url()).pathname));
    try {
      await page.goto(served.url);
      await expect(page.locator('body')).toHaveAttribute('data-result', /.+/, { timeout: 60_000 });
      const outcome: unknown = JSON.parse((await page.locator('body').getAttribute('data-result')) ?? 'null');
      expect(outcome).toEqual(EXPECTED);
      expect(problems).toEqual([]);
      // One WASM file, fetched once per page, from the app's own origin.
      expect(requests.filter((p) => p.endsWith('.wasm'))).toHaveLength(1);
    } finally {
      await served.close();
    }
  });
});

/**
 * The published artefact, not the sources: `vite build --mode lib` (as `npm run build` does), served
 * statically by `vite preview`, loaded by a page of the same origin. The library must find its
 * worker and its single WASM file by URL and run real guest code, limits included.
 */
import { expect, test } from '@playwright/test';
import { build, preview, type PreviewServer } from 'vite';

const OUT_DIR = 'test-results/lib-dist';
const PORT = 5187;
let server: PreviewServer | undefined;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  await build({ configFile: 'vite.config.ts', mode: 'lib', logLevel: 'warn', build: { outDir: OUT_DIR } });
  server = await preview({ configFile: 'vite.config.ts', mode: 'lib', logLevel: 'warn', build: { outDir: OUT_DIR }, preview: { port: PORT, strictPort: true, host: '127.0.0.1', open: false } });
});

test.afterAll(async () => {
  await server?.close();
});

test('the library build runs guest code in its worker, with one WASM file and working limits', async ({ page }) => {
  const origin = `http://127.0.0.1:${PORT}`;
  const requests: string[] = [];
  page.on('request', (request) => requests.push(new URL(request.url()).pathname));
  // A page of the same origin as the built files (a worker script must be same-origin).
  await page.route(`${origin}/library-test.html`, (route) => route.fulfill({
    contentType: 'text/html',
    body: `<!doctype html><script type="module">
      import { createSandbox, isSandboxError } from '/quickcage.js';
      const sandbox = createSandbox();
      const out = await sandbox.run('const r = await Promise.resolve([1, 2, 3]); r.map((x) => x * 2)');
      const deadline = await sandbox.run('while (true) {}', { timeoutMs: 100 }).catch((e) => isSandboxError(e) && e.code);
      const rejected = await sandbox.run('eval("1")').catch((e) => e.code);
      await sandbox.dispose();
      document.body.dataset.result = JSON.stringify({ value: out.value, deadline, rejected });
    </script>`,
  }));
  await page.goto(`${origin}/library-test.html`);
  await expect(page.locator('body')).toHaveAttribute('data-result', /.+/, { timeout: 30_000 });
  const result: unknown = JSON.parse((await page.locator('body').getAttribute('data-result')) ?? 'null');
  expect(result).toEqual({ value: [2, 4, 6], deadline: 'DEADLINE_EXCEEDED', rejected: 'VALIDATION_REJECTED' });
  expect(requests.filter((p) => p.endsWith('.wasm'))).toEqual(['/emscripten-module.wasm']);
  expect(requests.some((p) => /\/assets\/worker-[\w-]+\.js$/.test(p))).toBe(true);
});

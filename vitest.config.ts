/**
 * Vitest runs quickcage's tests where the code runs: real headless Chromium (browser mode through
 * Playwright), with real Workers, real WebAssembly and real IndexedDB. No jsdom, no fakes of the platform.
 *
 * Two projects:
 * - `browser`: every `test/**\/*.test.ts` (except e2e and the node-side script tests), in Chromium.
 * - `node`: `test/**\/*.node.test.ts`, tests that need Node: the repository's own scripts (scripts/) and
 *   the TypeScript compiler checking generated declarations (test/agent/).
 *
 * The Vite settings the tests need live here (not in the lead's vite.config.ts, which this file does
 * not load): ES-module workers and pre-bundled dependencies.
 */
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { CHROMIUM_ARGS, resolveChromium } from './scripts/chromium.mjs';
import { docBlocksPlugin } from './scripts/doc-blocks.mjs';

// Pre-bundle up front what the library, the worker and the tests import. A dependency Vite discovers
// mid-run triggers a re-optimisation and a full page reload, which kills the running browser tests.
const PREBUNDLE = [
  'quickjs-emscripten-core',
  '@jitl/quickjs-wasmfile-release-sync',
  // The worker imports the glue and the FFI directly (worker/engine/instance.ts).
  '@jitl/quickjs-wasmfile-release-sync/emscripten-module',
  '@jitl/quickjs-wasmfile-release-sync/ffi',
  '@jitl/quickjs-wasmfile-debug-sync',
  'comlink',
  'acorn',
  'idb',
  'ajv',
  'ajv/dist/standalone/index.js',
  '@noble/hashes/sha2.js',
  '@noble/hashes/hmac.js',
  '@noble/hashes/utils.js',
  // Agent SDKs the code-mode adapter tests drive for real (test/agent/).
  'ai',
  'ai/test',
  'openai',
  '@anthropic-ai/sdk',
  'zod',
  '@modelcontextprotocol/sdk/server/mcp.js',
  '@modelcontextprotocol/sdk/client/index.js',
  '@modelcontextprotocol/sdk/client/streamableHttp.js',
  '@modelcontextprotocol/sdk/inMemory.js',
  '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js',
  'fast-check',
  // quickcage/otel: OpenTelemetry's OTLP JSON serializer (test/otel/).
  '@opentelemetry/api-logs',
  '@opentelemetry/otlp-transformer',
  '@opentelemetry/resources',
];

/** Vite options shared by the page and by the workers it starts. */
const shared = {
  // quickcage workers are module workers (`new Worker(url, { type: 'module' })`).
  worker: { format: 'es' as const },
  optimizeDeps: { include: PREBUNDLE },
};

export default defineConfig({
  ...shared,
  // `virtual:doc-blocks`: the docs' runnable examples as modules, for test/docs.test.ts.
  plugins: [docBlocksPlugin()],
  test: {
    // Limit tests deliberately run guests into their deadlines, and a worker respawn compiles WASM.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores, and every browser test file spins up workers that each compile QuickJS: one file at a time.
    fileParallelism: false,
    projects: [
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/**/*.test.ts'],
          // Local HTTP servers on 127.0.0.1 for the agent adapter tests (mock chat completions, MCP).
          globalSetup: ['test/agent/servers.mjs'],
          exclude: ['test/e2e/**', 'test/**/*.node.test.ts', '**/node_modules/**'],
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({
              launchOptions: { executablePath: resolveChromium(), args: [...CHROMIUM_ARGS] },
            }),
            instances: [{ browser: 'chromium' }],
            screenshotFailures: false,
          },
        },
      },
      {
        extends: true,
        test: {
          name: 'node',
          include: ['test/**/*.node.test.ts'],
          environment: 'node',
        },
      },
    ],
  },
});

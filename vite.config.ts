/**
 * Vite config of the playground (`npm run demo`, served from the project root, the playground at
 * /demo/) and of its static build (`npm run build:demo`). The library itself is built by
 * scripts/build.mjs (`npm run build`). Nothing is fetched from a CDN.
 */
import { resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import { asciiAcornPlugin } from './scripts/acorn-ascii.mjs';
import { GLUE_ID, stripGlueWasm } from './scripts/quickjs-glue.mjs';

/** The glue rewrite shared with the library build (scripts/quickjs-glue.mjs). */
function noGlueWasm(): Plugin {
  return {
    name: 'quickcage:no-glue-wasm',
    enforce: 'pre',
    transform: (code, id) => (GLUE_ID.test(id) ? { code: stripGlueWasm(code, id), map: null } : null),
  };
}

/** The dev server serves the project root (tests load fixtures from it); its root URL opens the playground. */
function rootToPlayground(): Plugin {
  const redirect = (req: { url?: string | undefined }, res: { statusCode: number; setHeader(n: string, v: string): void; end(): void }, next: () => void): void => {
    if (req.url !== '/' && req.url !== '/index.html') return next();
    res.statusCode = 302;
    res.setHeader('Location', '/demo/');
    res.end();
  };
  return {
    name: 'quickcage:root-to-playground',
    configureServer: (server) => void server.middlewares.use(redirect),
    configurePreviewServer: (server) => void server.middlewares.use(redirect),
  };
}

const root = import.meta.dirname;

export default defineConfig({
  root,
  base: './',
  plugins: [noGlueWasm(), rootToPlayground()],
  worker: { format: 'es', plugins: () => [noGlueWasm(), asciiAcornPlugin()] },
  optimizeDeps: {
    include: ['quickjs-emscripten-core', '@jitl/quickjs-wasmfile-release-sync', '@jitl/quickjs-wasmfile-release-sync/emscripten-module', '@jitl/quickjs-wasmfile-release-sync/ffi', 'comlink', 'acorn', 'idb', 'ajv', 'ajv/dist/standalone/index.js', '@noble/hashes/sha2.js', '@noble/hashes/hmac.js', '@noble/hashes/utils.js', '@opentelemetry/api-logs', '@opentelemetry/otlp-transformer', '@opentelemetry/resources'],
  },
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 4173 },
  build: {
    outDir: 'dist-demo',
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: { input: { demo: resolve(root, 'demo/index.html') } },
    assetsInlineLimit: 0,
  },
});

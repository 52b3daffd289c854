/**
 * One Vite config for the playground (`npm run demo`, served from the project root at /demo/) and the
 * library build (`vite build --mode lib`: src/index.ts as ESM, with the worker and the QuickJS WASM
 * emitted as separate assets that the library loads by URL). Nothing is fetched from a CDN.
 */
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const root = import.meta.dirname;

export default defineConfig(({ mode }) => ({
  root,
  base: './',
  worker: { format: 'es' },
  optimizeDeps: {
    include: ['quickjs-emscripten-core', '@jitl/quickjs-wasmfile-release-sync', 'comlink', 'acorn', 'acorn-walk', 'idb', 'ajv', 'ajv/dist/standalone/index.js'],
  },
  server: { open: '/demo/', host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 4173 },
  build:
    mode === 'lib'
      ? {
          outDir: 'dist',
          emptyOutDir: true,
          target: 'es2022',
          lib: { entry: resolve(root, 'src/index.ts'), formats: ['es'], fileName: () => 'quickcage.js' },
          rollupOptions: { external: [] },
          assetsInlineLimit: 0,
        }
      : {
          outDir: 'dist/demo',
          emptyOutDir: true,
          target: 'es2022',
          rollupOptions: { input: { demo: resolve(root, 'demo/index.html') } },
          assetsInlineLimit: 0,
        },
}));

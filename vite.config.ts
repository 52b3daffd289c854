/**
 * One Vite config for the playground (`npm run demo`, served from the project root at /demo/) and the
 * library build (`vite build --mode lib`: src/index.ts as ESM, with the worker and the QuickJS WASM
 * emitted as separate assets that the library loads by URL). Nothing is fetched from a CDN.
 */
import { resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

/**
 * quickcage hands every worker the WASM module the page compiled once, so the emscripten glue never
 * locates `emscripten-module.wasm` itself. Its `new URL('emscripten-module.wasm', import.meta.url)`
 * would still make Vite bundle a second copy of the WASM into the worker: drop that reference.
 */
function noGlueWasm(): Plugin {
  return {
    name: 'quickcage:no-glue-wasm',
    enforce: 'pre',
    transform(code, id) {
      if (!/quickjs-wasmfile-[\w-]+[\\/]dist[\\/]emscripten-module\.browser\.mjs$/.test(id)) return null;
      const next = code.replace(/\(new URL\("emscripten-module\.wasm",import\.meta\.url\)\)\.href/g, '"emscripten-module.wasm"');
      return next === code ? null : { code: next, map: null };
    },
  };
}

const root = import.meta.dirname;

export default defineConfig(({ mode }) => ({
  root,
  base: './',
  plugins: [noGlueWasm()],
  worker: { format: 'es', plugins: () => [noGlueWasm()] },
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

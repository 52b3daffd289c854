// The one rewrite of quickjs-emscripten's browser glue that both builds apply: the library build
// (scripts/build.mjs, rolldown) and the playground/e2e build (vite.config.ts).
//
// quickcage hands every worker the WASM module the page compiled once, so the glue never locates
// `emscripten-module.wasm` itself. Its `new URL('emscripten-module.wasm', import.meta.url)` would make
// a bundler emit a second copy of the WASM into the worker, and its `import.meta.url` (the script
// directory, used only to locate that file) would be the one `import.meta` left in the shipped worker.

/** Module ids of the glue, in any quickjs-wasmfile variant. */
export const GLUE_ID = /quickjs-wasmfile-[\w-]+[\\/]dist[\\/]emscripten-module\.browser\.mjs$/;

/**
 * The glue without its own WASM lookup and without `import.meta`.
 * @param {string} code
 * @param {string} id for the error message
 * @returns {string}
 */
export function stripGlueWasm(code, id) {
  const next = code
    .replace(/\(new URL\("emscripten-module\.wasm",import\.meta\.url\)\)\.href/g, '"emscripten-module.wasm"')
    .replace(/=import\.meta\.url,/g, '=self.location.href,');
  if (/import\.meta/.test(next)) throw new Error(`quickjs glue: ${id} has an import.meta this rewrite does not know (a new quickjs-emscripten build?)`);
  return next;
}

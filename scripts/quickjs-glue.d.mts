// Types for scripts/quickjs-glue.mjs, so vite.config.ts can import it.

/** Module ids of quickjs-emscripten's browser glue, in any quickjs-wasmfile variant. */
export declare const GLUE_ID: RegExp;
/** The glue without its own WASM lookup and without `import.meta`; throws on an unknown `import.meta`. */
export declare function stripGlueWasm(code: string, id: string): string;

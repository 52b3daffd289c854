// Types for scripts/acorn-ascii.mjs, so vite.config.ts and the tests can import it.

/** Module ids of acorn's ES module build. */
export declare const ACORN_ID: RegExp;
/** Decodes the body of one of acorn's table literals (`\xHH` / `\uHHHH` escapes). */
export declare function decodeTable(body: string): string;
/** acorn with its two identifier tables as hex text decoded at load; throws on an unknown acorn layout. */
export declare function asciiIdentifierTables(code: string, id: string): string;
/** The rewrite as a Rollup / rolldown / Vite plugin, run before other transforms. */
export declare function asciiAcornPlugin(): {
  name: string;
  enforce: 'pre';
  transform(code: string, id: string): { code: string; map: null } | null;
};
/** Offsets of characters outside ASCII in `code`, as `offset: U+XXXX` (at most `limit`). */
export declare function nonAscii(code: string, limit?: number): string[];

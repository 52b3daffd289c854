// The one rewrite of acorn that every build of the worker applies: the library build (scripts/build.mjs),
// the playground/e2e build (vite.config.ts) and the bench (bench/run.mjs), so the worker script is
// pure ASCII however it is minified.
//
// acorn keeps its tables of non-ASCII identifier characters as two string literals written with
// `\uXXXX` escapes. Minifiers (rolldown/oxc, terser) print them as raw UTF-8: about 1 100 characters
// that made the whole 280 KB worker script non-ASCII. Chromium then decodes a worker script into a
// two-byte string on the worker thread before compiling it (`TextResourceDecoder::Decode`: 9 to 19 ms
// per cold start in traces, 3 ms for the same script in ASCII), on the critical path of the first run.
// Escapes in a literal do not survive a consumer's minifier either, so the tables travel as hex text
// that the module decodes when it loads (well under a millisecond), which no minifier folds back.

/** Module ids of acorn's ES module build. */
export const ACORN_ID = /[\\/]acorn[\\/]dist[\\/]acorn\.mjs$/;

/** The two tables, as acorn 8 declares them (one line each). */
const TABLE = /^var (nonASCIIidentifier(?:Start)?Chars) = "((?:[^"\\]|\\x[0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4})*)";$/gm;

/**
 * Decodes the body of one of acorn's table literals (ASCII characters and `\xHH` / `\uHHHH` escapes only).
 * @param {string} body
 */
export function decodeTable(body) {
  return body.replace(/\\x([0-9a-fA-F]{2})|\\u([0-9a-fA-F]{4})/g, (_, x, u) => String.fromCharCode(parseInt(x ?? u, 16)));
}

/**
 * acorn with both tables as hex text decoded at load (4 hex digits per UTF-16 code unit). Throws when
 * the source does not declare exactly the two tables this rewrite knows (a new acorn release).
 * @param {string} code
 * @param {string} id for the error message
 * @returns {string}
 */
export function asciiIdentifierTables(code, id) {
  const seen = [];
  const next = code.replace(TABLE, (_, name, body) => {
    seen.push(name);
    const value = decodeTable(body);
    let hex = '';
    for (let i = 0; i < value.length; i++) hex += value.charCodeAt(i).toString(16).padStart(4, '0');
    return `var ${name} = ${JSON.stringify(hex)}.replace(/[0-9a-f]{4}/g, function (h) { return String.fromCharCode(parseInt(h, 16)); });`;
  });
  if (seen.length !== 2 || seen[0] === seen[1]) {
    throw new Error(`acorn-ascii: ${id} does not declare acorn's two identifier tables the way this rewrite expects (found ${seen.join(', ') || 'none'}; a new acorn release?)`);
  }
  return next;
}

/**
 * The rewrite as a bundler plugin (Rollup, rolldown and Vite alike; `enforce` is Vite's, so it runs
 * on acorn's source before any other transform): every build of the worker uses this one.
 */
export function asciiAcornPlugin() {
  return {
    name: 'quickcage:ascii-acorn',
    enforce: 'pre',
    /** @param {string} code @param {string} id */
    transform: (code, id) => (ACORN_ID.test(id) ? { code: asciiIdentifierTables(code, id), map: null } : null),
  };
}

/**
 * Where `code` holds a character outside ASCII, as `offset: U+XXXX` (at most `limit`), or [] for pure ASCII.
 * @param {string} code
 * @param {number} [limit]
 */
export function nonAscii(code, limit = 5) {
  const found = [];
  for (const m of code.matchAll(/[\u0080-\uffff]/g)) {
    found.push(`${m.index}: U+${m[0].charCodeAt(0).toString(16).padStart(4, '0')}`);
    if (found.length >= limit) break;
  }
  return found;
}

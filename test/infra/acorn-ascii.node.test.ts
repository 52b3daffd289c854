/**
 * scripts/acorn-ascii.mjs: acorn's non-ASCII identifier tables travel as hex text, so the worker
 * script is pure ASCII after any minifier. The rewritten acorn must classify every code point exactly
 * as acorn does, and a source the rewrite does not know must fail the build, not ship half-rewritten.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as acorn from 'acorn';
import { afterAll, describe, expect, test } from 'vitest';
import { ACORN_ID, asciiAcornPlugin, asciiIdentifierTables, decodeTable, nonAscii } from '../../scripts/acorn-ascii.mjs';

const require = createRequire(import.meta.url);
const ACORN_FILE = path.join(path.dirname(require.resolve('acorn/package.json')), 'dist', 'acorn.mjs');
const SOURCE = readFileSync(ACORN_FILE, 'utf8');
const dir = mkdtempSync(path.join(os.tmpdir(), 'quickcage-acorn-ascii-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** acorn exports these two at run time; its type declarations leave them out. */
interface Classifier {
  isIdentifierStart(code: number, astral?: boolean): boolean;
  isIdentifierChar(code: number, astral?: boolean): boolean;
  parse: typeof acorn.parse;
}
const original = acorn as unknown as Classifier;

/** The two table declarations of a source, by name. */
function tables(code: string): Map<string, string> {
  return new Map([...code.matchAll(/^var (nonASCIIidentifier(?:Start)?Chars) = (.*);$/gm)].map((m) => [m[1]!, m[2]!]));
}

describe('asciiIdentifierTables', () => {
  const rewritten = asciiIdentifierTables(SOURCE, 'acorn');

  test('matches acorn ES module build ids only', () => {
    expect(ACORN_ID.test(ACORN_FILE)).toBe(true);
    expect(ACORN_ID.test('/app/node_modules/acorn/dist/acorn.js')).toBe(false);
    expect(ACORN_ID.test('/app/node_modules/acorn-walk/dist/walk.mjs')).toBe(false);
  });

  test('the plugin every worker build uses rewrites acorn before other transforms and nothing else', () => {
    const plugin = asciiAcornPlugin();
    expect(plugin).toMatchObject({ name: 'quickcage:ascii-acorn', enforce: 'pre' });
    expect(plugin.transform(SOURCE, ACORN_FILE)).toEqual({ code: rewritten, map: null });
    expect(plugin.transform('export const \u00e9 = 1;', '/app/node_modules/acorn-walk/dist/walk.mjs')).toBeNull();
  });

  test('both tables become ASCII hex text, and nothing else changes', () => {
    const before = tables(SOURCE);
    const after = tables(rewritten);
    expect([...after.keys()].sort()).toEqual(['nonASCIIidentifierChars', 'nonASCIIidentifierStartChars']);
    for (const [name, declaration] of after) {
      expect(nonAscii(declaration)).toEqual([]);
      expect(declaration).toMatch(/^"[0-9a-f]+"\.replace\(/);
      expect(before.get(name)).toBeDefined();
    }
    // Outside the two declarations the module is byte for byte acorn's.
    const strip = (code: string) => code.replace(/^var nonASCIIidentifier(?:Start)?Chars = .*;$/gm, '');
    expect(strip(rewritten)).toBe(strip(SOURCE));
  });

  test('the rewritten acorn classifies every code point as acorn does', async () => {
    const file = path.join(dir, 'acorn.mjs');
    writeFileSync(file, rewritten);
    const ascii = (await import(pathToFileURL(file).href)) as Classifier;
    let differ = 0;
    for (let code = 0; code <= 0x10ffff; code++) {
      if (ascii.isIdentifierStart(code, true) !== original.isIdentifierStart(code, true)) differ++;
      if (ascii.isIdentifierChar(code, true) !== original.isIdentifierChar(code, true)) differ++;
    }
    expect(differ).toBe(0);
    // And parses non-ASCII identifiers (BMP start and part characters, an astral one) like acorn.
    const program = 'const café = 1, ℮x = 2, ıd‌x = 3, 𝑥 = 4; café + ℮x + ıd‌x + 𝑥';
    expect(JSON.stringify(ascii.parse(program, { ecmaVersion: 'latest' }))).toBe(JSON.stringify(acorn.parse(program, { ecmaVersion: 'latest' })));
    expect(() => ascii.parse('const a¢ = 1', { ecmaVersion: 'latest' })).toThrow(/Unexpected character/);
  });

  test('decodeTable reads both escape forms', () => {
    expect(decodeTable(String.raw`\xaa-\u02c1\u200c`)).toBe('\u00aa-\u02c1\u200c');
  });

  test('a source without both tables fails with the file name', () => {
    expect(() => asciiIdentifierTables('export const x = 1;', 'node_modules/acorn/dist/acorn.mjs')).toThrow(/node_modules\/acorn\/dist\/acorn\.mjs.*found none/);
    const one = SOURCE.replace(/^var nonASCIIidentifierChars = .*;$/m, 'var nonASCIIidentifierChars = NEW_FORMAT;');
    expect(() => asciiIdentifierTables(one, 'acorn')).toThrow(/found nonASCIIidentifierStartChars;/);
  });

  test('a table written with raw characters instead of escapes is rewritten to the same value', () => {
    const raw = SOURCE.replace(/^var nonASCIIidentifierChars = "\\u200c/m, 'var nonASCIIidentifierChars = "\u200c');
    expect(raw).not.toBe(SOURCE);
    expect(tables(asciiIdentifierTables(raw, 'acorn'))).toEqual(tables(asciiIdentifierTables(SOURCE, 'acorn')));
  });
});

describe('nonAscii', () => {
  test('reports offsets and code units, up to the limit', () => {
    expect(nonAscii('plain ascii \\u00e9')).toEqual([]);
    expect(nonAscii('a\u00e9b\u2014')).toEqual(['1: U+00e9', '3: U+2014']);
    expect(nonAscii('\u00e9\u00e9\u00e9', 2)).toHaveLength(2);
  });
});

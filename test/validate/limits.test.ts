/**
 * checkLimits: size and bracket nesting before any parser. Not fooled by strings, comments,
 * template text or regex literals; and where its regex heuristic can be fooled, the AST measure in
 * validate catches what it missed.
 */
import { describe, expect, test } from 'vitest';
import { checkLimits } from '../../worker/validate.js';
import { check, pins } from './helpers.js';

const LIMITS = { maxSourceBytes: 1024, maxNestingDepth: 200 };
const at = (code: string, limits = LIMITS): string | null => {
  const v = checkLimits(code, limits);
  return v === null ? null : `${v.rule}@${v.line}:${v.column}`;
};
const open = (n: number): string => '('.repeat(n);
const close = (n: number): string => ')'.repeat(n);

describe('source-too-large', () => {
  const small = { maxSourceBytes: 10, maxNestingDepth: 200 };
  test.each([
    ['exactly the limit in ASCII', 'x'.repeat(10), null],
    ['one byte over in ASCII', 'x'.repeat(11), 'source-too-large@1:1'],
    ['two-byte characters counted as two bytes', 'é'.repeat(6), 'source-too-large@1:1'],
    ['two-byte characters at the limit', 'é'.repeat(5), null],
    ['an emoji is four bytes', '😀😀😀', 'source-too-large@1:1'],
    ['a lone surrogate counts three bytes (U+FFFD)', 'xxxxxxxx\ud800', 'source-too-large@1:1'],
  ])('%s', (_name, code, expected) => {
    expect(at(code, small)).toBe(expected);
  });

  test('names the size and the limit', () => {
    expect(checkLimits('é'.repeat(6), { maxSourceBytes: 10, maxNestingDepth: 200 })?.message).toBe(
      'rejected source of 12 bytes at 1:1 (source-too-large): the limit is 10 bytes (limits.maxSourceBytes)',
    );
  });
});

describe('nesting-too-deep before parsing', () => {
  test.each([
    ['200 parentheses pass', `${open(200)}1${close(200)}`, null],
    ['201 parentheses are rejected at the 201st', `${open(201)}1${close(201)}`, 'nesting-too-deep@1:201'],
    ['mixed brackets count together', `${'([{'.repeat(67)}`, 'nesting-too-deep@1:201'],
    ['template substitutions count', `${'`${'.repeat(201)}1${'}`'.repeat(201)}`, 'nesting-too-deep@1:602'],
    ['groups inside a regex literal count', `/${'(?:'.repeat(201)}${')'.repeat(201)}/`, 'nesting-too-deep@1:602'],
    ['closers beyond zero do not lower the count', `${close(50)}${open(201)}`, 'nesting-too-deep@1:251'],
    ['on a later line, the position is on that line', `x;\ny;\n${open(201)}`, 'nesting-too-deep@3:201'],
  ])('%s', (_name, code, expected) => {
    expect(at(code, { maxSourceBytes: 1 << 20, maxNestingDepth: 200 })).toBe(expected);
  });

  const wide = { maxSourceBytes: 1 << 20, maxNestingDepth: 200 };
  test.each([
    ['brackets in a single-quoted string', `const s = '${open(300)}'`],
    ['brackets in a double-quoted string with escaped quotes', `const s = "\\"${open(300)}"`],
    ['brackets in a line comment', `// ${open(300)}\n1`],
    ['brackets in a block comment', `/* ${'['.repeat(300)} */ 1`],
    ['brackets in template text', `const t = \`${open(300)}\``],
    ['brackets in a regex character class', `const r = /[${open(300)}]/`],
    ['escaped parentheses in a regex', `const r = /${'\\('.repeat(300)}/`],
    ['a regex after the `)` of an if', `if (x) /[${open(300)}]/.test(s)`],
    ['a regex after a block', `{}\n/[${open(300)}]/.test(s)`],
    ['a regex after return', `function f() { return /[${open(300)}]/ }`],
    ['a regex after a comma and an operator', `f(a, /[${open(300)}]/, b = /[${open(300)}]/)`],
    ['a division then a regex', `const q = a / b; const r = /[${open(300)}]/`],
    ['a hashbang line', `#!/usr/bin/env node ${open(300)}\n1`],
  ])('is not fooled by %s', (_name, code) => {
    expect(at(code, wide)).toBeNull();
  });

  test('a quote inside a regex after if (...) does not hide the brackets after it', () => {
    // A scanner that took this `/` for a division would read `'/.test(s); ((((...` as a string.
    expect(at(`if (x) /'/.test(s); ${open(201)}1${close(201)} // '`, wide)).toBe('nesting-too-deep@1:221');
  });

  test('where the regex heuristic is fooled, the AST measure still rejects the nesting', () => {
    // After the `}` of a function expression the scanner guesses "block", so it reads `/ 1; [[...]] /`
    // as a regex (whose `[` opens a character class) and misses the brackets. acorn parses them;
    // validate measures them.
    const code = `x = function () {} / 1; ${'['.repeat(250)}${']'.repeat(250)} / 2`;
    expect(at(code, wide)).toBeNull();
    expect(pins(check(code)).filter((p) => p.startsWith('nesting-too-deep'))).toEqual(['nesting-too-deep@1:225']);
  });

  test('throws a TypeError for a limit that is not a positive integer (a caller bug)', () => {
    expect(() => checkLimits('1', { maxSourceBytes: 0, maxNestingDepth: 200 })).toThrow(/`maxSourceBytes` to be a positive integer, got `0`/);
    expect(() => checkLimits('1', { maxSourceBytes: 10, maxNestingDepth: 1.5 })).toThrow(/`maxNestingDepth` to be a positive integer, got `1.5`/);
  });
});

describe('nesting-too-deep after parsing (what brackets do not show)', () => {
  test.each([
    ['a long chain of unary operators', `${'!'.repeat(2001)}1`, 'nesting-too-deep@1:2001'],
    ['a long chain of assignments', `${'a='.repeat(2001)}1`, 'nesting-too-deep@1:4001'],
    ['an else-if chain of 1000', `if(a){}${'else if(a){}'.repeat(1000)}`, 'nesting-too-deep@1:12001'],
  ])('%s', (_name, code, expected) => {
    expect(pins(check(code, { maxNestingDepth: 200 }))).toEqual([expected]);
  });

  test('a chain acorn itself cannot parse is nesting-too-deep, not a syntax error', () => {
    expect(pins(check(`${'!'.repeat(100_000)}1`)).map((p) => p.replace(/@.*/, ''))).toEqual(['nesting-too-deep']);
  });
});

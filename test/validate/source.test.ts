/** parseSource: syntax errors with acorn's position, mode detection, and stack exhaustion as nesting. */
import { describe, expect, test } from 'vitest';
import { parseSource } from '../../worker/source.js';

describe('parseSource', () => {
  test('reports a syntax error with a 1-based line and column', () => {
    const parsed = parseSource('const a = 1;\nconst = 2;', 'auto');
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect([parsed.line, parsed.column]).toEqual([2, 7]);
    expect(parsed.message).toMatch(/Unexpected token/);
    expect(parsed.violation).toBeUndefined();
  });

  test.each([
    ['plain code', '1 + 1', 'script'],
    ['an import', "import { mean } from 'quickcage:statistics'; mean([1])", 'module'],
    ['an export', 'export const a = 1', 'module'],
    ['sloppy-only code (`with`)', 'with (Math) max(1)', 'script'],
  ] as const)('auto picks the mode of %s', (_name, code, mode) => {
    const parsed = parseSource(code, 'auto');
    expect(parsed.ok && parsed.sourceType).toBe(mode);
  });

  test('detects top-level await, not await inside functions', () => {
    const top = parseSource('const r = await f(); r', 'auto');
    const inner = parseSource('async function g() { await f() }', 'auto');
    expect(top.ok && top.topLevelAwait).toBe(true);
    expect(inner.ok && inner.topLevelAwait).toBe(false);
  });

  test('keeps grouping parentheses in the AST, for the nesting measure', () => {
    const parsed = parseSource('((1))', 'script');
    expect(parsed.ok && (parsed.ast.body[0] as unknown as { expression: { type: string } }).expression.type).toBe('ParenthesizedExpression');
  });

  test('turns acorn running out of stack into a nesting-too-deep violation', () => {
    const parsed = parseSource(`${'!'.repeat(100_000)}1`, 'auto');
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.message).toMatch(/Not enough stack space/);
    expect(parsed.violation?.rule).toBe('nesting-too-deep');
    expect(parsed.violation?.line).toBe(1);
  });

  test('turns a regex too deep for acorn\'s regex validator into nesting-too-deep too', () => {
    const parsed = parseSource(`/${'('.repeat(20_000)}${')'.repeat(20_000)}/`, 'script');
    expect(!parsed.ok && parsed.violation?.rule).toBe('nesting-too-deep');
  });
});

/**
 * Parses guest source once with acorn. The result decides script vs module evaluation and is the
 * input of the validator. Parsing is for diagnostics and mode detection only: the boundary is QuickJS.
 *
 * The AST keeps grouping parentheses as `ParenthesizedExpression` nodes (`preserveParens`): the
 * validator's nesting measure counts them, because QuickJS recurses once per parenthesis level.
 */
import { parse, type Program } from 'acorn';
import type { SourceType, Violation } from './protocol.js';

/** Outcome of {@link parseSource}. `line`/`column` are 1-based. */
export type ParsedSource =
  | { ok: true; ast: Program; sourceType: 'script' | 'module'; topLevelAwait: boolean }
  | {
    ok: false;
    message: string;
    line: number;
    column: number;
    /**
     * Set when acorn ran out of stack (nesting deeper than it can parse), which is not a syntax
     * error: a `nesting-too-deep` violation to report instead. The message then still contains
     * "Not enough stack space".
     */
    violation?: Violation;
  };

/**
 * Parses `code` as a module (which accepts every script that is also valid module code, plus
 * import/export/top-level await), and falls back to a sloppy script for code that only a script allows
 * (`with`, octal literals). `auto` picks `module` when the code has import/export or top-level await.
 */
export function parseSource(code: string, requested: SourceType): ParsedSource {
  const attempt = (sourceType: 'script' | 'module') => {
    try {
      const ast = parse(code, {
        ecmaVersion: 'latest',
        sourceType,
        locations: true,
        allowAwaitOutsideFunction: sourceType === 'script',
        allowReturnOutsideFunction: false,
        allowHashBang: true,
        preserveParens: true,
      });
      return { ast };
    } catch (error) {
      const e = error as SyntaxError & { loc?: { line: number; column: number } };
      const line = e.loc?.line ?? 1;
      const column = (e.loc?.column ?? 0) + 1;
      // acorn turns most stack exhaustion into "Not enough stack space"; its regex validator can still
      // throw a bare RangeError. Both mean "nested too deep", not "invalid code".
      if (error instanceof RangeError || /not enough stack space/i.test(e.message)) {
        const message = `Not enough stack space to parse input (${line}:${column}): the code nests too deeply`;
        return {
          error: {
            message,
            line,
            column,
            violation: {
              rule: 'nesting-too-deep',
              message: `rejected nesting at ${line}:${column} (nesting-too-deep): the code nests too deeply to parse; flatten it`,
              line,
              column,
              snippet: code.slice(Math.max(0, (e as { pos?: number }).pos ?? 0), ((e as { pos?: number }).pos ?? 0) + 20).replace(/\s+/g, ' '),
            } satisfies Violation,
          },
        };
      }
      return { error: { message: e.message, line, column } };
    }
  };
  const first = attempt(requested === 'script' ? 'script' : 'module');
  let result = first;
  let type: 'script' | 'module' = requested === 'script' ? 'script' : 'module';
  if ('error' in first && requested === 'auto' && !first.error!.violation) {
    const asScript = attempt('script');
    if ('ast' in asScript) {
      result = asScript;
      type = 'script';
    }
  }
  if ('error' in result) return { ok: false, ...result.error! };
  const ast = result.ast!;
  const hasModuleSyntax = ast.body.some((n) => n.type === 'ImportDeclaration' || n.type.startsWith('Export'));
  const topLevelAwait = hasTopLevelAwait(ast);
  if (requested === 'auto' && type === 'module' && !hasModuleSyntax) type = 'script';
  return { ok: true, ast, sourceType: type, topLevelAwait };
}

/** True when an `await` (or `for await`) appears outside every function. */
function hasTopLevelAwait(ast: Program): boolean {
  const stack: unknown[] = [...ast.body];
  while (stack.length > 0) {
    const node = stack.pop() as { type?: string; await?: boolean } | null;
    if (!node || typeof node !== 'object') continue;
    if (node.type === 'AwaitExpression' || (node.type === 'ForOfStatement' && node.await)) return true;
    if (node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression') continue;
    for (const key of Object.keys(node)) {
      if (key === 'loc' || key === 'start' || key === 'end') continue;
      const child = (node as Record<string, unknown>)[key];
      if (Array.isArray(child)) stack.push(...child);
      else if (child && typeof child === 'object') stack.push(child);
    }
  }
  return false;
}

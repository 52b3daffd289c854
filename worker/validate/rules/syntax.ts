/**
 * Rules on single syntax forms: `with`, `debugger`, `import()`, `import.meta`, and static imports
 * of modules that are not on the allow-list.
 */
import type { N } from '../ast.js';
import type { Context } from '../context.js';

/** `with (o) { x }`: every name inside may resolve to a property of `o`, so no static check holds. */
export function checkWith(ctx: Context, n: N): void {
  ctx.report('no-with', n.start, n.start, (n.body as N | undefined)?.start ?? n.end, 'with', '`with` makes every name lookup dynamic, so no static check can hold; name the object explicitly');
}

/** `debugger`: no debugger is attached to a sandbox; in a future engine it could pause the worker. */
export function checkDebugger(ctx: Context, n: N): void {
  ctx.report('no-debugger', n.start, n.start, n.end, 'debugger', 'no debugger is attached to a sandbox; remove the statement');
}

/** `import(x)`: loads a module chosen at run time, around the import allow-list. */
export function checkDynamicImport(ctx: Context, n: N): void {
  ctx.report('no-dynamic-import', n.start, n.start, n.end, 'import()', 'dynamic `import()` loads code chosen at run time; use a static `import` of an allowed module');
}

/** `import.meta` (`new.target` is fine). */
export function checkMetaProperty(ctx: Context, n: N): void {
  if (n.meta?.name === 'import') {
    ctx.report('no-import-meta', n.start, n.start, n.end, 'import.meta', '`import.meta` exposes host module metadata, which a sandbox does not have');
  } else if (!(n.meta?.name === 'new' && n.property?.name === 'target')) {
    ctx.report('unknown-syntax', n.start, n.start, n.end, `${n.meta?.name}.${n.property?.name}`, 'unknown meta property');
  }
}

/** `import ... from 'x'`, `export ... from 'x'`: `x` must be an allowed specifier. */
export function checkImportSource(ctx: Context, n: N): void {
  const source = n.source;
  const specifier = source?.type === 'Literal' && typeof source.value === 'string' ? source.value : undefined;
  if (specifier === undefined) {
    ctx.report('unknown-syntax', n.start, n.start, n.end, 'import', 'import source is not a string literal');
    return;
  }
  if (ctx.options.allowedImports.has(specifier)) return;
  const allowed = [...ctx.options.allowedImports].map((s) => `\`${s}\``).join(', ');
  ctx.report(
    'import-not-allowed',
    source!.start,
    n.start,
    n.end,
    specifier,
    `\`${specifier}\` is not an allowed import (allowed: ${allowed}); a policy can add it to allowedOperations.imports`,
  );
}

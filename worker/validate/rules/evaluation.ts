/**
 * Code evaluation: `eval` and the function constructors. Both compile a string into code at run
 * time, which no static check can see. The names are reserved: any reference is rejected, local
 * bindings included (a local `eval` is confusing at best, and in sloppy scripts `var eval` at the
 * top level is still the global one). The runtime prelude tames both anyway; this gives the author
 * a precise message instead.
 */
import { isFunctionLiteral, target, type N } from '../ast.js';
import type { Context } from '../context.js';
import type { RuleId } from '../rules.js';

const EVAL_WHY = '`eval` compiles a string into code at run time, beyond every check; call a function instead';
const FUNCTION_WHY = '`Function` compiles a string into code at run time; write the function itself instead';
const LITERAL_CONSTRUCTOR_WHY =
  'the constructor of a function or class literal is a function constructor (Function, AsyncFunction, GeneratorFunction), which compiles strings into code';

/** An identifier reference named `eval` or `Function`. */
export function checkIdentifier(ctx: Context, n: N): void {
  if (n.name === 'eval') ctx.report('no-eval', n.start, n.start, n.end, 'eval', EVAL_WHY);
  else if (n.name === 'Function') ctx.report('no-function-constructor', n.start, n.start, n.end, 'Function', FUNCTION_WHY);
}

/**
 * The evaluation rule a read of property `key` on `object` breaks, if any: `x.eval`
 * (`globalThis.eval`, `window.eval`, `this.eval`, any alias of the global object), `x.Function`,
 * and `.constructor` of a function or class literal.
 */
export function evaluationRule(key: string, object: N | null): { rule: RuleId; why: string } | null {
  if (key === 'eval') return { rule: 'no-eval', why: EVAL_WHY };
  if (key === 'Function') return { rule: 'no-function-constructor', why: FUNCTION_WHY };
  if (key === 'constructor' && object !== null && isFunctionLiteral(target(object))) {
    return { rule: 'no-function-constructor', why: LITERAL_CONSTRUCTOR_WHY };
  }
  return null;
}

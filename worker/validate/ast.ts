/**
 * The loose view of acorn's ESTree nodes the validator works with. Fail-closed code must not trust
 * static types for shapes it did not check, so every field is optional and the walker checks node
 * types itself before it relies on a field.
 */

/** An acorn node, with the ESTree fields the validator reads. */
export interface N {
  readonly type: string;
  readonly start: number;
  readonly end: number;
  readonly name?: string;
  readonly operator?: string;
  readonly kind?: string;
  readonly computed?: boolean;
  readonly optional?: boolean;
  readonly method?: boolean;
  readonly shorthand?: boolean;
  readonly static?: boolean;
  readonly object?: N;
  readonly property?: N;
  readonly key?: N;
  readonly left?: N;
  readonly right?: N;
  readonly test?: N | null;
  /** `IfStatement`/`ConditionalExpression`: a node; `SwitchCase`: a list. */
  readonly consequent?: N | N[];
  readonly alternate?: N | null;
  readonly argument?: N | null;
  readonly arguments?: N[];
  readonly callee?: N;
  readonly elements?: (N | null)[];
  readonly properties?: N[];
  readonly params?: N[];
  readonly id?: N | null;
  readonly init?: N | null;
  readonly update?: N | null;
  readonly declarations?: N[];
  readonly declaration?: N | null;
  readonly specifiers?: N[];
  readonly source?: N | null;
  readonly attributes?: N[];
  readonly expressions?: N[];
  readonly quasis?: N[];
  readonly quasi?: N;
  readonly tag?: N;
  readonly superClass?: N | null;
  /** A node, a list of statements (`Program`, `BlockStatement`, `ClassBody`, `StaticBlock`). */
  readonly body?: N | N[];
  /** A node (`ExpressionStatement`, `ChainExpression`, ...) or, on arrows, whether the body is an expression. */
  readonly expression?: N | boolean;
  readonly label?: N | null;
  readonly block?: N;
  readonly handler?: N | null;
  readonly finalizer?: N | null;
  readonly param?: N | null;
  readonly discriminant?: N;
  readonly cases?: N[];
  readonly meta?: N;
  readonly local?: N;
  readonly imported?: N;
  readonly exported?: N | null;
  readonly options?: N | null;
  /** `Literal`: the value; `Property`: a node; `TemplateElement`: `{ cooked, raw }`. */
  readonly value?: unknown;
  readonly regex?: { pattern: string; flags: string };
}

/** Strips grouping parentheses (kept by `preserveParens`) and optional-chain wrappers. */
export function unwrap(node: N): N {
  let n = node;
  while (n.type === 'ParenthesizedExpression' || n.type === 'ChainExpression') n = n.expression as N;
  return n;
}

/** Like {@link unwrap}, and takes the value of a sequence: `(0, x.prototype)` is `x.prototype`. */
export function target(node: N): N {
  let n = unwrap(node);
  while (n.type === 'SequenceExpression' && n.expressions && n.expressions.length > 0) n = unwrap(n.expressions[n.expressions.length - 1]!);
  return n;
}

/** True for function and class literals, whose `.constructor` is a function constructor. */
export function isFunctionLiteral(node: N): boolean {
  return node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression' || node.type === 'ClassExpression';
}

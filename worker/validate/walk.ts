/**
 * The traversal: an allow-list dispatch table with one entry per ESTree node type the validator
 * knows (after acorn's own design). A node type without an entry is reported as `unknown-syntax`
 * and not descended into: new syntax is rejected until someone decides what it can reach.
 *
 * The walk is iterative (an explicit stack), so no input can exhaust the worker's stack here. On the
 * way it builds scopes, runs the rules that need no name resolution, measures nesting cost, and
 * records the sites (identifier references, property keys, reflective calls) that the rule
 * families check once every declaration is known (declarations are hoisted, so a reference can
 * precede the binding it resolves to).
 *
 * Things acorn-walk would miss and this table handles explicitly: non-computed
 * `MemberExpression.property` and object/class keys (names, not references, but still checked as
 * property names), and binding names in patterns (declared, not referenced).
 */
import type { N } from './ast.js';
import type { Context } from './context.js';
import { checkDebugger, checkDynamicImport, checkImportSource, checkMetaProperty, checkWith } from './rules/syntax.js';
import { checkIdentifier } from './rules/evaluation.js';
import { HOST_GLOBAL_NAMES, type Reference } from './rules/globals.js';
import { snippetOf } from './position.js';
import { Scope, type BindingKind } from './scope.js';

/** How a property key is used at a site. */
export const SiteKind = {
  /** `x.k`, `x[k]`, `x?.k` read (or called). */
  Read: 0,
  /** `x.k = v`, `x.k += v`, `x.k++`, `delete x.k`, `for (x.k of ...)`, `[x.k] = ...`. */
  Write: 1,
  /** Destructuring `{ k: v } = x`: a read of `x.k`. */
  PatternRead: 2,
  /** Object literal key `{ k: v }`: defines an own property. */
  ObjectKey: 3,
  /** Class member key `class { k() {} }`. */
  ClassKey: 4,
} as const;
/** One of {@link SiteKind}. */
export type SiteKind = (typeof SiteKind)[keyof typeof SiteKind];

/** A place where a property key is used, checked after the walk. */
export interface PropertySite {
  readonly kind: SiteKind;
  /** Offset reported (the key). */
  readonly at: number;
  /** The node quoted as the snippet. */
  readonly node: N;
  /** A known name, or the computed key expression. */
  readonly key: string | N;
  /** The object the key applies to, when known (`x` of `x.k`); null for literals and unknown sources. */
  readonly object: N | null;
  readonly scope: Scope;
}


/** A call whose callee may be a reflective accessor (`Reflect.get`, `Object.defineProperty`, ...). */
export interface CallSite {
  readonly node: N;
  readonly scope: Scope;
}

/** What the walk leaves for the rules that need resolved names. */
export interface WalkResult {
  readonly sites: PropertySite[];
  readonly references: Reference[];
  readonly calls: CallSite[];
}

/** A name assigned somewhere (`k = ...`, `k++`, `[k] = ...`, `for (k of ...)`): marks its binding written. */
interface Write {
  readonly name: string;
  readonly scope: Scope;
}

// Roles of a node on the stack.
const NODE = 0;
/** A binding pattern: names are declared in the entry's binding scope. */
const BIND = 1;
/** An assignment target: names are written references, members are writes. */
const ASSIGN = 2;

/**
 * Nesting cost of entering a node, in twentieths of a "parenthesis unit" (integers, so limits are
 * exact; one unit is one `(`, `[`, `{` of an object literal, or `${`). The weights come from
 * measuring how deep QuickJS's recursive-descent parser gets per construct before it overflows the
 * worker stack in Chromium: parentheses ~320 levels; unary, conditional and assignment chains ~4500;
 * arrows ~1240; functions ~1590; statement nesting ~1800; classes ~145. Left operands, callees and
 * member objects cost nothing: both parsers loop over those chains.
 */
export const UNIT = 20;
const WEIGHT: Readonly<Record<string, number>> = {
  ParenthesizedExpression: 20,
  ArrayExpression: 20,
  ArrayPattern: 20,
  ObjectExpression: 20,
  ObjectPattern: 20,
  CallExpression: 20,
  NewExpression: 20,
  ImportExpression: 20,
  TemplateLiteral: 25,
  ClassExpression: 20,
  ClassDeclaration: 20,
  ArrowFunctionExpression: 6,
  FunctionExpression: 5,
  FunctionDeclaration: 5,
  MethodDefinition: 2,
  PropertyDefinition: 2,
  StaticBlock: 5,
  BlockStatement: 4,
  IfStatement: 4,
  ForStatement: 4,
  ForInStatement: 4,
  ForOfStatement: 4,
  WhileStatement: 4,
  DoWhileStatement: 4,
  LabeledStatement: 4,
  WithStatement: 4,
  TryStatement: 4,
  CatchClause: 4,
  SwitchStatement: 4,
  ExportNamedDeclaration: 0,
  ExportDefaultDeclaration: 0,
  ExpressionStatement: 0,
  ChainExpression: 0,
  MemberExpression: 0,
  Identifier: 0,
  Literal: 0,
  ThisExpression: 0,
  Super: 0,
  PrivateIdentifier: 0,
  TemplateElement: 0,
};
/** Everything else (unary, binary right operands, conditional, assignment, await, spread, ...): 0.1 unit. */
const DEFAULT_WEIGHT = 2;
/** A computed member key re-enters a full expression, like a parenthesis. */
const COMPUTED_KEY_WEIGHT = 20;

type Handler = (w: Walker, n: N, s: Scope, cost: number) => void;
type PatternHandler = (w: Walker, n: N, s: Scope, cost: number, role: number, bind: Binding | null) => void;
interface Binding {
  readonly scope: Scope;
  readonly kind: BindingKind;
}

/** The walker's state; handlers push children onto its stack. */
export class Walker {
  private readonly nodes: N[] = [];
  private readonly scopes: Scope[] = [];
  private readonly costs: number[] = [];
  private readonly roles: number[] = [];
  private readonly binds: (Binding | null)[] = [];
  private nestingReported = false;
  readonly sites: PropertySite[] = [];
  readonly references: Reference[] = [];
  readonly calls: CallSite[] = [];
  private readonly writes: Write[] = [];

  constructor(readonly ctx: Context) {}

  /** Walks `program` to the end. */
  run(program: N): WalkResult {
    const script = this.ctx.sourceType === 'script';
    const scope = new Scope(null, true, script);
    if (program.type !== 'Program') this.unknown(program);
    else this.statements(program.body as N[], scope, 0);
    while (this.nodes.length > 0 && !this.ctx.full) {
      const node = this.nodes.pop()!;
      const s = this.scopes.pop()!;
      const cost = this.costs.pop()!;
      const role = this.roles.pop()!;
      const bind = this.binds.pop()!;
      if (role === NODE) {
        const handler = HANDLERS[node.type];
        if (handler === undefined) this.unknown(node);
        else handler(this, node, s, cost);
      } else {
        const handler = PATTERNS[node.type];
        if (handler === undefined || (role === BIND && (node.type === 'MemberExpression' || node.type === 'ParenthesizedExpression'))) this.unknown(node);
        else handler(this, node, s, cost, role, bind);
      }
    }
    // Every declaration is known now: mark the bindings that something writes.
    for (const { name, scope } of this.writes) {
      const binding = scope.lookup(name);
      if (binding !== undefined) binding.written = true;
    }
    return { sites: this.sites, references: this.references, calls: this.calls };
  }

  /** Records that `name` is assigned from scope `s`. */
  write(name: string, s: Scope): void {
    this.writes.push({ name, scope: s });
  }

  /** Pushes an expression or statement; `weight` overrides the node type's own nesting cost. */
  visit(node: N | null | undefined, s: Scope, parentCost: number, weight?: number): void {
    if (node == null) return;
    this.push(node, s, parentCost + (weight ?? WEIGHT[node.type] ?? DEFAULT_WEIGHT), NODE, null);
  }

  /** Pushes a binding pattern whose names are declared as `kind` in `bindScope`. */
  bind(node: N, s: Scope, parentCost: number, bindScope: Scope, kind: BindingKind): void {
    this.push(node, s, parentCost + (WEIGHT[node.type] ?? DEFAULT_WEIGHT), BIND, { scope: bindScope, kind });
  }

  /** Pushes an assignment target (identifier, member, or destructuring pattern). */
  assign(node: N, s: Scope, parentCost: number): void {
    this.push(node, s, parentCost + (WEIGHT[node.type] ?? DEFAULT_WEIGHT), ASSIGN, null);
  }

  /** Pushes a pattern child with the role of its parent pattern. */
  pattern(node: N, s: Scope, parentCost: number, role: number, bind: Binding | null): void {
    this.push(node, s, parentCost + (WEIGHT[node.type] ?? DEFAULT_WEIGHT), role, bind);
  }

  /**
   * Pushes statements (in reverse, so they pop in source order) into `s`, and declares their
   * function and class names there (names resolve after the walk, so hoisting order is moot).
   */
  statements(list: N[] | undefined, s: Scope, cost: number): void {
    if (!Array.isArray(list)) return;
    for (const statement of list) this.hoist(statement, s);
    for (let i = list.length - 1; i >= 0; i--) this.visit(list[i], s, cost);
  }

  private hoist(statement: N, s: Scope): void {
    let decl: N | null | undefined = statement;
    if (decl.type === 'ExportNamedDeclaration' || decl.type === 'ExportDefaultDeclaration') decl = decl.declaration;
    if (!decl) return;
    if (decl.type === 'FunctionDeclaration' && decl.id) {
      s.declare(decl.id.name!, 'function');
      // Annex B: in scripts a function declared in a block is also a `var` of its function.
      if (this.ctx.sourceType === 'script') s.varScope.declare(decl.id.name!, 'function');
    } else if (decl.type === 'ClassDeclaration' && decl.id) s.declare(decl.id.name!, 'class');
  }

  private push(node: N, s: Scope, cost: number, role: number, bind: Binding | null): void {
    if (cost > this.ctx.options.maxNestingDepth * UNIT && !this.nestingReported) {
      this.nestingReported = true;
      this.ctx.report(
        'nesting-too-deep',
        node.start,
        node.start,
        node.end,
        snippetOf(this.ctx.code, node.start, node.start + 20),
        `the code nests deeper than limits.maxNestingDepth (${this.ctx.options.maxNestingDepth}) allows: QuickJS parses it recursively and would exhaust the worker stack; flatten it`,
      );
    }
    this.nodes.push(node);
    this.scopes.push(s);
    this.costs.push(cost);
    this.roles.push(role);
    this.binds.push(bind);
  }

  /** Reports a node type the table does not know (fail closed). */
  unknown(node: N): void {
    this.ctx.report(
      'unknown-syntax',
      node.start,
      node.start,
      node.end,
      String(node.type),
      `the validator does not know ${String(node.type)} syntax, so it rejects it rather than guess what it can reach`,
    );
  }

  /** Records a property site. */
  site(kind: SiteKind, at: number, node: N, key: string | N, object: N | null, scope: Scope): void {
    this.sites.push({ kind, at, node, key, object, scope });
  }

  /** Handles a member expression used as `kind` (read or write). */
  member(n: N, s: Scope, cost: number, kind: typeof SiteKind.Read | typeof SiteKind.Write): void {
    const property = n.property!;
    if (property.type === 'PrivateIdentifier') {
      // `this.#x`: private names cannot collide with real property names.
    } else if (n.computed) {
      this.site(kind, property.start, n, property, n.object!, s);
      this.visit(property, s, cost, COMPUTED_KEY_WEIGHT);
    } else if (property.type === 'Identifier') {
      this.site(kind, property.start, n, property.name!, n.object!, s);
    } else this.unknown(property);
    const object = n.object!;
    if (object.type === 'Super') return;
    this.visit(object, s, cost, 0);
  }

  /** Handles a property key of an object literal, object pattern or class body (not a reference). */
  key(kind: SiteKind, owner: N, key: N, computed: boolean, object: N | null, s: Scope, cost: number): void {
    if (computed) {
      this.site(kind, key.start, owner, key, object, s);
      this.visit(key, s, cost);
    } else if (key.type === 'Identifier') this.site(kind, key.start, owner, key.name!, object, s);
    else if (key.type === 'Literal') this.site(kind, key.start, owner, String(key.value), object, s);
    else if (key.type !== 'PrivateIdentifier') this.unknown(key);
  }

  /** Declares a function's own scope, its parameters and body. */
  func(n: N, s: Scope, cost: number, arrow: boolean): void {
    const scope = new Scope(s, true, arrow ? s.thisIsGlobal : false);
    if (!arrow && n.type === 'FunctionExpression' && n.id) scope.declare(n.id.name!, 'function');
    const params = n.params ?? [];
    const body = n.body as N;
    // Body first on the stack, so parameters (and their defaults) are walked first.
    if (arrow && n.expression === true) this.visit(body, scope, cost);
    else if (body?.type === 'BlockStatement') this.statements(body.body as N[], scope, cost + WEIGHT.BlockStatement!);
    else this.unknown(body ?? n);
    for (let i = params.length - 1; i >= 0; i--) this.bind(params[i]!, scope, cost, scope, 'param');
  }

  /** Walks a class body in a scope where `this` is never the global object. */
  klass(n: N, s: Scope, cost: number): void {
    const scope = new Scope(s, false, false);
    if (n.id) scope.declare(n.id.name!, 'class');
    const body = n.body as N;
    if (body?.type !== 'ClassBody') return this.unknown(body ?? n);
    const members = body.body as N[];
    for (let i = members.length - 1; i >= 0; i--) {
      const m = members[i]!;
      const mcost = cost + (WEIGHT[m.type] ?? DEFAULT_WEIGHT);
      if (m.type === 'MethodDefinition') {
        // The `constructor` method is class syntax, not a property access.
        if (m.kind !== 'constructor') this.key(SiteKind.ClassKey, m, m.key!, m.computed === true, null, scope, mcost);
        this.visit(m.value as N, scope, mcost);
      } else if (m.type === 'PropertyDefinition') {
        this.key(SiteKind.ClassKey, m, m.key!, m.computed === true, null, scope, mcost);
        this.visit(m.value as N | null, scope, mcost);
      } else if (m.type === 'StaticBlock') {
        this.statements(m.body as N[], new Scope(scope, true, false), mcost);
      } else this.unknown(m);
    }
    this.visit(n.superClass, s, cost);
  }

  /** Records an identifier reference (a read or a written name). */
  reference(n: N, s: Scope, typeofOperand = false): void {
    checkIdentifier(this.ctx, n);
    if (HOST_GLOBAL_NAMES.has(n.name!)) this.references.push({ node: n, scope: s, typeofOperand });
  }
}

const HANDLERS: Readonly<Record<string, Handler>> = Object.assign(Object.create(null) as Record<string, Handler>, {
  // Statements
  ExpressionStatement: (w, n, s, c) => w.visit(n.expression as N, s, c),
  BlockStatement: (w, n, s, c) => w.statements(n.body as N[], new Scope(s, false, s.thisIsGlobal), c),
  EmptyStatement: () => {},
  DebuggerStatement: (w, n) => checkDebugger(w.ctx, n),
  WithStatement: (w, n, s, c) => {
    checkWith(w.ctx, n);
    w.visit(n.body as N, s, c);
    w.visit(n.object, s, c);
  },
  ReturnStatement: (w, n, s, c) => w.visit(n.argument, s, c),
  ThrowStatement: (w, n, s, c) => w.visit(n.argument, s, c),
  LabeledStatement: (w, n, s, c) => w.visit(n.body as N, s, c),
  BreakStatement: () => {},
  ContinueStatement: () => {},
  IfStatement: (w, n, s, c) => {
    w.visit(n.alternate, s, c);
    w.visit(n.consequent as N, s, c);
    w.visit(n.test, s, c);
  },
  SwitchStatement: (w, n, s, c) => {
    const scope = new Scope(s, false, s.thisIsGlobal); // all cases share one block scope
    const cases = n.cases ?? [];
    for (let i = cases.length - 1; i >= 0; i--) {
      const kase = cases[i]!;
      if (kase.type !== 'SwitchCase') {
        w.unknown(kase);
        continue;
      }
      w.statements(kase.consequent as N[], scope, c);
      w.visit(kase.test, scope, c);
    }
    w.visit(n.discriminant, s, c);
  },
  TryStatement: (w, n, s, c) => {
    w.visit(n.finalizer, s, c);
    const handler = n.handler;
    if (handler) {
      if (handler.type !== 'CatchClause') w.unknown(handler);
      else {
        const scope = new Scope(s, false, s.thisIsGlobal);
        const body = handler.body as N;
        if (body?.type !== 'BlockStatement') w.unknown(body ?? handler);
        else w.statements(body.body as N[], scope, c + WEIGHT.CatchClause!);
        if (handler.param) w.bind(handler.param, scope, c, scope, 'catch');
      }
    }
    w.visit(n.block, s, c);
  },
  WhileStatement: (w, n, s, c) => {
    w.visit(n.body as N, s, c);
    w.visit(n.test, s, c);
  },
  DoWhileStatement: (w, n, s, c) => {
    w.visit(n.test, s, c);
    w.visit(n.body as N, s, c);
  },
  ForStatement: (w, n, s, c) => {
    const scope = new Scope(s, false, s.thisIsGlobal);
    w.visit(n.body as N, scope, c);
    w.visit(n.update, scope, c);
    w.visit(n.test, scope, c);
    w.visit(n.init, scope, c);
  },
  ForInStatement: (w, n, s, c) => forInOf(w, n, s, c),
  ForOfStatement: (w, n, s, c) => forInOf(w, n, s, c),
  FunctionDeclaration: (w, n, s, c) => w.func(n, s, c, false),
  VariableDeclaration: (w, n, s, c) => declaration(w, n, s, c),
  ClassDeclaration: (w, n, s, c) => w.klass(n, s, c),

  // Expressions
  Identifier: (w, n, s) => w.reference(n, s),
  PrivateIdentifier: () => {}, // `#x in obj`
  Literal: () => {},
  ThisExpression: () => {},
  Super: () => {},
  TemplateElement: () => {},
  ParenthesizedExpression: (w, n, s, c) => w.visit(n.expression as N, s, c),
  ChainExpression: (w, n, s, c) => w.visit(n.expression as N, s, c),
  SequenceExpression: (w, n, s, c) => each(w, n.expressions, s, c),
  ArrayExpression: (w, n, s, c) => each(w, n.elements, s, c),
  SpreadElement: (w, n, s, c) => w.visit(n.argument, s, c),
  ObjectExpression: (w, n, s, c) => {
    const properties = n.properties ?? [];
    for (let i = properties.length - 1; i >= 0; i--) {
      const p = properties[i]!;
      if (p.type === 'SpreadElement') w.visit(p, s, c);
      else if (p.type === 'Property') {
        w.visit(p.value as N, s, c, 0);
        w.key(SiteKind.ObjectKey, p, p.key!, p.computed === true, null, s, c);
      } else w.unknown(p);
    }
  },
  FunctionExpression: (w, n, s, c) => w.func(n, s, c, false),
  ArrowFunctionExpression: (w, n, s, c) => w.func(n, s, c, true),
  ClassExpression: (w, n, s, c) => w.klass(n, s, c),
  UnaryExpression: (w, n, s, c) => {
    const argument = n.argument!;
    if (n.operator === 'typeof' && argument.type === 'Identifier') return w.reference(argument, s, true);
    if (n.operator === 'delete') {
      const t = unparen(argument);
      if (t.type === 'MemberExpression') return w.member(t, s, c, SiteKind.Write);
    }
    w.visit(argument, s, c);
  },
  UpdateExpression: (w, n, s, c) => w.assign(n.argument!, s, c),
  BinaryExpression: (w, n, s, c) => {
    w.visit(n.right, s, c);
    w.visit(n.left, s, c, 0);
  },
  LogicalExpression: (w, n, s, c) => {
    w.visit(n.right, s, c);
    w.visit(n.left, s, c, 0);
  },
  AssignmentExpression: (w, n, s, c) => {
    const left = n.left!;
    if (left.type === 'ObjectPattern') patternSources.set(left, n.right!);
    w.visit(n.right, s, c);
    w.assign(left, s, c);
  },
  ConditionalExpression: (w, n, s, c) => {
    w.visit(n.alternate, s, c);
    w.visit(n.consequent as N, s, c);
    w.visit(n.test, s, c, 0);
  },
  MemberExpression: (w, n, s, c) => w.member(n, s, c, SiteKind.Read),
  CallExpression: (w, n, s, c) => {
    each(w, n.arguments, s, c);
    const callee = n.callee!;
    if (callee.type !== 'Super') w.visit(callee, s, c, 0);
    if (unparen(callee).type === 'MemberExpression') w.calls.push({ node: n, scope: s });
  },
  NewExpression: (w, n, s, c) => {
    each(w, n.arguments, s, c);
    w.visit(n.callee, s, c, DEFAULT_WEIGHT);
  },
  AwaitExpression: (w, n, s, c) => w.visit(n.argument, s, c),
  YieldExpression: (w, n, s, c) => w.visit(n.argument, s, c),
  TemplateLiteral: (w, n, s, c) => each(w, n.expressions, s, c, 0),
  TaggedTemplateExpression: (w, n, s, c) => {
    w.visit(n.quasi, s, c);
    w.visit(n.tag, s, c, 0);
  },
  MetaProperty: (w, n) => checkMetaProperty(w.ctx, n),
  ImportExpression: (w, n, s, c) => {
    checkDynamicImport(w.ctx, n);
    w.visit(n.options, s, c);
    w.visit(n.source, s, c);
  },

  // Modules
  ImportDeclaration: (w, n, s) => {
    checkImportSource(w.ctx, n);
    for (const spec of n.specifiers ?? []) {
      if (spec.type === 'ImportSpecifier' || spec.type === 'ImportDefaultSpecifier' || spec.type === 'ImportNamespaceSpecifier') {
        s.declare(spec.local!.name!, 'import');
      } else w.unknown(spec);
    }
    attributes(w, n);
  },
  ExportNamedDeclaration: (w, n, s, c) => {
    if (n.source) checkImportSource(w.ctx, n);
    for (const spec of n.specifiers ?? []) {
      if (spec.type !== 'ExportSpecifier') w.unknown(spec);
      // `export { x }` reads the local `x`; `export { x } from 'm'` names an export of `m`.
      else if (!n.source && spec.local?.type === 'Identifier') w.reference(spec.local, s);
    }
    attributes(w, n);
    w.visit(n.declaration, s, c);
  },
  ExportDefaultDeclaration: (w, n, s, c) => w.visit(n.declaration, s, c),
  ExportAllDeclaration: (w, n) => {
    checkImportSource(w.ctx, n);
    attributes(w, n);
  },
} satisfies Record<string, Handler>);

const PATTERNS: Readonly<Record<string, PatternHandler>> = Object.assign(Object.create(null) as Record<string, PatternHandler>, {
  Identifier: (w, n, s, _c, role, bind) => {
    if (role === BIND) bind!.scope.declare(n.name!, bind!.kind);
    else {
      w.write(n.name!, s);
      w.reference(n, s);
    }
  },
  MemberExpression: (w, n, s, c) => w.member(n, s, c, SiteKind.Write),
  ParenthesizedExpression: (w, n, s, c, role, bind) => w.pattern(n.expression as N, s, c, role, bind),
  AssignmentPattern: (w, n, s, c, role, bind) => {
    w.visit(n.right, s, c);
    w.pattern(n.left!, s, c, role, bind);
  },
  RestElement: (w, n, s, c, role, bind) => w.pattern(n.argument!, s, c, role, bind),
  ArrayPattern: (w, n, s, c, role, bind) => {
    const elements = n.elements ?? [];
    for (let i = elements.length - 1; i >= 0; i--) {
      const e = elements[i];
      if (e) w.pattern(e, s, c, role, bind);
    }
  },
  ObjectPattern: (w, n, s, c, role, bind) => {
    const properties = n.properties ?? [];
    const source = patternSources.get(n) ?? null;
    for (let i = properties.length - 1; i >= 0; i--) {
      const p = properties[i]!;
      if (p.type === 'RestElement') w.pattern(p, s, c, role, bind);
      else if (p.type === 'Property') {
        w.pattern(p.value as N, s, c, role, bind);
        w.key(SiteKind.PatternRead, p, p.key!, p.computed === true, source, s, c);
      } else w.unknown(p);
    }
  },
} satisfies Record<string, PatternHandler>);

/**
 * The object a top-level object pattern destructures (`const { k } = source`, `({ k } = source)`),
 * so a dynamic key in it is checked against its source like `source[k]`.
 */
const patternSources = new WeakMap<N, N>();

function unparen(node: N): N {
  let n = node;
  while (n.type === 'ParenthesizedExpression') n = n.expression as N;
  return n;
}

function each(w: Walker, list: (N | null)[] | undefined, s: Scope, c: number, weight?: number): void {
  if (!list) return;
  for (let i = list.length - 1; i >= 0; i--) w.visit(list[i], s, c, weight);
}

function attributes(w: Walker, n: N): void {
  for (const a of n.attributes ?? []) if (a.type !== 'ImportAttribute') w.unknown(a);
}

function declaration(w: Walker, n: N, s: Scope, c: number): void {
  const kind = n.kind;
  const isVar = kind === 'var';
  if (!isVar && kind !== 'let' && kind !== 'const' && kind !== 'using' && kind !== 'await using') return w.unknown(n);
  const declarators = n.declarations ?? [];
  for (let i = declarators.length - 1; i >= 0; i--) {
    const d = declarators[i]!;
    if (d.type !== 'VariableDeclarator') {
      w.unknown(d);
      continue;
    }
    const id = d.id!;
    w.visit(d.init, s, c);
    if (id.type === 'Identifier') {
      // Keep the initializer: a key may resolve through it while nothing writes the name (see constantInit).
      const bindingKind = kind === 'const' ? 'const' : isVar ? 'var' : 'let';
      (isVar ? s.varScope : s).declare(id.name!, bindingKind, kind === 'using' || kind === 'await using' ? null : (d.init ?? null));
    } else {
      if (id.type === 'ObjectPattern' && d.init) patternSources.set(id, d.init);
      w.bind(id, s, c, isVar ? s.varScope : s, kind === 'const' ? 'const' : isVar ? 'var' : 'let');
    }
  }
}

function forInOf(w: Walker, n: N, s: Scope, c: number): void {
  const scope = new Scope(s, false, s.thisIsGlobal);
  w.visit(n.body as N, scope, c);
  w.visit(n.right, s, c);
  const left = n.left!;
  if (left.type === 'VariableDeclaration') {
    const kind = left.kind;
    const isVar = kind === 'var';
    for (const d of left.declarations ?? []) {
      if (d.type !== 'VariableDeclarator') w.unknown(d);
      else {
        w.visit(d.init, scope, c); // `for (var x = 1 in o)`: sloppy legacy
        w.bind(d.id!, scope, c, isVar ? scope.varScope : scope, kind === 'const' ? 'const' : isVar ? 'var' : 'let');
      }
    }
  } else w.assign(left, scope, c);
}

/**
 * Lexical scopes, just enough to tell a local binding from a global: `window` declared by the
 * guest is not the host's window, and `const k = 'constr' + 'uctor'` (or a `let`/`var` that
 * nothing ever writes again) lets a computed key resolve.
 */
import type { N } from './ast.js';

/** How a name was bound. */
export type BindingKind = 'var' | 'let' | 'const' | 'function' | 'class' | 'param' | 'catch' | 'import';

/** One binding of a name in a scope. */
export interface Binding {
  readonly kind: BindingKind;
  /** The initializer of `const|let|var name = init` (simple identifier declarations only). */
  readonly init: N | null;
  /** The scope the binding lives in (where its initializer's names resolve). */
  readonly scope: Scope;
  /** Set once anything assigns the name, or declares it a second time: its initializer is then not its value. */
  written: boolean;
}

/** A scope: program, function (a `var` boundary), block or class. */
export class Scope {
  private names: Map<string, Binding> | null = null;
  /** Nearest enclosing scope that receives `var` declarations. */
  readonly varScope: Scope;

  /**
   * @param parent enclosing scope, null for the program
   * @param isVarScope whether `var` declarations stop here (program, functions, static blocks)
   * @param thisIsGlobal whether `this` here is the global object (script top level, and arrows in it)
   */
  constructor(
    readonly parent: Scope | null,
    isVarScope: boolean,
    readonly thisIsGlobal: boolean,
  ) {
    this.varScope = isVarScope || parent === null ? this : parent.varScope;
  }

  /** Declares `name`; a second declaration of the same name keeps the first and marks it written (redeclared `var`s). */
  declare(name: string, kind: BindingKind, init: N | null = null): void {
    const names = (this.names ??= new Map<string, Binding>());
    const existing = names.get(name);
    if (existing === undefined) names.set(name, { kind, init, scope: this, written: false });
    else existing.written = true;
  }

  /** True for the program scope of a script, whose `var`s are properties of the global object. */
  get isScriptTop(): boolean {
    return this.parent === null && this.thisIsGlobal;
  }

  /** The binding `name` resolves to from here, or undefined for a global (or a typo). */
  lookup(name: string): Binding | undefined {
    const own = this.names?.get(name);
    if (own !== undefined) return own;
    for (let s = this.parent; s !== null; s = s.parent) {
      const binding = s.names?.get(name);
      if (binding !== undefined) return binding;
    }
    return undefined;
  }
}

/**
 * The initializer a binding always evaluates to, when the validator can know it: a `const`, or a
 * `let`/`var` that nothing in this source assigns or redeclares. Not a `let`/`var` at the top level
 * of a script: the global object can write a top-level `var` behind any name (`globalThis.k = ...`),
 * and a later run in the same session can assign either.
 */
export function constantInit(binding: Binding): N | null {
  if (binding.init === null || binding.written) return null;
  if (binding.kind === 'const') return binding.init;
  if ((binding.kind === 'let' || binding.kind === 'var') && !binding.scope.isScriptTop) return binding.init;
  return null;
}

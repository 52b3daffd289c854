/**
 * Lexical scopes, just enough to tell a local binding from a global: `window` declared by the
 * guest is not the host's window, and `const k = 'constr' + 'uctor'` lets a computed key resolve.
 */
import type { N } from './ast.js';

/** How a name was bound. */
export type BindingKind = 'var' | 'let' | 'const' | 'function' | 'class' | 'param' | 'catch' | 'import';

/** One binding of a name in a scope. */
export interface Binding {
  readonly kind: BindingKind;
  /** The initializer of a `const name = init` (only then: other bindings can change). */
  readonly init: N | null;
  /** The scope the binding lives in (where its initializer's names resolve). */
  readonly scope: Scope;
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

  /** Declares `name`; a second declaration of the same name keeps the first (redeclared `var`s). */
  declare(name: string, kind: BindingKind, init: N | null = null): void {
    const names = (this.names ??= new Map());
    if (!names.has(name)) names.set(name, { kind, init, scope: this });
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

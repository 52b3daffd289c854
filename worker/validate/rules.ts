/**
 * The validator's rule catalogue: stable ids and what each blocks.
 *
 * LEAF FILE: constants only, no imports, nothing that runs. `src/policy.ts` imports it to check
 * `validation.disabledRules` on the main thread without pulling acorn or the validator into the
 * main bundle (the same exception to "src never imports worker" as `worker/protocol.ts`).
 */

/** What one rule guards against, for docs, messages and policy checks. */
export interface RuleInfo {
  /** One line: the threat the rule blocks. */
  readonly summary: string;
  /**
   * Whether `policy.validation.disabledRules` may turn the rule off. Limits and the fail-closed
   * syntax allow-list protect the worker itself, so no policy can switch them off.
   */
  readonly disableable: boolean;
}

/** Every rule, by stable id. Ids are part of the public API (they appear in violations): never rename one. */
export const RULES = {
  'source-too-large': { summary: 'source text over `limits.maxSourceBytes` (UTF-8 bytes)', disableable: false },
  'nesting-too-deep': {
    summary: 'brackets or expressions nested deeper than `limits.maxNestingDepth`: parsers recurse per level and would exhaust the worker stack',
    disableable: false,
  },
  'unknown-syntax': { summary: 'a syntax node the validator does not know: it fails closed rather than guess', disableable: false },
  'no-eval': { summary: '`eval` in any form (reference, alias, `globalThis.eval`, computed key): it compiles strings into code', disableable: true },
  'no-function-constructor': {
    summary: '`Function` and the async/generator function constructors reached as `.constructor` of a function literal: they compile strings into code',
    disableable: true,
  },
  'no-dynamic-import': { summary: '`import()`: loads code chosen at run time, around the import allow-list', disableable: true },
  'no-import-meta': { summary: '`import.meta`: exposes host module metadata', disableable: true },
  'no-with': { summary: '`with`: makes every name lookup dynamic, so no static check can hold', disableable: true },
  'no-debugger': { summary: '`debugger`: no debugger is attached to a sandbox', disableable: true },
  'forbidden-property': {
    summary: '`constructor`, `__proto__`, `__defineGetter__`, `__defineSetter__`, `__lookupGetter__`, `__lookupSetter__`, `caller`, `callee`: paths to constructors, prototypes and callers',
    disableable: true,
  },
  'no-prototype-write': { summary: 'writes to `x.prototype` or into a prototype object: poisoning shared built-ins', disableable: true },
  'import-not-allowed': { summary: 'a static import or re-export of a module not on the allow-list', disableable: true },
  'host-global': {
    summary: 'a browser/Node global the sandbox does not have (`window`, `document`, `fetch` when not granted, ...): a precise message instead of a ReferenceError',
    disableable: true,
  },
  'dynamic-sensitive-access': {
    summary: 'a computed key that is not constant on a sensitive target (the global object, built-in constructors, prototypes, function literals)',
    disableable: true,
  },
} as const satisfies Record<string, RuleInfo>;

/** A rule id: one key of {@link RULES}. */
export type RuleId = keyof typeof RULES;

/** Every rule id, in documentation order. */
export const RULE_IDS = Object.freeze(Object.keys(RULES)) as readonly RuleId[];

/** Rule ids a policy may disable (see {@link RuleInfo.disableable}). */
export const DISABLEABLE_RULE_IDS = Object.freeze(RULE_IDS.filter((id) => RULES[id].disableable)) as readonly RuleId[];

/**
 * Specifiers of the trusted modules importable without any policy entry (sources in
 * `worker/validate/modules.ts`). Kept here so the main thread can list them without loading the sources.
 */
export const DEFAULT_IMPORTS = Object.freeze([
  'quickcage:math',
  'quickcage:random',
  'quickcage:statistics',
  'quickcage:itertools',
] as const);

/**
 * Specifiers of trusted modules quickcage provides but that a policy must allow explicitly through
 * `allowedOperations.imports` (the `trustedEnvironment` preset allows `quickcage:path`).
 */
export const OPTIONAL_IMPORTS = Object.freeze(['quickcage:path'] as const);

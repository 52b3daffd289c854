/**
 * The validator: checks parsed guest code against the policy before QuickJS sees it, and reports
 * every violation (rule id, message, 1-based line and column, snippet), not just the first.
 *
 * Order in the worker's run path, for untrusted code:
 * 1. {@link checkLimits}: size and bracket nesting, before any parser (acorn and QuickJS recurse).
 * 2. `parseSource` (worker/source.ts): acorn; a syntax error is `COMPILATION_ERROR`.
 * 3. {@link validate}: the rules below; any violation is `VALIDATION_REJECTED`.
 *
 * Static checks give precise, early messages; they are not the boundary. The boundary is the
 * engine: QuickJS has no host objects, the prelude tames `eval`/`Function`, and sessions freeze
 * the intrinsics. See docs/readme/validation.md for the rules and their honest limits.
 *
 * Rule families live one per file under worker/validate/ (SES style): rules/syntax.ts
 * (`no-with`, `no-debugger`, `no-dynamic-import`, `no-import-meta`, `import-not-allowed`),
 * rules/evaluation.ts (`no-eval`, `no-function-constructor`), rules/properties.ts
 * (`forbidden-property`, `no-prototype-write`, `dynamic-sensitive-access`), rules/globals.ts
 * (`host-global`), limits.ts and walk.ts (`source-too-large`, `nesting-too-deep`, `unknown-syntax`).
 */
import type { Violation } from './protocol.js';
import type { ParsedSource } from './source.js';
import type { N } from './validate/ast.js';
import { Context, type NormalizedOptions } from './validate/context.js';
import { checkReferences } from './validate/rules/globals.js';
import { checkCalls, checkSites } from './validate/rules/properties.js';
import { DEFAULT_IMPORTS, DISABLEABLE_RULE_IDS } from './validate/rules.js';
import { Walker } from './validate/walk.js';

export type { NormalizedOptions } from './validate/context.js';
export { checkLimits, utf8Length, type LimitOptions } from './validate/limits.js';
export { DEFAULT_MODULES } from './validate/modules.js';
export { DEFAULT_IMPORTS, DISABLEABLE_RULE_IDS, OPTIONAL_IMPORTS, RULE_IDS, RULES, type RuleId, type RuleInfo } from './validate/rules.js';

/** Default of {@link ValidateOptions.maxNestingDepth}; the same as the policy's default `limits.maxNestingDepth`. */
export const DEFAULT_MAX_NESTING_DEPTH = 200;
/** Most violations one validation reports; when a result has this many, there may be more. */
export const MAX_VIOLATIONS = 100;

/**
 * What the validator allows, derived from the policy by the worker's run path. Every field is
 * optional and defaults to the strictest setting. Plain data, so it can cross the worker boundary
 * as `RunRequest.validation`.
 */
export interface ValidateOptions {
  /**
   * Import specifiers allowed in addition to {@link DEFAULT_IMPORTS} (which are always allowed):
   * `policy.allowedOperations.imports` plus the host modules the app registered. Default none.
   */
  allowedImports?: readonly string[];
  /**
   * Host globals this run provides, which `host-global` must not report: `tools` when tools are
   * granted, `fetch` when the policy grants network. Default none.
   */
  grantedGlobals?: readonly string[];
  /** `policy.validation.allowDynamicSensitiveAccess`: turns `dynamic-sensitive-access` off. Default false. */
  allowDynamicSensitiveAccess?: boolean;
  /** `policy.validation.disabledRules`: ids from {@link DISABLEABLE_RULE_IDS}. Default none. */
  disabledRules?: readonly string[];
  /** `policy.limits.maxNestingDepth`, for the AST nesting measure. Default {@link DEFAULT_MAX_NESTING_DEPTH}. */
  maxNestingDepth?: number;
}

const OPTION_KEYS = new Set(['allowedImports', 'grantedGlobals', 'allowDynamicSensitiveAccess', 'disabledRules', 'maxNestingDepth']);

/**
 * Checks `options` (which may come from the wire as `unknown`) and fills defaults. Unknown keys
 * and bad values throw: a misspelled option must not silently validate with defaults.
 *
 * @throws {TypeError} naming the option and the value, for an unknown key or a bad value.
 */
export function normalizeValidateOptions(options: unknown = {}): NormalizedOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`Expected \`options\` to be an object, got \`${describe(options)}\``);
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!OPTION_KEYS.has(key)) throw new TypeError(`Unknown validation option \`${key}\`; known: ${[...OPTION_KEYS].join(', ')}`);
  }
  const strings = (name: string): string[] => {
    const value = o[name];
    if (value === undefined) return [];
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
      throw new TypeError(`Expected \`options.${name}\` to be an array of strings, got \`${describe(value)}\``);
    }
    return value as string[];
  };
  const disabledRules = strings('disabledRules');
  for (const [i, id] of disabledRules.entries()) {
    if (!(DISABLEABLE_RULE_IDS as readonly string[]).includes(id)) {
      throw new TypeError(`Expected \`options.disabledRules[${i}]\` to be one of ${DISABLEABLE_RULE_IDS.join(', ')}, got \`${describe(id)}\``);
    }
  }
  const allowDynamic = o.allowDynamicSensitiveAccess ?? false;
  if (typeof allowDynamic !== 'boolean') {
    throw new TypeError(`Expected \`options.allowDynamicSensitiveAccess\` to be a boolean, got \`${describe(allowDynamic)}\``);
  }
  const depth = o.maxNestingDepth ?? DEFAULT_MAX_NESTING_DEPTH;
  if (typeof depth !== 'number' || !Number.isInteger(depth) || depth < 1) {
    throw new TypeError(`Expected \`options.maxNestingDepth\` to be a positive integer, got \`${describe(depth)}\``);
  }
  return {
    allowedImports: new Set([...DEFAULT_IMPORTS, ...strings('allowedImports')]),
    grantedGlobals: new Set(strings('grantedGlobals')),
    allowDynamicSensitiveAccess: allowDynamic,
    disabledRules: new Set(disabledRules),
    maxNestingDepth: depth,
    maxViolations: MAX_VIOLATIONS,
  };
}

/**
 * Validates parsed guest code. Linear in the size of the AST; iterative, so no input can exhaust
 * the worker's stack here.
 *
 * @param parsed the successful result of `parseSource(code, ...)` for this same `code`
 * @param code the source text (for positions and snippets)
 * @param options what the policy allows; see {@link ValidateOptions}
 * @returns every violation in source order (at most {@link MAX_VIOLATIONS}); empty when the code passes
 * @throws {TypeError} for bad options (see {@link normalizeValidateOptions}) or a failed parse result
 */
export function validate(parsed: Extract<ParsedSource, { ok: true }>, code: string, options: ValidateOptions = {}): Violation[] {
  if (parsed?.ok !== true) throw new TypeError('Expected `parsed` to be a successful parseSource result');
  if (typeof code !== 'string') throw new TypeError(`Expected \`code\` to be a string, got \`${describe(code)}\``);
  const ctx = new Context(code, normalizeValidateOptions(options), parsed.sourceType);
  const walk = new Walker(ctx).run(parsed.ast as unknown as N);
  checkReferences(ctx, walk.references);
  checkSites(ctx, walk.sites);
  checkCalls(ctx, walk.calls);
  return ctx.result();
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `array(${value.length})`;
  if (typeof value === 'object' && value !== null) return 'object';
  return String(value);
}

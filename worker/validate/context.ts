/**
 * What every rule family shares while one source is validated: the options, the source for
 * positions and snippets, and the list of violations (deduplicated, capped, sorted at the end).
 */
import type { Violation } from '../protocol.js';
import { LineIndex, snippetOf } from './position.js';
import type { RuleId } from './rules.js';

/** Validation options after defaults and checks (see `ValidateOptions` in `worker/validate.ts`). */
export interface NormalizedOptions {
  readonly allowedImports: ReadonlySet<string>;
  readonly grantedGlobals: ReadonlySet<string>;
  readonly allowDynamicSensitiveAccess: boolean;
  readonly disabledRules: ReadonlySet<string>;
  readonly maxNestingDepth: number;
  readonly maxViolations: number;
}

/** Collects violations for one validation. */
export class Context {
  readonly lines: LineIndex;
  private readonly found: { violation: Violation; at: number }[] = [];
  private readonly seen = new Set<string>();

  constructor(
    readonly code: string,
    readonly options: NormalizedOptions,
    readonly sourceType: 'script' | 'module',
  ) {
    this.lines = new LineIndex(code);
  }

  /** True once no more violations are collected. */
  get full(): boolean {
    return this.found.length >= this.options.maxViolations;
  }

  /**
   * Records a violation of `rule` at offset `at`, quoting `[from, to)` as the snippet. The message
   * reads ``rejected `subject` at line:column (rule): why``. Disabled rules and repeats of the same
   * rule at the same place are dropped.
   */
  report(rule: RuleId, at: number, from: number, to: number, subject: string, why: string): void {
    if (this.options.disabledRules.has(rule) || this.full) return;
    const key = `${rule}@${at}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const { line, column } = this.lines.at(at);
    this.found.push({
      at,
      violation: { rule, message: `rejected \`${subject}\` at ${line}:${column} (${rule}): ${why}`, line, column, snippet: snippetOf(this.code, from, to) },
    });
  }

  /** The violations in source order. */
  result(): Violation[] {
    return this.found.sort((a, b) => a.at - b.at).map((f) => f.violation);
  }
}

/** Shared helpers of the validator tests. */
import type { SourceType, Violation } from '../../worker/protocol.js';
import { parseSource } from '../../worker/source.js';
import { checkLimits, validate, type ValidateOptions } from '../../worker/validate.js';

/** The worker's order: checkLimits, parseSource, validate. Throws on a syntax error (tables hold valid code). */
export function check(code: string, options: ValidateOptions = {}, sourceType: SourceType = 'auto'): Violation[] {
  const limit = checkLimits(code, { maxSourceBytes: 1024 * 1024, maxNestingDepth: options.maxNestingDepth ?? 200 });
  if (limit !== null) return [limit];
  const parsed = parseSource(code, sourceType);
  if (!parsed.ok) {
    if (parsed.violation) return [parsed.violation];
    throw new Error(`test input does not parse: ${parsed.message} in ${JSON.stringify(code)}`);
  }
  return validate(parsed, code, options);
}

/** `rule@line:column` of each violation, the form the tables pin. */
export function pins(violations: readonly Violation[]): string[] {
  return violations.map((v) => `${v.rule}@${v.line}:${v.column}`);
}

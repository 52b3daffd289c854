/**
 * Tool parameter schemas: JSON Schema (draft-07) compiled by ajv in strict mode, checked at the boundary.
 *
 * CSP: ajv turns a schema into JavaScript and compiles it with `new Function`, which a page without
 * `'unsafe-eval'` in `script-src` refuses. The built-in tools therefore ship validators precompiled by
 * ajv's standalone mode (generated/builtin-validators.js) and work under a strict CSP. App tools either accept
 * `'unsafe-eval'` on the host page or pass the validator that `ajv/dist/standalone` generated for their
 * schema at build time as `validate` (see {@link ParamsValidator}).
 */
import Ajv, { type ErrorObject } from 'ajv';
import { InvalidArgumentError, describeValue } from '../errors.js';
import { isPlainObject } from '../internal/checks.js';

/** A JSON Schema object describing a tool's single argument object. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/**
 * A compiled validator, as ajv returns it from `compile` or emits in standalone code: returns whether
 * `data` is valid and leaves the reasons in `errors`.
 */
export interface ParamsValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

let shared: Ajv | undefined;

/** The one ajv instance of the tool layer, created on first use so pages that never compile pay nothing. */
function ajv(): Ajv {
  shared ??= new Ajv({
    strict: true, // unknown keywords, formats and ambiguous types fail at definition time
    allErrors: false, // stop at the first error: cheaper on hostile input
    coerceTypes: false,
    useDefaults: false,
    removeAdditional: false, // the handler sees exactly what was validated and digested
    addUsedSchema: false, // `$id`s of different tools never collide in the shared instance
    logger: false, // on failure ajv would print the generated code to the console
  });
  return shared;
}

/** True when `error` is the browser refusing `new Function` under a Content Security Policy. */
export function isCspEvalError(error: unknown): boolean {
  return error instanceof EvalError || (error instanceof Error && /unsafe-eval|Content Security Policy/i.test(error.message));
}

/**
 * Compiles `schema` for the tool argument object. The root must be `{ type: 'object', ... }` because a
 * guest calls every tool with one object (`await tools.readFile({ path })`).
 *
 * @throws {InvalidArgumentError} `INVALID_ARGUMENT` (field `params`) when the schema is not a plain object,
 *   its root type is not `object`, it is `$async`, ajv rejects it in strict mode, or the page's CSP forbids compiling it.
 */
export function compileParams(schema: unknown, field = 'params'): ParamsValidator {
  if (!isPlainObject(schema)) {
    throw new InvalidArgumentError(field, `Expected \`${field}\` to be a JSON Schema object, got \`${describeValue(schema)}\``);
  }
  if (schema.type !== 'object') {
    throw new InvalidArgumentError(field, `Expected \`${field}.type\` to be 'object' (tools take one argument object), got \`${describeValue(schema.type)}\``);
  }
  if (schema.$async !== undefined) {
    throw new InvalidArgumentError(field, `Expected \`${field}\` to be a synchronous schema, got \`$async: ${describeValue(schema.$async)}\``);
  }
  try {
    return ajv().compile(schema) as ParamsValidator;
  } catch (error) {
    if (isCspEvalError(error)) {
      throw new InvalidArgumentError(field, `Expected \`${field}\` to be compilable, but the page's Content Security Policy forbids \`new Function\` ('unsafe-eval'). Precompile the schema with ajv standalone and pass it as \`validate\`, or allow 'unsafe-eval'`, { cause: error });
    }
    const message = error instanceof Error ? error.message : String(error);
    throw new InvalidArgumentError(field, `Expected \`${field}\` to be a valid strict JSON Schema, got an error from ajv: ${message}`, { cause: error });
  }
}

/** Reads a value at an ajv `instancePath` (`/a/0/b`) for the error message. */
function valueAt(data: unknown, instancePath: string): unknown {
  let current = data;
  for (const raw of instancePath.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/**
 * Runs `validate` on `args` and throws the first failure in the house style:
 * ``Expected `args.path` to be string, got `5` ``.
 *
 * @throws {InvalidArgumentError} `INVALID_ARGUMENT` whose `field` is the failing location (`args`, `args.path`).
 */
export function assertArgs(validate: ParamsValidator, args: unknown, tool: string): void {
  let valid: boolean;
  try {
    valid = validate(args);
  } catch (error) {
    throw new InvalidArgumentError('args', `Arguments of tool \`${tool}\` could not be validated: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (valid) return;
  const first = validate.errors?.[0];
  const path = first?.instancePath ?? '';
  const field = `args${path.split('/').slice(1).map((k) => `.${k.replace(/~1/g, '/').replace(/~0/g, '~')}`).join('')}`;
  const expectation = (first?.message ?? 'match the tool schema').replace(/^must /, '');
  const extra = first?.keyword === 'additionalProperties' ? ` (\`${String((first.params as { additionalProperty?: unknown }).additionalProperty)}\`)` : '';
  throw new InvalidArgumentError(field, `Expected \`${field}\` to ${expectation}${extra} for tool \`${tool}\`, got \`${describeValue(valueAt(args, path))}\``, {
    details: { tool, keyword: first?.keyword, schemaPath: first?.schemaPath },
  });
}

/**
 * `defineTool`: an app's host function, its declared permission and its argument schema, checked once
 * at definition time so nothing about a tool is guessed at call time.
 */
import { checkKnownKeys } from '../internal/checks.js';
import { InvalidArgumentError, describeValue, invalidArgument } from '../errors.js';
import { deepFreeze } from './json.js';
import { isPermissionSet, type PermissionPolicy, type PermissionSet } from './permissions.js';
import { checkRateLimits, type CheckedRateLimit, type ToolRateLimit } from './rate-limits.js';
import { compileParams, type JsonSchema, type ParamsValidator } from './schema.js';

/** What a tool handler gets besides its arguments. */
export interface ToolHandlerContext {
  /** Id of the run that made the call. */
  runId: string;
  /** The app's user the run was made for, when known. */
  user?: string;
  /** The calling agent's policy: check resources with `agent.check(flags, resource)`. */
  agent: PermissionPolicy;
  /** Aborted when the run ends (deadline, abort, dispose): stop work and reject. */
  signal: AbortSignal;
}

/** Decides per call whether a person must approve it. Gets the validated, frozen arguments. */
export type ApprovalRule<A> = boolean | ((args: A) => boolean);

/** Input of {@link defineTool}. `A` is the argument object type the schema describes. */
export interface ToolInput<A = Record<string, unknown>> {
  /** Identifier the guest calls: `tools.<name>(args)`. Letters, digits and `_`, not starting with a digit, at most 64. */
  name: string;
  /** One or two sentences for the model or person writing guest code (1 to 1000 characters). */
  description: string;
  /** Flags the calling agent must hold, all of them. Must be declared: it is never inferred from the name. */
  permission: PermissionSet;
  /** JSON Schema of the argument object (root `type: 'object'`), compiled with ajv in strict mode. */
  params: JsonSchema;
  /**
   * Optional validator that ajv's standalone mode generated from `params` at build time. Use it on pages
   * whose CSP forbids `'unsafe-eval'`; the schema is then kept for description only and not compiled.
   */
  validate?: ParamsValidator;
  /** `true`, or a function of the arguments, to pause the call until a person approves. Default false. */
  requiresApproval?: ApprovalRule<A>;
  /** Runs on the main thread with host privileges. Must return JSON data (or a promise of it). */
  handler: (args: A, ctx: ToolHandlerContext) => unknown;
  /**
   * Rate limit(s) enforced by the registry before approval and before the handler runs: a refused
   * call fails with `RATE_LIMITED` and is recorded once, as a `rate_limit_exceeded` event.
   */
  rateLimit?: ToolRateLimit | readonly ToolRateLimit[];
}

/** A checked, frozen tool definition made by {@link defineTool}. */
export interface Tool<A = Record<string, unknown>> {
  readonly name: string;
  readonly description: string;
  readonly permission: PermissionSet;
  readonly params: JsonSchema;
  readonly requiresApproval: ApprovalRule<A>;
  readonly handler: (args: A, ctx: ToolHandlerContext) => unknown;
  /** The compiled (or supplied) argument validator. */
  readonly validate: ParamsValidator;
  /** Checked rate limits from the definition (empty when none). */
  readonly rateLimit: readonly CheckedRateLimit[];
}

// Names that would break the guest-side `tools` object or module: reserved words cannot be imported
// as bindings, Object.prototype names would shadow or confuse lookups, and `then` would make the
// tools namespace a thenable that `await` silently unwraps.
const RESERVED = new Set([
  'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'enum',
  'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'new', 'null',
  'return', 'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'yield',
  'let', 'static', 'implements', 'interface', 'package', 'private', 'protected', 'public', 'await', 'arguments',
  'eval', 'undefined', 'NaN', 'Infinity', 'then', 'prototype', 'constructor',
  ...Object.getOwnPropertyNames(Object.prototype),
]);

/** True when `name` is acceptable as a tool name (see {@link ToolInput.name}). */
export function isToolName(name: unknown): name is string {
  return typeof name === 'string' && /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name) && !RESERVED.has(name) && !name.startsWith('__');
}

/** Checks a tool name in the house style. @throws {InvalidArgumentError} `INVALID_ARGUMENT`. */
export function assertToolName(name: unknown, field = 'name'): asserts name is string {
  if (!isToolName(name)) throw invalidArgument(field, 'an identifier of letters, digits and `_` (at most 64, not a reserved word, not `__`-prefixed)', name);
}

const KEYS = ['name', 'description', 'permission', 'params', 'validate', 'requiresApproval', 'handler', 'rateLimit'];

/**
 * Defines a host tool. Every field is checked now; the schema is compiled now (a bad schema fails here,
 * not at the first call).
 *
 * @example
 * const lookupOrder = defineTool<{ orderId: string }>({
 *   name: 'lookupOrder',
 *   description: 'Returns the status of one order.',
 *   permission: Permission.DATABASE_READ,
 *   params: { type: 'object', properties: { orderId: { type: 'string', pattern: '^[0-9]{6}$' } }, required: ['orderId'], additionalProperties: false },
 *   handler: async ({ orderId }) => db.orders.status(orderId),
 * });
 * @throws {InvalidArgumentError} `INVALID_ARGUMENT` naming the field: unknown key, bad name, missing or unknown
 *   `permission`, a schema ajv rejects (or cannot compile under the page's CSP), non-function `handler`.
 */
export function defineTool<A = Record<string, unknown>>(input: ToolInput<A>): Tool<A> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw invalidArgument('tool', 'a plain object', input);
  checkKnownKeys('', input, KEYS, { noun: 'tool key' });
  const { name, description, permission, params, validate, requiresApproval = false, handler, rateLimit } = input;
  assertToolName(name);
  if (typeof description !== 'string' || description.length === 0 || description.length > 1000) {
    throw invalidArgument('description', 'a string of 1 to 1000 characters', description);
  }
  if (!isPermissionSet(permission) || permission === 0) {
    throw new InvalidArgumentError('permission', `Expected \`permission\` to be a non-empty Permission flag set (declare it explicitly; it is never inferred from the tool name), got \`${describeValue(permission)}\``);
  }
  if (typeof requiresApproval !== 'boolean' && typeof requiresApproval !== 'function') {
    throw invalidArgument('requiresApproval', 'a boolean or a function of the arguments', requiresApproval);
  }
  if (typeof handler !== 'function') throw invalidArgument('handler', 'a function', handler);
  if (validate !== undefined && typeof validate !== 'function') throw invalidArgument('validate', 'an ajv validate function', validate);
  let schema: JsonSchema;
  try {
    schema = deepFreeze(structuredClone(params));
  } catch (error) {
    throw new InvalidArgumentError('params', `Expected \`params\` to be a JSON Schema object, got \`${describeValue(params)}\``, { cause: error });
  }
  const compiled = validate ?? compileParams(schema);
  if (validate !== undefined && (typeof schema !== 'object' || schema === null || schema.type !== 'object')) {
    throw invalidArgument('params.type', "'object' (tools take one argument object)", (schema as { type?: unknown } | null)?.type);
  }
  const limits = Object.freeze(rateLimit === undefined ? [] : checkRateLimits(rateLimit, 'rateLimit'));
  return Object.freeze({ name, description, permission, params: schema, requiresApproval, handler, validate: compiled, rateLimit: limits });
}

/**
 * Building and checking a run's request, on the page, before anything is queued: the run options
 * (one unknown-key check, one message shape), the source size (one check, in UTF-8 bytes, the unit
 * of `limits.maxSourceBytes` and of the worker's own check), the globals as JSON, the wire limits
 * from the policy, and ONE trust decision: a run is `unchecked` (no validation, every built-in
 * module) when it is trusted or the policy allows dangerous operations; otherwise it carries the
 * validation options the worker applies.
 *
 * Data flow: `Sandbox.run(code, options)` → {@link buildRequest} → `RunRequest` (worker/protocol.ts)
 * → the watchdog stamps its deadline (watchdog.ts) → the pool sends it to a worker.
 */
import { LimitError, UnserializableError, ValidationError, invalidArgument } from '../errors.js';
import { checkInt, checkKnownKeys, isPlainObject } from '../internal/checks.js';
import { checkJson, utf8Length } from '../internal/json.js';
import { uniqueId } from '../internal/ids.js';
import type { Limits, Policy } from '../policy.js';
import { DEFAULT_IMPORTS, OPTIONAL_IMPORTS } from '../../worker/validate/rules.js';
import type { RunRequest, WireLimits } from '../../worker/protocol.js';
import { checkDeterminism } from '../replay/recording.js';
import { RUN_DEFAULTS, type HostFunction, type HostToolDispatcher, type RunOptions } from './types.js';

/** What a request is built from, besides the run's own arguments. */
export interface RequestEnv {
  readonly policy: Policy;
  readonly modules: Record<string, Record<string, HostFunction>>;
  readonly tools: HostToolDispatcher | undefined;
  /** Observe mode (src/fleet/): the policy's optional modules are left out, so each import is observed. */
  readonly observing: boolean;
}

const RUN_OPTION_KEYS = ['signal', 'timeoutMs', 'trusted', 'sourceType', 'filename', 'globals', 'user', 'measureHeap', 'deterministic', 'record'];
/** A JavaScript identifier (globals, host-module export names). */
export const IDENT = /^[A-Za-z_$][\w$]*$/;

/**
 * Each policy limit and the wire field that carries it. Typed both ways, so a limit added to the
 * policy without a wire field (or the reverse) fails to compile: `WireLimits` is derived from
 * `Limits`, one name each (the same names on both sides of the wire).
 */
const WIRE_FIELD = {
  timeoutMs: 'timeoutMs',
  memoryLimitBytes: 'memoryLimitBytes',
  maxStackBytes: 'maxStackBytes',
  maxResultBytes: 'maxResultBytes',
  maxLogBytes: 'maxLogBytes',
  maxSourceBytes: 'maxSourceBytes',
  maxNestingDepth: 'maxNestingDepth',
} as const satisfies { [K in keyof Limits]: keyof WireLimits };
type WireFieldsCovered = (typeof WIRE_FIELD)[keyof typeof WIRE_FIELD];
// Every wire field comes from some policy limit.
const allWireFieldsCovered: [keyof WireLimits] extends [WireFieldsCovered] ? true : never = true;
void allWireFieldsCovered;

/** The wire limits of a run: the policy's, with this run's `timeoutMs`. */
function toWireLimits(limits: Limits, timeoutMs: number): WireLimits {
  const wire = {} as Record<keyof WireLimits, number>;
  for (const key of Object.keys(WIRE_FIELD) as (keyof Limits)[]) wire[WIRE_FIELD[key]] = limits[key];
  wire.timeoutMs = timeoutMs;
  return wire;
}

/**
 * The run's request, checked.
 *
 * @throws {InvalidArgumentError} `INVALID_ARGUMENT` naming the option and the value.
 * @throws {ValidationError} `VALIDATION_REJECTED` (`source-too-large`) for a source over `limits.maxSourceBytes`.
 * @throws {UnserializableError} / {@link LimitError} when `globals` cannot cross as JSON.
 */
export function buildRequest(env: RequestEnv, code: string, options: RunOptions, session: { id: string; trusted: boolean } | undefined): RunRequest {
  if (typeof code !== 'string') throw invalidArgument('code', 'a string', code);
  if (!isPlainObject(options as unknown)) throw invalidArgument('options', 'a plain object', options);
  checkKnownKeys('options', options, RUN_OPTION_KEYS);
  const limits = env.policy.limits;
  // The one size check, in the unit of the limit's name and of the worker's own (UTF-8 bytes). A
  // UTF-16 length over the limit is over it in UTF-8 too; short sources are not measured at all.
  const bytes = code.length > limits.maxSourceBytes || code.length * 3 > limits.maxSourceBytes ? utf8Length(code) : code.length;
  if (bytes > limits.maxSourceBytes) {
    throw new ValidationError(`source is ${bytes} bytes of UTF-8, over the ${limits.maxSourceBytes} limit`, [
      { rule: 'source-too-large', message: `source exceeds ${limits.maxSourceBytes} bytes (UTF-8)`, line: 1, column: 1, snippet: '' },
    ]);
  }
  const timeoutMs = options.timeoutMs === undefined ? limits.timeoutMs : checkInt('options.timeoutMs', options.timeoutMs, 1, 10 * 60 * 1000);
  if (options.trusted !== undefined && typeof options.trusted !== 'boolean') throw invalidArgument('options.trusted', 'a boolean', options.trusted);
  if (options.measureHeap !== undefined && typeof options.measureHeap !== 'boolean') throw invalidArgument('options.measureHeap', 'a boolean', options.measureHeap);
  if (options.sourceType !== undefined && !['script', 'module', 'auto'].includes(options.sourceType)) {
    throw invalidArgument('options.sourceType', "one of 'script', 'module', 'auto'", options.sourceType);
  }
  if (options.filename !== undefined && (typeof options.filename !== 'string' || !/^[\w.\-/:]{1,200}$/.test(options.filename))) {
    throw invalidArgument('options.filename', 'a file name of letters, digits, `._-/:` (1 to 200 characters)', options.filename);
  }
  if (options.user !== undefined && (typeof options.user !== 'string' || options.user.length === 0 || options.user.length > 200)) {
    throw invalidArgument('options.user', 'a non-empty string of at most 200 characters', options.user);
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw invalidArgument('options.signal', 'an AbortSignal', options.signal);
  if (options.record !== undefined && typeof options.record !== 'boolean') throw invalidArgument('options.record', 'a boolean', options.record);
  // Deterministic mode and recording (src/replay/) need a fresh context: a session keeps state between runs.
  if ((options.deterministic !== undefined || options.record === true) && session) {
    throw invalidArgument('options.deterministic', 'left out in a session (sessions keep state between runs)', options.deterministic);
  }
  const deterministic = options.deterministic !== undefined ? checkDeterminism(options.deterministic) : undefined;
  let globalsJson: string | undefined;
  if (options.globals !== undefined) {
    if (!isPlainObject(options.globals)) throw invalidArgument('options.globals', 'a plain object', options.globals);
    for (const key of Object.keys(options.globals)) {
      if (!IDENT.test(key) || key === 'tools' || key === 'console') throw invalidArgument(`options.globals.${key}`, 'an identifier other than tools and console', key);
    }
    globalsJson = toJson(options.globals, 'options.globals', limits.maxResultBytes);
  }
  const trusted = session ? session.trusted : options.trusted ?? RUN_DEFAULTS.trusted;
  // The one trust decision: trusted code, or a policy that allows dangerous operations, runs
  // unchecked (no validation, every built-in module); everything else is validated in the worker.
  const unchecked = trusted || env.policy.allowDangerousOperations;
  const wireLimits = toWireLimits(limits, timeoutMs);
  const policyImports = env.observing
    ? env.policy.allowedOperations.imports.filter((m) => !(OPTIONAL_IMPORTS as readonly string[]).includes(m))
    : env.policy.allowedOperations.imports;
  const hostModules = Object.fromEntries(Object.entries(env.modules).map(([name, fns]) => [name, Object.keys(fns)]));
  const request: RunRequest = {
    runId: uniqueId(),
    code,
    filename: options.filename ?? RUN_DEFAULTS.filename,
    sourceType: options.sourceType ?? RUN_DEFAULTS.sourceType,
    limits: wireLimits,
    deadline: 0,
    trusted,
    toolNames: env.tools?.names(options.user) ?? [],
    hostModules,
    // Unchecked runs may import every built-in module; others the defaults plus what the policy adds.
    allowedModules: unchecked
      ? [...DEFAULT_IMPORTS, ...OPTIONAL_IMPORTS]
      : [...DEFAULT_IMPORTS, ...policyImports.filter((m) => (OPTIONAL_IMPORTS as readonly string[]).includes(m))],
    allowDangerousOperations: env.policy.allowDangerousOperations,
    measureHeap: options.measureHeap ?? RUN_DEFAULTS.measureHeap,
  };
  if (session) request.sessionId = session.id;
  if (globalsJson !== undefined) request.globalsJson = globalsJson;
  // `record` implies deterministic mode: a random seed and the current time when not given.
  if (deterministic) request.deterministic = deterministic;
  else if (options.record === true) request.deterministic = { seed: crypto.getRandomValues(new Uint32Array(1))[0]!, clockStart: Date.now() };
  if (!unchecked) {
    request.validation = {
      allowedImports: [...policyImports, ...Object.keys(env.modules), ...(env.tools ? ['quickcage:tools'] : [])],
      grantedGlobals: [
        ...(request.toolNames.length > 0 ? ['tools'] : []),
        ...(request.toolNames.includes('fetch') ? ['fetch'] : []),
        ...Object.keys(options.globals ?? {}),
      ],
      allowDynamicSensitiveAccess: env.policy.validation.allowDynamicSensitiveAccess,
      disabledRules: [...env.policy.validation.disabledRules],
    };
  }
  return request;
}

/**
 * Host-side twin of the guest serializer: JSON text of a JSON-safe value, or a typed error naming the
 * path of the first thing that cannot cross (JSON.stringify would silently drop functions and turn
 * NaN into null). Caps size and depth.
 */
export function toJson(value: unknown, field: string, max: number, maxDepth = 256): string {
  checkJson(value, field, {
    maxDepth,
    undefinedItems: 'null',
    rejectProtoKey: false,
    order: 'cycle-first',
    fail: (path, problem) => {
      switch (problem.kind) {
        case 'non-finite': return new UnserializableError(`\`${path}\` is ${problem.value}, which JSON cannot represent`);
        case 'type': return new UnserializableError(`\`${path}\` is a ${problem.type}, which cannot cross into the sandbox`);
        case 'cycle': return new UnserializableError(`\`${path}\` is a cycle`);
        case 'depth': return new LimitError('STACK_OVERFLOW', `\`${path}\` is nested deeper than ${maxDepth} levels`);
        default: return new UnserializableError(`\`${path}\` is ${problem.kind === 'not-plain' ? problem.tag : 'not JSON data'}, not a plain object or array`);
      }
    },
  });
  const text = JSON.stringify(value);
  if (text.length > max) throw new LimitError('OUTPUT_TOO_LARGE', `\`${field}\` is ${text.length} characters of JSON, over the ${max} limit`);
  return text;
}

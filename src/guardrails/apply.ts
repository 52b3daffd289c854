/**
 * `applyGuardrails()`: applies a policy's per-detector strategies to a JSON-safe value (a run's
 * result, its logs, tool arguments or tool results) and reports each detector's hits to the audit
 * sink without the matched text.
 */
import { checkKnownKeys, isPlainObject } from '../internal/checks.js';
import type { EventSink, SecurityEventInput, Severity } from '../audit/types.js';
import { InvalidArgumentError, invalidArgument } from '../errors.js';
import { DETECTORS, type DetectorId, type GuardrailPolicy, type GuardrailStrategy } from '../policy.js';
import { detectUnchecked } from './detect.js';
import { GuardrailError, hashReplacement, maskReplacement, redactReplacement, type GuardrailWhere } from './strategies.js';
import type { DetectedSpan } from './types.js';

/** A strategy that transforms text (everything but `off` and `block`). */
export type ReplaceStrategy = Exclude<GuardrailStrategy, 'off' | 'block'>;

/** Guardrail settings accepted by {@link applyGuardrails}; `policy.guardrails` fits as is. */
export interface GuardrailsInput {
  /** Strategy per detector; a missing detector is `off`. */
  detectors: Partial<Record<DetectorId, GuardrailStrategy>>;
  /** Where the guardrails apply; a missing entry counts as `true`. */
  applyTo?: Partial<GuardrailPolicy['applyTo']>;
  /** Salt (HMAC key) of the `hash` strategy. */
  hashSalt: string;
}

/** Who and where, for audit events and errors. */
export interface GuardrailContext {
  where: GuardrailWhere;
  runId?: string;
  user?: string;
  /** Tool name, for `toolArgs` / `toolResult`. */
  tool?: string;
}

/** Options of {@link applyGuardrails}. */
export interface ApplyGuardrailsOptions {
  /** Receives one `suspicious_pattern` event per detector that matched. */
  sink?: EventSink;
  context: GuardrailContext;
}

/** What one detector matched in one {@link applyGuardrails} call. Holds no matched text. */
export interface GuardrailHit {
  type: DetectorId;
  strategy: Exclude<GuardrailStrategy, 'off'>;
  count: number;
  maxConfidence: number;
  /** Sub-kinds seen (`visa`, `ipv4`, `github_token`…), sorted. */
  kinds: string[];
}

/** Result of {@link applyGuardrails}. */
export interface GuardrailOutcome<T> {
  value: T;
  /** One entry per detector that matched, in {@link DETECTORS} order; empty when nothing matched. */
  hits: GuardrailHit[];
}

const WHERE_TO_APPLY: Readonly<Record<GuardrailWhere, keyof GuardrailPolicy['applyTo']>> = {
  result: 'results',
  logs: 'logs',
  toolArgs: 'toolArgs',
  toolResult: 'toolResults',
};
const STRATEGIES: readonly GuardrailStrategy[] = ['off', 'block', 'redact', 'mask', 'hash'];
const MAX_DEPTH = 10_000;

/**
 * Replaces `spans` (from {@link detect} on `text`) by their strategy's replacement. Spans whose type
 * has no strategy in `strategies` stay as they are.
 *
 * @throws {InvalidArgumentError} `INVALID_ARGUMENT` when a span is out of range or overlaps the one before.
 */
export function replaceSpans(text: string, spans: readonly DetectedSpan[], strategies: Partial<Record<DetectorId, ReplaceStrategy>>, hashSalt = ''): string {
  let out = '';
  let at = 0;
  spans.forEach((span, i) => {
    if (!Number.isInteger(span.start) || !Number.isInteger(span.end) || span.start < at || span.end > text.length || span.end < span.start) {
      throw invalidArgument(`spans[${i}]`, `a span inside the text after offset ${at}`, { start: span.start, end: span.end });
    }
    const strategy = strategies[span.type];
    if (strategy === undefined) return;
    out += text.slice(at, span.start) + replacement(span, strategy, hashSalt);
    at = span.end;
  });
  return out + text.slice(at);
}

function replacement(span: DetectedSpan, strategy: ReplaceStrategy, salt: string): string {
  if (strategy === 'mask') return maskReplacement(span);
  if (strategy === 'hash') return hashReplacement(span.type, span.value, salt);
  return redactReplacement(span.type);
}

interface Tally {
  count: number;
  max: number;
  kinds: Set<string>;
}

interface WalkState {
  ids: DetectorId[];
  /** Replacement per detector; blocked detectors redact while the walk goes on, then the call throws. */
  replace: Partial<Record<DetectorId, ReplaceStrategy>>;
  salt: string;
  tallies: Map<DetectorId, Tally>;
  ancestors: Set<object>;
}

/**
 * Applies the guardrails to `value`: every string (object keys included) is scanned by the
 * detectors whose strategy is not `off`, and each match is redacted, masked or hashed. Finite
 * numbers are scanned as their decimal text; a number that matches becomes its replacement string.
 * The input is not modified: changed branches are copied, unchanged ones are returned as they are.
 * Keys that become equal after replacement get `#2`, `#3`… so no entry is lost.
 *
 * Emits one `suspicious_pattern` event per matching detector into `options.sink`, with the
 * detector, place, strategy, count, highest confidence and sub-kinds, never the matched text.
 * Nothing is scanned when `guardrails.applyTo` turns the place off.
 *
 * @returns the transformed value and the hits per detector.
 * @throws {GuardrailError} `GUARDRAIL_BLOCKED` when a detector whose strategy is `block` matched
 *   (after the events are recorded); the error names the detectors and counts, not the text.
 * @throws {InvalidArgumentError} `INVALID_ARGUMENT` for bad guardrails or context, or a value that is
 *   not JSON-safe (functions, symbols, bigints, class instances, cycles, nesting over 10,000).
 */
export function applyGuardrails(value: string, guardrails: GuardrailsInput, options: ApplyGuardrailsOptions): GuardrailOutcome<string>;
export function applyGuardrails(value: unknown, guardrails: GuardrailsInput, options: ApplyGuardrailsOptions): GuardrailOutcome<unknown>;
export function applyGuardrails(value: unknown, guardrails: GuardrailsInput, options: ApplyGuardrailsOptions): GuardrailOutcome<unknown> {
  const { detectors, applyTo, hashSalt } = checkGuardrails(guardrails);
  const { sink, context } = checkOptions(options);
  if (applyTo[WHERE_TO_APPLY[context.where]] === false) return { value, hits: [] };
  const state: WalkState = { ids: [], replace: {}, salt: hashSalt, tallies: new Map(), ancestors: new Set() };
  for (const id of DETECTORS) {
    const strategy = detectors[id] ?? 'off';
    if (strategy === 'off') continue;
    state.ids.push(id);
    state.replace[id] = strategy === 'block' ? 'redact' : strategy;
  }
  if (state.ids.length === 0) return { value, hits: [] };

  const out = walk(value, state, 0, 'value');
  const hits: GuardrailHit[] = [];
  for (const id of DETECTORS) {
    const tally = state.tallies.get(id);
    if (tally === undefined) continue;
    const strategy = detectors[id] as Exclude<GuardrailStrategy, 'off'>;
    hits.push({ type: id, strategy, count: tally.count, maxConfidence: tally.max, kinds: [...tally.kinds].sort() });
  }
  if (sink !== undefined) for (const hit of hits) sink.record(eventFor(hit, context));
  const blocked = hits.filter((hit) => hit.strategy === 'block');
  if (blocked.length > 0) {
    const counts = Object.fromEntries(blocked.map((hit) => [hit.type, hit.count]));
    const list = blocked.map((hit) => `${hit.type} (${hit.count})`).join(', ');
    throw new GuardrailError(`Guardrail blocked the ${describeWhere(context)}: found ${list} (GUARDRAIL_BLOCKED)`, {
      detectors: blocked.map((hit) => hit.type),
      where: context.where,
      counts,
    }, context.runId === undefined ? undefined : { runId: context.runId });
  }
  return { value: out, hits };
}

function describeWhere(context: GuardrailContext): string {
  const tool = context.tool === undefined ? '' : ` of tool \`${context.tool}\``;
  switch (context.where) {
    case 'result': return 'run result';
    case 'logs': return 'run logs';
    case 'toolArgs': return `arguments${tool}`;
    case 'toolResult': return `result${tool}`;
  }
}

const SEVERITY: Readonly<Record<DetectorId, Severity>> = {
  secret: 'high', card: 'medium', iban: 'medium', ssn: 'medium', email: 'low', phone: 'low', ip: 'low',
};

function eventFor(hit: GuardrailHit, context: GuardrailContext): SecurityEventInput {
  const action = { block: 'blocked', redact: 'redacted', mask: 'masked', hash: 'hashed' }[hit.strategy];
  const event: SecurityEventInput = {
    type: 'suspicious_pattern',
    severity: hit.strategy === 'block' ? 'high' : SEVERITY[hit.type],
    details: {
      source: 'guardrails',
      detector: hit.type,
      where: context.where,
      strategy: hit.strategy,
      action,
      count: hit.count,
      maxConfidence: hit.maxConfidence,
      kinds: hit.kinds,
    },
  };
  if (context.runId !== undefined) event.runId = context.runId;
  if (context.user !== undefined) event.user = context.user;
  if (context.tool !== undefined) event.tool = context.tool;
  return event;
}

function scanString(text: string, state: WalkState): string {
  const spans = detectUnchecked(text, state.ids);
  if (spans.length === 0) return text;
  for (const span of spans) {
    let tally = state.tallies.get(span.type);
    if (tally === undefined) {
      tally = { count: 0, max: 0, kinds: new Set() };
      state.tallies.set(span.type, tally);
    }
    tally.count++;
    tally.max = Math.max(tally.max, span.confidence);
    tally.kinds.add(span.kind);
  }
  return replaceSpans(text, spans, state.replace, state.salt);
}

function walk(value: unknown, state: WalkState, depth: number, path: string): unknown {
  switch (typeof value) {
    case 'string':
      return scanString(value, state);
    case 'number': {
      if (!Number.isFinite(value)) return value;
      const text = String(value);
      const scanned = scanString(text, state);
      return scanned === text ? value : scanned;
    }
    case 'boolean':
    case 'undefined':
      return value;
    case 'object':
      break;
    default:
      throw notJsonSafe(path, 'a JSON-safe value', value);
  }
  if (value === null) return null;
  if (depth >= MAX_DEPTH) throw notJsonSafe(path, `nested at most ${MAX_DEPTH} levels deep`, value);
  if (state.ancestors.has(value)) throw notJsonSafe(path, 'a JSON-safe value without cycles', value);
  state.ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      let changed = false;
      const out = value.map((item: unknown, i) => {
        const next = walk(item, state, depth + 1, `${path}[${i}]`);
        if (next !== item) changed = true;
        return next;
      });
      return changed ? out : value;
    }
    if (!isPlainObject(value)) throw notJsonSafe(path, 'a JSON-safe value (plain object)', value);
    let changed = false;
    const entries: [string, unknown][] = [];
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const item = record[key];
      const nextKey = scanString(key, state);
      // The path names the key after replacement: error messages must not carry a detected value.
      const next = walk(item, state, depth + 1, `${path}.${nextKey.length > 40 ? `${nextKey.slice(0, 37)}...` : nextKey}`);
      if (nextKey !== key || next !== item) changed = true;
      entries.push([nextKey, next]);
    }
    if (!changed) return value;
    return Object.fromEntries(dedupeKeys(entries));
  } finally {
    state.ancestors.delete(value);
  }
}

/**
 * Input error for a value the walk cannot inspect. Names the kind of value only: the usual
 * rendering would print a bigint's digits or an object's JSON, which may be the very data to hide.
 */
function notJsonSafe(path: string, expected: string, value: unknown): InvalidArgumentError {
  let kind: string;
  if (typeof value === 'function') kind = 'a function';
  else if (typeof value !== 'object' || value === null) kind = `a ${typeof value}`;
  else if (Array.isArray(value)) kind = `array(${value.length})`;
  else kind = `an instance of ${(Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name ?? 'Object'}`;
  return new InvalidArgumentError(path, `Expected \`${path}\` to be ${expected}, got ${kind}`);
}

/** Suffixes `#2`, `#3`… to keys that collide after replacement (`[REDACTED:EMAIL]` twice). */
function dedupeKeys(entries: [string, unknown][]): [string, unknown][] {
  const seen = new Set<string>();
  return entries.map(([key, item]) => {
    let unique = key;
    for (let n = 2; seen.has(unique); n++) unique = `${key}#${n}`;
    seen.add(unique);
    return [unique, item];
  });
}

function checkGuardrails(input: unknown): { detectors: Partial<Record<DetectorId, GuardrailStrategy>>; applyTo: Partial<GuardrailPolicy['applyTo']>; hashSalt: string } {
  const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!obj(input)) throw invalidArgument('guardrails', 'an object like policy.guardrails', input);
  checkKnownKeys('guardrails', input, ['detectors', 'applyTo', 'hashSalt']);
  const { detectors, applyTo = {}, hashSalt } = input;
  if (!obj(detectors)) throw invalidArgument('guardrails.detectors', 'an object of detector strategies', detectors);
  for (const [key, strategy] of Object.entries(detectors)) {
    if (!(DETECTORS as readonly string[]).includes(key)) throw invalidArgument(`guardrails.detectors.${key}`, `absent (known detectors: ${DETECTORS.join(', ')})`, strategy);
    if (!STRATEGIES.includes(strategy as GuardrailStrategy)) throw invalidArgument(`guardrails.detectors.${key}`, `one of ${STRATEGIES.map((s) => `'${s}'`).join(', ')}`, strategy);
  }
  if (!obj(applyTo)) throw invalidArgument('guardrails.applyTo', 'an object of booleans', applyTo);
  for (const [key, flag] of Object.entries(applyTo)) {
    if (!Object.values(WHERE_TO_APPLY).includes(key as keyof GuardrailPolicy['applyTo'])) throw invalidArgument(`guardrails.applyTo.${key}`, 'absent (known keys: results, logs, toolArgs, toolResults)', flag);
    if (typeof flag !== 'boolean') throw invalidArgument(`guardrails.applyTo.${key}`, 'a boolean', flag);
  }
  if (typeof hashSalt !== 'string') throw invalidArgument('guardrails.hashSalt', 'a string', hashSalt);
  return { detectors: detectors as Partial<Record<DetectorId, GuardrailStrategy>>, applyTo: applyTo as Partial<GuardrailPolicy['applyTo']>, hashSalt };
}

function checkOptions(input: unknown): { sink: EventSink | undefined; context: GuardrailContext } {
  const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!obj(input)) throw invalidArgument('options', 'an object with a context', input);
  const { sink, context } = input;
  if (sink !== undefined && (!obj(sink) || typeof sink.record !== 'function')) throw invalidArgument('options.sink', 'an EventSink (an object with record())', sink);
  if (!obj(context)) throw invalidArgument('options.context', 'an object with `where`', context);
  if (typeof context.where !== 'string' || !Object.hasOwn(WHERE_TO_APPLY, context.where)) throw invalidArgument('options.context.where', "one of 'result', 'logs', 'toolArgs', 'toolResult'", context.where);
  for (const key of ['runId', 'user', 'tool'] as const) {
    if (context[key] !== undefined && typeof context[key] !== 'string') throw invalidArgument(`options.context.${key}`, 'a string', context[key]);
  }
  return { sink: sink as EventSink | undefined, context: context as unknown as GuardrailContext };
}

/**
 * The code tool: one framework-neutral tool definition (name, description with the typed API, input
 * schema `{ code }`, `execute`) that runs a model's program in a quickcage sandbox and answers with a
 * model-shaped, size-capped result. The SDK adapters (ai-sdk.ts, openai.ts, anthropic.ts, mcp.ts) only re-shape it.
 */
import { checkKnownKeys } from '../internal/checks.js';
import type { AuditSink, SecurityEventInput } from '../audit/types.js';
import { InvalidArgumentError, invalidArgument } from '../errors.js';
import type { RunOptions, RunOutputStats, Sandbox } from '../sandbox.js';
import type { RunStats } from '../../worker/protocol.js';
import { DEFAULT_IMPORTS, OPTIONAL_IMPORTS } from '../../worker/validate/rules.js';
import type { PermissionPolicy } from '../tools/permissions.js';
import type { ToolRegistry } from '../tools/registry.js';
import type { JsonSchema } from '../tools/schema.js';
import { generateDeclarations, type DeclaredModuleExport, type DeclaredTool } from './declarations.js';
import { capResult, compactLogs, explainError, type ModelResult } from './explain.js';

/** The JSON Schema of the code tool's input: `{ code: string }`. */
export const CODE_INPUT_SCHEMA = Object.freeze({
  type: 'object',
  properties: Object.freeze({
    code: Object.freeze({ type: 'string', description: 'A JavaScript program. Its last expression (awaited when a promise) is the result.' }),
  }),
  required: Object.freeze(['code']),
  additionalProperties: false,
}) as unknown as Readonly<{ type: 'object'; properties: { code: { type: 'string'; description: string } }; required: ['code']; additionalProperties: false }>;

/**
 * Collects the security events of the sandbox and the tool layer per run, and forwards them to the
 * app's own sink (the audit log). Pass `tap.sink` as `createSandbox({ audit })` and
 * `registry.forAgent(agent, { sink })`, and the tap to {@link createCodeTool}: each step then carries its
 * own events (tool calls, approvals, the run record).
 */
export interface EventTap {
  /** Records an event (kept per run, at most 1,000 in all) and forwards it. Never throws. */
  readonly sink: AuditSink;
  /** Removes and returns the events of one run, in the order they were recorded. */
  take(runId: string): SecurityEventInput[];
}

/**
 * Creates an {@link EventTap} that forwards to `forward` (for example the audit log). When `forward`
 * answers `isDisabled` and has `ready` (as the audit log does), the tap does too, so the sandbox still
 * enforces auto-disable, from the start.
 *
 * @throws {InvalidArgumentError} `INVALID_ARGUMENT` when `forward` has no `record` function.
 */
export function createEventTap(forward?: AuditSink): EventTap {
  if (forward !== undefined && typeof forward?.record !== 'function') throw invalidArgument('forward', 'an EventSink with record()', forward);
  const byRun = new Map<string, SecurityEventInput[]>();
  let count = 0;
  const sink: EventTap['sink'] = {
    record(event) {
      try {
        forward?.record(event);
      } catch {
        // A sink must not throw; a faulty forward target must not lose the step's own record.
      }
      if (typeof event?.runId !== 'string') return;
      // Bounded: events of runs nobody takes (runs made outside the code tool) must not pile up.
      if (count >= 1000) {
        const oldest = byRun.keys().next().value as string;
        count -= byRun.get(oldest)?.length ?? 0;
        byRun.delete(oldest);
      }
      const list = byRun.get(event.runId) ?? [];
      list.push(event);
      byRun.set(event.runId, list);
      count++;
    },
    ...(typeof forward?.isDisabled === 'function' ? { isDisabled: (kind: 'user' | 'tool', id: string) => forward.isDisabled!(kind, id) } : {}),
    ...(forward?.ready === undefined ? {} : { ready: forward.ready }),
  };
  return Object.freeze({
    sink: Object.freeze(sink),
    take(runId: string) {
      const list = byRun.get(runId) ?? [];
      byRun.delete(runId);
      count -= list.length;
      return list;
    },
  });
}

/** Options of {@link createCodeTool}. Unknown keys are rejected. */
export interface CodeToolOptions {
  /** The sandbox the programs run in. Its `tools` must be `registry.forAgent(agent, ...)` of the same pair below. */
  sandbox: Pick<Sandbox, 'run' | 'policy'>;
  /** The tool registry the sandbox's tools come from. With `agent`, decides what the declarations list. */
  registry?: Pick<ToolRegistry, 'describe'>;
  /** The agent the sandbox's tools are bound to. */
  agent?: PermissionPolicy;
  /** The app's user the programs run for (quotas, audit, dynamic tools). */
  user?: string;
  /**
   * Host modules the sandbox was given (`createSandbox({ modules })`), described for the model.
   * Only specifiers the policy allows (`allowedOperations.imports`) are declared.
   */
  modules?: Readonly<Record<string, Readonly<Record<string, DeclaredModuleExport>>>>;
  /** Result schemas of app tools, by tool name (built-in tools have theirs already). */
  returns?: Readonly<Record<string, JsonSchema>>;
  /** Tool name the model sees. Letters, digits, `_` and `-`, at most 64. Default `run_code`. */
  name?: string;
  /** Extra text for the description (the task's conventions), up to 2,000 characters. */
  instructions?: string;
  /** Cap on the JSON text of one result the model reads, 200 to 100,000 characters. Default 4,000. */
  maxResultChars?: number;
  /** Deadline of each program in ms. Default: the sandbox policy's. */
  timeoutMs?: number;
  /** Per-run security events for each step (see {@link createEventTap}). */
  events?: EventTap;
  /** Called after each program with everything about it (for a UI or a log). Must not throw. */
  onStep?: (step: CodeStep) => void;
}

/** Everything about one program the model wrote. */
export interface CodeStep {
  code: string;
  /** What the model reads. */
  result: ModelResult;
  /** The run's id, when it reached the sandbox. */
  runId: string | undefined;
  /** The full value (uncapped) on success. */
  value?: unknown;
  /** The security events of the run (empty without an {@link EventTap}): tool calls, approvals, the run record. */
  events: SecurityEventInput[];
  /** The `approval` events among them. */
  approvals: SecurityEventInput[];
  /** The error the sandbox threw, on failure. */
  error?: unknown;
  /** The run's measurements: the page's view on success, the worker's (no queue or total time) on a failure that reached it. */
  stats?: RunStats & Partial<Pick<RunOutputStats, 'queuedMs' | 'totalMs'>>;
}

/** A framework-neutral tool definition. Adapters re-shape it for each SDK. */
export interface CodeTool {
  readonly name: string;
  /** What the model reads about the tool: how to write the program, the limits, and the typed API. */
  readonly description: string;
  /** The TypeScript declarations of the granted API (also inside `description`). */
  readonly declarations: string;
  /** JSON Schema of the input, `{ code: string }`. */
  readonly inputSchema: typeof CODE_INPUT_SCHEMA;
  /**
   * Runs `input.code` and resolves to the model-shaped result. Never rejects for anything the model
   * did: bad input, guest errors, limits and refusals are results (`ok: false`) it can act on.
   */
  execute(input: unknown, options?: { signal?: AbortSignal }): Promise<ModelResult>;
  /** Like `execute`, with everything about the step (events, approvals, uncapped value). */
  run(input: unknown, options?: { signal?: AbortSignal }): Promise<CodeStep>;
}

const KEYS = ['sandbox', 'registry', 'agent', 'user', 'modules', 'returns', 'name', 'instructions', 'maxResultChars', 'timeoutMs', 'events', 'onStep'];
const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const TOOL_CODES = new Set(['TOOL_DENIED', 'TOOL_FAILED', 'APPROVAL_DENIED', 'INVALID_ARGUMENT']);

function describeTool(options: { declarations: string; timeoutMs: number; maxResultChars: number; helpers: string[]; instructions?: string }): string {
  return [
    'Runs a JavaScript program in a sandbox (QuickJS in a Web Worker: no DOM, no Node APIs, no network except the declared tools) and returns its result.',
    'Write a script: the value of its last expression (awaited when it is a promise) is the result; top-level await works. A module (with import/export) returns its default export.',
    'Do loops, filters and joins in code and return only what you need, as JSON data. console.log output comes back too.',
    `Limits: ${options.timeoutMs} ms per program; results over ${options.maxResultChars} characters are truncated.`,
    'On failure the result is { ok: false, error: { code, message, hint } }: follow the hint.',
    `Helper modules you may import: ${options.helpers.join(', ')}. Nothing else exists: no fetch/require/process/window unless declared below.`,
    ...(options.instructions ? [options.instructions] : []),
    options.declarations === '' ? 'No host tools are granted.' : `The host API, as TypeScript declarations:\n\`\`\`ts\n${options.declarations}\`\`\``,
  ].join('\n');
}

/**
 * Turns a sandbox (and the tools its agent is granted) into one code tool for an agent loop.
 *
 * @example
 * const sandbox = createSandbox({ policy, tools: registry.forAgent(agent, { sink: tap.sink }), audit: tap.sink });
 * const codeTool = createCodeTool({ sandbox, registry, agent, events: tap });
 * const result = await codeTool.execute({ code: 'const t = await tools.readFile({ path: "/kb/a.md" }); t.length' });
 * @throws {InvalidArgumentError} `INVALID_ARGUMENT` for an unknown option or a bad value (the message names it).
 */
export function createCodeTool(options: CodeToolOptions): CodeTool {
  if (typeof options !== 'object' || options === null) throw invalidArgument('options', 'an object', options);
  checkKnownKeys('options', options, KEYS);
  const { sandbox, registry, agent, user, modules = {}, returns = {}, name = 'run_code', instructions, maxResultChars = 4000, events, onStep } = options;
  if (typeof sandbox?.run !== 'function' || typeof sandbox.policy !== 'object') throw invalidArgument('options.sandbox', 'a Sandbox from createSandbox()', sandbox);
  if ((registry === undefined) !== (agent === undefined)) {
    throw new InvalidArgumentError(registry === undefined ? 'options.registry' : 'options.agent', 'Expected `options.registry` and `options.agent` together (the pair the sandbox\'s tools are bound to), or neither');
  }
  if (registry !== undefined && typeof registry?.describe !== 'function') throw invalidArgument('options.registry', 'a ToolRegistry', registry);
  if (user !== undefined && typeof user !== 'string') throw invalidArgument('options.user', 'a string', user);
  if (typeof name !== 'string' || !NAME.test(name)) throw invalidArgument('options.name', 'a tool name of letters, digits, `_` and `-` (1 to 64)', name);
  if (instructions !== undefined && (typeof instructions !== 'string' || instructions.length > 2000)) throw invalidArgument('options.instructions', 'a string of at most 2000 characters', instructions);
  if (!Number.isInteger(maxResultChars) || maxResultChars < 200 || maxResultChars > 100_000) throw invalidArgument('options.maxResultChars', 'an integer from 200 to 100000', maxResultChars);
  const timeoutMs = options.timeoutMs ?? sandbox.policy.limits.timeoutMs;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000) throw invalidArgument('options.timeoutMs', 'an integer from 1 to 600000', timeoutMs);
  if (events !== undefined && typeof events?.take !== 'function') throw invalidArgument('options.events', 'an EventTap from createEventTap()', events);
  if (onStep !== undefined && typeof onStep !== 'function') throw invalidArgument('options.onStep', 'a function', onStep);
  if (typeof modules !== 'object' || modules === null) throw invalidArgument('options.modules', 'an object of module descriptions', modules);
  if (typeof returns !== 'object' || returns === null) throw invalidArgument('options.returns', 'an object of result schemas by tool name', returns);

  // Exactly what the guest can call: the registry's view of this agent (the same view its dispatcher
  // uses), and only the host modules the policy lets the validator import.
  const allowedImports = new Set(sandbox.policy.allowedOperations.imports);
  const described: DeclaredTool[] = registry === undefined || agent === undefined ? [] : registry.describe(agent, user).map((t) => ({
    ...t,
    ...(returns[t.name] !== undefined && t.kind !== 'builtin' ? { returns: returns[t.name] } : {}),
  }));
  const declaredModules = Object.fromEntries(Object.entries(modules).filter(([specifier]) => allowedImports.has(specifier)));
  const declarations = generateDeclarations({ tools: described, modules: declaredModules });
  // quickcage's own pure modules: always importable, plus the optional ones the policy allows.
  const helpers = [...DEFAULT_IMPORTS, ...OPTIONAL_IMPORTS.filter((m) => allowedImports.has(m))];
  const description = describeTool({ declarations, timeoutMs, maxResultChars, helpers, ...(instructions ? { instructions } : {}) });

  const run = async (input: unknown, runOptions: { signal?: AbortSignal } = {}): Promise<CodeStep> => {
    const code = typeof input === 'string' ? input : (input as { code?: unknown } | null)?.code;
    if (typeof code !== 'string' || code.trim() === '') {
      const result: ModelResult = {
        ok: false,
        error: { code: 'INVALID_ARGUMENT', message: 'The input must be { "code": "<JavaScript program>" } with a non-empty string.', hint: 'Call the tool again with the program in the `code` field.' },
      };
      const step: CodeStep = { code: typeof code === 'string' ? code : '', result, runId: undefined, events: [], approvals: [] };
      report(step);
      return step;
    }
    const request: RunOptions = { timeoutMs, ...(user === undefined ? {} : { user }), ...(runOptions.signal === undefined ? {} : { signal: runOptions.signal }) };
    let step: CodeStep;
    try {
      const out = await sandbox.run(code, request);
      const logs = compactLogs(out.logs);
      const result = capResult({ ok: true, value: out.value === undefined ? null : out.value, ...(logs.length > 0 ? { logs } : {}) }, maxResultChars);
      step = { code, result, runId: out.runId, value: out.value, events: [], approvals: [], stats: out.stats };
    } catch (error) {
      const e = error as { runId?: unknown; logs?: unknown; stats?: RunStats };
      const logs = Array.isArray(e?.logs) ? compactLogs(e.logs) : [];
      const result = capResult({ ok: false, error: explainError(error), ...(logs.length > 0 ? { logs } : {}) }, maxResultChars);
      step = { code, result, runId: typeof e?.runId === 'string' ? e.runId : undefined, error, events: [], approvals: [], ...(e?.stats ? { stats: e.stats } : {}) };
    }
    if (events !== undefined && step.runId !== undefined) {
      step.events = events.take(step.runId);
      step.approvals = step.events.filter((ev) => ev.type === 'approval');
      // Guard denials do not name their tool in the message; the run's last failed call does.
      if (!step.result.ok && step.result.error.tool === undefined && TOOL_CODES.has(step.result.error.code)) {
        const failed = step.events.filter((ev) => ev.type === 'tool_call' && ev.details?.outcome !== 'ok').at(-1);
        if (failed?.tool !== undefined) step.result = { ...step.result, error: { ...step.result.error, tool: failed.tool } };
      }
    }
    report(step);
    return step;
  };

  const report = (step: CodeStep) => {
    try {
      onStep?.(step);
    } catch {
      // A UI callback must not change what the model reads.
    }
  };

  return Object.freeze({
    name,
    description,
    declarations,
    inputSchema: CODE_INPUT_SCHEMA,
    run,
    execute: async (input: unknown, runOptions?: { signal?: AbortSignal }) => (await run(input, runOptions)).result,
  });
}

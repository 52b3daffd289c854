/**
 * The tool registry: the one place a guest's host call is decided. Per call, in this order: known,
 * granted and not revoked tool (else `TOOL_DENIED`), rate limits (else `RATE_LIMITED`, recorded once
 * as `rate_limit_exceeded`), arguments against the schema (else `INVALID_ARGUMENT`), approval when
 * the tool asks for it (else `APPROVAL_DENIED`), revocations again (a call that waited may have lost
 * its grant), the handler (its failure is `TOOL_FAILED`), a JSON-data result within the size cap.
 * Every other outcome is one `tool_call` event.
 */
import { checkKnownKeys } from '../internal/checks.js';
import type { EventSink, SecurityEventInput, Severity } from '../audit/types.js';
import { AbortedError, InvalidArgumentError, RateLimitedError, ToolError, describeValue, invalidArgument, isSandboxError, type SandboxError } from '../errors.js';
import { PRESETS } from '../policy.js';
import { FETCH_TOOL_NAME, FILE_TOOL_NAMES, createFetchTool, createFileTools } from './builtins.js';
import { isToolName, type Tool } from './define.js';
import type { DynamicToolRecord } from './dynamic.js';
import { describeAttempt, evidenceString, permissionsAsked, type AttemptedResource } from './evidence.js';
import { canonicalJson, deepFreeze, plainJson } from './json.js';
import { Permission, isPermissionPolicy, permissionNames, permissionPolicyFromPolicy, restrictPolicy, type PermissionPolicy } from './permissions.js';
import { RateCounters, checkRateLimits, type CheckedRateLimit } from './rate-limits.js';
import { Revocations, describeRevocable, type Revocable, type RevocationEntry } from './revocations.js';
import { assertArgs } from './schema.js';
import { observationEvent, observeAgent, observeCeiling } from '../fleet/observe.js';
import { createVirtualFileSystem, type VirtualFileSystem } from './vfs.js';
import type { BoundToolDispatcher, ForAgentOptions, RevokeScope, ToolCallContext, ToolDescription, ToolRegistry, ToolRegistryOptions } from './registry-types.js';

export type { BoundToolDispatcher, ForAgentOptions, RevokeScope, ToolCallContext, ToolDescription, ToolRegistry, ToolRegistryOptions } from './registry-types.js';

type Outcome = 'ok' | 'denied' | 'invalid' | 'rejected' | 'failed' | 'aborted';

const SEVERITY: Record<Outcome, Severity> = { ok: 'low', invalid: 'low', denied: 'medium', rejected: 'low', failed: 'low', aborted: 'low' };
/** Guard rules that look like an attack rather than a mistake: recorded as `high`. */
const ATTACK_RULE = /^(path\.(traversal|encoded|backslash|unicode|null-byte|control|outside|empty-segment|trailing-dot|link-escape|resolve)|url\.(userinfo|ip-notation|non-canonical-host|scheme|backslash|control|host-not-allowed|port-not-allowed|trailing-dot))$/;

function assertAgent(agent: unknown, field = 'agent'): asserts agent is PermissionPolicy {
  if (!isPermissionPolicy(agent)) throw invalidArgument(field, 'a policy from definePermissionPolicy()', agent);
}

function assertContext(ctx: unknown): asserts ctx is ToolCallContext {
  if (typeof ctx !== 'object' || ctx === null) throw invalidArgument('ctx', 'a ToolCallContext', ctx);
  const c = ctx as Partial<ToolCallContext>;
  if (typeof c.runId !== 'string' || c.runId.length === 0) throw invalidArgument('ctx.runId', 'a non-empty string', c.runId);
  if (c.user !== undefined && typeof c.user !== 'string') throw invalidArgument('ctx.user', 'a string or undefined', c.user);
  assertAgent(c.agent, 'ctx.agent');
  if (!(c.signal instanceof AbortSignal)) throw invalidArgument('ctx.signal', 'an AbortSignal', c.signal);
  if (typeof c.pauseDeadline !== 'function') throw invalidArgument('ctx.pauseDeadline', 'a function', c.pauseDeadline);
  if (c.sink !== undefined && typeof c.sink?.record !== 'function') throw invalidArgument('ctx.sink', 'an EventSink', c.sink);
}

const BUILTIN_NAMES: readonly string[] = [...FILE_TOOL_NAMES, FETCH_TOOL_NAME];

/**
 * Creates the tool registry of an app. Built-in tools appear when the policy grants them:
 * `allowedOperations.fileOperations` adds `readFile`, `writeFile`, `listDir`, `deleteFile`, `stat`;
 * `allowedOperations.networkOperations` adds `fetch`. Their names are reserved either way.
 *
 * @example
 * const registry = createToolRegistry({ policy, tools: [lookupOrder], approvals });
 * const sandbox = createSandbox({ policy, tools: registry.forAgent(support, { sink: audit }) });
 * @throws {InvalidArgumentError} `INVALID_ARGUMENT` for a bad option, a tool not made by `defineTool`, or a duplicate name.
 * @throws {InvalidPolicyError} `INVALID_POLICY` when the policy's `files.allowedPaths` or `network.allowedDomains` hold non-canonical entries.
 */
export function createToolRegistry(options: ToolRegistryOptions = {}): ToolRegistry {
  if (typeof options !== 'object' || options === null) throw invalidArgument('options', 'an object', options);
  const known = ['policy', 'tools', 'fileSystem', 'fetchImpl', 'maxRedirects', 'approvals', 'dynamicTools', 'maxResultBytes', 'rateLimits', 'sink', 'now', 'observe'];
  checkKnownKeys('options', options, known);
  const policy = options.policy ?? PRESETS.webApi;
  if (typeof policy !== 'object' || policy === null || typeof policy.allowedOperations !== 'object') throw invalidArgument('policy', 'a policy from definePolicy()', policy);
  const { approvals, dynamicTools, maxRedirects = 5, maxResultBytes = policy.limits.maxResultBytes } = options;
  const fetchImpl = options.fetchImpl ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  if (typeof fetchImpl !== 'function') throw invalidArgument('fetchImpl', 'a fetch function', fetchImpl);
  if (!Number.isInteger(maxRedirects) || maxRedirects < 0 || maxRedirects > 20) throw invalidArgument('maxRedirects', 'an integer from 0 to 20', maxRedirects);
  if (!Number.isInteger(maxResultBytes) || maxResultBytes < 2) throw invalidArgument('maxResultBytes', 'an integer of at least 2', maxResultBytes);
  if (approvals !== undefined && typeof approvals?.request !== 'function') throw invalidArgument('approvals', 'an ApprovalManager', approvals);
  if (dynamicTools !== undefined && typeof dynamicTools?.execute !== 'function') throw invalidArgument('dynamicTools', 'a DynamicToolStore', dynamicTools);
  if (options.sink !== undefined && typeof options.sink?.record !== 'function') throw invalidArgument('sink', 'an EventSink', options.sink);
  if (options.now !== undefined && typeof options.now !== 'function') throw invalidArgument('now', 'a function returning epoch milliseconds', options.now);
  const now = options.now ?? Date.now;
  const registryLimits = limitsByTool(options.rateLimits, 'rateLimits');
  const counters = new RateCounters(now);
  const revocations = new Revocations();
  /** Dispatchers made by forAgent, by id: the agent they are bound to and their sink. */
  const dispatchers = new Map<string, { agent: string; sink?: EventSink }>();
  let dispatcherCount = 0;
  /** Calls waiting for a person: a revocation that now refuses them abandons the wait. */
  const waiting = new Set<{ agent: string; sandbox: string | undefined; refused(): boolean; abandon(): void }>();

  // ---- observe mode (src/fleet/observe.ts): built-ins exist and every tool is visible, so uses can be observed.
  if (options.observe !== undefined && typeof options.observe !== 'boolean') throw invalidArgument('observe', 'a boolean', options.observe);
  const observe = options.observe === true;
  const ceiling = observe ? observeCeiling(permissionPolicyFromPolicy(policy)) : permissionPolicyFromPolicy(policy);
  const tools = new Map<string, { tool: Tool; kind: 'builtin' | 'app' }>();
  let fileSystem: VirtualFileSystem | undefined;
  if (policy.allowedOperations.fileOperations || observe) {
    fileSystem = options.fileSystem ?? createVirtualFileSystem({ storage: policy.files.storage, maxFileBytes: policy.files.maxFileBytes });
    for (const tool of createFileTools(fileSystem, ceiling)) tools.set(tool.name, { tool, kind: 'builtin' });
  }
  if (policy.allowedOperations.networkOperations || observe) {
    const tool = createFetchTool({ ceiling, fetchImpl, timeoutMs: policy.network.timeoutMs, maxResponseBytes: policy.network.maxResponseBytes, maxRedirects });
    tools.set(tool.name, { tool, kind: 'builtin' });
  }

  const register = (tool: Tool<never>): void => {
    const t = tool as unknown as Tool;
    if (typeof t !== 'object' || t === null || !Object.isFrozen(t) || typeof t.validate !== 'function' || !isToolName(t.name)) {
      throw invalidArgument('tool', 'a tool from defineTool()', tool);
    }
    if (tools.has(t.name) || BUILTIN_NAMES.includes(t.name)) throw invalidArgument('tool.name', 'a name no other tool uses (built-in names are reserved)', t.name);
    tools.set(t.name, { tool: t, kind: 'app' });
  };
  if (options.tools !== undefined) {
    if (!Array.isArray(options.tools)) throw invalidArgument('tools', 'an array of tools from defineTool()', options.tools);
    for (const tool of options.tools) register(tool);
  }
  dynamicTools?.reserveNames((name) => tools.has(name) || BUILTIN_NAMES.includes(name));

  const visibleDynamic = (agent: PermissionPolicy, user: string | undefined): DynamicToolRecord[] => {
    if (dynamicTools === undefined || (agent.permissions & Permission.EXECUTE_CODE) === 0) return [];
    return dynamicTools.snapshot().filter((r) => r.enabled && !tools.has(r.name) && (r.shared || (user !== undefined && r.owner === user)));
  };

  const names = (agent: PermissionPolicy, user?: string): string[] => {
    assertAgent(agent);
    const granted = [...tools.values()].filter(({ tool }) => observe || (tool.permission & ~agent.permissions) === 0).map(({ tool }) => tool.name);
    // Agent-wide revocations apply here too (a dispatcher adds its sandbox-scoped ones).
    const revokedFlags = revocations.flags(agent.agent, undefined);
    return [...granted, ...visibleDynamic(agent, user).map((r) => r.name)]
      .filter((name) => revocations.tool(name, agent.agent, undefined) === undefined && ((tools.get(name)?.tool.permission ?? Permission.EXECUTE_CODE) & revokedFlags) === 0)
      .sort();
  };

  const describe = (agent: PermissionPolicy, user?: string): ToolDescription[] => {
    const visible = new Set(names(agent, user));
    const out: ToolDescription[] = [];
    for (const { tool, kind } of tools.values()) {
      if (!visible.has(tool.name)) continue;
      out.push({
        name: tool.name,
        description: tool.description,
        params: tool.params,
        permissions: permissionNames(tool.permission),
        requiresApproval: typeof tool.requiresApproval === 'function' ? 'depends-on-args' : tool.requiresApproval,
        kind,
      });
    }
    for (const r of visibleDynamic(agent, user)) {
      out.push({ name: r.name, description: r.description, params: r.params ?? { type: 'object' }, permissions: ['EXECUTE_CODE'], requiresApproval: false, kind: 'dynamic' });
    }
    return deepFreeze(out.sort((a, b) => (a.name < b.name ? -1 : 1)));
  };

  const invoke = (name: string, rawArgs: unknown, ctx: ToolCallContext): Promise<unknown> => invokeAs(name, rawArgs, ctx, undefined);

  const invokeAs = async (name: string, rawArgs: unknown, ctx: ToolCallContext, grant: { id: string; rateLimits: Map<string, CheckedRateLimit[]> } | undefined): Promise<unknown> => {
    assertContext(ctx);
    const { agent, runId, user, sink } = ctx;
    const sandboxId = grant?.id;
    // The agent as it stands right now: revocations are read on every check, by the registry and
    // by the built-in tools (which check again for each path, link and redirect hop).
    const restricted = restrictPolicy(agent, {
      revokedFlags: () => revocations.flags(agent.agent, sandboxId),
      deny: (_action, resource) => revocations.deny(resource, agent.agent, sandboxId),
    });
    // Observe mode: every check of this call is recorded (would-be denials included) and allow-lists pass.
    const live = !observe ? restricted : observeAgent(restricted, (observation) => {
      try {
        sink?.record(observationEvent(observation, { agent: agent.agent, tool: String(name).slice(0, 64), runId, ...(user === undefined ? {} : { user }) }));
      } catch { /* a sink must not throw */ }
    });
    const started = performance.now();
    const record = (outcome: Outcome, tool: string, details: Record<string, unknown> = {}) => {
      const rule = typeof details.rule === 'string' ? details.rule : undefined;
      const event: SecurityEventInput = {
        type: 'tool_call',
        severity: outcome === 'denied' && rule !== undefined && ATTACK_RULE.test(rule) ? 'high' : SEVERITY[outcome],
        agent: agent.agent,
        tool,
        runId,
        ...(user === undefined ? {} : { user }),
        details: { outcome, durationMs: Math.round(performance.now() - started), ...details },
      };
      try {
        sink?.record(event);
      } catch {
        // A sink must not throw; a faulty one must not change the call's outcome.
      }
    };
    const deny = (tool: string, message: string, details: Record<string, unknown>): never => {
      record('denied', tool, details);
      throw new ToolError('TOOL_DENIED', `${message} (TOOL_DENIED)`, { runId, details: { tool, ...details } });
    };

    if (!isToolName(name)) return deny(evidenceString(String(name).slice(0, 64)), `No tool ${describeValue(name)}`, { reason: 'unknown' });
    if (ctx.signal.aborted) {
      record('aborted', name);
      throw new AbortedError(`The run was aborted before tool \`${name}\` ran (ABORTED)`, { runId });
    }

    // Resolve the tool: static first; a dynamic tool is read from storage so another tab's disable counts.
    const entry = tools.get(name);
    let dynamic: DynamicToolRecord | undefined;
    if (entry === undefined && dynamicTools !== undefined) {
      const r = await dynamicTools.get(name);
      if (r !== undefined && (r.shared || (user !== undefined && r.owner === user))) {
        if (!r.enabled) return deny(name, `Tool \`${name}\` is disabled${r.reason ? `: ${r.reason}` : ''}`, { reason: 'disabled', dynamic: true });
        dynamic = r;
      }
    }
    if (entry === undefined && dynamic === undefined) return deny(name, `No tool \`${name}\``, { reason: 'unknown' });
    const permission = entry?.tool.permission ?? Permission.EXECUTE_CODE;
    /** Denies when the tool or its flags are not (or no longer) granted. */
    const checkGrant = (): void => {
      const revoked = revocations.tool(name, agent.agent, sandboxId);
      if (revoked !== undefined) {
        deny(name, `Tool \`${name}\` was revoked from ${'agent' in revoked.scope ? `agent \`${agent.agent}\`` : 'this sandbox'}${revoked.reason ? `: ${revoked.reason}` : ''}`, { reason: 'revoked', rule: 'revoked.tool', attempted: { tool: name } });
      }
      const decision = live.check(permission);
      if (!decision.allowed) {
        const asked = decision.rule === 'revoked.permission' ? permission & revocations.flags(agent.agent, sandboxId) : permission & ~agent.permissions;
        deny(name, `Agent \`${agent.agent}\` may not call \`${name}\`: ${decision.reason}`, { reason: 'permission', rule: decision.rule, attempted: { permission: permissionsAsked(asked) } });
      }
    };
    checkGrant();

    // Rate limits: before the arguments, the approval and the handler. A refusal is recorded once.
    const limits = [...(entry?.tool.rateLimit ?? []), ...(registryLimits.get(name) ?? []), ...(grant?.rateLimits.get(name) ?? [])];
    const refusal = counters.admit(name, limits, { user, agent: agent.agent, sandbox: sandboxId ?? '' });
    if (refusal !== undefined) {
      const { limit: l, resetAt } = refusal;
      const details = { tool: name, limit: l.limit, windowMs: l.windowMs, per: l.per, source: l.source, resetAt };
      try {
        sink?.record({ type: 'rate_limit_exceeded', severity: 'medium', agent: agent.agent, tool: name, runId, ...(user === undefined ? {} : { user }), details });
      } catch {
        // A sink must not throw; a faulty one must not change the call's outcome.
      }
      throw new RateLimitedError(`Tool \`${name}\` is rate limited to ${l.limit} calls per ${l.windowMs} ms per ${l.per} (RATE_LIMITED)`, { remaining: 0, resetAt }, { runId, details });
    }

    // Arguments: plain JSON data, copied once and frozen, so nothing can change between approval and
    // execution. The canonical copy (keys sorted) is for the schema, the approval digest and the
    // audit; the handler gets the same data with its keys in the order the guest wrote them.
    let args: Record<string, unknown>;
    let handlerArgs: Record<string, unknown>;
    try {
      const raw = rawArgs === undefined ? {} : rawArgs;
      args = deepFreeze(JSON.parse(canonicalJson(raw)) as Record<string, unknown>);
      handlerArgs = deepFreeze(JSON.parse(plainJson(raw)) as Record<string, unknown>);
    } catch (error) {
      record('invalid', name, { reason: 'not-json' });
      throw new InvalidArgumentError('args', `Expected \`args\` of tool \`${name}\` to be plain JSON data: ${(error as Error).message}`, { runId, cause: error });
    }
    try {
      if (entry !== undefined) assertArgs(entry.tool.validate, args, name);
      else dynamicTools!.checkArgs(dynamic!, args);
    } catch (error) {
      record('invalid', name, { reason: 'schema', field: (error as InvalidArgumentError).field });
      throw error;
    }

    // Human in the loop.
    let needsApproval: boolean;
    try {
      const rule = entry?.tool.requiresApproval;
      needsApproval = entry !== undefined ? (typeof rule === 'function' ? rule(args) === true : rule === true) : dynamicTools!.needsApproval(dynamic!, args);
    } catch (error) {
      // A throwing approval rule must not skip approval: fail closed.
      needsApproval = true;
      void error;
    }
    if (needsApproval) {
      if (approvals === undefined) {
        record('rejected', name, { reason: 'no-approval-manager' });
        throw new ToolError('APPROVAL_DENIED', `Tool \`${name}\` needs approval and no approval manager is configured (APPROVAL_DENIED)`, { runId, details: { tool: name } });
      }
      const abandon = new AbortController();
      const wait = {
        agent: agent.agent,
        sandbox: sandboxId,
        refused: () => {
          try {
            checkGrantQuietly();
            return false;
          } catch {
            return true;
          }
        },
        abandon: () => abandon.abort(),
      };
      const checkGrantQuietly = (): void => {
        if (revocations.tool(name, agent.agent, sandboxId) !== undefined || !live.check(permission).allowed) throw new Error('refused');
      };
      waiting.add(wait);
      try {
        await approvals.request({ tool: name, agent: agent.agent, ...(user === undefined ? {} : { user }), runId, args }, { ...ctx, signal: AbortSignal.any([ctx.signal, abandon.signal]) });
      } catch (error) {
        // Abandoned because a revocation refuses the call now: that is a denial, not an abort.
        if (abandon.signal.aborted && !ctx.signal.aborted) checkGrant();
        if (error instanceof AbortedError) record('aborted', name, { stage: 'approval' });
        else record('rejected', name, { reason: isSandboxError(error) ? error.details.status ?? error.code : 'error' });
        if (isSandboxError(error)) throw error;
        throw new ToolError('APPROVAL_DENIED', `Approval for tool \`${name}\` failed (APPROVAL_DENIED)`, { runId, cause: error });
      } finally {
        waiting.delete(wait);
      }
    }
    if (ctx.signal.aborted) {
      record('aborted', name);
      throw new AbortedError(`The run was aborted before tool \`${name}\` ran (ABORTED)`, { runId });
    }
    // The call may have waited (approval, a busy main thread): what was granted then may be gone now.
    checkGrant();

    // Execution.
    let value: unknown;
    try {
      value = entry !== undefined
        ? await entry.tool.handler(handlerArgs, Object.freeze({ runId, ...(user === undefined ? {} : { user }), agent: live, signal: ctx.signal }))
        : await dynamicTools!.execute(dynamic!, handlerArgs, { runId, ...(user === undefined ? {} : { user }), signal: ctx.signal });
    } catch (error) {
      if (ctx.signal.aborted && !(error instanceof ToolError)) {
        record('aborted', name);
        throw new AbortedError(`The run was aborted while tool \`${name}\` ran (ABORTED)`, { runId, cause: error });
      }
      if (isSandboxError(error)) {
        const e = error as SandboxError;
        const outcome: Outcome = e.code === 'TOOL_DENIED' ? 'denied' : e.code === 'INVALID_ARGUMENT' ? 'invalid' : e.code === 'ABORTED' ? 'aborted' : e.code === 'APPROVAL_DENIED' ? 'rejected' : 'failed';
        const attempted = e.code === 'TOOL_DENIED' && typeof e.details.attempted === 'object' && e.details.attempted !== null
          ? { attempted: describeAttempt(e.details.attempted as AttemptedResource) }
          : {};
        record(outcome, name, { code: e.code, ...pick(e.details, ['rule', 'reason', 'by']), ...attempted });
        throw e;
      }
      // Host errors stay on the host: the guest learns that the tool failed, not the host's internals.
      record('failed', name, { errorName: error instanceof Error ? error.name : typeof error });
      throw new ToolError('TOOL_FAILED', `Tool \`${name}\` failed (TOOL_FAILED)`, { runId, cause: error, details: { tool: name } });
    }

    if (value === undefined) {
      record('ok', name, { resultBytes: 0 });
      return undefined;
    }
    let text: string;
    try {
      text = plainJson(value);
    } catch (error) {
      record('failed', name, { reason: 'result-not-json' });
      throw new ToolError('TOOL_FAILED', `Tool \`${name}\` returned something that is not JSON data: ${(error as Error).message} (TOOL_FAILED)`, { runId, cause: error, details: { tool: name, reason: 'result-not-json' } });
    }
    if (text.length > maxResultBytes) {
      record('failed', name, { reason: 'result-too-large', resultBytes: text.length });
      throw new ToolError('TOOL_FAILED', `Tool \`${name}\` returned ${text.length} characters of JSON, more than the limit of ${maxResultBytes} (TOOL_FAILED)`, { runId, details: { tool: name, reason: 'result-too-large' } });
    }
    record('ok', name, { resultBytes: text.length, ...(needsApproval ? { approved: true } : {}), ...(dynamic ? { dynamic: true } : {}) });
    return JSON.parse(text) as unknown;
  };

  const forAgent = (agent: PermissionPolicy, bound: ForAgentOptions = {}): BoundToolDispatcher & { readonly id: string } => {
    assertAgent(agent);
    if (typeof bound !== 'object' || bound === null) throw invalidArgument('options', 'an object', bound);
    checkKnownKeys('options', bound, ['sink', 'rateLimits']);
    if (bound.sink !== undefined && typeof bound.sink?.record !== 'function') throw invalidArgument('options.sink', 'an EventSink', bound.sink);
    const grant = { id: `sandbox-${++dispatcherCount}`, rateLimits: limitsByTool(bound.rateLimits, 'options.rateLimits') };
    dispatchers.set(grant.id, { agent: agent.agent, ...(bound.sink === undefined ? {} : { sink: bound.sink }) });
    return Object.freeze({
      id: grant.id,
      observing: observe,
      names: (user?: string) => names(agent, user).filter((name) => revocations.tool(name, agent.agent, grant.id) === undefined
        && ((tools.get(name)?.tool.permission ?? Permission.EXECUTE_CODE) & revocations.flags(agent.agent, grant.id)) === 0),
      invoke: (name: string, args: unknown, context: { runId: string; user?: string; signal: AbortSignal; pauseDeadline(): () => void }) =>
        invokeAs(name, args, {
          runId: context.runId,
          ...(context.user === undefined ? {} : { user: context.user }),
          agent,
          signal: context.signal,
          pauseDeadline: () => context.pauseDeadline(),
          ...(bound.sink === undefined ? {} : { sink: bound.sink }),
        }, grant),
    });
  };

  /** The sandbox id of a scope, and the agent name and sinks its events go to. */
  const resolveScope = (scope: RevokeScope): { scope: { agent: string } | { sandbox: string }; agent: string | undefined; sinks: EventSink[] } => {
    if (typeof scope !== 'object' || scope === null) throw invalidArgument('scope', 'an object with exactly one of agent, sandbox', scope);
    if ('sandbox' in scope) {
      const id = typeof scope.sandbox === 'string' ? scope.sandbox : scope.sandbox?.id;
      const d = typeof id === 'string' ? dispatchers.get(id) : undefined;
      if (d === undefined) throw invalidArgument('scope.sandbox', 'a dispatcher from this registry\'s forAgent() (or its id)', scope.sandbox);
      return { scope: { sandbox: id as string }, agent: d.agent, sinks: d.sink ? [d.sink] : [] };
    }
    const agentName = (scope as { agent?: unknown }).agent;
    const sinks = [...new Set([...dispatchers.values()].filter((d) => d.agent === agentName && d.sink).map((d) => d.sink as EventSink))];
    return { scope: scope as { agent: string }, agent: typeof agentName === 'string' ? agentName : undefined, sinks };
  };
  const checkMeta = (options: unknown, keys: readonly string[]): { reason?: string; by?: string } => {
    if (options === undefined) return {};
    if (typeof options !== 'object' || options === null) throw invalidArgument('options', 'an object', options);
    const o = options as Record<string, unknown>;
    checkKnownKeys('options', o, keys);
    for (const key of Object.keys(o)) {
      if (typeof o[key] !== 'string' || (o[key] as string).length > 500) throw invalidArgument(`options.${key}`, 'a string of at most 500 characters', o[key]);
    }
    return o as { reason?: string; by?: string };
  };
  const announce = (type: 'permission_revoked' | 'permission_granted', entry: RevocationEntry, agentName: string | undefined, sinks: EventSink[], extra: Record<string, unknown>) => {
    const event: SecurityEventInput = {
      type,
      severity: 'medium',
      ...(agentName === undefined ? {} : { agent: agentName }),
      ...('tool' in entry.what ? { tool: entry.what.tool } : {}),
      details: {
        what: describeRevocable(entry.what),
        scope: 'agent' in entry.scope ? 'agent' : 'sandbox',
        ...('sandbox' in entry.scope ? { sandbox: entry.scope.sandbox } : {}),
        ...extra,
      },
    };
    for (const target of options.sink ? [options.sink] : sinks) {
      try {
        target.record(event);
      } catch {
        // A sink must not throw; a faulty one must not undo the revocation.
      }
    }
  };

  const revoke = (what: Revocable, scope: RevokeScope, meta?: { reason?: string; by?: string }): RevocationEntry => {
    const resolved = resolveScope(scope);
    const m = checkMeta(meta, ['reason', 'by']);
    const { entry, added } = revocations.revoke(what, resolved.scope, { at: now(), ...m });
    if (!added) return entry;
    // Calls waiting for a person that this revocation now refuses stop waiting.
    let abandoned = 0;
    for (const wait of [...waiting]) {
      const inScope = 'agent' in entry.scope ? wait.agent === entry.scope.agent : wait.sandbox === entry.scope.sandbox;
      if (inScope && wait.refused()) {
        wait.abandon();
        abandoned++;
      }
    }
    announce('permission_revoked', entry, resolved.agent, resolved.sinks, { ...m, abandonedApprovals: abandoned });
    return entry;
  };

  const grantBack = (what: Revocable, scope: RevokeScope, meta?: { by?: string }): boolean => {
    const resolved = resolveScope(scope);
    const m = checkMeta(meta, ['by']);
    const entry = revocations.grant(what, resolved.scope);
    if (entry === undefined) return false;
    announce('permission_granted', entry, resolved.agent, resolved.sinks, m);
    return true;
  };

  return Object.freeze({
    get fileSystem() {
      return fileSystem;
    },
    register,
    get: (name: string) => tools.get(name)?.tool,
    names,
    describe,
    invoke,
    forAgent,
    revoke,
    grant: grantBack,
    revocations: () => revocations.list(),
  });
}

/** Checks `{ toolName: limit | limit[] }`; `field` names the option in errors. */
function limitsByTool(value: unknown, field: string): Map<string, CheckedRateLimit[]> {
  const out = new Map<string, CheckedRateLimit[]>();
  if (value === undefined) return out;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidArgument(field, 'an object of rate limits by tool name', value);
  for (const [name, limits] of Object.entries(value)) {
    if (!isToolName(name)) throw invalidArgument(`${field}.${name}`, 'keyed by a tool name', name);
    out.set(name, checkRateLimits(limits, `${field}.${name}`));
  }
  return out;
}

function pick(source: Readonly<Record<string, unknown>>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}

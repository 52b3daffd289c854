/**
 * The public shapes of the tool registry (registry.ts): its options, the per-call context the
 * sandbox passes, the dispatcher bound to one agent, and what a guest sees of a tool.
 */
import type { EventSink } from '../audit/types.js';
import type { Policy } from '../policy.js';
import type { ApprovalManager } from './approvals.js';
import type { Tool } from './define.js';
import type { DynamicToolStore } from './dynamic.js';
import type { PermissionPolicy } from './permissions.js';
import type { ToolRateLimit } from './rate-limits.js';
import type { Revocable, RevocationEntry } from './revocations.js';
import type { VirtualFileSystem } from './vfs.js';

/** What the sandbox passes with each host call. */
export interface ToolCallContext {
  runId: string;
  /** The app's user the run was made for. */
  user?: string;
  /** The agent making the call; decides what it may do. */
  agent: PermissionPolicy;
  /** Aborted when the run ends; the call then rejects with `ABORTED`. */
  signal: AbortSignal;
  /** Where `tool_call` and `approval` events go. */
  sink?: EventSink;
  /** Stops the run's deadline clock while a person decides; call the returned function to restart it. */
  pauseDeadline(): () => void;
}

/** Options of {@link createToolRegistry}. */
export interface ToolRegistryOptions {
  /** The sandbox policy: `allowedOperations` grants the built-in tools, `files`/`network` cap them. Default: the `webApi` preset (no built-ins). */
  policy?: Policy;
  /** App tools from `defineTool`. */
  tools?: readonly Tool<never>[];
  /** The file system of the file tools. Default: a new one per `policy.files` (`storage`, `maxFileBytes`). */
  fileSystem?: VirtualFileSystem;
  /** `fetch` used by the fetch tool. Default: the platform's. */
  fetchImpl?: typeof fetch;
  /**
   * Observe mode (development): allow-list checks record what they would deny instead of denying
   * (see docs/fleet.md). Every tool is visible, built-ins included. The sandbox must be created with
   * `observe: true` too. Default false.
   */
  observe?: boolean;
  /** Redirect hops the fetch tool follows (each re-checked). Default 5. */
  maxRedirects?: number;
  /** Needed when any tool can require approval; without it such calls are denied. */
  approvals?: ApprovalManager;
  /** User-created tools. */
  dynamicTools?: DynamicToolStore;
  /** Cap on the JSON text of one tool result, in UTF-16 code units. Default `policy.limits.maxResultBytes`. */
  maxResultBytes?: number;
  /**
   * Rate limits by tool name (built-in, app or dynamic tools), on top of each tool's own `rateLimit`.
   * Every limit that applies must admit the call.
   */
  rateLimits?: Readonly<Record<string, ToolRateLimit | readonly ToolRateLimit[]>>;
  /** Where `permission_revoked`/`permission_granted` events go. Default: the sinks of the dispatchers in scope. */
  sink?: EventSink;
  /** Clock of the rate limits, epoch ms. Default `Date.now`. */
  now?: () => number;
}

/** Options of {@link ToolRegistry.forAgent}. */
export interface ForAgentOptions {
  /** Where this dispatcher's `tool_call`, `approval` and `rate_limit_exceeded` events go. */
  sink?: EventSink;
  /** Rate limits this grant adds, by tool name (`per: 'sandbox'` counts per dispatcher). */
  rateLimits?: Readonly<Record<string, ToolRateLimit | readonly ToolRateLimit[]>>;
}

/** Whom {@link ToolRegistry.revoke} and {@link ToolRegistry.grant} act on. */
export type RevokeScope = { agent: string } | { sandbox: BoundToolDispatcher | string };

/** A tool as the guest (or the model writing guest code) should see it. */
export interface ToolDescription {
  name: string;
  description: string;
  params: unknown;
  /** Names of the flags the tool requires. */
  permissions: string[];
  requiresApproval: boolean | 'depends-on-args';
  kind: 'builtin' | 'app' | 'dynamic';
}

/** The dispatcher shape the sandbox calls: one agent bound, per-call context from the sandbox. */
export interface BoundToolDispatcher {
  /** This dispatcher's id, the `sandbox` of a revocation scope (present on dispatchers from `forAgent`). */
  readonly id?: string;
  /** True when the registry runs in observe mode (the sandbox refuses it unless it observes too). */
  readonly observing?: boolean;
  /** Tools the bound agent may call (dynamic ones filtered by `user`). */
  names(user?: string): string[];
  invoke(name: string, args: unknown, context: { runId: string; user?: string; signal: AbortSignal; pauseDeadline(): () => void }): Promise<unknown>;
}

/** The tools of an app. */
export interface ToolRegistry {
  /** The file system behind the file tools (when `fileOperations` is granted). */
  readonly fileSystem: VirtualFileSystem | undefined;
  /**
   * Adds an app tool.
   * @throws {InvalidArgumentError} `INVALID_ARGUMENT` when it is not from `defineTool` or its name is taken.
   */
  register(tool: Tool<never>): void;
  /** The static (built-in or app) tool with this name. */
  get(name: string): Tool | undefined;
  /**
   * Names of the tools `agent` may call: static tools whose flags it holds, then enabled dynamic tools
   * visible to `user` when it holds `EXECUTE_CODE`. Sorted.
   * @throws {InvalidArgumentError} `INVALID_ARGUMENT` when `agent` is not from `definePermissionPolicy`.
   */
  names(agent: PermissionPolicy, user?: string): string[];
  /**
   * Descriptions of the tools {@link ToolRegistry.names} lists.
   * @throws {InvalidArgumentError} `INVALID_ARGUMENT` when `agent` is not from `definePermissionPolicy`.
   */
  describe(agent: PermissionPolicy, user?: string): ToolDescription[];
  /**
   * Decides and runs one host call. Resolves to JSON data (or undefined).
   * @throws {ToolError} `TOOL_DENIED` (unknown or not granted tool, resource guard), `APPROVAL_DENIED`, `TOOL_FAILED`.
   * @throws {InvalidArgumentError} `INVALID_ARGUMENT` when `args` fail the schema (or `ctx` is malformed).
   * @throws {AbortedError} `ABORTED` when `ctx.signal` aborts.
   */
  invoke(name: string, args: unknown, ctx: ToolCallContext): Promise<unknown>;
  /**
   * A dispatcher for `createSandbox({ tools })` with `agent` bound, `sink` as the event sink and the
   * grant's own rate limits. Give each sandbox its own dispatcher: it is the unit of `per: 'sandbox'`
   * rate limits and of sandbox-scoped revocation.
   * @throws {InvalidArgumentError} `INVALID_ARGUMENT` when `agent` is not from `definePermissionPolicy`, or for a bad option.
   */
  forAgent(agent: PermissionPolicy, options?: ForAgentOptions): BoundToolDispatcher & { readonly id: string };
  /**
   * Takes away a tool, permission flags, a path (and everything below it) or a domain from one agent
   * (every dispatcher bound to a policy of that name, and direct `invoke` calls) or from one sandbox
   * (one dispatcher). Effective for the very next check: calls already queued or waiting for approval
   * are denied when they resume (`TOOL_DENIED`, rule `revoked.tool`, `revoked.permission`,
   * `revoked.path` or `revoked.domain`); a pending approval the revocation decides is abandoned at once.
   * Records one `permission_revoked` event. Revoking what is already revoked changes nothing and
   * records nothing. Returns the entry in force.
   * @throws {InvalidArgumentError} `INVALID_ARGUMENT` for a bad `what`, `scope` or option.
   */
  revoke(what: Revocable, scope: RevokeScope, options?: { reason?: string; by?: string }): RevocationEntry;
  /**
   * Gives back what {@link revoke} took with the same `what` and `scope` (it never grants more than
   * the agent's policy and the sandbox policy allow). Records one `permission_granted` event. Returns
   * false when no such revocation was in force.
   * @throws {InvalidArgumentError} `INVALID_ARGUMENT` for a bad `what`, `scope` or option.
   */
  grant(what: Revocable, scope: RevokeScope, options?: { by?: string }): boolean;
  /** The revocations in force. */
  revocations(): RevocationEntry[];
}

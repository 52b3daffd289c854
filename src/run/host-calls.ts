/**
 * The host-call bridge: a guest called `tools.x(args)` or an export of a host module, the worker
 * forwarded it (worker/protocol.ts `HostBridge.hostCall`), and the page answers here. Never throws:
 * the answer is `{ ok, valueJson }` or `{ ok: false, code, message }`.
 *
 * Data flow: argsJson → JSON.parse → guardrails (`toolArgs`) → the host function (`module#export`)
 * or the tool dispatcher (`name`; refused when the audit log disabled the tool) → guardrails
 * (`toolResult`) → JSON text capped at `limits.maxResultBytes`. The call learns its run through the
 * watchdog's ticket (user, an abort signal, and `pauseDeadline` for a person deciding).
 */
import { SandboxError } from '../errors.js';
import type { HostCallRequest, HostCallResult } from '../../worker/protocol.js';
import type { Watchdog } from '../watchdog.js';
import type { RunGuard } from './guard.js';
import { toJson } from './request.js';
import type { HostCallContext, HostFunction, HostToolDispatcher, SandboxOptions } from './types.js';

/** What the bridge answers from. */
export interface HostCallEnv {
  readonly watchdog: Watchdog;
  readonly modules: Record<string, Record<string, HostFunction>>;
  readonly tools: HostToolDispatcher | undefined;
  readonly audit: SandboxOptions['audit'];
  readonly guard: RunGuard;
  readonly maxResultBytes: number;
}

/** The bridge's `hostCall` for one sandbox. */
export function hostCallHandler(env: HostCallEnv): (request: HostCallRequest) => Promise<HostCallResult> {
  /** Bridge from the worker: a guest called a tool or a host-module export. Never throws. */
  return async (request: HostCallRequest): Promise<HostCallResult> => {
    const ticket = env.watchdog.get(request.runId);
    if (!ticket) return { ok: false, code: 'TOOL_DENIED', message: 'the run has ended' };
    const context: HostCallContext = {
      runId: request.runId,
      user: ticket.user,
      signal: ticket.signal,
      pauseDeadline: () => env.watchdog.pause(ticket),
    };
    try {
      let args: unknown;
      try {
        args = JSON.parse(request.argsJson);
      } catch {
        return { ok: false, code: 'INVALID_ARGUMENT', message: 'tool arguments are not JSON' };
      }
      const who = { runId: request.runId, tool: request.target, ...(ticket.user === undefined ? {} : { user: ticket.user }) };
      args = env.guard.value(args, { where: 'toolArgs', ...who });
      let value: unknown;
      const hash = request.target.lastIndexOf('#');
      if (hash >= 0) {
        const fn = env.modules[request.target.slice(0, hash)]?.[request.target.slice(hash + 1)];
        if (!fn) return { ok: false, code: 'TOOL_DENIED', message: `\`${request.target}\` is not a registered host function` };
        value = await fn(args, context);
      } else {
        if (!env.tools) return { ok: false, code: 'TOOL_DENIED', message: `no tool \`${request.target}\`` };
        if (env.audit?.isDisabled?.('tool', request.target)) {
          return { ok: false, code: 'TOOL_DENIED', message: `tool \`${request.target}\` is disabled by the audit log (multiple security violations)` };
        }
        value = await env.tools.invoke(request.target, args, context);
      }
      value = env.guard.value(value, { where: 'toolResult', ...who });
      return { ok: true, valueJson: value === undefined ? undefined : toJson(value, `result of ${request.target}`, env.maxResultBytes) };
    } catch (error) {
      const message = error instanceof SandboxError ? error.message : error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      // A handler's error message goes into the guest: guard it like a tool result (never blocking).
      const safe = env.guard.value(message, { where: 'toolResult', runId: request.runId, tool: request.target }, true);
      return { ok: false, code: error instanceof SandboxError ? error.code : 'TOOL_FAILED', message: safe };
    }
  };
}

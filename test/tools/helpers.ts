/** Shared helpers of the tool tests: a call context that records what happened. */
import type { SecurityEventInput } from '../../src/audit/types.js';
import { definePolicy, type Policy, type PolicyInput, type PresetName } from '../../src/policy.js';
import type { PermissionPolicy } from '../../src/tools/permissions.js';
import type { ToolCallContext } from '../../src/tools/registry.js';

export interface Probe {
  ctx: ToolCallContext;
  events: SecurityEventInput[];
  controller: AbortController;
  /** How often the deadline was paused, and how often resumed. */
  clock: { paused: number; resumed: number };
}

/** A fresh context for one call by `agent`, with a recording sink and a counting deadline clock. */
export function probe(agent: PermissionPolicy, patch: Partial<ToolCallContext> = {}): Probe {
  const events: SecurityEventInput[] = [];
  const controller = new AbortController();
  const clock = { paused: 0, resumed: 0 };
  const ctx: ToolCallContext = {
    runId: `run-${crypto.randomUUID()}`,
    user: 'alice',
    agent,
    signal: controller.signal,
    sink: { record: (event) => void events.push(event) },
    pauseDeadline: () => {
      clock.paused++;
      return () => void clock.resumed++;
    },
    ...patch,
  };
  return { ctx, events, controller, clock };
}

/** The `tool_call` events, as [outcome, severity] pairs. */
export const outcomes = (events: SecurityEventInput[]): [unknown, unknown][] =>
  events.filter((e) => e.type === 'tool_call').map((e) => [e.details?.outcome, e.severity]);

/** Partial policy input, nested. (src/policy.ts `PolicyInput` does not yet make nested interfaces partial.) */
export type PolicyPatch = { [K in keyof Policy]?: Policy[K] extends readonly unknown[] ? Policy[K] : Policy[K] extends object ? Partial<Policy[K]> : Policy[K] };

/** `definePolicy` for tests, with nested partial input. */
export const makePolicy = (input: PolicyPatch, preset?: PresetName): Policy => definePolicy(input as PolicyInput, preset);

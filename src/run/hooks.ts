/**
 * A run that records or replays (src/replay/): the run side of it. The recording is started from
 * the built request (its code, options, seed and clock, tools and modules), every host call passes
 * through the run's hooks (kept on the watchdog's ticket, so the bridge finds them by run id), and
 * the recording leaves through the guardrails like a result.
 *
 * Data flow: `Sandbox.runOn(…, replayHooks)` → {@link startRecording} / {@link offerRecordedTools}
 * → `watchdog.arm(…, hooks)` → host calls → {@link withRunHooks} (answer from the recording, or ask
 * the host; then observe) → {@link guardRecording} → `output.recording` / `error.details.recording`.
 */
import type { RunHooks, RunRecording } from '../replay/recording.js';
import type { GuardrailContext } from '../guardrails/index.js';
import type { Watchdog } from '../watchdog.js';
import type { HostCallRequest, HostCallResult, RunRequest } from '../../worker/protocol.js';
import type { RunGuard } from './guard.js';
import type { RunOptions } from './types.js';

/**
 * The recording of a run made with `record: true` (its outcome is filled in at the end), and the
 * hooks that append each host call to it, around the replay's own hooks when there are some.
 */
export function startRecording(request: RunRequest, options: RunOptions, hooks: RunHooks | undefined): { recording: RunRecording; hooks: RunHooks } {
  const recording: RunRecording = {
    version: 1, code: request.code, sourceType: request.sourceType, filename: request.filename,
    ...(request.globalsJson === undefined ? {} : { globalsJson: request.globalsJson }),
    ...(options.user === undefined ? {} : { user: options.user }),
    trusted: request.trusted, deterministic: { ...request.deterministic! },
    toolNames: [...request.toolNames], hostModules: structuredClone(request.hostModules), calls: [], outcome: { ok: true },
  };
  return {
    recording,
    hooks: {
      ...hooks,
      observe: (target, argsJson, result) => {
        recording.calls.push({ target, argsJson, result });
        hooks?.observe?.(target, argsJson, result);
      },
    },
  };
}

/** A replay without the host offers the recorded tools and modules (answered from the recording). */
export function offerRecordedTools(request: RunRequest, hooks: RunHooks): void {
  if (!hooks.toolNames) return;
  request.toolNames = [...hooks.toolNames];
  request.hostModules = { ...hooks.hostModules };
  if (request.validation) {
    const modules = Object.keys(request.hostModules);
    request.validation.allowedImports.push(...modules, ...(request.toolNames.length > 0 ? ['quickcage:tools'] : []));
    if (request.toolNames.length > 0 && !request.validation.grantedGlobals.includes('tools')) request.validation.grantedGlobals.push('tools');
    if (request.toolNames.includes('fetch') && !request.validation.grantedGlobals.includes('fetch')) request.validation.grantedGlobals.push('fetch');
  }
}

/** A recording leaves through the guardrails (lenient: redact, never block), flagged when they changed it. */
export function guardRecording(guard: RunGuard, recording: RunRecording, who: Omit<GuardrailContext, 'where'>): RunRecording {
  const guarded = guard.value(recording, { where: 'result', ...who }, true);
  return JSON.stringify(guarded) === JSON.stringify(recording) ? recording : { ...guarded, redacted: true };
}

/** The bridge's `hostCall` with each run's recording or replay hooks around the host. */
export function withRunHooks(watchdog: Watchdog, hostCall: (request: HostCallRequest) => Promise<HostCallResult>): (request: HostCallRequest) => Promise<HostCallResult> {
  return async (request) => {
    const hooks = watchdog.get(request.runId)?.hooks;
    if (!hooks) return hostCall(request);
    const result = hooks.answer ? hooks.answer(request.target, request.argsJson) : await hostCall(request);
    hooks.observe?.(request.target, request.argsJson, result);
    return result;
  };
}

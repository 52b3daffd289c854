/**
 * `replayRun(sandbox, recording)`: runs a recorded program again, deterministically, and reports
 * whether it behaved the same, and where it first did not.
 *
 * - `tools: 'recorded'` (default): no host is involved. The recording answers every host call, in
 *   order; a call with another target or other arguments than recorded is a divergence (the guest
 *   receives a `TOOL_FAILED` error saying so, and the run continues so the outcome is known).
 * - `tools: 'live'`: the sandbox's own tools and modules answer; a result that differs from the
 *   recorded one is a divergence (a tool that changed, data that moved).
 * Either way the outcome (value or error code and message) is compared last.
 */
import type { HostCallResult } from '../../worker/protocol.js';
import { SandboxError, invalidArgument } from '../errors.js';
import { checkOptions, isPlainObject } from '../internal/checks.js';
import type { Sandbox } from '../sandbox.js';
import { checkDeterminism, type RecordedCall, type RunHooks, type RunRecording } from './recording.js';

/** Where a replay first differed from its recording. */
export interface Divergence {
  /** `call`: another target or arguments; `result`: another answer (live); `extra-call`/`missing-call`: more or fewer calls; `outcome`: another value or error. */
  kind: 'call' | 'result' | 'extra-call' | 'missing-call' | 'outcome';
  /** Index of the host call (0-based), for the call kinds. */
  index?: number;
  /** What the recording has there, and what the replay did. */
  expected: unknown;
  actual: unknown;
  /** One sentence for a person. */
  message: string;
}

/** What {@link replayRun} reports. */
export interface ReplayReport {
  /** True when every host call and the outcome matched the recording. */
  identical: boolean;
  /** The first difference, when not identical. */
  divergence?: Divergence;
  /** The replay's own outcome. */
  outcome: RunRecording['outcome'];
  /** Host calls the replay made. */
  calls: number;
}

/** Options of {@link replayRun}. */
export interface ReplayOptions {
  /** `recorded` (default): the recording answers host calls; `live`: the sandbox's tools do, and their results are compared. */
  tools?: 'recorded' | 'live';
  /** Aborts the replay. */
  signal?: AbortSignal;
}

const sameResult = (a: HostCallResult, b: HostCallResult): boolean =>
  a.ok === b.ok && (a.ok ? a.valueJson === (b as { valueJson?: string }).valueJson : a.code === (b as { code: string }).code && a.message === (b as { message: string }).message);
const describeCall = (c: { target: string; argsJson: string }) => ({ target: c.target, args: safeParse(c.argsJson) });
const describeResult = (r: HostCallResult) => (r.ok ? { ok: true, value: r.valueJson === undefined ? undefined : safeParse(r.valueJson) } : { ok: false, code: r.code, message: r.message });
function safeParse(text: string): unknown {
  try { return JSON.parse(text); } catch { return text; }
}

function checkRecording(value: unknown): RunRecording {
  const r = value as RunRecording;
  if (!isPlainObject(value) || r.version !== 1) throw invalidArgument('recording', 'a recording from `run(code, { record: true })` (version 1)', value);
  if (typeof r.code !== 'string' || !Array.isArray(r.calls) || !Array.isArray(r.toolNames) || !isPlainObject(r.hostModules)) {
    throw invalidArgument('recording', 'a complete recording (code, calls, toolNames, hostModules)', value);
  }
  r.calls.forEach((c: RecordedCall, i) => {
    if (typeof c?.target !== 'string' || typeof c.argsJson !== 'string' || typeof c.result?.ok !== 'boolean') throw invalidArgument(`recording.calls[${i}]`, 'a recorded call { target, argsJson, result }', c);
  });
  checkDeterminism(r.deterministic, 'recording.deterministic');
  return r;
}

/**
 * Replays a recorded run in `sandbox` (its policy and limits apply; in `recorded` mode it needs no
 * tools) and reports the first divergence.
 *
 * @throws {InvalidArgumentError} `INVALID_ARGUMENT` for something that is not a recording, or a bad option.
 * @throws {DisposedError} `DISPOSED` when the sandbox is disposed. A failing replayed run is a result, not a rejection.
 */
export async function replayRun(sandbox: Sandbox, recording: RunRecording, options: ReplayOptions = {}): Promise<ReplayReport> {
  const rec = checkRecording(recording);
  checkOptions('options', options, ['tools', 'signal']);
  const mode = options.tools ?? 'recorded';
  if (mode !== 'recorded' && mode !== 'live') throw invalidArgument('options.tools', "'recorded' or 'live'", options.tools);

  let divergence: Divergence | undefined;
  let index = 0;
  const diverge = (d: Divergence) => { divergence ??= d; };
  const hooks: RunHooks = mode === 'recorded'
    ? {
        toolNames: rec.toolNames,
        hostModules: rec.hostModules,
        answer: (target, argsJson) => {
          const i = index++;
          const expected = rec.calls[i];
          if (expected === undefined) {
            diverge({ kind: 'extra-call', index: i, expected: undefined, actual: describeCall({ target, argsJson }), message: `host call ${i} (\`${target}\`) was not in the recording` });
            return { ok: false, code: 'TOOL_FAILED', message: `replay: host call ${i} (\`${target}\`) is not in the recording` };
          }
          if (expected.target !== target || expected.argsJson !== argsJson) {
            diverge({ kind: 'call', index: i, expected: describeCall(expected), actual: describeCall({ target, argsJson }), message: `host call ${i}: recorded \`${expected.target}\` ${expected.argsJson}, replay called \`${target}\` ${argsJson}` });
            return { ok: false, code: 'TOOL_FAILED', message: `replay diverged at host call ${i}` };
          }
          return expected.result;
        },
      }
    : {
        observe: (target, argsJson, result) => {
          const i = index++;
          const expected = rec.calls[i];
          if (expected === undefined) diverge({ kind: 'extra-call', index: i, expected: undefined, actual: describeCall({ target, argsJson }), message: `host call ${i} (\`${target}\`) was not in the recording` });
          else if (expected.target !== target || expected.argsJson !== argsJson) diverge({ kind: 'call', index: i, expected: describeCall(expected), actual: describeCall({ target, argsJson }), message: `host call ${i}: recorded \`${expected.target}\` ${expected.argsJson}, replay called \`${target}\` ${argsJson}` });
          else if (!sameResult(expected.result, result)) diverge({ kind: 'result', index: i, expected: describeResult(expected.result), actual: describeResult(result), message: `host call ${i} (\`${target}\`) answered differently than recorded` });
        },
      };

  let outcome: RunRecording['outcome'];
  try {
    const output = await sandbox.runOn(rec.code, {
      sourceType: rec.sourceType,
      filename: rec.filename,
      ...(rec.globalsJson === undefined ? {} : { globals: JSON.parse(rec.globalsJson) as Record<string, unknown> }),
      ...(rec.user === undefined ? {} : { user: rec.user }),
      ...(rec.trusted ? { trusted: true } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      deterministic: rec.deterministic,
    }, undefined, hooks);
    outcome = { ok: true, ...(output.value === undefined ? {} : { valueJson: JSON.stringify(output.value) }) };
  } catch (error) {
    if (!(error instanceof SandboxError) || error.code === 'DISPOSED' || error.code === 'INVALID_ARGUMENT') throw error;
    outcome = { ok: false, code: error.code, message: error.message };
  }
  if (index < rec.calls.length) {
    const missing = rec.calls[index]!;
    diverge({ kind: 'missing-call', index, expected: describeCall(missing), actual: undefined, message: `the recording has host call ${index} (\`${missing.target}\`); the replay ended before it` });
  }
  const sameOutcome = outcome.ok === rec.outcome.ok && (outcome.ok
    ? outcome.valueJson === (rec.outcome as { valueJson?: string }).valueJson
    : outcome.code === (rec.outcome as { code: string }).code && outcome.message === (rec.outcome as { message: string }).message);
  if (!sameOutcome) diverge({ kind: 'outcome', expected: rec.outcome, actual: outcome, message: 'the run ended differently than recorded' });
  return { identical: divergence === undefined, ...(divergence ? { divergence } : {}), outcome, calls: index };
}

/**
 * Recordings of deterministic runs: what a run needs to be replayed without the host (its code,
 * options, seed and clock start, every host call with its answer in order, its outcome), and the
 * per-run hooks the sandbox calls to record or answer host calls.
 */
import type { HostCallResult } from '../../worker/protocol.js';
import { checkInt, checkOptions } from '../internal/checks.js';

/** Deterministic mode of a run: `Math.random` from `seed`, a virtual clock from `clockStart`. */
export interface Determinism {
  /** Integer seed, 0 to 4294967295. */
  seed: number;
  /** Epoch ms the virtual clock starts at. Default 0 (1970-01-01). */
  clockStart?: number;
}

/** One host call as the guest made it and as it was answered. */
export interface RecordedCall {
  /** Tool name, or `module#export` for a host-module function. */
  target: string;
  /** JSON text of the argument. */
  argsJson: string;
  /** What the guest received. */
  result: HostCallResult;
}

/** A recorded run (JSON-safe; store it as it is). Recordings pass through the policy's guardrails first. */
export interface RunRecording {
  version: 1;
  code: string;
  sourceType: 'script' | 'module' | 'auto';
  filename: string;
  /** JSON text of `options.globals`, when given. */
  globalsJson?: string;
  user?: string;
  trusted: boolean;
  deterministic: { seed: number; clockStart: number };
  /** Tools and host modules the run could call (a replay offers the same, answered from `calls`). */
  toolNames: string[];
  hostModules: Record<string, string[]>;
  calls: RecordedCall[];
  /** The value (JSON text) or the error code and message the run ended with. */
  outcome: { ok: true; valueJson?: string } | { ok: false; code: string; message: string };
  /** True when the guardrails changed something in the recording (a replay may then diverge there). */
  redacted?: boolean;
}

/**
 * What the sandbox calls for a run that records or replays (internal wiring between src/sandbox.ts
 * and src/replay/). `answer` replaces the host; `toolNames`/`hostModules` replace the sandbox's own.
 */
export interface RunHooks {
  toolNames?: string[];
  hostModules?: Record<string, string[]>;
  /** Answer a host call instead of the host (replay). */
  answer?(target: string, argsJson: string): HostCallResult;
  /** A host call and its answer, in order (recording, live replay). */
  observe?(target: string, argsJson: string, result: HostCallResult): void;
}

/** Checks `options.deterministic`; returns the wire form. */
export function checkDeterminism(value: unknown, field = 'options.deterministic'): { seed: number; clockStart: number } {
  const { seed, clockStart } = checkOptions(field, value, ['seed', 'clockStart']);
  return {
    seed: checkInt(`${field}.seed`, seed, 0, 0xffffffff),
    // Epoch ms within the range of a `Date`.
    clockStart: clockStart === undefined ? 0 : checkInt(`${field}.clockStart`, clockStart, -8.64e15, 8.64e15),
  };
}

import { expect } from 'vitest';
import { isSandboxError, type SandboxError } from '../../src/index.js';

/** Awaits a promise that must reject with a quickcage error of `code`; returns the error. */
export async function rejectsWith(promise: Promise<unknown>, code: string): Promise<SandboxError> {
  const outcome = await promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok) throw new Error(`expected ${code}, but the run resolved with ${JSON.stringify(outcome.value)}`);
  expect(isSandboxError(outcome.error), `not a SandboxError: ${String(outcome.error)}`).toBe(true);
  const error = outcome.error as SandboxError;
  expect(error.code, error.message).toBe(code);
  return error;
}

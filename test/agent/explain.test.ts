/**
 * The model-facing explanations and the size cap, as pure functions: each error class to its code,
 * hint and position, near misses that must not be relabelled, and caps that hold for any input.
 */
import { describe, expect, test } from 'vitest';
import { GuestError, LimitError, RateLimitedError, SandboxError, ToolError, ValidationError } from '../../src/index.js';
import { capResult, compactLogs, explainError, type ModelResult } from '../../src/agent/index.js';

describe('explainError', () => {
  test('an escaped tool rejection is reported under its code; a look-alike without the ToolError name is not', () => {
    const tool = new GuestError('ToolError: x', { name: 'ToolError', message: 'Approval for tool `refund` failed (APPROVAL_DENIED)', code: 'APPROVAL_DENIED', line: 3, column: 7 });
    expect(explainError(tool)).toMatchObject({ code: 'APPROVAL_DENIED', tool: 'refund', line: 3, column: 7 });
    const lookalike = new GuestError('Error: x', { name: 'Error', message: 'nope', code: 'APPROVAL_DENIED' });
    expect(explainError(lookalike)).toMatchObject({ code: 'GUEST_ERROR', message: 'Error: nope' });
  });

  test('the tool is named from "tool `x`" or "call `x`", never from another quoted word', () => {
    expect(explainError(new ToolError('TOOL_DENIED', 'Agent `support` may not call `refund`: lacks SEND_EMAIL (TOOL_DENIED)')).tool).toBe('refund');
    expect(explainError(new ToolError('TOOL_FAILED', 'Something `odd` happened (TOOL_FAILED)')).tool).toBeUndefined();
  });

  test('host URLs and stack frames never reach the model', () => {
    const error = new SandboxError('WORKER_CRASHED', 'boom at run (http://127.0.0.1:5173/src/pool.ts:10:5) and http://127.0.0.1:5173/node_modules/x/y.js');
    const explained = explainError(error);
    expect(explained.message).toBe('boom and <host>');
    expect(explained.hint).toBe('The sandbox failed and recovered: call again once.');
  });

  test.each([
    [new RateLimitedError('quota used up', { remaining: 0, resetAt: 1 }), 'RATE_LIMITED', /quota is used up/],
    [new LimitError('MEMORY_LIMIT', 'guest exceeded the memory limit'), 'MEMORY_LIMIT', /smaller pieces/],
    [new ValidationError('rejected', [{ rule: 'no-eval', message: 'rejected `eval` at 1:1 (no-eval): no', line: 1, column: 1, snippet: 'eval' }]), 'VALIDATION_REJECTED', /rewrite it without/],
    [new Error('a host bug with a secret'), 'HOST_ERROR', /Call again once/],
    ['a string', 'HOST_ERROR', /Call again once/],
  ])('%s is %s', (error, code, hint) => {
    const explained = explainError(error);
    expect(explained.code).toBe(code);
    expect(explained.hint).toMatch(hint);
    expect(explained.message).not.toContain('secret');
  });

  test('a message is one line and at most 300 characters', () => {
    const explained = explainError(new ToolError('TOOL_FAILED', `line one\nline two ${'x'.repeat(1000)}`));
    expect(explained.message).toMatch(/^line one line two x+…$/);
    expect(explained.message).toHaveLength(300);
  });
});

describe('capResult and compactLogs', () => {
  const logs = Array.from({ length: 200 }, (_, i) => ({ level: 'log' as const, message: `line ${i} ${'y'.repeat(150)}`, time: 0 }));

  test.each([200, 500, 1000, 3000])('a failure with a log flood (3,800 characters) fits in %i characters', (cap) => {
    const result: ModelResult = { ok: false, error: { code: 'GUEST_ERROR', message: 'm'.repeat(300), hint: 'h' }, logs: compactLogs(logs) };
    expect(JSON.stringify(result).length).toBeGreaterThan(3000);
    const capped = capResult(result, cap);
    expect(JSON.stringify(capped).length).toBeLessThanOrEqual(cap);
    expect(capped).toMatchObject({ ok: false, truncated: true, error: { code: 'GUEST_ERROR', hint: 'h' } });
  });

  test('a result under the cap is returned as it is', () => {
    const result: ModelResult = { ok: true, value: { a: 1 }, logs: ['log: hi'] };
    expect(capResult(result, 200)).toBe(result);
  });

  test.each([200, 1000, 4000])('escaped characters count as JSON does (cap %i)', (cap) => {
    const capped = capResult({ ok: true, value: '\u0000'.repeat(2000) }, cap);
    expect(JSON.stringify(capped).length).toBeLessThanOrEqual(cap);
    expect(capped.truncated).toBe(true);
  });

  test('log lines are one line each, capped, the middle elided', () => {
    expect(compactLogs([{ level: 'warn', message: 'a\n  b', time: 0 }])).toEqual(['warn: a b']);
    const lines = compactLogs(logs, 5, 20);
    expect(lines).toEqual(['log: line 0 yyyyyyyyyyyy…', 'log: line 1 yyyyyyyyyyyy…', '… 196 more lines …', 'log: line 198 yyyyyyyyyy…', 'log: line 199 yyyyyyyyyy…']);
  });
});

/**
 * What a model reads after its program ran: the value, a few log lines and, on failure, the typed
 * error in one line saying what happened and what to change. Never a host stack, never unbounded.
 */
import { isSandboxError, type GuestError, type SandboxError, type ValidationError } from '../errors.js';
import type { LogEntry } from '../../worker/protocol.js';

/** A failure as the model sees it. */
export interface ModelError {
  /** The stable quickcage error code (`APPROVAL_DENIED`, `VALIDATION_REJECTED`, ...). */
  code: string;
  /** What happened, one line. */
  message: string;
  /** What to change, one line. */
  hint: string;
  /** The tool whose call failed, for tool errors. */
  tool?: string;
  line?: number;
  column?: number;
}

/** The result of one program, shaped for a model. JSON data; its JSON text stays under the tool's cap. */
export type ModelResult =
  | { ok: true; value: unknown; logs?: string[]; truncated?: true }
  | { ok: false; error: ModelError; logs?: string[]; truncated?: true };

const TOOL_CODES = new Set(['TOOL_DENIED', 'TOOL_FAILED', 'APPROVAL_DENIED', 'INVALID_ARGUMENT', 'RATE_LIMITED', 'GUARDRAIL_BLOCKED', 'ABORTED']);

/** One line for each code: what to change. The model acts on these, so they are instructions, not apologies. */
const HINTS: Record<string, string> = {
  VALIDATION_REJECTED: 'The code was rejected before it ran: rewrite it without the flagged constructs (no eval, Function, constructor tricks or forbidden globals) and call again.',
  COMPILATION_ERROR: 'Syntax error: fix the code at the given line and column and call again.',
  GUEST_ERROR: 'Your program threw: fix the bug (or catch the error) and call again.',
  TOOL_DENIED: 'This tool or resource is not granted: do not retry it; use only the declared tools, paths and hosts.',
  INVALID_ARGUMENT: 'The arguments do not match the declared type: fix them as the declaration says and call again.',
  APPROVAL_DENIED: 'A person refused this call (or did not answer in time): do not repeat it; tell the user, or do the task another way.',
  TOOL_FAILED: 'The tool failed on the host: try once more later, or continue without it and say so.',
  DEADLINE_EXCEEDED: 'The program ran out of time: do less per call (smaller inputs, no endless loops) and call again.',
  MEMORY_LIMIT: 'The program used too much memory: process the data in smaller pieces.',
  STACK_OVERFLOW: 'Recursion or nesting too deep: use a loop instead of recursion.',
  OUTPUT_TOO_LARGE: 'The result or console output was too large: return a short summary instead of raw data.',
  UNSERIALIZABLE: 'Return JSON data only (no functions, Map, Date, BigInt, NaN or cycles): convert it first.',
  RATE_LIMITED: 'The quota is used up: stop calling this tool and tell the user when it resets.',
  GUARDRAIL_BLOCKED: 'The output held personal data or a secret: do not return it; return a redacted summary.',
  ABORTED: 'The user stopped this run: do not retry unless they ask.',
  USER_DISABLED: 'This user was disabled after repeated security violations: stop and tell the user.',
  DISPOSED: 'The sandbox was shut down: stop.',
  WORKER_CRASHED: 'The sandbox failed and recovered: call again once.',
  SESSION_LOST: 'The sandbox failed and recovered: call again once.',
};

const oneLine = (text: string, max = 300): string => {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

/** Host stack frames and file URLs must not reach the model: they say nothing it can act on. */
const scrub = (text: string): string => text.replace(/\s+at\s+\S+\s+\(?(?:https?|file|blob|chrome-extension):\/\/[^)\s]*\)?/g, '').replace(/(?:https?|file|blob):\/\/\S+?\/(?:src|node_modules|@fs)\/\S*/g, '<host>');

const TOOL_IN_MESSAGE = /\b(?:tool|call) `([A-Za-z_][A-Za-z0-9_]{0,63})`/i;

/**
 * Explains a failure in one line for a model: `code`, `message` (what happened), `hint` (what to
 * change), and the tool, line and column when known. Guest errors that are escaped tool rejections are
 * reported under the tool's code (`APPROVAL_DENIED`, not `GUEST_ERROR`), so the model can act on them.
 */
export function explainError(error: unknown): ModelError {
  if (!isSandboxError(error)) {
    // A bug on the host: the model learns that something failed, never the host's text or stack.
    return { code: 'HOST_ERROR', message: 'The host failed while running the program.', hint: 'Call again once; if it fails again, tell the user.' };
  }
  const e = error as SandboxError;
  let code: string = e.code;
  let message = e.message;
  let line: number | undefined;
  let column: number | undefined;
  let tool: string | undefined;
  if (e.code === 'GUEST_ERROR') {
    const guest = (e as GuestError).guest;
    if (guest?.code !== undefined && TOOL_CODES.has(guest.code) && guest.name === 'ToolError') {
      code = guest.code;
      message = guest.message;
    } else if (guest) {
      message = `${guest.name}: ${guest.message}`;
    }
    line = guest?.line;
    column = guest?.column;
  } else if (e.code === 'VALIDATION_REJECTED') {
    const violations = (e as ValidationError).violations ?? [];
    message = violations.length === 0 ? e.message : violations.slice(0, 4).map((v) => (v.message.includes(`${v.line}:${v.column}`) ? v.message : `${v.message} at ${v.line}:${v.column} (${v.rule})`)).join('; ')
      + (violations.length > 4 ? `; and ${violations.length - 4} more` : '');
    line = violations[0]?.line;
    column = violations[0]?.column;
  } else if (e.code === 'COMPILATION_ERROR') {
    const c = e as SandboxError & { line?: number; column?: number };
    line = c.line;
    column = c.column;
  }
  if (TOOL_CODES.has(code)) {
    const found = TOOL_IN_MESSAGE.exec(message);
    tool = (typeof e.details.tool === 'string' ? e.details.tool : undefined) ?? found?.[1];
  }
  const out: ModelError = { code, message: oneLine(scrub(message)), hint: HINTS[code] ?? 'Something failed: read the message, change the program and call again.' };
  if (tool !== undefined) out.tool = tool;
  if (Number.isInteger(line)) out.line = line;
  if (Number.isInteger(column)) out.column = column;
  return out;
}

/** Keeps the first and last lines of a long list, with a marker for the elided middle. */
function elide(lines: readonly string[], maxLines: number): string[] {
  if (lines.length <= maxLines) return [...lines];
  if (maxLines < 3) return lines.slice(0, maxLines);
  const head = Math.ceil((maxLines - 1) / 2);
  const tail = maxLines - 1 - head;
  return [...lines.slice(0, head), `… ${lines.length - head - tail} more lines …`, ...lines.slice(lines.length - tail)];
}

/** Log lines as `level: message`, each one line and capped; the middle of a flood is elided. */
export function compactLogs(logs: readonly LogEntry[], maxLines = 20, maxLineChars = 200): string[] {
  return elide(logs.map((l) => `${l.level}: ${oneLine(l.message, maxLineChars)}`), maxLines);
}

/**
 * Fits a result into `maxChars` characters of JSON: first the logs shrink (then go), then the value
 * becomes a string preview of its JSON with `truncated: true`. Errors are already one line per field.
 */
export function capResult(result: ModelResult, maxChars: number): ModelResult {
  const size = (r: ModelResult) => JSON.stringify(r).length;
  if (size(result) <= maxChars) return result;
  const next: ModelResult = { ...result, truncated: true };
  if (next.logs !== undefined) {
    let logs = next.logs;
    while (logs.length > 0 && size({ ...next, logs }) > maxChars) logs = logs.length > 3 ? elide(logs, Math.floor(logs.length / 2)) : [];
    if (logs.length === 0) delete next.logs;
    else next.logs = logs;
    if (size(next) <= maxChars) return next;
  }
  if (next.ok) {
    const json = JSON.stringify(next.value) ?? 'undefined';
    // The preview is a string inside JSON again, so escapes in it grow: shrink until it fits.
    let room = Math.max(0, maxChars - size({ ...next, value: '' }) - 90);
    for (let attempt = 0; attempt < 8; attempt++) {
      next.value = `${json.slice(0, room)}… (truncated: the value is ${json.length} characters of JSON; return less)`;
      const over = size(next) - maxChars;
      if (over <= 0 || room === 0) break;
      room = Math.max(0, room - over);
    }
  } else {
    next.error = { ...next.error, message: `${next.error.message.slice(0, Math.max(40, Math.floor(maxChars / 4)))}…` };
  }
  return next;
}

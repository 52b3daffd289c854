/**
 * Output panel: the run's outcome (value or typed error with its code), console output and stats.
 */
import {
  CompilationError, ERROR_CODES, GuestError, RateLimitedError, ValidationError, isSandboxError,
  type ErrorCode, type LogEntry, type RunOutput, type RunOutputStats, type RunStats,
} from '../src/index.js';
import { byId, formatBytes, formatMs, h, pretty, replace } from './dom.js';
import type { Marker } from './editor.js';

/**
 * The code of a host tool failure the guest let through: the engine throws a `ToolError` into the guest
 * whose message ends with `(CODE)` (and whose `code` property the guest can read, though the SDK's
 * GuestErrorInfo does not carry it out).
 */
function hostErrorCode(error: GuestError): ErrorCode | undefined {
  if (error.guest.name !== 'ToolError') return undefined;
  const code = /\(([A-Z_]+)\)$/.exec(error.guest.message)?.[1];
  return (ERROR_CODES as readonly string[]).includes(code ?? '') ? (code as ErrorCode) : undefined;
}

/** The output panel as main.ts uses it. */
export interface OutputPanel {
  running(): void;
  showResult(out: RunOutput): void;
  /** Shows the error and returns the editor markers it implies. */
  showError(error: unknown): Marker[];
}

/** Wires the output elements of index.html. */
export function createOutput(): OutputPanel {
  const status = byId('run-status');
  const result = byId('result');
  const logs = byId('console');
  const stats = byId('stats');

  const showLogs = (entries: readonly LogEntry[]) => {
    if (entries.length === 0) {
      replace(logs, h('li', { class: 'muted' }, 'No console output.'));
      return;
    }
    replace(logs, ...entries.map((e) => h('li', { class: `log ${e.level}` }, h('span', { class: 'log-time' }, `${e.time.toFixed(0)} ms`), h('span', { class: 'log-level' }, e.level), h('span', { class: 'log-msg' }, e.message))));
  };

  const showStats = (s: RunStats | RunOutputStats | undefined, flags: string[] = []) => {
    if (s === undefined) {
      replace(stats, h('div', { class: 'muted' }, 'No stats: the run never reached a worker.'));
      return;
    }
    const rows: [string, string][] = [
      ['wall', formatMs(s.wallMs)],
      ['cpu', formatMs(s.cpuMs)],
      ...('totalMs' in s ? [['total', formatMs(s.totalMs)], ['queued', formatMs(s.queuedMs)]] as [string, string][] : []),
      ['peak memory', formatBytes(s.peakMemoryBytes)],
      ['heap', formatBytes(s.heapBytes)],
      ['tool calls', String(s.toolCalls)],
      ...flags.map((f) => [f, 'yes'] as [string, string]),
    ];
    replace(stats, ...rows.map(([k, v]) => h('div', { class: 'stat', 'data-stat': k }, h('dt', {}, k), h('dd', {}, v))));
  };

  return {
    running() {
      status.className = 'run-status running';
      replace(status, h('span', { class: 'code' }, 'RUNNING'), ' waiting for the sandbox…');
      replace(result, '');
      result.className = 'result';
      replace(logs);
      replace(stats);
    },
    showResult(out) {
      status.className = 'run-status ok';
      replace(status, h('span', { class: 'code ok' }, 'OK'), ` run ${out.runId.slice(0, 8)}`, out.trusted ? ' · trusted' : '', out.dangerous ? ' · DANGEROUS (validation off)' : '');
      result.className = 'result ok';
      result.textContent = pretty(out.value);
      showLogs(out.logs);
      showStats(out.stats, [...(out.trusted ? ['trusted'] : []), ...(out.dangerous ? ['dangerous'] : [])]);
    },
    showError(error) {
      const markers: Marker[] = [];
      result.className = 'result error';
      if (!isSandboxError(error)) {
        status.className = 'run-status error';
        replace(status, h('span', { class: 'code' }, 'ERROR'), ' not a SandboxError (a bug in the playground or the SDK)');
        result.textContent = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        showLogs([]);
        showStats(undefined);
        return markers;
      }
      status.className = 'run-status error';
      replace(status, h('span', { class: 'code', 'data-code': error.code }, error.code), ` ${error.name}`);
      const parts: (Node | string)[] = [h('p', { class: 'error-message' }, error.message)];
      if (error instanceof ValidationError) {
        // Each message already names the place (`rejected \`eval\` at 2:11 (no-eval): ...`).
        parts.push(h('ul', { class: 'violations' }, ...error.violations.map((v) => h('li', { 'data-line': v.line, 'data-column': v.column },
          h('span', { class: 'rule' }, v.rule), ' ', v.message))));
        for (const v of error.violations) markers.push({ line: v.line, column: v.column, snippet: v.snippet, message: v.message, source: `VALIDATION_REJECTED · ${v.rule}` });
      } else if (error instanceof CompilationError) {
        if (error.line !== undefined) {
          parts.push(h('p', {}, `at line ${error.line}, column ${error.column ?? 1}`));
          markers.push({ line: error.line, column: error.column ?? 1, message: error.message, source: 'COMPILATION_ERROR' });
        }
      } else if (error instanceof GuestError) {
        const line = `${error.guest.name}: ${error.guest.message}`;
        if (line !== error.message) parts.push(h('p', {}, line));
        const hostCode = hostErrorCode(error);
        if (hostCode !== undefined) {
          status.append(' · the guest did not catch a host tool error ', h('span', { class: 'code', 'data-host-code': hostCode }, hostCode));
        }
        if (error.guest.stack) parts.push(h('pre', { class: 'stack' }, error.guest.stack));
        if (error.guest.line !== undefined) {
          markers.push({ line: error.guest.line, column: error.guest.column ?? 1, message: `${error.guest.name}: ${error.guest.message}`, source: 'GUEST_ERROR', severity: 'warning' });
        }
      } else if (error instanceof RateLimitedError) {
        parts.push(h('p', {}, `remaining ${error.remaining}`, error.resetAt > 0 ? `, retry after ${new Date(error.resetAt).toLocaleString()}` : ''));
      }
      if (Object.keys(error.details).length > 0) parts.push(h('details', {}, h('summary', {}, 'details'), h('pre', { class: 'json' }, pretty(error.details))));
      replace(result, ...parts);
      showLogs(error.logs);
      showStats(error.stats);
      return markers;
    },
  };
}

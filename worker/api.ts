/**
 * The worker's request handler: source checks, validation, then evaluation in the engine. Every call
 * resolves to plain data; nothing throws across the comlink boundary (comlink would keep only
 * name/message/stack of an error).
 */
import { Engine } from './engine.js';
import { parseSource } from './source.js';
import { checkLimits, validate } from './validate.js';
import type { HostBridge, RunControl, RunReply, RunRequest, RunResult, WireError, WorkerApi, WorkerInfo, WorkerInit, WorkerTestHooks } from './protocol.js';

const now = (): number => performance.timeOrigin + performance.now();

function failed(request: RunRequest, startedAt: number, error: WireError): RunResult {
  return {
    ok: false,
    error,
    logs: [],
    stats: { wallMs: now() - startedAt, cpuMs: 0, peakMemoryBytes: 0, heapBytes: 0, toolCalls: 0 },
    trusted: request.trusted,
  };
}

/**
 * A top-level-await script is evaluated as a module whose default export is the script's last
 * expression, so `const r = await tools.x(); r.length` still yields `r.length`. Only the text of
 * that one statement changes, so every line and column before it stays where the author wrote it.
 */
function scriptAsModule(code: string, parsed: Extract<ReturnType<typeof parseSource>, { ok: true }>): string {
  const last = parsed.ast.body[parsed.ast.body.length - 1];
  if (!last || last.type !== 'ExpressionStatement') return code;
  const expr = last.expression;
  return `${code.slice(0, last.start)}export default (${code.slice(expr.start, expr.end)});${code.slice(last.end)}`;
}

/**
 * The run port: runs are evaluated one at a time, in the order they arrive. The page sends the next
 * run while one is still in hand, so the worker goes on without waiting a message round trip; before
 * taking up a queued run it lets pending messages in first (a `withdraw` of that run, from a page
 * that gave it to an idle worker or whose caller aborted it, then finds it still queued).
 */
function serveRuns(port: MessagePort, run: (request: RunRequest) => Promise<RunResult>): void {
  const queue: RunRequest[] = [];
  let draining = false;
  // A queued run's clock starts when the run ahead of it answers, stamped before that answer is
  // posted: so its deadline is never later than the one the page's watchdog starts on receipt.
  // Runs sent before init finished are queued too: their clock starts now, just before init answers.
  let answeredAt = now();
  // A task of its own (a message to ourselves): messages already waiting are handled before it.
  const yieldChannel = new MessageChannel();
  let resumeDrain: (() => void) | undefined;
  yieldChannel.port1.onmessage = () => resumeDrain?.();
  const nextTask = () => new Promise<void>((resolve) => {
    resumeDrain = resolve;
    yieldChannel.port2.postMessage(null);
  });
  const drain = async () => {
    draining = true;
    try {
      while (queue.length > 0) {
        const request = queue.shift()!;
        if (request.queued) request.deadline = answeredAt + request.limits.timeoutMs;
        const result = await run(request);
        answeredAt = now();
        port.postMessage({ runId: request.runId, result } satisfies RunReply);
        if (queue.length > 0) await nextTask();
      }
    } finally {
      draining = false;
    }
  };
  port.onmessage = (event: MessageEvent<RunRequest | RunControl>) => {
    const message = event.data;
    if ('withdraw' in message) {
      const index = queue.findIndex((r) => r.runId === message.withdraw);
      if (index >= 0) {
        queue.splice(index, 1);
        port.postMessage({ runId: message.withdraw, withdrawn: true } satisfies RunReply);
      }
      return;
    }
    queue.push(message);
    if (!draining) void drain();
  };
}

export function createWorkerApi(): WorkerApi & WorkerTestHooks & { reportCallbackFault(error: unknown): void } {
  let engine: Engine | undefined;
  let debug = false;
  const ready = (): Engine => {
    if (!engine) throw new Error('worker used before init');
    return engine;
  };

  const api = {
    async init(init: WorkerInit, bridge: HostBridge): Promise<WorkerInfo> {
      debug = init.debug === true;
      engine = await Engine.create({ wasmModule: init.wasmModule, wasmMemoryMaxBytes: init.wasmMemoryMaxBytes, bridge, setupCode: init.setupCode });
      serveRuns(init.runPort, (request) => api.run(request));
      return engine.info();
    },

    async run(request: RunRequest): Promise<RunResult> {
      const startedAt = now();
      try {
        const limit = checkLimits(request.code, { maxSourceBytes: request.limits.maxSourceBytes, maxNestingDepth: request.limits.maxNestingDepth });
        if (limit) {
          return failed(request, startedAt, {
            code: limit.rule === 'nesting-too-deep' ? 'STACK_OVERFLOW' : 'VALIDATION_REJECTED',
            message: limit.message,
            violations: [limit],
          });
        }
        const parsed = parseSource(request.code, request.sourceType);
        if (!parsed.ok) {
          // acorn guards its own recursion; nesting that gets past checkLimits still ends as a stack error.
          if (parsed.violation || /not enough stack space/i.test(parsed.message)) {
            return failed(request, startedAt, {
              code: 'STACK_OVERFLOW',
              message: `source nests too deeply to parse: ${parsed.message}`,
              ...(parsed.violation ? { violations: [parsed.violation] } : {}),
            });
          }
          return failed(request, startedAt, {
            code: 'COMPILATION_ERROR',
            message: `SyntaxError: ${parsed.message}`,
            details: { line: parsed.line, column: parsed.column },
          });
        }
        if (!request.trusted && !request.allowDangerousOperations && request.validation) {
          const violations = validate(parsed, request.code, { ...request.validation, maxNestingDepth: request.limits.maxNestingDepth });
          if (violations.length > 0) {
            const first = violations[0]!;
            return failed(request, startedAt, {
              code: 'VALIDATION_REJECTED',
              message: `${violations.length} violation${violations.length > 1 ? 's' : ''}; first: ${first.message}`,
              violations,
            });
          }
        }
        let mode: 'script' | 'module' = parsed.sourceType;
        let code = request.code;
        if (mode === 'script' && parsed.topLevelAwait) {
          mode = 'module';
          code = scriptAsModule(code, parsed);
        }
        return await ready().evaluate(request, mode, code, startedAt);
      } catch (error) {
        return failed(request, startedAt, {
          code: 'WORKER_CRASHED',
          message: `worker failed outside the guest: ${error instanceof Error ? error.message : String(error)}`,
        });
      }
    },

    async abort(runId: string): Promise<void> {
      engine?.abort(runId);
    },

    async setPaused(runId: string, paused: boolean): Promise<void> {
      engine?.setPaused(runId, paused);
    },

    async openSession(sessionId: string, trusted: boolean): Promise<WireError | null> {
      return ready().openSession(sessionId, trusted);
    },

    async closeSession(sessionId: string): Promise<void> {
      engine?.closeSession(sessionId);
    },

    async info(): Promise<WorkerInfo> {
      return ready().info();
    },

    async shutdown(): Promise<{ leaked: boolean; detail: string }> {
      return ready().shutdown();
    },

    reportCallbackFault(error: unknown): void {
      engine?.reportCallbackFault(error);
    },

    async faultForTest(kind: 'eval' | 'callback' = 'eval'): Promise<void> {
      if (!debug) throw new Error('faultForTest needs a worker initialised with debug: true');
      ready().faultForTest(kind);
    },

    async leakForTest(): Promise<void> {
      if (!debug) throw new Error('leakForTest needs a worker initialised with debug: true');
      await ready().leakForTest();
    },
  };
  return api;
}

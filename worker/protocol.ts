/**
 * The wire contract between the main thread and a sandbox worker.
 *
 * LEAF FILE: types and constants only, nothing that runs side effects. Imported by both sides
 * (`src/**` and `worker/**`). comlink keeps only `name`/`message`/`stack` of thrown errors, so the
 * worker never throws across the wire: every call resolves to a {@link RunResult} union.
 */

/** Stable error codes. The string values are part of the public API: never rename one. */
export const ERROR_CODES = [
  'GUEST_ERROR',
  'COMPILATION_ERROR',
  'VALIDATION_REJECTED',
  'DEADLINE_EXCEEDED',
  'MEMORY_LIMIT',
  'STACK_OVERFLOW',
  'OUTPUT_TOO_LARGE',
  'UNSERIALIZABLE',
  'WORKER_CRASHED',
  'SESSION_LOST',
  'ABORTED',
  'DISPOSED',
  'INVALID_ARGUMENT',
  'INVALID_POLICY',
  'RATE_LIMITED',
  'TOOL_DENIED',
  'TOOL_FAILED',
  'APPROVAL_DENIED',
  'GUARDRAIL_BLOCKED',
  'USER_DISABLED',
] as const;

/** One of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Limits enforced inside the worker for one run. All sizes in bytes, times in milliseconds. */
export interface WireLimits {
  /** Wall-clock budget of the whole run, promise jobs and awaited host calls included. */
  timeoutMs: number;
  /** QuickJS `setMemoryLimit` for the run's runtime. The hard cap is the worker's WASM memory maximum. */
  memoryLimitBytes: number;
  /** QuickJS `setMaxStackSize`. */
  maxStackBytes: number;
  /** Cap on the serialized (JSON, UTF-16 code units) result. */
  maxResultBytes: number;
  /** Cap on all captured console output of the run (UTF-16 code units, sum over entries). */
  maxLogBytes: number;
  /** Cap on the source text. */
  maxSourceBytes: number;
  /** Cap on nesting: of source (checked before parsing) and of results and tool arguments. */
  maxNestingDepth: number;
}

/** A position in guest source, 1-based line and column like editors show. */
export interface SourcePosition {
  line: number;
  column: number;
}

/** A validator finding (filled by the validation layer; the core only transports it). */
export interface Violation {
  rule: string;
  message: string;
  line: number;
  column: number;
  snippet: string;
}

/** Which evaluation mode to use. `auto` chooses `module` when the code has import/export or top-level await. */
export type SourceType = 'script' | 'module' | 'auto';

/** A request to evaluate code. Only plain data crosses the boundary. */
export interface RunRequest {
  runId: string;
  code: string;
  /** File name shown in guest stack traces. */
  filename: string;
  sourceType: SourceType;
  limits: WireLimits;
  /** Absolute `performance.timeOrigin + performance.now()` deadline, set by the main thread. */
  deadline: number;
  /**
   * Sent while the worker had another run in hand (or was still starting): the worker sets
   * `deadline` from the moment the run ahead of it answered (or init finished), plus `timeoutMs`;
   * the page's watchdog starts its clock when that answer arrives, which is later.
   */
  queued?: true;
  /** Run in the session context with this id instead of a fresh one-shot context. */
  sessionId?: string;
  /** Trusted code skips validation and taming. */
  trusted: boolean;
  /** JSON text of values to install as frozen globals before the code runs (already size-checked). */
  globalsJson?: string;
  /** Names of host tools the guest may call; each appears as `tools[name]` (async). */
  toolNames: string[];
  /** Host modules the guest may import, `specifier -> export names` (each export is an async host call). */
  hostModules: Record<string, string[]>;
  /**
   * Built-in module specifiers (`quickcage:*`) the module loader serves to this run. The loader
   * enforces this at runtime too, so the validator's `import-not-allowed` is not the only line.
   */
  allowedModules: string[];
  /** Validator options from the policy; absent for trusted code. */
  validation?: WireValidation;
  /** Measure the QuickJS heap at the end (costs a walk over the heap). */
  measureHeap: boolean;
  /** When true the worker's validator is skipped and no taming prelude is installed (policy escape hatch). */
  allowDangerousOperations: boolean;
  /** Deterministic mode (worker/deterministic.ts): seeded Math.random and a virtual clock. Absent: the real ones. */
  deterministic?: WireDeterminism;
}

/** Settings of a deterministic run. */
export interface WireDeterminism {
  /** Integer seed of Math.random (0 to 2^32 - 1). */
  seed: number;
  /** Epoch ms the virtual clock starts at. */
  clockStart: number;
}

/** What the worker's validator needs from the policy (plain data). */
export interface WireValidation {
  /** Import specifiers guest code may use (defaults, policy imports, host modules). */
  allowedImports: string[];
  /** Host globals granted by the policy (e.g. `fetch` when network operations are allowed). */
  grantedGlobals: string[];
  allowDynamicSensitiveAccess: boolean;
  disabledRules: string[];
}

/** Console entry captured from the guest. */
export interface LogEntry {
  level: 'log' | 'info' | 'warn' | 'error' | 'debug';
  message: string;
  /** Milliseconds since the run started. */
  time: number;
}

/** Measurements of one run. */
export interface RunStats {
  /** Worker-side wall time of the run, from request receipt to result, in ms. */
  wallMs: number;
  /** Time the guest spent executing inside QuickJS (eval + jobs), excluding awaited host calls, in ms. */
  cpuMs: number;
  /** Peak WASM linear memory of the worker during the run, in bytes (upper bound of guest memory). */
  peakMemoryBytes: number;
  /** QuickJS heap in use at the end of the run, in bytes (`malloc_size` from JS_ComputeMemoryUsage). */
  heapBytes: number;
  /** Number of host tool calls the guest made. */
  toolCalls: number;
}

/** Guest-side error details carried with `GUEST_ERROR`. */
export interface GuestErrorInfo {
  name: string;
  message: string;
  /** The `code` of the thrown error when it has a string one (e.g. a host `ToolError`'s `TOOL_DENIED`). */
  code?: string;
  stack?: string;
  line?: number;
  column?: number;
}

/** The failure half of a {@link RunResult}. */
export interface WireError {
  code: ErrorCode;
  message: string;
  guest?: GuestErrorInfo;
  violations?: Violation[];
  /** The module was discarded and rebuilt because an exception came out of the WASM itself. */
  poisoned?: boolean;
  details?: Record<string, unknown>;
}

/** The result of one run; the worker resolves with this and never rejects. */
export type RunResult =
  | { ok: true; valueJson: string | undefined; logs: LogEntry[]; stats: RunStats; trusted: boolean }
  | { ok: false; error: WireError; logs: LogEntry[]; stats: RunStats; trusted: boolean };

/** What the guest's host call asks the main thread to do. */
export interface HostCallRequest {
  runId: string;
  /** Tool name, or `module#export` (e.g. `app:db#query`) for a host-module function. */
  target: string;
  /** JSON text of the single argument (already capped by the worker). */
  argsJson: string;
}

/** Result of a host call, as plain data. */
export type HostCallResult =
  | { ok: true; valueJson: string | undefined }
  | { ok: false; code: ErrorCode; message: string };

/** Something the worker tells the page outside any run (after the run it concerns has answered). */
export interface WorkerEvent {
  /** The module instance was discarded and rebuilt (a fault while freeing a finished run's runtime). */
  type: 'module_rebuilt';
  message: string;
}

/** Main-thread callbacks the worker may use (passed once through `Comlink.proxy`). */
export interface HostBridge {
  hostCall(request: HostCallRequest): Promise<HostCallResult>;
  workerEvent(event: WorkerEvent): Promise<void>;
}

/** Worker init: the compiled WASM module is shared with every worker and compiled once. */
export interface WorkerInit {
  wasmModule: WebAssembly.Module;
  /** Hard cap of the worker's WASM linear memory, in bytes (QuickJS limit + headroom). */
  wasmMemoryMaxBytes: number;
  /** Enables test hooks (a deliberate handle leak to prove the leak check can fail). */
  debug?: boolean;
  /** Trusted framework code evaluated first in every fresh context (before taming). */
  setupCode?: string;
  /**
   * The hot path: runs arrive on this port as a bare {@link RunRequest} (or a {@link RunControl}) and
   * each result leaves on it as a {@link RunReply}, without comlink's per-call wrapping (comlink
   * stays for everything else). The worker evaluates the runs it receives one at a time, in order;
   * a request marked `queued` was sent while another run was in hand, and its deadline starts when
   * the run ahead of it answers (`deadline` = that moment + `limits.timeoutMs`).
   */
  runPort: MessagePort;
}

/**
 * A request on the run port to take a run that has not started out of the worker's queue. The
 * worker answers with a {@link RunReply} carrying `withdrawn: true`; a run that has already started
 * is not affected (its result comes as usual).
 */
export interface RunControl {
  withdraw: string;
}

/** A run's result on the run port, matched to its request by `runId`. */
export type RunReply = { runId: string; result: RunResult; withdrawn?: undefined } | { runId: string; withdrawn: true; result?: undefined };

/** Health information the pool uses. */
export interface WorkerInfo {
  /** How many times this worker discarded and rebuilt its QuickJS module. */
  moduleRebuilds: number;
  /** Current WASM linear memory size in bytes. */
  wasmMemoryBytes: number;
  /** Live session ids. */
  sessions: string[];
  /** Number of live QuickJS contexts (one-shot, prepared and session contexts). */
  liveContexts: number;
  /** How many times this worker fetched a `.wasm` file itself (0: it uses the shared compiled module). */
  wasmFetches: number;
}

/** The API the worker exposes through comlink. */
export interface WorkerApi {
  init(init: WorkerInit, bridge: HostBridge): Promise<WorkerInfo>;
  run(request: RunRequest): Promise<RunResult>;
  /** Cooperative abort: ends the run at its next interrupt check or host wait (the main thread kills the worker if that does not come soon). */
  abort(runId: string): Promise<void>;
  /** Stop or restart a run's deadline clock while a person decides an approval. */
  setPaused(runId: string, paused: boolean): Promise<void>;
  /** Create a session context that keeps globals across runs. Resolves to an error message or null. */
  openSession(sessionId: string, trusted: boolean): Promise<WireError | null>;
  closeSession(sessionId: string): Promise<void>;
  info(): Promise<WorkerInfo>;
  /**
   * Frees every context and runtime. QuickJS asserts on freeing a runtime that still has objects, so a
   * leaked handle shows up here as `leaked: true` (and in `moduleRebuilds`).
   */
  shutdown(): Promise<{ leaked: boolean; detail: string }>;
}

/**
 * Test hooks of a worker initialised with `debug: true` (`WorkerInit.debug`); without it each one
 * rejects. The page reaches them through `Sandbox.leakForTest` and `Sandbox.faultForTest`.
 */
export interface WorkerTestHooks {
  /** Leaves one QuickJS handle undisposed in the one-shot snapshot (the leak check must find it). */
  leakForTest(): Promise<void>;
  /** Makes the next run fail inside the WASM (`'eval'`) or in a host callback (`'callback'`). */
  faultForTest(kind?: 'eval' | 'callback'): Promise<void>;
}


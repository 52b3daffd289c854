/**
 * Dynamic tools: tools that users create from code at run time. The code is checked at creation
 * (syntax and shape here; the sandbox validator again at every run, because dynamic code always runs
 * untrusted), stored in IndexedDB, and executed by the sandbox through an injected `runner`: never on
 * the main thread. A dynamic tool sees its arguments and `ctx.deps` only; it gets no host tools, so it
 * cannot read, call or change other tools.
 */
import { checkKnownKeys } from '../internal/checks.js';
import type { Program } from 'acorn';
import type { DBSchema } from 'idb';
import { STORAGE_OPTION_KEYS, lazyDatabase, resolveStorage } from '../internal/idb.js';
import { parseSource } from '../../worker/source.js';
import { DEFAULT_IMPORTS, DEFAULT_MAX_NESTING_DEPTH, checkLimits, validate } from '../../worker/validate.js';
import type { Violation } from '../../worker/protocol.js';
import type { EventSink, SecurityEventInput } from '../audit/types.js';
import { InvalidArgumentError, RateLimitedError, ToolError, ValidationError, CompilationError, invalidArgument } from '../errors.js';
import { assertToolName } from './define.js';
import { canonicalJson, deepFreeze, sha256Hex, utf8Length } from './json.js';
import { assertArgs, compileParams, type JsonSchema, type ParamsValidator } from './schema.js';

/** A stored dynamic tool. */
export interface DynamicToolRecord {
  readonly name: string;
  /** The user who created it. */
  readonly owner: string;
  readonly description: string;
  /** ES module source whose default export is `(args, ctx) => result`. */
  readonly code: string;
  /** SHA-256 hex of `code`. */
  readonly codeHash: string;
  /** Optional JSON Schema of the argument object. */
  readonly params?: JsonSchema;
  /** False: only the owner's runs see it (default). True: every user's runs do. */
  readonly shared: boolean;
  readonly enabled: boolean;
  /** Why it was last enabled or disabled. */
  readonly reason?: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** Input of {@link DynamicToolStore.create}. */
export interface DynamicToolInput {
  owner: string;
  name: string;
  code: string;
  description?: string;
  params?: JsonSchema;
  /** Let every user's runs call it. Default false: a tool runs with the *calling* user's deps, so sharing one user's code with others is a decision for the app, not the default. */
  shared?: boolean;
}

/** What the runner gets with each call. */
export interface DynamicToolRunContext {
  runId: string;
  tool: string;
  owner: string;
  /** `{ user, ...appDeps }`: the calling user and the app's dependencies, plain JSON data. */
  deps: Readonly<Record<string, unknown>>;
  signal: AbortSignal;
}

/**
 * Executes a dynamic tool's code in the sandbox and resolves to its JSON-safe result. The runner must
 * run the code untrusted (validated), with no host tools and no host modules, and call its default
 * export with `(args, { deps })`.
 */
export type DynamicToolRunner = (code: string, args: unknown, ctx: DynamicToolRunContext) => Promise<unknown>;

/**
 * Charges one unit of a user's quota. Resolve to anything to allow; throw a `RateLimitedError`, or
 * resolve to `{ allowed: false, remaining, resetAt }`, to refuse.
 */
export type ConsumeQuota = (user: string, kind: 'toolCreations') => unknown;

/** Checks dynamic code with the sandbox's validator; returns the violations (empty when clean). */
export type CodeValidator = (code: string) => Violation[] | Promise<Violation[]>;

/** Options of {@link createDynamicToolStore}. */
export interface DynamicToolStoreOptions {
  runner: DynamicToolRunner;
  consume: ConsumeQuota;
  /** The app's dependencies handed to every dynamic tool as `ctx.deps` (plain JSON data), or a function of the calling user. */
  deps?: Readonly<Record<string, unknown>> | ((user: string | undefined) => Readonly<Record<string, unknown>>);
  /**
   * Extra checks run at creation after the built-in ones (the sandbox validator of worker/validate.ts
   * with its strictest options, and the dynamic tool shape). Its violations reject the tool too.
   */
  validateCode?: CodeValidator;
  /** Whether calls need a person's approval: a boolean, or a function of the arguments and the record. Default false. */
  requiresApproval?: boolean | ((args: unknown, tool: DynamicToolRecord) => boolean);
  /** Largest code in UTF-8 bytes. Default 64 KiB. */
  maxCodeBytes?: number;
  /** `indexeddb` (default) or `memory`. */
  storage?: 'indexeddb' | 'memory';
  /** IndexedDB factory. Default `globalThis.indexedDB`. */
  indexedDB?: IDBFactory | null;
  /** IndexedDB database name. Default `quickcage-tools`. */
  dbName?: string;
  /** Receives `tool_created`, `tool_disabled` and `validation_failure` events. */
  sink?: EventSink;
}

/** The dynamic tools of an app. */
export interface DynamicToolStore {
  /** Resolves once the first load of the stored tools finished (`snapshot()` is complete after it). */
  readonly ready: Promise<void>;
  /**
   * Creates a tool. Order: input checks, quota (every attempt past the input checks counts), size and
   * nesting limits, syntax, shape and the strict sandbox validator, then storage.
   * @throws {InvalidArgumentError} `INVALID_ARGUMENT` for bad input, a taken or reserved name.
   * @throws {RateLimitedError} `RATE_LIMITED` when the owner's `toolCreations` quota is used up.
   * @throws {CompilationError} `COMPILATION_ERROR` when the code does not parse.
   * @throws {ValidationError} `VALIDATION_REJECTED` when the shape or the validator rejects the code.
   */
  create(input: DynamicToolInput): Promise<DynamicToolRecord>;
  /** The stored tool, or undefined. Always reads storage (sees other tabs' changes). */
  get(name: string): Promise<DynamicToolRecord | undefined>;
  /** Stored tools, by name; optionally one owner's. */
  list(filter?: { owner?: string }): Promise<DynamicToolRecord[]>;
  /**
   * Enables a tool, recording why.
   * @throws {InvalidArgumentError} `INVALID_ARGUMENT` for an unknown name or an empty reason.
   */
  enable(name: string, reason: string): Promise<DynamicToolRecord>;
  /**
   * Disables a tool, recording why. Calls already running finish; new calls are denied.
   * @throws {InvalidArgumentError} `INVALID_ARGUMENT` for an unknown name or an empty reason.
   */
  disable(name: string, reason: string): Promise<DynamicToolRecord>;
  /** Deletes a tool; false when there was none. */
  remove(name: string): Promise<boolean>;
  /** Reloads the in-memory snapshot from storage. */
  refresh(): Promise<void>;
  /** The last loaded records (synchronous; for listing names). */
  snapshot(): readonly DynamicToolRecord[];
  /** Registers a check for names the store must refuse (the registry's static tools). */
  reserveNames(isReserved: (name: string) => boolean): void;
  /** @internal Used by the registry: runs the tool through the runner with the calling user's deps. */
  execute(record: DynamicToolRecord, args: unknown, ctx: { runId: string; user?: string; signal: AbortSignal }): Promise<unknown>;
  /** @internal Used by the registry. */
  needsApproval(record: DynamicToolRecord, args: unknown): boolean;
  /**
   * @internal Used by the registry: checks `args` against the record's `params` (compiled with ajv once per record).
   * @throws {InvalidArgumentError} `INVALID_ARGUMENT` naming the failing field.
   */
  checkArgs(record: DynamicToolRecord, args: unknown): void;
  /** Closes the database connection and the cross-tab channel. The synchronous form of `dispose()`. */
  close(): void;
  /** Closes the database connection and the cross-tab channel. Idempotent. */
  dispose(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

interface ToolsDB extends DBSchema {
  tools: { key: string; value: DynamicToolRecord; indexes: { owner: string } };
}

interface Backend {
  get(name: string): Promise<DynamicToolRecord | undefined>;
  all(): Promise<DynamicToolRecord[]>;
  /** Stores `record` only when no record has its name; returns false otherwise. Atomic. */
  insert(record: DynamicToolRecord): Promise<boolean>;
  update(name: string, change: (r: DynamicToolRecord) => DynamicToolRecord): Promise<DynamicToolRecord | undefined>;
  remove(name: string): Promise<boolean>;
  close(): void;
}

function memoryBackend(): Backend {
  const records = new Map<string, DynamicToolRecord>();
  return {
    get: async (name) => records.get(name),
    all: async () => [...records.values()],
    insert: async (record) => {
      if (records.has(record.name)) return false;
      records.set(record.name, record);
      return true;
    },
    update: async (name, change) => {
      const current = records.get(name);
      if (current === undefined) return undefined;
      const next = change(current);
      records.set(name, next);
      return next;
    },
    remove: async (name) => records.delete(name),
    close() {},
  };
}

function indexedDbBackend(factory: IDBFactory | null, dbName: string): Backend {
  const database = lazyDatabase<ToolsDB>(factory, {
    name: dbName,
    version: 1,
    upgrade(db, oldVersion) {
      if (oldVersion < 1) db.createObjectStore('tools', { keyPath: 'name' }).createIndex('owner', 'owner');
    },
  });
  const db = database.get;
  return {
    get: async (name) => (await db()).get('tools', name),
    all: async () => (await db()).getAll('tools'),
    insert: async (record) => {
      const tx = (await db()).transaction('tools', 'readwrite');
      const taken = (await tx.store.getKey(record.name)) !== undefined;
      if (!taken) await tx.store.add(record);
      await tx.done;
      return !taken;
    },
    update: async (name, change) => {
      const tx = (await db()).transaction('tools', 'readwrite');
      const current = await tx.store.get(name);
      const next = current === undefined ? undefined : change(current);
      if (next !== undefined) await tx.store.put(next);
      await tx.done;
      return next;
    },
    remove: async (name) => {
      const tx = (await db()).transaction('tools', 'readwrite');
      const present = (await tx.store.getKey(name)) !== undefined;
      if (present) await tx.store.delete(name);
      await tx.done;
      return present;
    },
    close: database.close,
  };
}

// eslint-disable-next-line no-control-regex -- rejects control characters in owner ids
const OWNER = /^[^\u0000-\u001f\u007f]{1,256}$/;
const KNOWN = ['runner', 'consume', 'deps', 'validateCode', 'requiresApproval', 'maxCodeBytes', ...STORAGE_OPTION_KEYS, 'sink'];

/**
 * The shape rules of dynamic code, on the parsed module: exactly one `export default` of a function,
 * no other exports, and no imports beyond the default pure modules (`quickcage:math`, ...): in
 * particular no `quickcage:tools`, so no way to reach other tools, whatever options the validator gets.
 */
function shapeViolations(ast: Program): Violation[] {
  const out: Violation[] = [];
  const at = (node: { loc?: { start: { line: number; column: number } } | null }, rule: string, message: string) =>
    out.push({ rule, message, line: node.loc?.start.line ?? 1, column: (node.loc?.start.column ?? 0) + 1, snippet: '' });
  let defaults = 0;
  for (const node of ast.body) {
    if (node.type === 'ImportDeclaration' && !(DEFAULT_IMPORTS as readonly unknown[]).includes(node.source.value)) {
      at(node, 'dynamic-tool-import', `dynamic tools cannot import \`${String(node.source.value)}\`; they get \`ctx.deps\``);
    }
    else if (node.type === 'ExportNamedDeclaration' || node.type === 'ExportAllDeclaration') at(node, 'dynamic-tool-shape', 'only `export default` is allowed');
    else if (node.type === 'ExportDefaultDeclaration') {
      defaults++;
      const kind = node.declaration.type;
      if (kind !== 'FunctionDeclaration' && kind !== 'FunctionExpression' && kind !== 'ArrowFunctionExpression') {
        at(node, 'dynamic-tool-shape', '`export default` must be a function `(args, ctx) => result`');
      }
    }
  }
  if (defaults === 0) out.push({ rule: 'dynamic-tool-shape', message: 'code must `export default` a function `(args, ctx) => result`', line: 1, column: 1, snippet: '' });
  return out;
}

/** Global names under which a runner installs a call's arguments and deps (see {@link prepareDynamicToolModule}). */
export const DYNAMIC_TOOL_GLOBALS = Object.freeze({ args: '__toolArgs', deps: '__toolDeps' } as const);

/**
 * Turns a dynamic tool's module into one the sandbox can run as a single call: the default export
 * becomes a local function, and the module's own default export becomes the awaited result of calling
 * it with the globals `__toolArgs` and `__toolDeps` (install them with the run's `globals`). Rewrites
 * by AST position, never by text search.
 *
 * @example
 * const runner: DynamicToolRunner = async (code, args, ctx) =>
 *   (await toolSandbox.run(prepareDynamicToolModule(code), {
 *     globals: { [DYNAMIC_TOOL_GLOBALS.args]: args, [DYNAMIC_TOOL_GLOBALS.deps]: ctx.deps },
 *     signal: ctx.signal, user: String(ctx.deps.user ?? ''),
 *   })).value;
 * @throws {CompilationError} `COMPILATION_ERROR` when the code does not parse.
 * @throws {ValidationError} `VALIDATION_REJECTED` when it does not have the dynamic tool shape.
 */
export function prepareDynamicToolModule(code: string): string {
  if (typeof code !== 'string') throw invalidArgument('code', 'a string', code);
  const parsed = parseSource(code, 'module');
  if (!parsed.ok) throw new CompilationError(`Dynamic tool code does not parse: ${parsed.message} (COMPILATION_ERROR)`, { line: parsed.line, column: parsed.column });
  const violations = shapeViolations(parsed.ast);
  const node = parsed.ast.body.find((n) => n.type === 'ExportDefaultDeclaration');
  if (violations.length > 0 || node === undefined) {
    throw new ValidationError(`Dynamic tool code rejected: ${violations.map((v) => v.message).join('; ')} (VALIDATION_REJECTED)`, violations);
  }
  const fn = code.slice(node.declaration.start, node.declaration.end);
  // Same width as what it replaces, so line and column of every violation stay where the author wrote them.
  const head = 'const __tool = ';
  const gap = node.declaration.start - node.start;
  const prefix = gap >= head.length ? head + ' '.repeat(gap - head.length) : head;
  return `${code.slice(0, node.start)}${prefix}${fn};${code.slice(node.end)}\nexport default await __tool(${DYNAMIC_TOOL_GLOBALS.args}, Object.freeze({ deps: ${DYNAMIC_TOOL_GLOBALS.deps} }));\n`;
}

/**
 * Creates the dynamic tool store. Give it to `createToolRegistry({ dynamicTools })`.
 *
 * @throws {InvalidArgumentError} `INVALID_ARGUMENT` for a bad option (the message names it).
 */
export function createDynamicToolStore(options: DynamicToolStoreOptions): DynamicToolStore {
  if (typeof options !== 'object' || options === null) throw invalidArgument('options', 'an object', options);
  checkKnownKeys('options', options, KNOWN);
  const { runner, consume, deps = {}, validateCode, requiresApproval = false, maxCodeBytes = 64 * 1024, sink } = options;
  const { storage, dbName, factory } = resolveStorage('', options, { storage: 'indexeddb', dbName: 'quickcage-tools' });
  if (typeof runner !== 'function') throw invalidArgument('runner', 'a function (code, args, ctx) => Promise<result>', runner);
  if (typeof consume !== 'function') throw invalidArgument('consume', "a function (user, 'toolCreations')", consume);
  if (typeof deps !== 'function' && (typeof deps !== 'object' || deps === null)) throw invalidArgument('deps', 'an object or a function of the user', deps);
  if (validateCode !== undefined && typeof validateCode !== 'function') throw invalidArgument('validateCode', 'a function (code) => Violation[]', validateCode);
  if (typeof requiresApproval !== 'boolean' && typeof requiresApproval !== 'function') throw invalidArgument('requiresApproval', 'a boolean or a function', requiresApproval);
  if (typeof maxCodeBytes !== 'number' || !Number.isInteger(maxCodeBytes) || maxCodeBytes < 1 || maxCodeBytes > 16 * 1024 * 1024) throw invalidArgument('maxCodeBytes', 'an integer from 1 to 16777216', maxCodeBytes);
  if (sink !== undefined && typeof sink?.record !== 'function') throw invalidArgument('sink', 'an EventSink', sink);

  const backend = storage === 'memory' ? memoryBackend() : indexedDbBackend(factory, dbName);
  let cache: readonly DynamicToolRecord[] = [];
  const reserved: ((name: string) => boolean)[] = [];
  const validators = new Map<string, ParamsValidator>();
  const emit = (event: SecurityEventInput) => {
    try {
      sink?.record(event);
    } catch {
      // sinks must not throw; the store's outcome must not depend on one
    }
  };

  let channel: BroadcastChannel | undefined;
  const refresh = async () => {
    cache = deepFreeze((await backend.all()).sort((a, b) => (a.name < b.name ? -1 : 1)));
  };
  const changed = async () => {
    await refresh();
    try {
      channel?.postMessage('changed');
    } catch {
      // closed
    }
  };
  if (typeof BroadcastChannel === 'function') {
    channel = new BroadcastChannel(`quickcage-tools:${dbName}`);
    channel.onmessage = () => void refresh().catch(() => {});
  }
  const ready = refresh().catch(() => {});

  const known = async (name: unknown): Promise<DynamicToolRecord> => {
    if (typeof name !== 'string') throw invalidArgument('name', 'a tool name', name);
    const record = await backend.get(name);
    if (record === undefined) throw invalidArgument('name', 'the name of a stored dynamic tool', name);
    return record;
  };
  const setEnabled = async (name: string, enabled: boolean, reason: string) => {
    await known(name);
    if (typeof reason !== 'string' || reason.trim().length === 0 || reason.length > 1000) throw invalidArgument('reason', 'a non-empty string of at most 1000 characters', reason);
    const next = await backend.update(name, (r) => ({ ...r, enabled, reason, updatedAt: Date.now() }));
    if (next === undefined) throw invalidArgument('name', 'the name of a stored dynamic tool', name);
    emit({ type: enabled ? 'tool_enabled' : 'tool_disabled', severity: enabled ? 'low' : 'medium', tool: name, user: next.owner, details: { enabled, reason } });
    await changed();
    return deepFreeze(structuredClone(next));
  };

  const close = () => {
    channel?.close();
    channel = undefined;
    backend.close();
  };

  return Object.freeze({
    ready,
    async create(input: DynamicToolInput) {
      if (typeof input !== 'object' || input === null) throw invalidArgument('input', 'an object', input);
      const allowed = ['owner', 'name', 'code', 'description', 'params', 'shared'];
      checkKnownKeys('', input, allowed);
      const { owner, name, code, description = '', params, shared = false } = input;
      if (typeof owner !== 'string' || !OWNER.test(owner)) throw invalidArgument('owner', 'a user id of 1 to 256 characters without control characters', owner);
      assertToolName(name);
      if (typeof code !== 'string' || code.length === 0) throw invalidArgument('code', 'a non-empty string', code);
      const bytes = utf8Length(code);
      if (bytes > maxCodeBytes) throw new InvalidArgumentError('code', `Expected \`code\` to be at most ${maxCodeBytes} bytes, got ${bytes} bytes`);
      if (typeof description !== 'string' || description.length > 1000) throw invalidArgument('description', 'a string of at most 1000 characters', description);
      if (typeof shared !== 'boolean') throw invalidArgument('shared', 'a boolean', shared);
      let schema: JsonSchema | undefined;
      if (params !== undefined) {
        try {
          schema = JSON.parse(canonicalJson(params)) as JsonSchema;
        } catch (error) {
          throw new InvalidArgumentError('params', `Expected \`params\` to be a JSON Schema object of plain data: ${(error as Error).message}`, { cause: error });
        }
        compileParams(schema);
      }
      if (reserved.some((isReserved) => isReserved(name))) throw invalidArgument('name', 'a name no other tool uses', name);
      if ((await backend.get(name)) !== undefined) throw invalidArgument('name', 'a name no other dynamic tool uses', name);

      // Every attempt past the input checks costs quota, so the validator cannot be probed for free.
      const verdict = (await consume(owner, 'toolCreations')) as { allowed?: unknown; remaining?: unknown; resetAt?: unknown } | undefined;
      if (typeof verdict === 'object' && verdict !== null && verdict.allowed === false) {
        const remaining = typeof verdict.remaining === 'number' ? verdict.remaining : 0;
        const resetAt = typeof verdict.resetAt === 'number' ? verdict.resetAt : 0;
        throw new RateLimitedError(`User has no tool creations left (RATE_LIMITED)`, { remaining, resetAt });
      }

      // Size and nesting first: acorn recurses, and this parse runs on the main thread.
      const limit = checkLimits(code, { maxSourceBytes: maxCodeBytes, maxNestingDepth: DEFAULT_MAX_NESTING_DEPTH });
      if (limit !== null) {
        emit({ type: 'validation_failure', severity: 'medium', tool: name, user: owner, details: { stage: 'create', rules: [limit.rule] } });
        throw new ValidationError(`Dynamic tool \`${name}\` rejected: ${limit.message} (VALIDATION_REJECTED)`, [limit]);
      }
      const parsed = parseSource(code, 'module');
      if (!parsed.ok) {
        emit({ type: 'validation_failure', severity: 'low', tool: name, user: owner, details: { stage: 'parse', message: parsed.message.slice(0, 200) } });
        throw new CompilationError(`Dynamic tool \`${name}\` does not parse: ${parsed.message} (COMPILATION_ERROR)`, { line: parsed.line, column: parsed.column });
      }
      // The sandbox validator with its strictest options: default imports only, no granted globals
      // (so `tools`, `fetch`, `window` are reported), no rule disabled. It runs again, as untrusted,
      // every time the tool executes; this early run keeps rejected code out of storage.
      const violations = [...shapeViolations(parsed.ast), ...validate(parsed, code, {})];
      if (validateCode !== undefined) violations.push(...(await validateCode(code)));
      if (violations.length > 0) {
        emit({ type: 'validation_failure', severity: 'medium', tool: name, user: owner, details: { stage: 'create', rules: [...new Set(violations.map((v) => v.rule))] } });
        throw new ValidationError(`Dynamic tool \`${name}\` rejected: ${violations.map((v) => `${v.message} at ${v.line}:${v.column}`).join('; ')} (VALIDATION_REJECTED)`, violations);
      }

      const at = Date.now();
      const record: DynamicToolRecord = {
        name,
        owner,
        description,
        code,
        codeHash: await sha256Hex(code),
        ...(schema === undefined ? {} : { params: schema }),
        shared,
        enabled: true,
        createdAt: at,
        updatedAt: at,
      };
      if (!(await backend.insert(record))) throw invalidArgument('name', 'a name no other dynamic tool uses', name);
      emit({ type: 'tool_created', severity: 'low', tool: name, user: owner, codeHash: record.codeHash, details: { shared, bytes } });
      await changed();
      return deepFreeze(structuredClone(record));
    },
    async get(name: string) {
      if (typeof name !== 'string') throw invalidArgument('name', 'a tool name', name);
      const record = await backend.get(name);
      return record === undefined ? undefined : deepFreeze(structuredClone(record));
    },
    async list(filter: { owner?: string } = {}) {
      const all = await backend.all();
      return deepFreeze(all.filter((r) => filter.owner === undefined || r.owner === filter.owner).sort((a, b) => (a.name < b.name ? -1 : 1)));
    },
    enable: (name: string, reason: string) => setEnabled(name, true, reason),
    disable: (name: string, reason: string) => setEnabled(name, false, reason),
    async remove(name: string) {
      if (typeof name !== 'string') throw invalidArgument('name', 'a tool name', name);
      const removed = await backend.remove(name);
      if (removed) {
        emit({ type: 'tool_disabled', severity: 'medium', tool: name, details: { enabled: false, removed: true } });
        await changed();
      }
      return removed;
    },
    refresh,
    snapshot: () => cache,
    reserveNames(isReserved: (name: string) => boolean) {
      if (typeof isReserved !== 'function') throw invalidArgument('isReserved', 'a function', isReserved);
      reserved.push(isReserved);
    },
    needsApproval(record: DynamicToolRecord, args: unknown) {
      return typeof requiresApproval === 'function' ? requiresApproval(args, record) === true : requiresApproval;
    },
    async execute(record: DynamicToolRecord, args: unknown, ctx: { runId: string; user?: string; signal: AbortSignal }) {
      let appDeps: unknown;
      try {
        appDeps = typeof deps === 'function' ? deps(ctx.user) : deps;
        appDeps = JSON.parse(canonicalJson(appDeps));
      } catch (error) {
        throw new ToolError('TOOL_FAILED', `Dependencies for dynamic tool \`${record.name}\` are not plain JSON data (TOOL_FAILED)`, { runId: ctx.runId, cause: error });
      }
      const context: DynamicToolRunContext = Object.freeze({
        runId: ctx.runId,
        tool: record.name,
        owner: record.owner,
        deps: deepFreeze({ ...(appDeps as Record<string, unknown>), user: ctx.user ?? null }),
        signal: ctx.signal,
      });
      return runner(record.code, args, context);
    },
    checkArgs(record: DynamicToolRecord, args: unknown) {
      if (typeof args !== 'object' || args === null || Array.isArray(args)) throw invalidArgument('args', 'an object', args);
      if (record.params === undefined) return;
      // Compiled once per (name, code, schema): a re-created tool with the same name gets a new key.
      const key = `${record.name}\u0000${record.codeHash}\u0000${canonicalJson(record.params)}`;
      let validate = validators.get(key);
      if (validate === undefined) {
        validate = compileParams(record.params);
        validators.set(key, validate);
      }
      assertArgs(validate, args, record.name);
    },
    close,
    async dispose() {
      close();
    },
    async [Symbol.asyncDispose]() {
      close();
    },
  });
}

/**
 * Host globals the sandbox does not have. QuickJS gives the guest only the ECMAScript built-ins
 * (plus what the run grants: `tools`, `fetch` when the policy grants network). Code written for a
 * browser or Node would fail later with a bare ReferenceError; this rule says why, up front.
 * A local binding of the same name (`const window = {}`) is the guest's own and passes, and so does
 * `typeof name` (feature detection).
 */
import type { N } from '../ast.js';
import type { Context } from '../context.js';
import type { Scope } from '../scope.js';

/**
 * A reference to a name that may be a host global, collected by the walk (walk.ts) and checked
 * here after it. Defined by the rule that consumes it, so the walk depends on the rule and not both ways.
 */
export interface Reference {
  readonly node: N;
  readonly scope: Scope;
  /** `typeof name`: feature detection, never a use. */
  readonly typeofOperand: boolean;
}

const WINDOW = 'there is no window: the sandbox runs in QuickJS, whose only global object is `globalThis`';
const DOM = 'there is no DOM or browser UI in the sandbox; return data to the host instead';
const NETWORK = 'the sandbox has no network access unless the policy grants it (allowedOperations.networkOperations grants `fetch`)';
const STORAGE = 'the sandbox has no browser storage; use the file tools when the policy grants them (allowedOperations.fileOperations)';
const WORKERS = 'the sandbox cannot start workers or message other contexts';
const NODE = 'this is not Node.js: use `import` with an allowed module, and `tools` for host capabilities';
const TOOLS = 'no host tools are granted to this run';

/** Host global names, with the reason each is missing. */
export const HOST_GLOBALS: ReadonlyMap<string, string> = new Map([
  ...['window', 'self', 'parent', 'top', 'frames', 'opener', 'global'].map((n) => [n, WINDOW] as const),
  ...['document', 'location', 'history', 'navigator', 'screen', 'alert', 'confirm', 'prompt', 'customElements', 'requestAnimationFrame']
    .map((n) => [n, DOM] as const),
  ...['fetch', 'XMLHttpRequest', 'WebSocket', 'EventSource', 'WebTransport', 'RTCPeerConnection', 'Request', 'Response', 'Headers']
    .map((n) => [n, NETWORK] as const),
  ...['localStorage', 'sessionStorage', 'indexedDB', 'caches', 'cookieStore'].map((n) => [n, STORAGE] as const),
  ...['Worker', 'SharedWorker', 'importScripts', 'postMessage', 'BroadcastChannel', 'MessageChannel', 'WebAssembly']
    .map((n) => [n, WORKERS] as const),
  ...['process', 'require', 'module', 'exports', 'Buffer', '__dirname', '__filename', 'Deno', 'Bun'].map((n) => [n, NODE] as const),
  ['tools', TOOLS] as const,
]);

/** The names of {@link HOST_GLOBALS}, for the walker's quick filter. */
export const HOST_GLOBAL_NAMES: ReadonlySet<string> = new Set(HOST_GLOBALS.keys());

/** Reports references that resolve to no local binding and name a host global the run does not grant. */
export function checkReferences(ctx: Context, references: readonly Reference[]): void {
  for (const ref of references) {
    const name = ref.node.name!;
    if (ref.typeofOperand || ctx.options.grantedGlobals.has(name) || ref.scope.lookup(name) !== undefined) continue;
    ctx.report('host-global', ref.node.start, ref.node.start, ref.node.end, name, `\`${name}\` is not defined: ${HOST_GLOBALS.get(name)!}`);
  }
}

/** `globalThis.document` and the like: the same rule, reached as a property of the global object. */
export function hostGlobalProperty(ctx: Context, key: string): string | null {
  const why = HOST_GLOBALS.get(key);
  return why === undefined || ctx.options.grantedGlobals.has(key) ? null : `\`${key}\` is not defined: ${why}`;
}

/** True when `n` is the unshadowed global `globalThis`. */
export function isGlobalThis(n: N, lookup: (name: string) => unknown): boolean {
  return n.type === 'Identifier' && n.name === 'globalThis' && lookup('globalThis') === undefined;
}

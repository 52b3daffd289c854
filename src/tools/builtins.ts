/**
 * Built-in tools: the virtual file system (`readFile`, `writeFile`, `listDir`, `deleteFile`, `stat`) and
 * `fetch`. Every call is checked twice: against the sandbox policy's ceiling (its `files` and `network`
 * sections) and against the calling agent's {@link PermissionPolicy}. Both must allow it.
 */
import { AbortedError, InvalidArgumentError, ToolError, describeValue, invalidArgument } from '../errors.js';
import { isPathWithin, normalizeVirtualPath } from './guards.js';
import * as validators from './generated/builtin-validators.js';
import { defineTool, type Tool, type ToolHandlerContext } from './define.js';
import { utf8Length } from './json.js';
import { Permission, type PermissionDecision, type PermissionPolicy, type PermissionSet, type Resource } from './permissions.js';
import type { DirEntry, FileStat, VirtualFileSystem } from './vfs.js';

/** Names of the built-in file tools. */
export const FILE_TOOL_NAMES = ['readFile', 'writeFile', 'listDir', 'deleteFile', 'stat'] as const;
/** Name of the built-in network tool. */
export const FETCH_TOOL_NAME = 'fetch';

/** Checks `resource` against the ceiling and the agent; returns the canonical resource or throws TOOL_DENIED. */
function allow(ceiling: PermissionPolicy, ctx: ToolHandlerContext, action: PermissionSet, resource: Resource, what: string): string {
  const decisions: [string, PermissionDecision][] = [['policy', ceiling.check(action, resource)], ['agent', ctx.agent.check(action, resource)]];
  for (const [by, decision] of decisions) {
    if (!decision.allowed) {
      throw new ToolError('TOOL_DENIED', `${what} denied by the ${by === 'policy' ? 'sandbox policy' : `policy of agent \`${ctx.agent.agent}\``}: ${decision.reason} (TOOL_DENIED)`, {
        runId: ctx.runId,
        // The raw input, for the audit event (the registry redacts and caps it; see evidence.ts).
        details: { rule: decision.rule, by, attempted: typeof resource === 'string' ? { path: resource } : 'url' in resource ? { url: resource.url } : { path: resource.path } },
      });
    }
  }
  return (decisions[1]![1] as { resource?: string }).resource ?? '';
}

/**
 * Where `canonical` really leads on a backend with links, checked: the path and each ancestor below
 * its allowed root are resolved with `fs.realpath` on every call, and every answer must be canonical
 * and inside what both the policy and the agent allow. Threat: `/data/link` pointing at `/etc` (or
 * `/data/dir` -> `/`), which the text of the path cannot show.
 */
async function resolveLinks(fs: VirtualFileSystem, ceiling: PermissionPolicy, ctx: ToolHandlerContext, action: PermissionSet, raw: string, canonical: string): Promise<string> {
  if (fs.links === 'none') return canonical;
  const roots = [...ceiling.allowedPaths, ...ctx.agent.allowedPaths].filter((root) => isPathWithin(canonical, root));
  // The deepest root both lists accept: ancestors above it may be links the operator set up on purpose.
  const root = roots.sort((a, b) => b.length - a.length)[0] ?? '/';
  const segments = canonical === '/' ? [] : canonical.slice(1).split('/');
  const depth = root === '/' ? 0 : root.slice(1).split('/').length;
  let resolved = canonical;
  for (let i = Math.max(depth, 1); i <= segments.length; i++) {
    const prefix = `/${segments.slice(0, i).join('/')}`;
    let real: unknown;
    try {
      real = await fs.realpath!(prefix);
    } catch (error) {
      throw new ToolError('TOOL_FAILED', `Path ${describeValue(raw)} could not be resolved (TOOL_FAILED)`, { runId: ctx.runId, cause: error, details: { reason: 'realpath-failed' } });
    }
    const checked = normalizeVirtualPath(real);
    if (!checked.ok || checked.value !== real) {
      throw new ToolError('TOOL_DENIED', `Path ${describeValue(raw)} resolved to a non-canonical path (TOOL_DENIED)`, {
        runId: ctx.runId, details: { rule: 'path.resolve', by: 'policy', attempted: { path: raw } },
      });
    }
    for (const [by, decision] of [['policy', ceiling.check(action, { path: real })], ['agent', ctx.agent.check(action, { path: real })]] as const) {
      if (!decision.allowed) {
        throw new ToolError('TOOL_DENIED', `Path ${describeValue(raw)} leads outside the allowed paths through a link at ${describeValue(prefix)} (TOOL_DENIED)`, {
          runId: ctx.runId, details: { rule: 'path.link-escape', by, attempted: { path: raw } },
        });
      }
    }
    resolved = real;
  }
  return resolved;
}

/** The five file tools over `fs`, confined by `ceiling` and the agent. */
export function createFileTools(fs: VirtualFileSystem, ceiling: PermissionPolicy): Tool[] {
  if (fs.links !== 'none' && typeof fs.realpath !== 'function') {
    throw invalidArgument('fileSystem', "a backend that declares `links: 'none'` or implements `realpath(path)` (a file system with links cannot be confined by the text of a path)", fs);
  }
  const path = async (ctx: ToolHandlerContext, action: PermissionSet, raw: string, bytes?: number): Promise<string> => {
    const canonical = allow(ceiling, ctx, action, bytes === undefined ? { path: raw } : { path: raw, bytes }, `Path ${describeValue(raw)}`);
    return resolveLinks(fs, ceiling, ctx, action, raw, canonical);
  };
  return [
    defineTool<{ path: string }>({
      name: 'readFile',
      description: 'Reads a text file of the virtual file system. Returns its content.',
      permission: Permission.READ_FILE,
      params: validators.schemas.readFile,
      validate: validators.readFile,
      handler: async ({ path: raw }, ctx) => {
        const p = await path(ctx, Permission.READ_FILE, raw);
        const info = await fs.stat(p);
        if (info?.type === 'file') allow(ceiling, ctx, Permission.READ_FILE, { path: p, bytes: info.size }, `Path ${describeValue(raw)}`);
        return fs.readFile(p);
      },
    }),
    defineTool<{ path: string; content: string }>({
      name: 'writeFile',
      description: 'Creates or replaces a text file of the virtual file system. Returns its path and size in bytes.',
      permission: Permission.WRITE_FILE,
      params: validators.schemas.writeFile,
      validate: validators.writeFile,
      handler: async ({ path: raw, content }, ctx) => {
        const p = await path(ctx, Permission.WRITE_FILE, raw, utf8Length(content));
        const written: FileStat = await fs.writeFile(p, content);
        return { path: written.path, size: written.size };
      },
    }),
    defineTool<{ path: string }>({
      name: 'listDir',
      description: 'Lists the direct children of a directory: [{ name, type, size }].',
      permission: Permission.READ_FILE,
      params: validators.schemas.listDir,
      validate: validators.listDir,
      handler: async ({ path: raw }, ctx): Promise<DirEntry[]> => fs.listDir(await path(ctx, Permission.READ_FILE, raw)),
    }),
    defineTool<{ path: string }>({
      name: 'deleteFile',
      description: 'Deletes a file. Returns { deleted } (false when there was none).',
      permission: Permission.WRITE_FILE,
      params: validators.schemas.deleteFile,
      validate: validators.deleteFile,
      handler: async ({ path: raw }, ctx) => ({ deleted: await fs.deleteFile(await path(ctx, Permission.WRITE_FILE, raw)) }),
    }),
    defineTool<{ path: string }>({
      name: 'stat',
      description: 'Returns { path, type, size, mtime } of a file or directory, or null.',
      permission: Permission.READ_FILE,
      params: validators.schemas.stat,
      validate: validators.stat,
      handler: async ({ path: raw }, ctx) => fs.stat(await path(ctx, Permission.READ_FILE, raw)),
    }),
  ] as unknown as Tool[];
}

/** Options of the fetch tool. */
export interface FetchToolOptions {
  ceiling: PermissionPolicy;
  /** The platform `fetch` by default. Injected implementations see the same request options. */
  fetchImpl: typeof fetch;
  timeoutMs: number;
  maxResponseBytes: number;
  maxRedirects: number;
}

/** What the fetch tool returns to the guest. */
export interface FetchResult {
  status: number;
  statusText: string;
  /** The URL of the final response (after redirects the tool followed). */
  url: string;
  /** Response headers the browser exposes (CORS-safelisted plus `Access-Control-Expose-Headers`), lowercase names. */
  headers: Record<string, string>;
  body: string;
}

const REDIRECTS = [301, 302, 303, 307, 308];

/** Reads `response.body` as UTF-8 text, failing as soon as more than `max` bytes arrived. */
async function readCapped(response: Response, max: number, ctx: ToolHandlerContext): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > max) {
    await response.body?.cancel().catch(() => {});
    throw new ToolError('TOOL_FAILED', `Response of ${declared} bytes exceeds the limit of ${max} bytes (TOOL_FAILED)`, { runId: ctx.runId, details: { reason: 'too-large', limit: max } });
  }
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let received = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
    if (received > max) {
      await reader.cancel().catch(() => {});
      throw new ToolError('TOOL_FAILED', `Response exceeds the limit of ${max} bytes (TOOL_FAILED)`, { runId: ctx.runId, details: { reason: 'too-large', limit: max } });
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

/** The `fetch` tool: allowed domains only, no cookies, manual redirects re-checked per hop, timeout, size cap. */
export function createFetchTool(options: FetchToolOptions): Tool {
  const { ceiling, fetchImpl, timeoutMs, maxResponseBytes, maxRedirects } = options;
  return defineTool<{ url: string; method?: string; headers?: Record<string, string>; body?: string }>({
    name: FETCH_TOOL_NAME,
    description: 'HTTP request to an allowed domain. Returns { status, statusText, url, headers, body } with the body as text.',
    permission: Permission.NETWORK_ACCESS,
    params: validators.schemas.fetch,
    validate: validators.fetch,
    handler: async (args, ctx): Promise<FetchResult> => {
      let method = args.method ?? 'GET';
      let body = args.body;
      if (body !== undefined && (method === 'GET' || method === 'HEAD')) {
        throw new InvalidArgumentError('args.body', `Expected \`args.body\` to be absent for ${method} requests, got \`${describeValue(body)}\``);
      }
      let current = allow(ceiling, ctx, Permission.NETWORK_ACCESS, { url: args.url }, `URL ${describeValue(args.url)}`);
      const controller = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, timeoutMs);
      const onAbort = () => controller.abort();
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      if (ctx.signal.aborted) controller.abort();
      try {
        for (let hop = 0; ; hop++) {
          let response: Response;
          try {
            response = await fetchImpl(current, {
              method,
              headers: args.headers,
              body,
              // Redirects are followed here, one checked hop at a time, never by the browser.
              redirect: 'manual',
              // The guest must not ride the user's session: no cookies, no HTTP auth, no client certs.
              credentials: 'omit',
              referrerPolicy: 'no-referrer',
              cache: 'no-store',
              mode: 'cors',
              signal: controller.signal,
            });
          } catch (error) {
            if (ctx.signal.aborted) throw new AbortedError('The run was aborted during fetch (ABORTED)', { runId: ctx.runId, cause: error });
            if (timedOut) throw new ToolError('TOOL_FAILED', `fetch timed out after ${timeoutMs} ms (TOOL_FAILED)`, { runId: ctx.runId, cause: error, details: { reason: 'timeout' } });
            throw new ToolError('TOOL_FAILED', 'fetch failed: network error, CORS refusal or blocked request (TOOL_FAILED)', { runId: ctx.runId, cause: error, details: { reason: 'network' } });
          }
          if (response.type === 'opaqueredirect') {
            // A browser hides the target of a manual redirect (status 0, no Location), so the hop
            // cannot be checked: fail closed rather than let the browser follow it unchecked.
            throw new ToolError('TOOL_FAILED', `${current} redirects, and the browser hides where to; fetch the final URL directly (TOOL_FAILED)`, { runId: ctx.runId, details: { reason: 'redirect-hidden' } });
          }
          const location = REDIRECTS.includes(response.status) ? response.headers.get('location') : null;
          if (location === null) {
            const text = await readCapped(response, maxResponseBytes, ctx);
            return { status: response.status, statusText: response.statusText, url: current, headers: Object.fromEntries(response.headers), body: text };
          }
          await response.body?.cancel().catch(() => {});
          if (hop >= maxRedirects) {
            throw new ToolError('TOOL_FAILED', `fetch followed ${maxRedirects} redirects and stopped (TOOL_FAILED)`, { runId: ctx.runId, details: { reason: 'too-many-redirects' } });
          }
          let next: string;
          try {
            // An absolute Location is checked as sent (so `http://0x7f.1/` is caught as an odd notation);
            // a relative one is resolved against the current URL.
            next = URL.canParse(location) ? location : new URL(location, current).href;
          } catch (error) {
            throw new ToolError('TOOL_FAILED', `Redirect target ${describeValue(location)} does not parse (TOOL_FAILED)`, { runId: ctx.runId, cause: error, details: { reason: 'redirect-invalid' } });
          }
          current = allow(ceiling, ctx, Permission.NETWORK_ACCESS, { url: next }, `Redirect to ${describeValue(next)}`);
          // As browsers do: 303 turns any method but HEAD into GET; 301/302 turn POST into GET.
          if ((response.status === 303 && method !== 'HEAD') || ((response.status === 301 || response.status === 302) && method === 'POST')) {
            method = 'GET';
            body = undefined;
          }
        }
      } catch (error) {
        if (ctx.signal.aborted && !(error instanceof AbortedError)) throw new AbortedError('The run was aborted during fetch (ABORTED)', { runId: ctx.runId, cause: error });
        if (timedOut && !(error instanceof ToolError && error.code === 'TOOL_DENIED')) {
          throw new ToolError('TOOL_FAILED', `fetch timed out after ${timeoutMs} ms (TOOL_FAILED)`, { runId: ctx.runId, cause: error, details: { reason: 'timeout' } });
        }
        throw error;
      } finally {
        clearTimeout(timer);
        ctx.signal.removeEventListener('abort', onAbort);
      }
    },
  }) as unknown as Tool;
}

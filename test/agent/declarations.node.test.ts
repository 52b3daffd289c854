/**
 * The generated declarations, checked by the TypeScript compiler (API, in Node) against the tools'
 * real schemas: the built-in tools' precompiled schemas and app tools from `defineTool`, through
 * `registry.describe(agent)`. Code that uses the granted API right compiles with no diagnostic; each
 * misuse fails with the one diagnostic a model would need to see.
 */
import ts from 'typescript';
import { describe, expect, test } from 'vitest';
import { Permission, createToolRegistry, defineTool, definePermissionPolicy } from '../../src/tools/index.js';
import { definePolicy } from '../../src/policy.js';
import { generateDeclarations, schemaToType } from '../../src/agent/declarations.js';

const policy = definePolicy({ allowedOperations: { fileOperations: true, networkOperations: true, imports: ['app:db'] }, files: { allowedPaths: ['/data'] }, network: { allowedDomains: ['api.example.com'] } }, 'webApi');
const search = defineTool({
  name: 'searchOrders',
  description: 'Finds orders. Sorted as asked.',
  permission: Permission.DATABASE_READ,
  params: {
    type: 'object',
    properties: {
      status: { type: 'string', enum: ['open', 'shipped', 'returned'] },
      'min-total': { type: 'number', minimum: 0, description: 'Only orders at least this big. */ not a comment end' },
      tags: { type: 'array', items: { type: 'string' }, maxItems: 5 },
      customer: { anyOf: [{ type: 'string' }, { type: 'null' }] },
      page: { type: ['integer', 'null'] },
      extra: { type: 'object', additionalProperties: { type: 'number' } },
    },
    required: ['status'],
    additionalProperties: false,
  },
  handler: () => [],
});
const sendEmail = defineTool({
  name: 'sendEmail',
  description: 'Sends an email.',
  permission: Permission.SEND_EMAIL,
  params: { type: 'object', properties: { to: { type: 'string' }, body: { type: 'string' } }, required: ['to', 'body'], additionalProperties: false },
  requiresApproval: true,
  handler: () => ({ sent: true }),
});
const registry = createToolRegistry({ policy, tools: [search, sendEmail] });
const agent = definePermissionPolicy({ agent: 'analyst', permissions: Permission.READ_FILE | Permission.NETWORK_ACCESS | Permission.DATABASE_READ, allowedPaths: ['/data'], allowedDomains: ['api.example.com'] });
const declarations = generateDeclarations({
  tools: registry.describe(agent).map((t) => (t.name === 'searchOrders'
    ? { ...t, returns: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, total: { type: 'number' } }, required: ['id', 'total'], additionalProperties: false } } }
    : t)),
  modules: { 'app:db': { query: { description: 'Runs a named query.', params: { type: 'object', properties: { name: { enum: ['daily', 'weekly'] } }, required: ['name'], additionalProperties: false }, returns: { type: 'array', items: {} } } } },
});

// What the guest has besides the declared API (QuickJS built-ins are ES2022; console and timers).
const RUNTIME = 'declare const console: { log(...data: unknown[]): void; error(...data: unknown[]): void };\n';

const LIBS = new Map<string, ts.SourceFile | undefined>();

/** Compiles `files` with the declarations, strict, ES2022 without DOM (the guest has none); returns `code: message` per diagnostic. */
function compile(files: Record<string, string>): string[] {
  const all: Record<string, string> = { '/api.d.ts': declarations, '/runtime.d.ts': RUNTIME, ...files };
  const options: ts.CompilerOptions = {
    strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts'], types: [], skipLibCheck: false, moduleDetection: ts.ModuleDetectionKind.Auto,
  };
  const host = ts.createCompilerHost(options);
  const base = { getSourceFile: host.getSourceFile, fileExists: host.fileExists, readFile: host.readFile };
  host.getSourceFile = (name, version, ...rest) => {
    if (name in all) return ts.createSourceFile(name, all[name]!, version, true);
    // The lib files are the same for every program: parse them once.
    let lib = LIBS.get(name);
    if (lib === undefined) LIBS.set(name, (lib = base.getSourceFile(name, version, ...rest)));
    return lib;
  };
  host.fileExists = (name) => name in all || base.fileExists(name);
  host.readFile = (name) => all[name] ?? base.readFile(name);
  const program = ts.createProgram(Object.keys(all), options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => `TS${d.code} ${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
}

describe('generated declarations compile with tsc', () => {
  test('the declarations alone have no error, and list only what the agent may call', () => {
    expect(compile({})).toEqual([]);
    expect(declarations).toContain('readFile(args: {');
    expect(declarations).toContain('fetch(args: {');
    expect(declarations).toContain('declare function fetch(url: string');
    expect(declarations).not.toMatch(/writeFile|deleteFile|sendEmail/); // WRITE_FILE and SEND_EMAIL are not granted
    expect(declarations).toContain('"min-total"?: number;');
    expect(declarations).toContain('Only orders at least this big. *\\/ not a comment end');
  });

  test('a script and a module that use the API correctly compile with no diagnostic', () => {
    const script = `async function main() {
      const text: string = await tools.readFile({ path: '/data/a.csv' });
      const entries = await tools.listDir({ path: '/data' });
      const names: string[] = entries.filter((e) => e.type === 'file').map((e) => e.name);
      const info = await tools.stat({ path: '/data/a.csv' });
      const size: number = info === null ? 0 : info.size;
      const r = await tools.fetch({ url: 'https://api.example.com/x', method: 'GET', headers: { accept: 'application/json' } });
      const status: number = r.status;
      const body: unknown = JSON.parse(r.body);
      const res = await fetch('https://api.example.com/y');
      const data: unknown = await res.json();
      const orders = await tools.searchOrders({ status: 'open', 'min-total': 10, tags: ['a'], customer: null, page: null, extra: { x: 1 } });
      const totals: number[] = orders.map((o) => o.total);
      console.log(text.length, names, size, status, body, data, totals);
    }
    main();`;
    const module = `import { readFile, searchOrders } from 'quickcage:tools';
      import { query } from 'app:db';
      const rows = await query({ name: 'daily' });
      const first = await searchOrders({ status: 'shipped' });
      export default { rows: rows.length, first: first[0]?.id, text: await readFile({ path: '/data/a' }) };`;
    expect(compile({ '/script.ts': script, '/module.ts': module })).toEqual([]);
  });

  // Each misuse, alone, with the one diagnostic it must produce.
  const wrong: [string, string, RegExp][] = [
    ['a tool the agent is not granted', "tools.writeFile({ path: '/data/a', content: 'x' });", /^TS2339 .*Property 'writeFile' does not exist/],
    ['an approval-gated tool of a missing permission', "tools.sendEmail({ to: 'a@b.c', body: 'x' });", /^TS2339 .*Property 'sendEmail' does not exist/],
    ['a wrong argument type', 'tools.readFile({ path: 5 });', /^TS2322 .*Type 'number' is not assignable to type 'string'/],
    ['a missing required argument', 'tools.readFile({});', /^TS2345 .*Property 'path' is missing/],
    ['an argument the schema does not allow', "tools.searchOrders({ status: 'open', sort: 'asc' });", /^TS2353 .*'sort' does not exist/],
    ['a value outside an enum', "tools.searchOrders({ status: 'lost' });", /^TS2322 .*Type '"lost"' is not assignable to type '"open" \| "shipped" \| "returned"'/],
    ['using the result as the wrong type', "async function f() { const n: number = await tools.readFile({ path: '/data/a' }); return n; }", /^TS2322 .*Type 'string' is not assignable to type 'number'/],
    ['forgetting that stat may return null', "async function f() { return (await tools.stat({ path: '/data/a' })).size; }", /^TS2531 .*Object is possibly 'null'/],
    ['a wrong host-module argument', "import { query } from 'app:db';\nquery({ name: 'hourly' });\nexport {};", /^TS2322 .*Type '"hourly"' is not assignable to type '"daily" \| "weekly"'/],
    ['a module that is not declared', "import { x } from 'app:hidden';\nx();\nexport {};", /^TS2307 .*Cannot find module 'app:hidden'/],
    ['an export the tools module does not have', "import { deleteFile } from 'quickcage:tools';\ndeleteFile({ path: '/a' });\nexport {};", /^TS2305 .*has no exported member 'deleteFile'/],
  ];
  test.each(wrong)('%s fails', (_what, code, diagnostic) => {
    const diagnostics = compile({ '/wrong.ts': code });
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatch(diagnostic);
  });
});

describe('schemaToType', () => {
  test.each([
    [{ type: 'string' }, 'string'],
    [{ type: 'integer' }, 'number'],
    [{ const: 'x' }, '"x"'],
    [{ enum: [1, 'a', null] }, '1 | "a" | null'],
    [{ type: ['string', 'null'] }, 'string | null'],
    [{ type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'number' }] } }, '(string | number)[]'],
    [{ type: 'array', items: [{ type: 'string' }, { type: 'number' }] }, '[string, number]'],
    [{ type: 'object' }, '{\n  [key: string]: unknown;\n}'],
    [{ type: 'object', properties: {}, additionalProperties: false }, 'Record<string, never>'],
    [{ allOf: [{ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }, { type: 'object', properties: { b: { type: 'number' } } }] }, '{\n  a: string;\n} & {\n  b?: number;\n}'],
    [{ $ref: '#/definitions/x' }, 'unknown'],
    [{ not: { type: 'string' } }, 'unknown'],
    [true, 'unknown'],
    [false, 'never'],
  ])('%j is %s', (schema, type) => {
    expect(schemaToType(schema)).toBe(type);
  });
});

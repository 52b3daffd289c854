/**
 * TypeScript declarations of exactly what a guest may call, generated from the granted tools' JSON
 * Schemas and descriptions, so the model's prompt and the sandbox never disagree. The text is meant
 * for a model (compact, doc comments carry the constraints a type cannot say) and for `tsc` (a test
 * compiles it against code that uses the tools right and wrong).
 *
 * Pure string work: no DOM, no worker, no SDK. Unknown schema keywords degrade to `unknown`, never to
 * a type that promises more than the schema checks.
 */
import { invalidArgument } from '../errors.js';
import { isPlainObject } from '../internal/checks.js';
import { isToolName } from '../tools/define.js';
import type { JsonSchema } from '../tools/schema.js';

/** One tool as the declarations describe it (the shape of `registry.describe(agent)` entries). */
export interface DeclaredTool {
  name: string;
  description: string;
  /** JSON Schema of the argument object. */
  params: unknown;
  /** JSON Schema of the result, when known. Built-in tools have one built in. */
  returns?: unknown;
  requiresApproval?: boolean | 'depends-on-args';
  /** Where the tool comes from; a built-in's result type is known. Default: built-in when the name is one. */
  kind?: 'builtin' | 'app' | 'dynamic';
}

/** One export of a host module: `import { query } from 'app:db'`. Host functions take one JSON argument. */
export interface DeclaredModuleExport {
  description?: string;
  /** JSON Schema of the one argument. Default: any JSON value. */
  params?: unknown;
  /** JSON Schema of the result. Default: `unknown`. */
  returns?: unknown;
}

/** Input of {@link generateDeclarations}. */
export interface DeclarationsInput {
  tools: readonly DeclaredTool[];
  /** Host modules by specifier (`app:db`), each export described. Only list modules the policy allows. */
  modules?: Readonly<Record<string, Readonly<Record<string, DeclaredModuleExport>>>>;
}

const FILE_TYPE = { type: 'string', enum: ['file', 'directory'] };
/** Result schemas of the built-in tools (src/tools/builtins.ts): what their handlers return. */
export const BUILTIN_RESULTS: Readonly<Record<string, JsonSchema>> = Object.freeze({
  readFile: { type: 'string', description: 'The file content.' },
  writeFile: { type: 'object', properties: { path: { type: 'string' }, size: { type: 'integer', description: 'Size in UTF-8 bytes.' } }, required: ['path', 'size'], additionalProperties: false },
  listDir: {
    type: 'array',
    items: { type: 'object', properties: { name: { type: 'string' }, type: FILE_TYPE, size: { type: 'integer', description: 'Bytes of a file; 0 for a directory.' } }, required: ['name', 'type', 'size'], additionalProperties: false },
  },
  deleteFile: { type: 'object', properties: { deleted: { type: 'boolean', description: 'False when there was no such file.' } }, required: ['deleted'], additionalProperties: false },
  stat: {
    anyOf: [
      { type: 'object', properties: { path: { type: 'string' }, type: FILE_TYPE, size: { type: 'integer' }, mtime: { type: 'number', description: 'Epoch milliseconds.' } }, required: ['path', 'type', 'size', 'mtime'], additionalProperties: false },
      { type: 'null' },
    ],
  },
  fetch: {
    type: 'object',
    properties: {
      status: { type: 'integer' },
      statusText: { type: 'string' },
      url: { type: 'string', description: 'The final URL.' },
      headers: { type: 'object', additionalProperties: { type: 'string' }, description: 'CORS-exposed response headers, lower-case names.' },
      body: { type: 'string', description: 'The response body as text (parse JSON yourself).' },
    },
    required: ['status', 'statusText', 'url', 'headers', 'body'],
    additionalProperties: false,
  },
});

const IDENT = /^[A-Za-z_$][\w$]*$/;
const MAX_DEPTH = 12;

/** Doc comment text must not close the comment early. */
const safeDoc = (text: string): string => text.replace(/\*\//g, '*\\/').replace(/\r\n?/g, '\n');

function docComment(lines: string[], indent: string): string {
  const body = lines.flatMap((l) => safeDoc(l).split('\n')).filter((l, i, all) => l.trim() !== '' || (i > 0 && i < all.length - 1));
  if (body.length === 0) return '';
  if (body.length === 1) return `${indent}/** ${body[0]} */\n`;
  return `${indent}/**\n${body.map((l) => `${indent} * ${l}`.trimEnd()).join('\n')}\n${indent} */\n`;
}


/** Constraints a TypeScript type cannot express, as one line for the doc comment. */
function constraints(schema: Record<string, unknown>): string[] {
  const out: string[] = [];
  const add = (key: string, label: string) => {
    if (schema[key] !== undefined && typeof schema[key] !== 'object') out.push(`${label} ${String(schema[key])}`);
  };
  if (typeof schema.pattern === 'string') out.push(`pattern /${schema.pattern}/`);
  if (typeof schema.format === 'string') out.push(`format ${schema.format}`);
  add('minLength', 'min length');
  add('maxLength', 'max length');
  add('minimum', 'minimum');
  add('maximum', 'maximum');
  add('exclusiveMinimum', 'greater than');
  add('exclusiveMaximum', 'less than');
  add('multipleOf', 'multiple of');
  add('minItems', 'min items');
  add('maxItems', 'max items');
  if (schema.uniqueItems === true) out.push('unique items');
  if (schema.default !== undefined) out.push(`default ${JSON.stringify(schema.default)}`);
  return out.length === 0 ? [] : [out.join(', ')];
}

function literal(value: unknown): string {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value) ? JSON.stringify(value) : 'unknown';
}

/**
 * A JSON Schema as a TypeScript type. `indent` is the indentation of the line the type starts on.
 * Handles type (and type arrays), enum, const, anyOf/oneOf, allOf, items (list and tuple), properties,
 * required, additionalProperties and descriptions; anything else (`$ref`, `not`, `if`) is `unknown`.
 */
export function schemaToType(schema: unknown, indent = '', depth = 0): string {
  if (schema === true || schema === undefined) return 'unknown';
  if (schema === false) return 'never';
  if (!isPlainObject(schema) || depth > MAX_DEPTH) return 'unknown';
  if (schema.const !== undefined) return literal(schema.const);
  if (Array.isArray(schema.enum)) return schema.enum.length === 0 ? 'never' : schema.enum.map(literal).join(' | ');
  const union = (schema.anyOf ?? schema.oneOf) as unknown;
  if (Array.isArray(union)) return union.length === 0 ? 'never' : union.map((s) => wrap(schemaToType(s, indent, depth + 1))).join(' | ');
  if (Array.isArray(schema.allOf)) return schema.allOf.length === 0 ? 'unknown' : schema.allOf.map((s) => wrap(schemaToType(s, indent, depth + 1))).join(' & ');
  if (Array.isArray(schema.type)) {
    return schema.type.map((t) => wrap(schemaToType({ ...schema, type: t }, indent, depth + 1))).join(' | ');
  }
  switch (schema.type) {
    case 'string':
      return 'string';
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array':
      return arrayType(schema, indent, depth);
    case 'object':
      return objectType(schema, indent, depth);
    case undefined:
      if (isPlainObject(schema.properties)) return objectType(schema, indent, depth);
      if (schema.items !== undefined) return arrayType(schema, indent, depth);
      return 'unknown';
    default:
      return 'unknown';
  }
}

/** Parenthesises a union or function type inside another union, intersection or array. */
const wrap = (type: string): string => (/[|&]/.test(type) && !/^\{[\s\S]*\}$/.test(type) ? `(${type})` : type);

function arrayType(schema: Record<string, unknown>, indent: string, depth: number): string {
  if (Array.isArray(schema.items)) return `[${schema.items.map((s) => schemaToType(s, indent, depth + 1)).join(', ')}]`;
  return `${wrap(schemaToType(schema.items, indent, depth + 1))}[]`;
}

function objectType(schema: Record<string, unknown>, indent: string, depth: number): string {
  const properties = isPlainObject(schema.properties) ? schema.properties : {};
  const required = new Set(Array.isArray(schema.required) ? schema.required.filter((k): k is string => typeof k === 'string') : []);
  const inner = `${indent}  `;
  let body = '';
  for (const [key, sub] of Object.entries(properties)) {
    const doc = isPlainObject(sub) ? [...(typeof sub.description === 'string' ? [sub.description] : []), ...constraints(sub)] : [];
    body += docComment(doc, inner);
    body += `${inner}${IDENT.test(key) ? key : JSON.stringify(key)}${required.has(key) ? '' : '?'}: ${schemaToType(sub, inner, depth + 1)};\n`;
  }
  // JSON Schema allows extra keys unless `additionalProperties: false`. With declared properties the
  // prompt names only those (inviting extras helps nobody); an index signature next to them must be
  // `unknown`, or TypeScript rejects properties whose type differs from it.
  const extra = schema.additionalProperties;
  const hasProps = Object.keys(properties).length > 0;
  if (extra !== false && (!hasProps || (extra !== undefined && extra !== true))) {
    body += `${inner}[key: string]: ${hasProps || extra === undefined || extra === true ? 'unknown' : schemaToType(extra, inner, depth + 1)};\n`;
  }
  return body === '' ? 'Record<string, never>' : `{\n${body}${indent}}`;
}

function toolDoc(tool: DeclaredTool): string[] {
  const lines = [tool.description];
  if (tool.requiresApproval === true) lines.push('A person must approve each call: the call waits for them, and rejects with code APPROVAL_DENIED when they refuse.');
  if (tool.requiresApproval === 'depends-on-args') lines.push('Some calls (depending on the arguments) wait for a person to approve them and reject with code APPROVAL_DENIED when refused.');
  return lines;
}

function resultType(tool: { name: string; returns?: unknown }, builtin: boolean, indent: string): string {
  const schema = tool.returns ?? (builtin ? BUILTIN_RESULTS[tool.name] : undefined);
  return schema === undefined ? 'unknown' : schemaToType(schema, indent);
}

const MODULE_SPECIFIER = /^[a-z][a-z0-9-]*:[A-Za-z0-9_/.-]+$/;

/**
 * Generates the TypeScript declarations of the guest API: `declare const tools`, the matching
 * `quickcage:tools` module, and one `declare module` per host module. Tools come in the order given
 * (sort them for a stable prompt; `registry.describe()` does).
 *
 * @example
 * const text = generateDeclarations({ tools: registry.describe(agent) });
 * @throws {InvalidArgumentError} `INVALID_ARGUMENT` for a tool without a valid name or description, or a bad module specifier or export name.
 */
export function generateDeclarations(input: DeclarationsInput): string {
  if (!isPlainObject(input) || !Array.isArray(input.tools)) throw invalidArgument('input.tools', 'an array of tool descriptions', isPlainObject(input) ? input.tools : input);
  const builtinNames = new Set(Object.keys(BUILTIN_RESULTS));
  let out = '';
  input.tools.forEach((tool, i) => {
    if (!isPlainObject(tool) || !isToolName(tool.name)) throw invalidArgument(`input.tools[${i}].name`, 'a tool name', isPlainObject(tool) ? tool.name : tool);
    if (typeof tool.description !== 'string') throw invalidArgument(`input.tools[${i}].description`, 'a string', tool.description);
  });
  if (input.tools.length > 0) {
    out += docComment([
      'Host tools granted to this program, also importable: `import { name } from \'quickcage:tools\'`.',
      'Every call crosses to the host and returns a Promise. A refused call rejects with an Error whose `code` is',
      'TOOL_DENIED, INVALID_ARGUMENT (arguments do not match the type below), APPROVAL_DENIED or TOOL_FAILED.',
    ], '');
    out += 'declare const tools: {\n';
    for (const tool of input.tools) {
      out += docComment(toolDoc(tool), '  ');
      const builtin = builtinNames.has(tool.name) && (tool.kind === undefined || tool.kind === 'builtin');
      out += `  ${tool.name}(args: ${schemaToType(tool.params, '  ')}): Promise<${resultType(tool, builtin, '  ')}>;\n`;
    }
    out += '};\n';
    out += "declare module 'quickcage:tools' {\n";
    for (const tool of input.tools) out += `  export const ${tool.name}: typeof tools.${tool.name};\n`;
    out += '}\n';
    if (input.tools.some((t) => t.name === 'fetch' && (t.kind === undefined || t.kind === 'builtin'))) {
      out += docComment(['A small `fetch` over the fetch tool: same checks, the body already read as text.'], '');
      out += 'declare function fetch(url: string, init?: { method?: string; headers?: Record<string, string>; body?: string }): Promise<{\n'
        + '  ok: boolean; status: number; statusText: string; url: string;\n'
        + '  headers: { get(name: string): string | null };\n'
        + '  text(): Promise<string>; json(): Promise<unknown>;\n'
        + '}>;\n';
    }
  }
  for (const [specifier, exports] of Object.entries(input.modules ?? {})) {
    if (!MODULE_SPECIFIER.test(specifier)) throw invalidArgument(`input.modules.${specifier}`, "a module specifier like 'app:db'", specifier);
    out += `declare module '${specifier}' {\n`;
    for (const [name, ex] of Object.entries(exports)) {
      if (!IDENT.test(name)) throw invalidArgument(`input.modules['${specifier}'].${name}`, 'an export name (identifier)', name);
      out += docComment([...(typeof ex?.description === 'string' ? [ex.description] : []), 'Runs on the host: returns a Promise.'], '  ');
      const arg = ex?.params === undefined ? 'arg?: unknown' : `arg: ${schemaToType(ex.params, '  ')}`;
      out += `  export function ${name}(${arg}): Promise<${ex?.returns === undefined ? 'unknown' : schemaToType(ex.returns, '  ')}>;\n`;
    }
    out += '}\n';
  }
  return out;
}

import { describe, expect, test } from 'vitest';
import { defineTool, isToolName } from '../../src/tools/define.js';
import { Permission } from '../../src/tools/permissions.js';
import * as builtins from '../../src/tools/generated/builtin-validators.js';
import builtinSource from '../../src/tools/generated/builtin-validators.js?raw';
import { generateBuiltinValidators } from '../../src/tools/codegen/builtin-schemas.mjs';

const params = { type: 'object', properties: { id: { type: 'string', maxLength: 6 } }, required: ['id'], additionalProperties: false };
const valid = { name: 'lookupOrder', description: 'Looks up an order.', permission: Permission.DATABASE_READ, params, handler: () => 'ok' };

describe('defineTool', () => {
  test('returns a frozen tool with a compiled validator and a frozen copy of the schema', () => {
    const tool = defineTool(valid);
    expect(Object.isFrozen(tool)).toBe(true);
    expect(Object.isFrozen(tool.params)).toBe(true);
    expect(tool.params).not.toBe(params);
    expect(tool.validate({ id: '123456' })).toBe(true);
    expect(tool.validate({ id: '1234567' })).toBe(false);
    expect(tool.requiresApproval).toBe(false);
  });

  test('requires the permission to be declared: it is never inferred from the name', () => {
    const { permission: _, ...rest } = valid;
    for (const name of ['readFile', 'sendEmail', 'deleteEverything']) {
      expect(() => defineTool({ ...rest, name } as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'permission' }));
    }
    expect(() => defineTool({ ...valid, permission: 0 })).toThrow(expect.objectContaining({ field: 'permission', message: expect.stringContaining('never inferred from the tool name') }));
  });

  test.each([
    [{ name: '1abc' }, 'name'],
    [{ name: 'a-b' }, 'name'],
    [{ name: 'then' }, 'name'],
    [{ name: '__proto__' }, 'name'],
    [{ name: 'constructor' }, 'name'],
    [{ name: 'hasOwnProperty' }, 'name'],
    [{ name: 'delete' }, 'name'],
    [{ name: '__secret' }, 'name'],
    [{ name: 'a'.repeat(65) }, 'name'],
    [{ description: '' }, 'description'],
    [{ permission: 1 << 8 }, 'permission'],
    [{ permission: '1' }, 'permission'],
    [{ handler: 'fn' }, 'handler'],
    [{ requiresApproval: 'yes' }, 'requiresApproval'],
    [{ params: null }, 'params'],
    [{ params: { type: 'string' } }, 'params'],
    [{ params: { type: 'object', properties: { a: { type: 'strng' } } } }, 'params'],
    [{ params: { type: 'object', unknownKeyword: true } }, 'params'], // strict mode
    [{ params: { type: 'object', properties: { d: { type: 'string', format: 'date' } } } }, 'params'], // unknown format
    [{ params: { type: 'object', required: ['x'] } }, 'params'], // strictRequired
    [{ params: { $async: true, type: 'object' } }, 'params'],
    [{ params: { type: 'object', properties: { a: { $ref: 'https://example.com/schema.json' } } } }, 'params'],
    [{ extra: 1 }, 'extra'],
  ])('rejects %j naming `%s`', (patch, field) => {
    expect(() => defineTool({ ...valid, ...patch } as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field }));
  });

  test.each([['readFile'], ['_private'], ['send_email2'], ['A']])('accepts the name %j', (name) => {
    expect(isToolName(name)).toBe(true);
  });

  test('schemas with the same $id in different tools do not collide', () => {
    const withId = { ...params, $id: 'https://example.com/same' };
    defineTool({ ...valid, params: withId });
    expect(() => defineTool({ ...valid, name: 'other', params: withId })).not.toThrow();
  });

  test('a precompiled `validate` is used as is (no compilation, for strict-CSP pages)', () => {
    const validate = Object.assign((data: unknown) => data === 'only-this', { errors: null });
    const tool = defineTool({ ...valid, params: { type: 'object', properties: { q: { type: 'strng' } } }, validate });
    expect(tool.validate).toBe(validate);
  });
});

describe('built-in validators', () => {
  test('are the current ajv standalone output of builtin-schemas.mjs (regenerate: node src/tools/codegen/write.mjs)', () => {
    expect(builtinSource).toBe(generateBuiltinValidators());
  });

  test('contain no `new Function`, `eval` or `require`: they run under a strict CSP', () => {
    expect(builtinSource).not.toMatch(/new Function|\beval\(|\brequire\(/);
  });

  test.each([
    ['readFile', { path: '/a' }, true],
    ['readFile', { path: '' }, false],
    ['readFile', { path: '/a', extra: 1 }, false],
    ['writeFile', { path: '/a', content: '' }, true],
    ['writeFile', { path: '/a' }, false],
    ['fetch', { url: 'https://x/', method: 'GET', headers: { accept: 'text/plain' } }, true],
    ['fetch', { url: 'https://x/', method: 'TRACE' }, false],
    ['fetch', { url: 'https://x/', headers: { 'bad header': 'x' } }, false],
    ['fetch', { url: 'https://x/', headers: { a: 1 } }, false],
  ] as const)('%s accepts %j: %s', (name, data, expected) => {
    expect(builtins[name](data)).toBe(expected);
  });
});

/** Severity mapping, event classes, caps on guest-originated fields, canonical JSON and JSONL lines. */
import { describe, expect, test } from 'vitest';
import {
  ADMIN_TYPES, CAPS, DEFAULT_SEVERITY, EVENT_TYPES, ROUTINE_TYPES, SEVERITIES, VIOLATION_TYPES, canonicalJson, isSecurityEvent, isViolation, retentionRank, toJsonLine,
  type AuditEvent,
} from '../../src/audit/index.js';
import { capString, sanitizeDetails } from '../../src/audit/model.js';
import { ANY_LINE_BREAK } from './helpers.js';

describe('severity mapping', () => {
  test('every event type has a default severity', () => {
    for (const type of EVENT_TYPES) expect(SEVERITIES).toContain(DEFAULT_SEVERITY[type]);
    expect(Object.keys(DEFAULT_SEVERITY).sort()).toEqual([...EVENT_TYPES].sort());
  });

  test.each([
    ['execution', 'low'], ['tool_call', 'low'], ['compilation_error', 'low'], ['worker_recycled', 'low'], ['approval', 'low'],
    ['validation_failure', 'medium'], ['rate_limit_exceeded', 'medium'], ['timeout_exceeded', 'medium'],
    ['resource_limit_exceeded', 'medium'], ['tool_created', 'medium'], ['events_dropped', 'medium'],
    ['sandbox_violation', 'high'], ['suspicious_pattern', 'high'], ['tool_disabled', 'high'], ['user_disabled', 'high'], ['audit_degraded', 'high'],
  ] as const)('%s defaults to %s (the table in docs/audit.md)', (type, severity) => {
    expect(DEFAULT_SEVERITY[type]).toBe(severity);
  });

  test('routine, violation and admin classes are disjoint', () => {
    for (const type of ROUTINE_TYPES) {
      expect(VIOLATION_TYPES.has(type)).toBe(false);
      expect(ADMIN_TYPES.has(type)).toBe(false);
    }
    for (const type of VIOLATION_TYPES) expect(ADMIN_TYPES.has(type)).toBe(false);
  });
});

describe('retention rank', () => {
  test.each([
    ['execution', 'low', 0], ['execution', 'medium', 1], ['execution', 'high', 6], ['tool_call', 'critical', 7],
    ['validation_failure', 'low', 4], ['validation_failure', 'medium', 5], ['sandbox_violation', 'high', 6], ['sandbox_violation', 'critical', 7],
  ] as const)('%s/%s has rank %i: any security event outranks every routine one', (type, severity, rank) => {
    expect(retentionRank(type, severity)).toBe(rank);
    expect(isSecurityEvent(type, severity)).toBe(rank >= 4);
  });

  test.each([
    ['sandbox_violation', 'high', true], ['rate_limit_exceeded', 'low', true],
    ['execution', 'high', true], ['execution', 'medium', false],
    ['user_disabled', 'critical', false], ['events_dropped', 'high', false],
  ] as const)('isViolation(%s, %s) is %s', (type, severity, expected) => {
    expect(isViolation({ type, severity })).toBe(expected);
  });
});

describe('sanitizeDetails caps guest-originated data', () => {
  test('keeps small plain data unchanged', () => {
    const details = { rule: 'no-eval', line: 3, ok: false, list: [1, 'a', null], nested: { a: { b: 1 } } };
    expect(sanitizeDetails(details)).toEqual(details);
  });

  test.each([
    ['a string one over the cap is cut and says by how much', { s: 'x'.repeat(CAPS.string + 1) }, { s: `${'x'.repeat(CAPS.string)}…[+1 chars]` }],
    ['a string exactly at the cap is kept', { s: 'x'.repeat(CAPS.string) }, { s: 'x'.repeat(CAPS.string) }],
    ['too many keys are cut with a count', Object.fromEntries(Array.from({ length: CAPS.entries + 2 }, (_, i) => [`k${i}`, i])), undefined],
    ['non-finite numbers become strings', { a: Number.NaN, b: Number.POSITIVE_INFINITY }, { a: 'NaN', b: 'Infinity' }],
    ['bigint, function, symbol, undefined become descriptions', { a: 10n, b: () => 1, c: Symbol('s'), d: undefined }, { a: '10n', b: '[function]', c: '[symbol]', d: null }],
    ['an Error keeps name and message only', { e: new TypeError('bad') }, { e: { name: 'TypeError', message: 'bad' } }],
  ])('%s', (_name, input, expected) => {
    const out = sanitizeDetails(input)!;
    if (expected) expect(out).toEqual(expected);
    else {
      expect(Object.keys(out)).toHaveLength(CAPS.entries + 1);
      expect(out['…']).toBe('+2 keys');
    }
  });

  test('cycles, throwing getters and deep nesting do not throw', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const getter = Object.defineProperty({}, 'boom', { enumerable: true, get() { throw new Error('no'); } });
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 20; i++) deep = { deep };
    expect(sanitizeDetails(cyclic)).toEqual({ a: 1, self: '[circular]' });
    expect(sanitizeDetails(getter)).toEqual({ boom: '[unreadable]' });
    expect(JSON.stringify(sanitizeDetails(deep))).toContain('[too deep]');
  });

  test('a key named __proto__ stays data and does not change the prototype', () => {
    const out = sanitizeDetails(JSON.parse('{"__proto__": {"polluted": true}}'))!;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('details whose JSON exceeds the total cap are replaced by a capped preview', () => {
    const big = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, 'y'.repeat(1000)]));
    const out = sanitizeDetails(big)!;
    expect(out.truncated).toBe(true);
    expect(JSON.stringify(out).length).toBeLessThan(CAPS.detailsJson);
  });

  test('a non-object becomes { value }', () => {
    expect(sanitizeDetails('text' as unknown)).toEqual({ value: 'text' });
  });

  test('capString never splits a surrogate pair', () => {
    expect(capString(`${'a'.repeat(3)}😀b`, 4)).toBe('aaa…[+3 chars]');
  });
});

describe('canonical JSON and JSONL lines', () => {
  test('sorts keys recursively and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[1,{"y":2,"z":1}]},"b":1}');
  });

  const event = (details: AuditEvent['details'], user?: string): AuditEvent => ({
    seq: 1, id: 'id-1', time: 1, type: 'tool_call', severity: 'low', count: 1, rank: 0, prevHash: '0'.repeat(64), hash: 'f'.repeat(64),
    ...(user === undefined ? {} : { user }), ...(details ? { details } : {}),
  });

  test.each([
    ['a newline followed by a fake entry', '\n{"seq":2,"type":"execution"}'],
    ['a carriage return', 'a\rb'],
    ['U+2028 LINE SEPARATOR', 'a\u2028{"type":"execution"}'],
    ['U+2029 PARAGRAPH SEPARATOR', 'a\u2029b'],
    ['U+0085 NEXT LINE (Python splitlines breaks on it)', 'a\u0085b'],
    ['U+001E RECORD SEPARATOR', 'a\u001eb'],
    ['an escaped quote closing the string early', 'x","type":"execution'],
  ])('a guest string with %s stays inside one line', (_name, text) => {
    const line = toJsonLine(event({ note: text }, text));
    // Every line splitter, including Python's str.splitlines(), sees exactly one line.
    expect(line.split(ANY_LINE_BREAK)).toHaveLength(1);
    const parsed = JSON.parse(line) as AuditEvent;
    expect(parsed.details?.note).toBe(text);
    expect(parsed.user).toBe(text);
    expect(parsed.type).toBe('tool_call');
    expect(parsed.seq).toBe(1);
  });
});

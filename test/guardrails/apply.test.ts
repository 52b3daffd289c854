/**
 * Strategies and `applyGuardrails()`: what each strategy puts in place of each detector's match, how
 * JSON values are walked, the `block` error, and the audit events, which never hold a matched value.
 */
import { describe, expect, test } from 'vitest';
import type { SecurityEventInput } from '../../src/audit/types.js';
import { isSandboxError } from '../../src/errors.js';
import { DETECTORS, definePolicy, type DetectorId, type GuardrailStrategy } from '../../src/policy.js';
import {
  GuardrailError,
  applyGuardrails,
  detect,
  hashReplacement,
  maskReplacement,
  replaceSpans,
  type GuardrailsInput,
} from '../../src/guardrails/index.js';

const GH = `ghp_${'aB3dE5'.repeat(6)}`;
const PEM = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg\n-----END EC PRIVATE KEY-----';
/** One sample per detector, with what `mask` must make of it. */
const SAMPLES: ReadonlyArray<readonly [DetectorId, string, string]> = [
  ['email', 'john.doe@example.com', 'j***@example.com'],
  ['phone', '+1 (415) 555-2671', '+* (***) ***-2671'],
  ['card', '4111 1111 1111 1111', '**** **** **** 1111'],
  ['iban', 'DE89 3704 0044 0532 0130 00', 'DE** **** **** **** **30 00'],
  ['ssn', '123-45-6789', '***-**-6789'],
  ['ip', '203.0.113.42', '203.0.*.*'],
  ['ip', '2001:db8::1', '2001:db8:*'],
  ['secret', GH, 'ghp_***'],
  ['secret', PEM, '-----BEGIN EC PRIVATE KEY-----***'],
];

const all = (strategy: GuardrailStrategy, salt = 'pepper'): GuardrailsInput => ({
  detectors: Object.fromEntries(DETECTORS.map((d) => [d, strategy])),
  hashSalt: salt,
});

function recorder(): { sink: { record(e: SecurityEventInput): void }; events: SecurityEventInput[] } {
  const events: SecurityEventInput[] = [];
  return { sink: { record: (e) => events.push(e) }, events };
}

const ctx = { context: { where: 'result' as const } };

describe('strategies on each detector', () => {
  test.each(SAMPLES)('redact %s %j', (type, value) => {
    expect(applyGuardrails(`before ${value} after`, all('redact'), ctx).value).toBe(`before [REDACTED:${type.toUpperCase()}] after`);
  });

  test.each(SAMPLES)('mask %s %j', (_type, value, masked) => {
    expect(applyGuardrails(`before ${value} after`, all('mask'), ctx).value).toBe(`before ${masked} after`);
  });

  test.each(SAMPLES)('hash %s %j as [TYPE:8 hex]', (type, value) => {
    const out = applyGuardrails(`before ${value} after`, all('hash'), ctx).value;
    expect(out).toMatch(new RegExp(`^before \\[${type.toUpperCase()}:[0-9a-f]{8}\\] after$`));
  });

  test('mask of a JWT keeps only `eyJ`', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';
    expect(applyGuardrails(jwt, all('mask'), ctx).value).toBe('eyJ***');
  });
});

describe('hash', () => {
  test('is stable for one salt, differs across salts, and ignores formatting', () => {
    const h = (value: string, salt: string) => hashReplacement('card', value, salt);
    expect(h('4111 1111 1111 1111', 'a')).toBe(h('4111 1111 1111 1111', 'a'));
    expect(h('4111 1111 1111 1111', 'a')).toBe(h('4111-1111-1111-1111', 'a'));
    expect(h('4111 1111 1111 1111', 'a')).not.toBe(h('4111 1111 1111 1111', 'b'));
    expect(hashReplacement('email', 'John@Example.com', 'a')).toBe(hashReplacement('email', 'john@example.com', 'a'));
  });

  test('is the first 8 hex digits of HMAC-SHA-256(salt, "type:normalized") as WebCrypto computes it', async () => {
    const enc = new TextEncoder();
    const key = await crypto.subtle.importKey('raw', enc.encode('pepper'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, enc.encode('card:4111111111111111')));
    const hex = [...mac].map((b) => b.toString(16).padStart(2, '0')).join('');
    expect(hashReplacement('card', '4111 1111 1111 1111', 'pepper')).toBe(`[CARD:${hex.slice(0, 8)}]`);
  });
});

describe('replaceSpans and maskReplacement compose with detect', () => {
  test('only the types given a strategy are replaced', () => {
    const text = 'mail a@b.co from 10.0.0.1';
    expect(replaceSpans(text, detect(text), { ip: 'redact' })).toBe('mail a@b.co from [REDACTED:IP]');
  });

  test('overlapping or out-of-range spans fail with INVALID_ARGUMENT', () => {
    const [s] = detect('a@b.co');
    if (s === undefined) throw new Error('no span');
    expect(() => replaceSpans('a@b.co', [s, s], { email: 'redact' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'spans[1]' }));
    expect(() => replaceSpans('a@b', [s], { email: 'redact' })).toThrow(expect.objectContaining({ field: 'spans[0]' }));
  });

  test('maskReplacement of an email never shows the local part beyond its first character', () => {
    expect(maskReplacement({ type: 'email', value: 'jo@example.com', kind: 'email' })).toBe('j***@example.com');
  });
});

describe('applyGuardrails walks JSON values', () => {
  test('strings in nested objects and arrays, keys included; the input is not modified', () => {
    const input = { user: { email: 'a@example.com', tags: ['x', 'call 415-555-2671'] }, n: 1, ok: true, none: null };
    const copy = structuredClone(input);
    const { value } = applyGuardrails(input, all('redact'), ctx);
    expect(value).toEqual({ user: { email: '[REDACTED:EMAIL]', tags: ['x', 'call [REDACTED:PHONE]'] }, n: 1, ok: true, none: null });
    expect(input).toEqual(copy);
  });

  test('unchanged branches are returned as the same objects', () => {
    const clean = { a: [1, 2], b: { c: 'nothing here' } };
    const input = { clean, dirty: 'a@example.com' };
    const { value } = applyGuardrails(input, all('redact'), ctx) as { value: typeof input };
    expect(value).not.toBe(input);
    expect(value.clean).toBe(clean);
    expect(applyGuardrails(clean, all('redact'), ctx).value).toBe(clean);
  });

  test('keys are scanned; keys that collide after replacement get #2, #3', () => {
    const { value } = applyGuardrails({ 'a@example.com': 1, 'b@example.com': 2, 'c@example.com': 3 }, all('redact'), ctx);
    expect(value).toEqual({ '[REDACTED:EMAIL]': 1, '[REDACTED:EMAIL]#2': 2, '[REDACTED:EMAIL]#3': 3 });
  });

  test('a `__proto__` key stays an own data key', () => {
    const input = JSON.parse('{"__proto__": "a@example.com"}') as Record<string, unknown>;
    const { value } = applyGuardrails(input, all('redact'), ctx) as { value: Record<string, unknown> };
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toBe('[REDACTED:EMAIL]');
  });

  test('a number that is a card number becomes its replacement string', () => {
    expect(applyGuardrails({ pan: 4111111111111111, qty: 3 }, all('mask'), ctx).value).toEqual({ pan: '************1111', qty: 3 });
  });

  test('hits summarize each detector without values', () => {
    const { hits } = applyGuardrails(['a@example.com', 'b@example.com', '10.0.0.1 and 1.1.1.1'], all('mask'), ctx);
    expect(hits).toEqual([
      { type: 'email', strategy: 'mask', count: 2, maxConfidence: 0.9, kinds: ['email'] },
      { type: 'ip', strategy: 'mask', count: 2, maxConfidence: 0.85, kinds: ['ipv4'] },
    ]);
  });

  test('`off` detectors and places turned off in applyTo are left alone, with no events', () => {
    const { sink, events } = recorder();
    const g: GuardrailsInput = { detectors: { email: 'off', ip: 'redact' }, applyTo: { logs: false }, hashSalt: '' };
    expect(applyGuardrails('a@example.com 10.0.0.1', g, { sink, context: { where: 'result' } }).value).toBe('a@example.com [REDACTED:IP]');
    expect(applyGuardrails('a@example.com 10.0.0.1', g, { sink, context: { where: 'logs' } })).toEqual({ value: 'a@example.com 10.0.0.1', hits: [] });
    expect(events).toHaveLength(1);
  });

  test('takes policy.guardrails from definePolicy as is', () => {
    const policy = definePolicy({
      guardrails: {
        detectors: { email: 'mask', secret: 'block', phone: 'off', card: 'off', iban: 'off', ssn: 'off', ip: 'off' },
        applyTo: { results: true, logs: true, toolArgs: true, toolResults: true },
        hashSalt: 's',
      },
    });
    expect(applyGuardrails('to a@example.com', policy.guardrails, { context: { where: 'toolArgs', tool: 'send' } }).value).toBe('to a***@example.com');
  });
});

describe('block', () => {
  test('throws GuardrailError GUARDRAIL_BLOCKED naming detectors, place and counts, never the value', () => {
    const g: GuardrailsInput = { detectors: { secret: 'block', email: 'redact' }, hashSalt: 's' };
    let error: unknown;
    try {
      applyGuardrails({ out: `token ${GH}`, to: 'a@example.com' }, g, { context: { where: 'toolResult', tool: 'fetch', runId: 'r1' } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GuardrailError);
    expect(isSandboxError(error)).toBe(true);
    const err = error as GuardrailError;
    expect(err.code).toBe('GUARDRAIL_BLOCKED');
    expect(err.name).toBe('GuardrailError');
    expect(err.detectors).toEqual(['secret']);
    expect(err.where).toBe('toolResult');
    expect(err.runId).toBe('r1');
    expect(err.details).toEqual({ detectors: ['secret'], where: 'toolResult', counts: { secret: 1 } });
    expect(err.message).toBe('Guardrail blocked the result of tool `fetch`: found secret (1) (GUARDRAIL_BLOCKED)');
    expect(JSON.stringify({ ...err, message: err.message, stack: err.stack })).not.toContain(GH);
  });

  test('records the events (blocked and others) before throwing', () => {
    const { sink, events } = recorder();
    const g: GuardrailsInput = { detectors: { ssn: 'block', email: 'hash' }, hashSalt: 's' };
    expect(() => applyGuardrails('123-45-6789 a@example.com', g, { sink, context: { where: 'logs', runId: 'r2', user: 'u1' } })).toThrow(GuardrailError);
    expect(events.map((e) => [e.type, e.severity, e.details?.detector, e.details?.action, e.runId, e.user])).toEqual([
      ['suspicious_pattern', 'low', 'email', 'hashed', 'r2', 'u1'],
      ['suspicious_pattern', 'high', 'ssn', 'blocked', 'r2', 'u1'],
    ]);
  });

  test('nothing found: no throw, value unchanged', () => {
    expect(applyGuardrails('all clear', all('block'), ctx)).toEqual({ value: 'all clear', hits: [] });
  });
});

describe('audit events never hold a matched value', () => {
  const values = SAMPLES.map(([, v]) => v);
  const text = values.join(' | ');

  test.each(['redact', 'mask', 'hash', 'block'] as const)('strategy %s', (strategy) => {
    const { sink, events } = recorder();
    try {
      applyGuardrails({ [values[0] as string]: text }, all(strategy), { sink, context: { where: 'toolArgs', tool: 't', user: 'u', runId: 'r' } });
    } catch (e) {
      expect((e as Error).message).not.toMatch(/john|4111|6789|ghp_|PRIVATE/);
    }
    expect(events.map((e) => e.details?.detector)).toEqual(['email', 'phone', 'card', 'iban', 'ssn', 'ip', 'secret']);
    const dump = JSON.stringify(events);
    for (const v of values) {
      expect(dump).not.toContain(v);
      expect(dump).not.toContain(v.replace(/\D/g, '').slice(-4).padStart(5, '*')); // no masked tails either
    }
    for (const e of events) {
      expect(e.type).toBe('suspicious_pattern');
      expect(Object.keys(e.details ?? {}).sort()).toEqual(['action', 'count', 'detector', 'kinds', 'maxConfidence', 'source', 'strategy', 'where']);
    }
  });
});

describe('input checks', () => {
  test.each([
    [null, 'guardrails'],
    [{ detectors: {}, hashSalt: 's', extra: 1 }, 'guardrails.extra'],
    [{ detectors: [], hashSalt: 's' }, 'guardrails.detectors'],
    [{ detectors: { name: 'redact' }, hashSalt: 's' }, 'guardrails.detectors.name'],
    [{ detectors: { email: 'erase' }, hashSalt: 's' }, 'guardrails.detectors.email'],
    [{ detectors: {}, applyTo: { result: true }, hashSalt: 's' }, 'guardrails.applyTo.result'],
    [{ detectors: {}, applyTo: { logs: 'yes' }, hashSalt: 's' }, 'guardrails.applyTo.logs'],
    [{ detectors: {} }, 'guardrails.hashSalt'],
  ])('guardrails %j fails with INVALID_ARGUMENT naming %s', (g, field) => {
    expect(() => applyGuardrails('x', g as never, ctx)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field }));
  });

  test.each([
    [undefined, 'options'],
    [{}, 'options.context'],
    [{ context: { where: 'results' } }, 'options.context.where'],
    [{ context: { where: 'result', runId: 7 } }, 'options.context.runId'],
    [{ context: { where: 'result' }, sink: {} }, 'options.sink'],
  ])('options %j fails with INVALID_ARGUMENT naming %s', (options, field) => {
    expect(() => applyGuardrails('x', all('redact'), options as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field }));
  });

  test.each([
    ['a function', { f: () => 1 }, 'value.f'],
    ['a bigint (its digits stay out of the message)', { pan: 4111111111111111n }, 'value.pan'],
    ['a Map', [new Map([['a@example.com', 1]])], 'value[0]'],
    ['a Date', { at: new Date(0) }, 'value.at'],
  ])('a value with %s fails with INVALID_ARGUMENT at its path', (_title, input, field) => {
    expect(() => applyGuardrails(input, all('redact'), ctx)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field }));
    expect(() => applyGuardrails(input, all('redact'), ctx)).toThrow(expect.not.stringMatching(/4111|a@example/));
  });

  test('a key that is itself a detected value is replaced in the error path', () => {
    expect(() => applyGuardrails({ 'a@example.com': () => 1 }, all('redact'), ctx)).toThrow(expect.objectContaining({ field: 'value.[REDACTED:EMAIL]' }));
  });

  test('cycles fail with INVALID_ARGUMENT; shared (acyclic) references are fine', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => applyGuardrails(cyclic, all('redact'), ctx)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'value.self' }));
    const shared = { email: 'a@example.com' };
    expect(applyGuardrails([shared, shared], all('redact'), ctx).value).toEqual([{ email: '[REDACTED:EMAIL]' }, { email: '[REDACTED:EMAIL]' }]);
  });
});

/**
 * definePolicy, PRESETS, isPolicy: safe defaults, merging, unknown keys and bad values rejected
 * with INVALID_POLICY naming the key path and the value, deep freezing, JSON round trips.
 */
import { describe, expect, test } from 'vitest';
import { InvalidPolicyError, isSandboxError } from '../../src/errors.js';
import { definePolicy, isPolicy, PRESETS, type Policy, type PolicyInput, type PresetName } from '../../src/policy.js';
import { DISABLEABLE_RULE_IDS } from '../../worker/validate.js';

/** Runs `f`, expects an InvalidPolicyError, returns it. */
function policyError(f: () => unknown): InvalidPolicyError {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidPolicyError);
    expect(isSandboxError(error)).toBe(true);
    expect((error as InvalidPolicyError).code).toBe('INVALID_POLICY');
    return error as InvalidPolicyError;
  }
  throw new Error('expected INVALID_POLICY, nothing was thrown');
}

function isDeepFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  return Object.isFrozen(value) && Object.values(value).every(isDeepFrozen);
}

describe('defaults and presets', () => {
  test('definePolicy() is the webApi preset: no files, no network, no extra imports, validation on', () => {
    const policy = definePolicy();
    expect(policy).toEqual(PRESETS.webApi);
    expect(policy.preset).toBe('webApi');
    expect(policy.allowDangerousOperations).toBe(false);
    expect(policy.allowedOperations).toEqual({ fileOperations: false, networkOperations: false, imports: [] });
    expect(policy.validation).toEqual({ allowDynamicSensitiveAccess: false, disabledRules: [] });
    expect(policy.limits.maxNestingDepth).toBe(200);
  });

  test.each([
    ['webApi', false, false, false, [], []],
    ['trustedEnvironment', false, true, false, ['quickcage:path'], ['/workspace']],
    ['development', true, true, true, ['quickcage:path'], ['/']],
  ] as const)('%s: dangerous %s, files %s, network %s, imports %j, paths %j', (name, dangerous, files, network, imports, paths) => {
    const p = PRESETS[name];
    expect(p.preset).toBe(name);
    expect(p.allowDangerousOperations).toBe(dangerous);
    expect(p.allowedOperations).toEqual({ fileOperations: files, networkOperations: network, imports });
    expect(p.files.allowedPaths).toEqual(paths);
    expect(p.network.allowedDomains).toEqual([]);
  });

  test('presets are deeply frozen and cannot be loosened', () => {
    expect(isDeepFrozen(PRESETS)).toBe(true);
    expect(() => {
      (PRESETS.webApi.allowedOperations as { networkOperations: boolean }).networkOperations = true;
    }).toThrow(TypeError);
    expect(() => (PRESETS.webApi.allowedOperations.imports as string[]).push('fs')).toThrow(TypeError);
    expect(PRESETS.webApi.allowedOperations.networkOperations).toBe(false);
  });

  test('policies are deeply frozen', () => {
    expect(isDeepFrozen(definePolicy({ allowedOperations: { imports: ['app:db'] } }))).toBe(true);
  });
});

describe('merging', () => {
  test('objects merge field by field', () => {
    const policy = definePolicy({ limits: { timeoutMs: 2000 } });
    expect(policy.limits).toEqual({ ...PRESETS.webApi.limits, timeoutMs: 2000 });
  });

  test('arrays replace', () => {
    const policy = definePolicy({ allowedOperations: { imports: ['app:db'] } }, 'trustedEnvironment');
    expect(policy.allowedOperations.imports).toEqual(['app:db']);
    expect(policy.allowedOperations.fileOperations).toBe(true);
  });

  test('the preset comes from the argument, or from input.preset, or is webApi', () => {
    expect(definePolicy({}, 'development').preset).toBe('development');
    expect(definePolicy({ preset: 'trustedEnvironment' }).limits.timeoutMs).toBe(PRESETS.trustedEnvironment.limits.timeoutMs);
    expect(definePolicy({ preset: 'development' }, 'development').allowDangerousOperations).toBe(true);
  });

  test('a preset argument that contradicts input.preset is rejected', () => {
    const error = policyError(() => definePolicy({ preset: 'development' }, 'webApi'));
    expect(error.field).toBe('preset');
    expect(error.message).toMatch(/got `"development"`/);
  });

  test('undefined fields keep the preset value', () => {
    expect(definePolicy({ limits: { timeoutMs: undefined } }).limits.timeoutMs).toBe(5000);
  });

  test('every rule a policy may disable is accepted', () => {
    expect(definePolicy({ validation: { disabledRules: [...DISABLEABLE_RULE_IDS] } }).validation.disabledRules).toEqual(DISABLEABLE_RULE_IDS);
  });

  test('the input type is a deep partial: nested objects need only the fields they change', () => {
    const input: PolicyInput = { network: { allowedDomains: ['api.example.com'] }, quotas: { executions: { limit: 5 } } };
    const policy = definePolicy(input);
    expect(policy.network.timeoutMs).toBe(10_000);
    expect(policy.quotas.executions).toEqual({ limit: 5, windowMs: 24 * 60 * 60 * 1000 });
  });
});

describe('unknown keys are rejected with INVALID_POLICY naming the key path', () => {
  test.each([
    ['a top-level key', { allowEval: true }, 'allowEval'],
    ['a nested key', { limits: { timeout: 1000 } }, 'limits.timeout'],
    ['a deeply nested key', { quotas: { executions: { max: 1 } } }, 'quotas.executions.max'],
    ['a detector that does not exist', { guardrails: { detectors: { passport: 'block' } } }, 'guardrails.detectors.passport'],
    ['`__proto__` from JSON', JSON.parse('{"__proto__": {"allowDangerousOperations": true}}') as object, '__proto__'],
    ['`constructor`', { constructor: 1 }, 'constructor'],
  ])('%s', (_name, input, field) => {
    const error = policyError(() => definePolicy(input as PolicyInput));
    expect(error.field).toBe(field);
    expect(error.message).toContain(`Unknown policy key \`${field}\` (INVALID_POLICY)`);
  });

  test('suggests the nearest known key', () => {
    expect(policyError(() => definePolicy({ limits: { timeoutMS: 1 } } as PolicyInput)).message).toContain('did you mean `limits.timeoutMs`?');
    expect(policyError(() => definePolicy({ allowedOperation: {} } as PolicyInput)).message).toContain('did you mean `allowedOperations`?');
  });
});

describe('bad values are rejected with INVALID_POLICY naming the path and the value', () => {
  test.each([
    ['a negative timeout', { limits: { timeoutMs: -1 } }, 'Expected `limits.timeoutMs` to be an integer from 1 to 600000, got `-1` (INVALID_POLICY)'],
    ['a string for a boolean', { allowDangerousOperations: 'yes' }, 'Expected `allowDangerousOperations` to be a boolean, got `"yes"` (INVALID_POLICY)'],
    ['nesting past what QuickJS survives', { limits: { maxNestingDepth: 300 } }, 'Expected `limits.maxNestingDepth` to be an integer from 8 to 250, got `300` (INVALID_POLICY)'],
    ['a rule that protects the worker', { validation: { disabledRules: ['nesting-too-deep'] } }, 'Expected `validation.disabledRules[0]` to be one of'],
    ['an unknown rule', { validation: { disabledRules: ['no-eval', 'no-evil'] } }, 'got `"no-evil"`'],
    ['a traversal in an allowed path', { files: { allowedPaths: ['/data/../etc'] } }, 'Expected `files.allowedPaths[0]` to be a canonical absolute path'],
    ['a relative allowed path', { files: { allowedPaths: ['data'] } }, 'got `"data"`'],
    ['a URL instead of a host', { network: { allowedDomains: ['https://api.example.com'] } }, 'Expected `network.allowedDomains[0]` to be a host or host:port'],
    ['a wildcard host', { network: { allowedDomains: ['*.example.com'] } }, 'got `"*.example.com"`'],
    ['an import with a space', { allowedOperations: { imports: ['app db'] } }, 'Expected `allowedOperations.imports[0]` to be a module specifier'],
    ['an empty import', { allowedOperations: { imports: [''] } }, 'Expected `allowedOperations.imports[0]`'],
    ['a duplicate import', { allowedOperations: { imports: ['app:db', 'app:db'] } }, 'Expected `allowedOperations.imports[1]` to be listed once, got `"app:db"`'],
    ['a string for an array', { allowedOperations: { imports: 'app:db' } }, 'Expected `allowedOperations.imports` to be an array of at most 1000 items, got `"app:db"`'],
    ['an unknown strategy', { guardrails: { detectors: { email: 'delete' } } }, 'Expected `guardrails.detectors.email` to be one of'],
    ['an unknown storage', { files: { storage: 'localStorage' } }, "Expected `files.storage` to be one of 'memory', 'indexeddb', got `\"localStorage\"`"],
    ['an array for a section', { limits: [] }, 'Expected `limits` to be a plain object, got `array(0)`'],
    ['an unknown preset', { preset: 'paranoid' }, "Expected `preset` to be one of 'webApi', 'trustedEnvironment', 'development', got `\"paranoid\"`"],
  ])('%s', (_name, input, message) => {
    expect(policyError(() => definePolicy(input as unknown as PolicyInput)).message).toContain(message);
  });

  test.each([
    ['null', null],
    ['an array', []],
    ['a class instance', new (class Options {})()],
    ['a string', 'webApi'],
  ])('rejects %s as the whole input', (_name, input) => {
    expect(policyError(() => definePolicy(input as unknown as PolicyInput)).field).toBe('policy');
  });
});

describe('JSON and isPolicy', () => {
  const samples: [string, Policy][] = [
    ...(Object.keys(PRESETS) as PresetName[]).map((name): [string, Policy] => [name, PRESETS[name]]),
    ['a custom policy', definePolicy({ allowedOperations: { imports: ['app:db'] }, network: { allowedDomains: ['api.example.com:8443'] }, guardrails: { detectors: { email: 'mask' } } }, 'trustedEnvironment')],
  ];

  test.each(samples)('%s survives a JSON round trip', (_name, policy) => {
    const copy = JSON.parse(JSON.stringify(policy)) as Policy;
    expect(isPolicy(copy)).toBe(false); // plain data again
    const again = definePolicy(copy);
    expect(again).toEqual(policy);
    expect(isPolicy(again)).toBe(true);
  });

  test('isPolicy is true for policies and presets, false for look-alikes', () => {
    expect(isPolicy(definePolicy())).toBe(true);
    expect(isPolicy(PRESETS.development)).toBe(true);
    expect(isPolicy(Object.freeze({ preset: 'webApi', limits: Object.freeze({ timeoutMs: 1 }) }))).toBe(false);
    expect(isPolicy(Object.freeze(structuredClone(PRESETS.webApi)))).toBe(false);
    expect(isPolicy(null)).toBe(false);
  });
});

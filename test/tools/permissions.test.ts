import { describe, expect, test } from 'vitest';
import { makePolicy } from './helpers.js';
import {
  Permission,
  definePermissionPolicy,
  isPermissionPolicy,
  permissionNames,
  permissionPolicyFromPolicy,
} from '../../src/tools/permissions.js';

describe('Permission flags', () => {
  test('single flags are distinct bits', () => {
    const singles = [Permission.READ_FILE, Permission.WRITE_FILE, Permission.EXECUTE_CODE, Permission.NETWORK_ACCESS, Permission.DATABASE_READ, Permission.DATABASE_WRITE, Permission.SEND_EMAIL];
    expect(new Set(singles).size).toBe(7);
    for (const flag of singles) expect(flag & (flag - 1)).toBe(0);
  });

  test('READONLY reads files and the database, and nothing else', () => {
    expect(permissionNames(Permission.READONLY)).toEqual(['READ_FILE', 'DATABASE_READ']);
  });

  test('STANDARD adds writing files and network access, not code, database writes or email', () => {
    expect(permissionNames(Permission.STANDARD)).toEqual(['READ_FILE', 'WRITE_FILE', 'NETWORK_ACCESS', 'DATABASE_READ']);
  });

  test('FULL is every flag', () => {
    expect(permissionNames(Permission.FULL)).toEqual(['READ_FILE', 'WRITE_FILE', 'EXECUTE_CODE', 'NETWORK_ACCESS', 'DATABASE_READ', 'DATABASE_WRITE', 'SEND_EMAIL']);
  });

  test('the flag set is frozen', () => {
    expect(Object.isFrozen(Permission)).toBe(true);
  });
});

describe('definePermissionPolicy', () => {
  const support = definePermissionPolicy({
    agent: 'customer-service',
    permissions: Permission.READONLY | Permission.NETWORK_ACCESS,
    allowedPaths: ['/kb', '/orders'],
    allowedDomains: ['api.example.com'],
    maxFileSize: 1000,
  });

  test('is frozen and recognisable', () => {
    expect(Object.isFrozen(support)).toBe(true);
    expect(Object.isFrozen(support.allowedPaths)).toBe(true);
    expect(isPermissionPolicy(support)).toBe(true);
    expect(isPermissionPolicy({ ...support })).toBe(false);
  });

  test.each([
    [Permission.READ_FILE, '/kb/returns.md', '/kb/returns.md'],
    [Permission.READ_FILE, '/orders/', '/orders'],
    [Permission.DATABASE_READ, undefined, undefined],
    [Permission.NETWORK_ACCESS, 'https://api.example.com/v1/orders', 'https://api.example.com/v1/orders'],
    [Permission.READ_FILE, { path: '/kb/a', bytes: 1000 }, '/kb/a'],
  ])('allows %s on %j', (action, resource, canonical) => {
    const decision = support.check(action, resource);
    expect(decision.allowed).toBe(true);
    expect(decision.allowed && decision.resource).toBe(canonical);
  });

  test.each([
    [Permission.WRITE_FILE, '/kb/returns.md', 'permission.missing'],
    [Permission.SEND_EMAIL, undefined, 'permission.missing'],
    [Permission.READ_FILE | Permission.WRITE_FILE, '/kb/a', 'permission.missing'],
    [Permission.READ_FILE, '/kb2/a', 'path.outside'],
    [Permission.READ_FILE, '/kb/../etc', 'path.traversal'],
    [Permission.READ_FILE, { path: '/kb/a', bytes: 1001 }, 'file.too-large'],
    [Permission.NETWORK_ACCESS, 'https://api.example.com@evil.com/', 'url.userinfo'],
    [Permission.NETWORK_ACCESS, 'https://evil.com/', 'url.host-not-allowed'],
    [Permission.NETWORK_ACCESS, { path: '/kb/a' }, 'resource.kind'],
    [Permission.READ_FILE, { url: 'https://api.example.com/' }, 'resource.kind'],
    [Permission.READ_FILE, 42, 'resource.kind'],
  ])('denies %s on %j with %s', (action, resource, rule) => {
    const decision = support.check(action, resource as never);
    expect(decision.allowed).toBe(false);
    expect(!decision.allowed && decision.rule).toBe(rule);
    expect(decision.reason.length).toBeGreaterThan(0);
  });

  test('names the missing flags in the reason', () => {
    expect(support.check(Permission.WRITE_FILE | Permission.SEND_EMAIL).reason).toBe('agent `customer-service` lacks WRITE_FILE, SEND_EMAIL');
  });

  test.each([[0], [-1], [1.5], [1 << 7], ['READ_FILE']])('throws INVALID_ARGUMENT for the action %j', (action) => {
    expect(() => support.check(action as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'action' }));
  });

  test('defaults deny every path and domain', () => {
    const bare = definePermissionPolicy({ agent: 'bare', permissions: Permission.FULL });
    expect(bare.check(Permission.READ_FILE, '/x')).toMatchObject({ allowed: false, rule: 'path.outside' });
    expect(bare.check(Permission.NETWORK_ACCESS, 'https://example.com/')).toMatchObject({ allowed: false, rule: 'url.host-not-allowed' });
    expect(bare.maxFileSize).toBe(1024 * 1024);
  });

  test.each([
    [{ agent: 'a b', permissions: 1 }, 'agent'],
    [{ agent: '', permissions: 1 }, 'agent'],
    [{ agent: 'a', permissions: 1 << 9 }, 'permissions'],
    [{ agent: 'a' }, 'permissions'],
    [{ agent: 'a', permissions: 1, allowedPaths: ['data'] }, 'allowedPaths[0]'],
    [{ agent: 'a', permissions: 1, allowedPaths: ['/data/'] }, 'allowedPaths[0]'],
    [{ agent: 'a', permissions: 1, allowedPaths: ['/data/../etc'] }, 'allowedPaths[0]'],
    [{ agent: 'a', permissions: 1, allowedPaths: '/data' }, 'allowedPaths'],
    [{ agent: 'a', permissions: 1, allowedDomains: ['https://x.com'] }, 'allowedDomains[0]'],
    [{ agent: 'a', permissions: 1, maxFileSize: -1 }, 'maxFileSize'],
    [{ agent: 'a', permissions: 1, allowedPath: ['/data'] }, 'allowedPath'],
  ])('rejects %j naming `%s`', (input, field) => {
    expect(() => definePermissionPolicy(input as never)).toThrow(expect.objectContaining({ code: 'INVALID_POLICY', field }));
  });
});

describe('permissionPolicyFromPolicy', () => {
  test('grants only what allowedOperations grants', () => {
    const none = permissionPolicyFromPolicy(makePolicy({}));
    expect(none.permissions).toBe(0);
    const files = permissionPolicyFromPolicy(makePolicy({}, 'trustedEnvironment'));
    expect(permissionNames(files.permissions)).toEqual(['READ_FILE', 'WRITE_FILE']);
    expect(files.allowedPaths).toEqual(['/workspace']);
    const net = permissionPolicyFromPolicy(makePolicy({ allowedOperations: { networkOperations: true }, network: { allowedDomains: ['example.com'] } }));
    expect(permissionNames(net.permissions)).toEqual(['NETWORK_ACCESS']);
    expect(net.check(Permission.NETWORK_ACCESS, 'https://example.com/')).toMatchObject({ allowed: true });
  });
});

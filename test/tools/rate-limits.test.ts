/**
 * Per-tool rate limits from the tool definition, the registry and an agent grant; per user, agent or
 * sandbox; enforced before approval and the handler; refused with RATE_LIMITED and recorded once.
 */
import { afterAll, describe, expect, test, vi } from 'vitest';
import type { SecurityEventInput } from '../../src/audit/types.js';
import { RateLimitedError } from '../../src/errors.js';
import { createSandbox, type Sandbox } from '../../src/sandbox.js';
import { defineTool } from '../../src/tools/define.js';
import { Permission, definePermissionPolicy } from '../../src/tools/permissions.js';
import { createToolRegistry } from '../../src/tools/registry.js';
import { makePolicy, probe } from './helpers.js';

const agent = definePermissionPolicy({ agent: 'analyst', permissions: Permission.READONLY });
const other = definePermissionPolicy({ agent: 'auditor', permissions: Permission.READONLY });
const clock = (start = 1_000_000) => {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
};
const lookupWith = (handler = vi.fn(() => ({ ok: true })), rateLimit?: unknown) => ({
  handler,
  tool: defineTool({ name: 'lookup', description: 'x', permission: Permission.DATABASE_READ, params: { type: 'object' }, handler, ...(rateLimit ? { rateLimit: rateLimit as never } : {}) }),
});
const rateEvents = (events: SecurityEventInput[]) => events.filter((e) => e.type === 'rate_limit_exceeded');

describe('a limit on the tool definition', () => {
  test('admits `limit` calls per window per user; the next is RATE_LIMITED before the handler, recorded once', async () => {
    const c = clock();
    const { tool, handler } = lookupWith(undefined, { limit: 2, windowMs: 1000 });
    const registry = createToolRegistry({ tools: [tool], now: c.now });
    const { ctx, events } = probe(agent);
    await registry.invoke('lookup', {}, ctx);
    await registry.invoke('lookup', {}, ctx);
    const error = await registry.invoke('lookup', {}, ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({ code: 'RATE_LIMITED', remaining: 0, resetAt: 1_001_000, details: { tool: 'lookup', limit: 2, windowMs: 1000, per: 'user' } });
    expect(handler).toHaveBeenCalledTimes(2);
    expect(rateEvents(events)).toEqual([expect.objectContaining({ severity: 'medium', tool: 'lookup', user: 'alice', agent: 'analyst', runId: ctx.runId, details: expect.objectContaining({ limit: 2, per: 'user' }) })]);
    // Recorded once: the refusal is not also a tool_call event.
    expect(events.filter((e) => e.type === 'tool_call')).toHaveLength(2);
  });

  test('near miss: another user has their own budget, and the window slides', async () => {
    const c = clock();
    const { tool } = lookupWith(undefined, { limit: 1, windowMs: 1000 });
    const registry = createToolRegistry({ tools: [tool], now: c.now });
    await registry.invoke('lookup', {}, probe(agent).ctx);
    await expect(registry.invoke('lookup', {}, probe(agent, { user: 'bob' }).ctx)).resolves.toEqual({ ok: true });
    await expect(registry.invoke('lookup', {}, probe(agent).ctx)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    c.advance(999);
    await expect(registry.invoke('lookup', {}, probe(agent).ctx)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    c.advance(1);
    await expect(registry.invoke('lookup', {}, probe(agent).ctx)).resolves.toEqual({ ok: true });
  });

  test('a refused call does not use up budget', async () => {
    const c = clock();
    const { tool } = lookupWith(undefined, [{ limit: 1, windowMs: 1000 }, { limit: 3, windowMs: 10_000 }]);
    const registry = createToolRegistry({ tools: [tool], now: c.now });
    await registry.invoke('lookup', {}, probe(agent).ctx);
    for (let i = 0; i < 5; i++) await expect(registry.invoke('lookup', {}, probe(agent).ctx)).rejects.toMatchObject({ code: 'RATE_LIMITED', details: { limit: 1 } });
    c.advance(1000);
    await registry.invoke('lookup', {}, probe(agent).ctx);
    c.advance(1000);
    await registry.invoke('lookup', {}, probe(agent).ctx);
    c.advance(1000);
    await expect(registry.invoke('lookup', {}, probe(agent).ctx)).rejects.toMatchObject({ code: 'RATE_LIMITED', details: { limit: 3, windowMs: 10_000 } });
  });

  test('a rate-limited call that needs approval never reaches the approval manager', async () => {
    const request = vi.fn(async () => undefined);
    const tool = defineTool({ name: 'pay', description: 'x', permission: Permission.READ_FILE, params: { type: 'object' }, requiresApproval: true, rateLimit: { limit: 1, windowMs: 60_000 }, handler: () => null });
    const registry = createToolRegistry({ tools: [tool], approvals: { request } as never });
    await registry.invoke('pay', {}, probe(agent).ctx);
    await expect(registry.invoke('pay', {}, probe(agent).ctx)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect(request).toHaveBeenCalledTimes(1);
  });

  test.each([
    [{ limit: 0, windowMs: 1000 }, 'rateLimit.limit'],
    [{ limit: 1.5, windowMs: 1000 }, 'rateLimit.limit'],
    [{ limit: 1, windowMs: 0 }, 'rateLimit.windowMs'],
    [{ limit: 1, windowMs: 1000, per: 'tab' }, 'rateLimit.per'],
    [{ limit: 1, windowMs: 1000, burst: 2 }, 'rateLimit.burst'],
    [[], 'rateLimit'],
  ])('defineTool rejects rateLimit %j naming %s', (rateLimit, field) => {
    expect(() => lookupWith(undefined, rateLimit)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field }));
  });
});

describe('limits from the registry and from an agent grant', () => {
  test('per agent: two users of one agent share a budget; another agent does not', async () => {
    const { tool } = lookupWith();
    const registry = createToolRegistry({ tools: [tool], rateLimits: { lookup: { limit: 1, windowMs: 60_000, per: 'agent' } } });
    await registry.invoke('lookup', {}, probe(agent).ctx);
    await expect(registry.invoke('lookup', {}, probe(agent, { user: 'bob' }).ctx)).rejects.toMatchObject({ code: 'RATE_LIMITED', details: { per: 'agent', source: 'rateLimits.lookup' } });
    await expect(registry.invoke('lookup', {}, probe(other).ctx)).resolves.toEqual({ ok: true });
  });

  test('per sandbox: each forAgent() dispatcher has its own budget', async () => {
    const { tool } = lookupWith();
    const registry = createToolRegistry({ tools: [tool] });
    const limits = { rateLimits: { lookup: { limit: 1, windowMs: 60_000, per: 'sandbox' as const } } };
    const a = registry.forAgent(agent, limits);
    const b = registry.forAgent(agent, limits);
    const call = { runId: 'r', signal: new AbortController().signal, pauseDeadline: () => () => {} };
    await a.invoke('lookup', {}, call);
    await expect(a.invoke('lookup', {}, call)).rejects.toMatchObject({ code: 'RATE_LIMITED', details: { per: 'sandbox', source: 'options.rateLimits.lookup' } });
    await expect(b.invoke('lookup', {}, call)).resolves.toEqual({ ok: true });
  });

  test('bad registry and grant limits are INVALID_ARGUMENT naming the field', () => {
    expect(() => createToolRegistry({ rateLimits: { lookup: { limit: -1, windowMs: 10 } } })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'rateLimits.lookup.limit' }));
    expect(() => createToolRegistry({ rateLimits: { 'not a name': { limit: 1, windowMs: 10 } } })).toThrow(expect.objectContaining({ field: 'rateLimits.not a name' }));
    expect(() => createToolRegistry().forAgent(agent, { rateLimits: { x: { limit: 1 } as never } })).toThrow(expect.objectContaining({ field: 'options.rateLimits.x.windowMs' }));
    expect(() => createToolRegistry().forAgent(agent, { limits: {} } as never)).toThrow(expect.objectContaining({ field: 'options.limits' }));
  });
});

describe('a rate-limited built-in tool, end to end in QuickJS', () => {
  const sandboxes: Sandbox[] = [];
  afterAll(async () => {
    for (const s of sandboxes) await s.dispose();
  });

  test('readFile limited to 2 calls per minute per sandbox: the third call fails in the guest with RATE_LIMITED', async () => {
    const policy = makePolicy({ allowedOperations: { fileOperations: true }, files: { allowedPaths: ['/kb'] }, limits: { timeoutMs: 3000 } });
    const reader = definePermissionPolicy({ agent: 'kb-reader', permissions: Permission.READONLY, allowedPaths: ['/kb'] });
    const registry = createToolRegistry({ policy });
    await registry.fileSystem!.writeFile('/kb/a.md', 'A');
    const events: SecurityEventInput[] = [];
    const sandbox = createSandbox({ policy, standby: false, tools: registry.forAgent(reader, { sink: { record: (e) => void events.push(e) }, rateLimits: { readFile: { limit: 2, windowMs: 60_000, per: 'sandbox' } } }) });
    sandboxes.push(sandbox);
    const result = await sandbox.run(`
      const out = [];
      for (let i = 0; i < 3; i++) {
        try { out.push(await tools.readFile({ path: '/kb/a.md' })); } catch (e) { out.push(String(e.message)); }
      }
      out`, { user: 'alice' });
    const [first, second, third] = result.value as string[];
    expect([first, second]).toEqual(['A', 'A']);
    expect(third).toContain('RATE_LIMITED');
    expect(rateEvents(events)).toHaveLength(1);
    // The next run of the same sandbox is still limited (same window); other tools are not.
    const again = await sandbox.run(`
      const out = [];
      for (const call of [() => tools.readFile({ path: '/kb/a.md' }), () => tools.stat({ path: '/kb/a.md' })]) {
        try { out.push(typeof (await call())); } catch (e) { out.push(String(e.message).includes('RATE_LIMITED') ? 'RATE_LIMITED' : String(e.message)); }
      }
      out`);
    expect(again.value).toEqual(['RATE_LIMITED', 'object']);
  });
});

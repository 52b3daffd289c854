/**
 * Observe mode and suggestPolicy, end to end in QuickJS: runs in observe mode record what they
 * would have been denied, the suggestion grants exactly that, and the enforcing sandbox built from
 * it runs the same programs and denies everything that was never observed. Shape guards, eval
 * validation and revocations are never relaxed by observe mode.
 */
import { afterAll, describe, expect, test } from 'vitest';
import type { SecurityEventInput } from '../../src/audit/types.js';
import { isSandboxError } from '../../src/errors.js';
import { suggestPolicy } from '../../src/fleet/suggest.js';
import { definePolicy } from '../../src/policy.js';
import { createSandbox, type Sandbox } from '../../src/sandbox.js';
import { Permission, definePermissionPolicy } from '../../src/tools/permissions.js';
import { createToolRegistry } from '../../src/tools/registry.js';

const sandboxes: Sandbox[] = [];
afterAll(async () => { for (const s of sandboxes) await s.dispose(); });

const HELLO = `${location.origin}/test/tools/fixtures/hello.txt`;
const PROGRAMS = [
  "await tools.writeFile({ path: '/notes/today.txt', content: 'buy milk' }); await tools.readFile({ path: '/notes/today.txt' })",
  `import { basename } from 'quickcage:path';\nconst page = await tools.fetch({ url: '${HELLO}?q=1' });\nexport default [basename('/a/b.txt'), page.status];`,
];

/** Sink that keeps events with an id, as an audit log would. */
function memorySink() {
  const events: (SecurityEventInput & { id: string })[] = [];
  return { events, record: (e: SecurityEventInput) => { events.push({ ...e, id: `e${events.length + 1}` }); return `e${events.length}`; } };
}

async function observeRuns() {
  const sink = memorySink();
  const policy = definePolicy({ limits: { timeoutMs: 3000 } }); // webApi: no files, no network, no optional imports
  const registry = createToolRegistry({ policy, observe: true });
  const agent = definePermissionPolicy({ agent: 'notes-bot', permissions: Permission.NONE });
  const sandbox = createSandbox({ policy, tools: registry.forAgent(agent, { sink }), audit: sink, observe: true, standby: false });
  sandboxes.push(sandbox);
  const values = [];
  for (const code of PROGRAMS) values.push((await sandbox.run(code, { user: 'dev' })).value);
  return { sink, sandbox, registry, values };
}

describe('observe mode', () => {
  test('runs that the policy would deny complete, and each would-be denial is recorded and flagged', async () => {
    const { sink, sandbox, values } = await observeRuns();
    expect(sandbox.observing).toBe(true);
    expect(values).toEqual(['buy milk', ['b.txt', 200]]);
    const observed = sink.events.filter((e) => e.details?.observed === true);
    expect(observed.map((e) => [e.tool ?? e.details?.import, e.details?.resource])).toEqual(expect.arrayContaining([
      ['writeFile', '/notes/today.txt'], ['readFile', '/notes/today.txt'], ['quickcage:path', undefined], ['fetch', location.origin],
    ]));
    const write = observed.find((e) => e.tool === 'writeFile' && e.details?.resource !== undefined)!;
    expect(write.details!.wouldDeny).toEqual(expect.arrayContaining([
      expect.objectContaining({ rule: 'permission.missing', by: 'policy' }), expect.objectContaining({ rule: 'permission.missing', by: 'agent' }),
    ]));
    // The visible marker on every run record.
    const runs = sink.events.filter((e) => e.type === 'execution' && e.details?.import === undefined);
    expect(runs.length).toBe(2);
    expect(runs.every((e) => e.details?.observing === true)).toBe(true);
  });

  test('shape guards, eval validation and limits still deny in observe mode', async () => {
    const { sandbox, sink } = await observeRuns();
    sink.events.length = 0;
    const denied = await sandbox.run(`
      const out = [];
      for (const call of [() => tools.readFile({ path: '/notes/../etc/passwd' }), () => tools.readFile({ path: '/notes/%2e%2e/x' }), () => tools.fetch({ url: 'https://user:pw@example.com/' })]) {
        try { await call(); out.push('ran'); } catch (e) { out.push(e.code ?? String(e.message).match(/[A-Z_]+\\)?$/)?.[0]); }
      }
      out`);
    expect(denied.value).toEqual(['TOOL_DENIED', 'TOOL_DENIED', 'TOOL_DENIED']);
    // Denied by the shape guards themselves, though a missing flag is decided first in enforcing mode.
    expect(sink.events.filter((e) => e.details?.outcome === 'denied').map((e) => e.details?.rule)).toEqual(['path.traversal', 'path.encoded', 'url.userinfo']);
    await expect(sandbox.run("eval('1 + 1')")).rejects.toMatchObject({ code: 'VALIDATION_REJECTED' });
    await expect(sandbox.run('while (true) {}', { timeoutMs: 200 })).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    // An import that is not an optional quickcage module stays rejected.
    await expect(sandbox.run("import x from 'https://evil.example/x.js'; export default x;")).rejects.toMatchObject({ code: 'VALIDATION_REJECTED' });
    // The next run is unaffected (near miss: a safe program).
    expect((await sandbox.run('1 + 1')).value).toBe(2);
  });

  test('a registry in observe mode needs a sandbox that says it observes', () => {
    const registry = createToolRegistry({ policy: definePolicy({}), observe: true });
    const agent = definePermissionPolicy({ agent: 'a', permissions: Permission.NONE });
    let error: unknown;
    try {
      createSandbox({ tools: registry.forAgent(agent) });
    } catch (e) {
      error = e;
    }
    expect(isSandboxError(error) && error.code).toBe('INVALID_ARGUMENT');
    expect((error as Error).message).toContain('options.observe');
    expect(() => createToolRegistry({ policy: definePolicy({}), observe: 'yes' as never })).toThrow(/observe/);
  });
});

describe('observe -> suggest -> enforce', () => {
  test('the suggestion grants exactly what was used, with a reason per grant', async () => {
    const { sink } = await observeRuns();
    const suggestion = suggestPolicy(sink.events);
    expect(suggestion.permissions).toEqual({
      agent: 'notes-bot',
      permissions: Permission.READ_FILE | Permission.WRITE_FILE | Permission.NETWORK_ACCESS,
      allowedPaths: ['/notes/today.txt'],
      allowedDomains: [location.host],
      maxFileSize: 8,
      allowHttp: 'loopback',
    });
    expect(suggestion.policy).toEqual({
      preset: 'webApi',
      allowedOperations: { fileOperations: true, networkOperations: true, imports: ['quickcage:path'] },
      files: { allowedPaths: ['/notes/today.txt'], maxFileBytes: 8 },
      network: { allowedDomains: [location.host], allowHttp: 'loopback' },
    });
    expect(suggestion.grants.map((g) => [g.kind, g.value])).toEqual([
      ['permission', 'READ_FILE'], ['permission', 'WRITE_FILE'], ['permission', 'NETWORK_ACCESS'],
      ['path', '/notes/today.txt'], ['domain', location.host], ['http', 'loopback'], ['fileSize', '8'], ['import', 'quickcage:path'],
    ]);
    const write = suggestion.grants.find((g) => g.value === 'WRITE_FILE')!;
    expect(write.reason).toMatch(/WRITE_FILE used by `writeFile`, \d+ times?; would have been denied \(permission\.missing by the agent; permission\.missing by the sandbox policy\)/);
    expect(write.evidence.length).toBeGreaterThan(0);
    expect(suggestion.basis).toMatchObject({ runs: 2, folded: 0 });
  });

  test('the enforcing sandbox runs the observed programs and denies what was never observed', async () => {
    const { sink, registry } = await observeRuns();
    const suggestion = suggestPolicy(sink.events);
    const policy = definePolicy({ ...suggestion.policy, limits: { timeoutMs: 3000 } });
    const enforcing = createToolRegistry({ policy, fileSystem: registry.fileSystem! });
    const agent = definePermissionPolicy(suggestion.permissions);
    const events = memorySink();
    const sandbox = createSandbox({ policy, tools: enforcing.forAgent(agent, { sink: events }), standby: false });
    sandboxes.push(sandbox);
    expect(sandbox.observing).toBe(false);
    // Exactly what the runs did: allowed.
    expect((await sandbox.run(PROGRAMS[0]!)).value).toBe('buy milk');
    expect((await sandbox.run(PROGRAMS[1]!)).value).toEqual(['b.txt', 200]);
    // Never observed: denied, each with its rule.
    const attempts = await sandbox.run(`
      const out = [];
      for (const call of [
        () => tools.readFile({ path: '/notes/other.txt' }),
        () => tools.writeFile({ path: '/notes/today.txt', content: 'a much longer text than before' }),
        () => tools.fetch({ url: 'https://example.com/' }),
      ]) {
        try { await call(); out.push('ran'); } catch (e) { out.push('denied'); }
      }
      out`);
    expect(attempts.value).toEqual(['denied', 'denied', 'denied']);
    const rules = events.events.filter((e) => e.details?.outcome === 'denied').map((e) => e.details?.rule ?? e.details?.reason);
    expect(rules).toEqual(['path.outside', 'file.too-large', 'url.host-not-allowed']);
    // An optional module that was never imported is rejected.
    const noImports = definePolicy({ ...suggestion.policy, allowedOperations: { ...suggestion.policy.allowedOperations, imports: [] } });
    const strict = createSandbox({ policy: noImports, standby: false });
    sandboxes.push(strict);
    await expect(strict.run("import { basename } from 'quickcage:path'; export default basename('/a');")).rejects.toMatchObject({ code: 'VALIDATION_REJECTED' });
  });

  test('suggestPolicy checks its input and ignores events that were not observed', () => {
    expect(() => suggestPolicy('events' as never)).toThrow(/events/);
    expect(() => suggestPolicy([null])).toThrow(/events\[0\]/);
    expect(() => suggestPolicy([], { agnet: 'x' } as never)).toThrow(/options\.agnet/);
    const two = [
      { type: 'tool_call', agent: 'a', details: { observed: true, action: ['READ_FILE'], kind: 'path', resource: '/a', wouldDeny: [] } },
      { type: 'tool_call', agent: 'b', details: { observed: true, action: ['READ_FILE'], kind: 'path', resource: '/b', wouldDeny: [] } },
    ];
    expect(() => suggestPolicy(two)).toThrow(/options\.agent/);
    expect(suggestPolicy(two, { agent: 'b' }).permissions.allowedPaths).toEqual(['/b']);
    expect(suggestPolicy([{ type: 'tool_call', agent: 'a', details: { outcome: 'ok' } }]).grants).toEqual([]);
    // A flood aggregate of observations counts its sample and says the suggestion may be incomplete.
    const aggregate = { type: 'tool_call', agent: 'a', count: 30, details: { aggregated: true, count: 30, sample: two[0]!.details } };
    expect(suggestPolicy([aggregate])).toMatchObject({ permissions: { allowedPaths: ['/a'] }, basis: { folded: 1 } });
  });
});

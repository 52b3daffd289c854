import { afterAll, describe, expect, it } from 'vitest';
import { createSandbox, type SecurityEventInput } from '../../src/index.js';
import { rejectsWith } from './helpers.js';

function collectingSink() {
  const events: SecurityEventInput[] = [];
  return { events, record: (event: SecurityEventInput) => void events.push(event) };
}

describe('guardrails applied by the sandbox', () => {
  const sink = collectingSink();
  const seen: unknown[] = [];
  const box = createSandbox({
    audit: sink,
    policy: { guardrails: { detectors: { email: 'redact', card: 'block', ssn: 'mask' } } },
    modules: { 'app:crm': { lookup: (arg: unknown) => { seen.push(arg); return { owner: 'jane.doe@example.com' }; } } },
  });
  afterAll(() => box.dispose());

  it('redacts results and logs, and reports without the raw value', async () => {
    const out = await box.run('console.log("mail bob@example.org now"); ({ contact: "ann@example.com", ok: true })', { user: 'u1' });
    expect(out.value).toEqual({ contact: '[REDACTED:EMAIL]', ok: true });
    expect(out.logs[0]!.message).toBe('mail [REDACTED:EMAIL] now');
    await new Promise((r) => setTimeout(r, 20));
    const hits = sink.events.filter((e) => e.type === 'suspicious_pattern');
    expect(hits.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(sink.events)).not.toContain('ann@example.com');
    expect(JSON.stringify(sink.events)).not.toContain('bob@example.org');
  });

  it('blocks a result holding a valid card number with GUARDRAIL_BLOCKED', async () => {
    await rejectsWith(box.run('"card 4111 1111 1111 1111"'), 'GUARDRAIL_BLOCKED');
  });

  it('near miss: a number that fails the Luhn check passes through', async () => {
    expect((await box.run('"ref 4111 1111 1111 1112"')).value).toBe('ref 4111 1111 1111 1112');
  });

  it('guards tool arguments before the handler and tool results before the guest', async () => {
    const out = await box.run('import { lookup } from "app:crm";\nexport default await lookup({ q: "who is carl@example.net" });');
    expect(seen.at(-1)).toEqual({ q: 'who is [REDACTED:EMAIL]' });
    expect(out.value).toEqual({ owner: '[REDACTED:EMAIL]' });
  });
});

describe('audit records', () => {
  it('every run leaves exactly one record, failures included, with the code hash', async () => {
    const sink = collectingSink();
    const box = createSandbox({ audit: sink });
    try {
      await box.run('1', { user: 'alice' });
      await box.run('eval("1")', { user: 'alice' }).catch(() => {});
      await box.run('while (true) {}', { timeoutMs: 50, user: 'alice' }).catch(() => {});
      await box.run('let = ;', { user: 'alice' }).catch(() => {});
      await new Promise((r) => setTimeout(r, 50));
      const runs = sink.events.filter((e) => e.runId !== undefined);
      expect(runs.map((e) => e.type)).toEqual(['execution', 'validation_failure', 'timeout_exceeded', 'compilation_error']);
      expect(runs.every((e) => e.user === 'alice' && /^[0-9a-f]{64}$/.test(e.codeHash ?? ''))).toBe(true);
      expect(runs[1]!.details).toMatchObject({ code: 'VALIDATION_REJECTED', rules: ['no-eval'] });
    } finally {
      await box.dispose();
    }
  });

  it('a watchdog kill records timeout_exceeded (high) and worker_recycled', async () => {
    const sink = collectingSink();
    const box = createSandbox({ audit: sink });
    try {
      await box.run('const s = "9".repeat(300000); [BigInt(s), BigInt(s), BigInt(s), BigInt(s)].length', { timeoutMs: 50 }).catch(() => {});
      await new Promise((r) => setTimeout(r, 50));
      expect(sink.events.find((e) => e.type === 'timeout_exceeded')?.severity).toBe('high');
      expect(sink.events.some((e) => e.type === 'worker_recycled')).toBe(true);
    } finally {
      await box.dispose();
    }
  });

  it('beforeRun can refuse a run (quotas), and the refusal is recorded', async () => {
    const sink = collectingSink();
    const { RateLimitedError } = await import('../../src/index.js');
    const box = createSandbox({
      audit: sink,
      beforeRun: ({ user }) => {
        if (user === 'greedy') throw new RateLimitedError('quota used up', { remaining: 0, resetAt: 123 });
      },
    });
    try {
      const error = await rejectsWith(box.run('1', { user: 'greedy' }), 'RATE_LIMITED');
      expect(error.details).toMatchObject({ remaining: 0, resetAt: 123 });
      expect((await box.run('2', { user: 'modest' })).value).toBe(2);
      await new Promise((r) => setTimeout(r, 20));
      expect(sink.events[0]).toMatchObject({ type: 'rate_limit_exceeded', user: 'greedy' });
    } finally {
      await box.dispose();
    }
  });
});

describe('quotas', () => {
  it('a rate limiter admits exactly its quota of untrusted runs per user, then RATE_LIMITED', async () => {
    const { createRateLimiter } = await import('../../src/rate-limit.js');
    const limiter = createRateLimiter({ quotas: { execution: { limit: 3, windowMs: 60_000 } }, dbName: `quota-test-${crypto.randomUUID()}`, lease: false });
    const box = createSandbox({ rateLimiter: limiter });
    try {
      for (let i = 0; i < 3; i++) expect((await box.run(`${i}`, { user: 'bob' })).value).toBe(i);
      const error = await rejectsWith(box.run('3', { user: 'bob' }), 'RATE_LIMITED');
      expect(error.details.remaining).toBe(0);
      expect(error.details.resetAt).toBeGreaterThan(Date.now());
      expect((await box.run('"other user"', { user: 'carol' })).value).toBe('other user');
      expect((await box.run('"trusted code is not counted"', { user: 'bob', trusted: true })).value).toBe('trusted code is not counted');
    } finally {
      await box.dispose();
      await limiter.dispose();
    }
  });
});

describe('fetch in the guest', () => {
  it('a granted fetch tool appears as fetch(); the validator lets it through; a denied host fails inside the guest', async () => {
    const { createToolRegistry, definePermissionPolicy, Permission } = await import('../../src/tools/index.js');
    const { definePolicy } = await import('../../src/index.js');
    const policy = definePolicy({ allowedOperations: { networkOperations: true }, network: { allowedDomains: [location.host], allowHttp: 'loopback' } });
    const agent = definePermissionPolicy({ agent: 'reader', permissions: Permission.STANDARD, allowedDomains: [location.host] });
    const box = createSandbox({ policy, tools: createToolRegistry({ policy }).forAgent(agent) });
    try {
      const url = `${location.origin}/test/tools/fixtures/hello.txt`;
      const out = await box.run(`const r = await fetch(${JSON.stringify(url)});\n[r.ok, r.status, r.headers.get('Content-Type').startsWith('text/plain'), await r.text()]`);
      expect(out.value).toEqual([true, 200, true, 'hello from the fixture\n']);
      const denied = await box.run('let m; try { await fetch("https://example.com/"); } catch (e) { m = e.code; } m');
      expect(denied.value).toBe('TOOL_DENIED');
    } finally {
      await box.dispose();
    }
  });

  it('near miss: without the network grant, fetch is a host-global violation, not a ReferenceError', async () => {
    const box = createSandbox();
    try {
      const error = await rejectsWith(box.run('await fetch("https://example.com/")'), 'VALIDATION_REJECTED');
      expect((error as unknown as { violations: Array<{ rule: string }> }).violations[0]!.rule).toBe('host-global');
    } finally {
      await box.dispose();
    }
  });
});

describe('guardrails on the error path', () => {
  it('a secret thrown by the guest is redacted in the error message and stack, and the original code is kept', async () => {
    const box = createSandbox({ policy: { guardrails: { detectors: { email: 'block' } } } });
    try {
      const error = await rejectsWith(box.run('console.log("log ann@example.com"); throw new Error("leak ann@example.com")'), 'GUEST_ERROR');
      expect(error.message).not.toContain('ann@example.com');
      expect(error.message).toContain('[REDACTED:EMAIL]');
      const guest = (error as unknown as { guest: { message: string; stack?: string } }).guest;
      expect(guest.message).toBe('leak [REDACTED:EMAIL]');
      expect(guest.stack ?? '').not.toContain('ann@example.com');
      expect(error.logs[0]!.message).toBe('log [REDACTED:EMAIL]');
    } finally {
      await box.dispose();
    }
  });

  it('logs are guarded in one pass: one event per detector per run', async () => {
    const sink = collectingSink();
    const box = createSandbox({ audit: sink, policy: { guardrails: { detectors: { email: 'redact' } } } });
    try {
      await box.run('for (let i = 0; i < 20; i++) console.log("user" + i + "@example.com"); 1');
      await new Promise((r) => setTimeout(r, 20));
      const hits = sink.events.filter((e) => e.type === 'suspicious_pattern');
      expect(hits).toHaveLength(1);
      expect(hits[0]!.details).toMatchObject({ count: 20 });
    } finally {
      await box.dispose();
    }
  });
});

describe('auto-disable enforced by the sandbox', () => {
  it('a user who crosses the violation threshold is refused with USER_DISABLED; others still run', async () => {
    const { createAuditLog } = await import('../../src/index.js');
    const audit = createAuditLog({ dbName: `audit-test-${crypto.randomUUID()}`, autoDisable: { threshold: 2, minSeverity: 'medium', windowMs: 60_000 } });
    await audit.ready;
    const box = createSandbox({ audit });
    try {
      await rejectsWith(box.run('eval("1")', { user: 'mallory' }), 'VALIDATION_REJECTED');
      await rejectsWith(box.run('window.top', { user: 'mallory' }), 'VALIDATION_REJECTED');
      await new Promise((r) => setTimeout(r, 20));
      await audit.flush();
      expect(audit.isDisabled('user', 'mallory')).toBe(true);
      const error = await rejectsWith(box.run('1', { user: 'mallory' }), 'USER_DISABLED');
      expect(error.message).toContain('mallory');
      expect((await box.run('1', { user: 'trent' })).value).toBe(1);
      const disabled = await audit.query({ type: 'user_disabled' });
      expect(disabled[0]?.details).toMatchObject({ reason: 'multiple security violations' });
    } finally {
      await box.dispose();
      await audit.dispose();
    }
  });
});

describe('host errors inside the guest', () => {
  it('a tool error reaches the guest once-coded, and an uncaught one keeps its code in GuestError.guest.code', async () => {
    const box = createSandbox({ modules: { 'app:x': { deny: () => { throw new (class extends Error { code = 'X'; })('nope'); } } } });
    try {
      const caught = await box.run('import { deny } from "app:x";\nlet m; try { await deny(); } catch (e) { m = [e.name, e.message, e.code]; }\nexport default m;');
      expect(caught.value).toEqual(['ToolError', 'Error: nope (TOOL_FAILED)', 'TOOL_FAILED']);
      const error = await rejectsWith(box.run('import { deny } from "app:x";\nawait deny();'), 'GUEST_ERROR');
      expect((error as unknown as { guest: { code?: string } }).guest.code).toBe('TOOL_FAILED');
      const keys = await box.run('import { deny } from "app:x";\nexport default Object.keys(globalThis).filter((k) => k.startsWith("__"));');
      expect(keys.value).toEqual([]);
    } finally {
      await box.dispose();
    }
  });
});

describe('oversized source', () => {
  it('is refused before it reaches a worker, with VALIDATION_REJECTED and an audit record', async () => {
    const sink = collectingSink();
    const box = createSandbox({ audit: sink, policy: { limits: { maxSourceBytes: 1000 } } });
    try {
      const error = await rejectsWith(box.run(`// ${'x'.repeat(2000)}\n1`, { user: 'u' }), 'VALIDATION_REJECTED');
      expect((error as unknown as { violations: Array<{ rule: string }> }).violations[0]!.rule).toBe('source-too-large');
      expect(sink.events).toMatchObject([{ type: 'validation_failure', user: 'u', details: { rules: ['source-too-large'] } }]);
      expect((await box.run(`// ${'x'.repeat(900)}\n1`)).value).toBe(1);
    } finally {
      await box.dispose();
    }
  });
});

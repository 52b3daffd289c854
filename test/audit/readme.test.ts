/** The example of README.md's audit section, run for real: sandbox, audit log and quotas together. */
import { expect, test } from 'vitest';
import { createAuditLog, type AuditEvent } from '../../src/audit/index.js';
import { createSandbox, definePolicy } from '../../src/index.js';
import { createRateLimiter } from '../../src/rate-limit.js';
import { freshDbName } from './helpers.js';
import { deleteDB } from 'idb';

test('the README example runs: a run is audited, queried, scored, verified and exported', async () => {
  const quotaDb = `readme-quotas-${crypto.randomUUID()}`;
  const policy = definePolicy({ quotas: { executions: { limit: 100, windowMs: 86_400_000 } } });
  const audit = createAuditLog({ dbName: freshDbName('readme-audit'), lifecycle: false });
  const quotas = createRateLimiter({ policy, dbName: quotaDb });
  await audit.ready;
  const seen: AuditEvent[] = [];
  const stop = audit.subscribe((event) => seen.push(event));
  const sandbox = createSandbox({ policy, audit, rateLimiter: quotas });
  try {
    expect((await sandbox.run('1 + 1', { user: 'alice' })).value).toBe(2);
    const risky = await audit.query({ user: 'alice', severity: ['high', 'critical'], limit: 20 });
    const { level } = await audit.riskScore('alice');
    const verdict = await audit.verify();
    const jsonl = await audit.exportJsonl({ since: Date.now() - 86_400_000 });
    stop();
    expect(risky).toEqual([]);
    expect(level).toBe('low');
    expect(verdict.ok).toBe(true);
    expect(seen.some((e) => e.type === 'execution' && e.user === 'alice')).toBe(true);
    expect(jsonl.trim().split('\n').map((line) => (JSON.parse(line) as AuditEvent).type)).toContain('execution');
    expect((await quotas.peek('alice', 'execution')).remaining).toBe(99);
  } finally {
    await sandbox.dispose();
    await quotas.dispose();
    await audit.dispose();
    await deleteDB(quotaDb);
  }
});

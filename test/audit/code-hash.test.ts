/**
 * Code hashes off the run path: the sandbox hands the audit log the source, the log hashes it when
 * the batch is written, or when the page spills its queue at pagehide, never losing the hash.
 */
import { expect, test } from 'vitest';
import { createAuditLog } from '../../src/audit/index.js';
import { CODE_SOURCE } from '../../src/audit/code-hash.js';
import { sha256Hex } from '../../src/sha256.js';
import { createSandbox } from '../../src/index.js';
import { freshDbName, makeLog } from './helpers.js';

test('a run recorded through the sandbox is stored with the SHA-256 of its source', async () => {
  const log = await makeLog();
  const sandbox = createSandbox({ audit: log });
  try {
    const code = 'const a = 20; a + 22';
    expect((await sandbox.run(code, { user: 'alice' })).value).toBe(42);
    await log.flush();
    const [event] = await log.query({ type: 'execution' });
    expect(event).toMatchObject({ user: 'alice', codeHash: sha256Hex(code) });
    expect((await log.verify()).ok).toBe(true);
  } finally {
    await sandbox.dispose();
  }
});

test('an explicit codeHash wins over a source given alongside it', async () => {
  const log = await makeLog();
  log.record({ type: 'execution', runId: 'r1', codeHash: 'ab'.repeat(32), [CODE_SOURCE]: '1 + 1' } as never);
  await log.flush();
  expect((await log.query({ runId: 'r1' }))[0]!.codeHash).toBe('ab'.repeat(32));
});

test('a source still queued at pagehide is hashed into the spill: the next page stores the hash', async () => {
  const dbName = freshDbName();
  const first = createAuditLog({ dbName, lifecycle: true, broadcast: false, warn: () => undefined, batch: { maxDelayMs: 60_000, maxSize: 1000 } });
  await first.ready;
  first.record({ type: 'execution', runId: 'spilled-run', [CODE_SOURCE]: 'while (false) {}' } as never);
  dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }));
  const spills = Object.keys(localStorage).filter((key) => key.startsWith(`quickcage-audit:${dbName}:spill:`));
  expect(spills).toHaveLength(1);
  expect(localStorage.getItem(spills[0]!)).toContain(sha256Hex('while (false) {}'));
  expect(localStorage.getItem(spills[0]!)).not.toContain('while (false)');
  await first.dispose();
  const second = await makeLog({ dbName });
  const [event] = await second.query({ runId: 'spilled-run' });
  expect(event?.codeHash).toBe(sha256Hex('while (false) {}'));
  expect((await second.verify()).ok).toBe(true);
});

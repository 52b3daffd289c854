// The one consumer app every fixture in test/consumers/ builds: plain JavaScript that imports the
// installed package by name, as a user's app would. It runs a result, a deadline, a watchdog kill (a
// native builtin that never checks the interrupt) followed by a working run, a built-in tool call,
// and an audit record read back from IndexedDB, then publishes what happened on <body data-result>.
import {
  Permission,
  createAuditLog,
  createSandbox,
  createToolRegistry,
  definePermissionPolicy,
  definePolicy,
  isSandboxError,
} from 'quickcage';

const violations = [];
document.addEventListener('securitypolicyviolation', (event) => violations.push(`${event.effectiveDirective} ${event.blockedURI}`));

const codeOf = (error) => (isSandboxError(error) ? error.code : `not a SandboxError: ${String(error)}`);

async function main() {
  const audit = createAuditLog({ dbName: 'consumer-audit' });
  // A generous default deadline: a loaded CI machine must not turn the first run's cold start into a failure.
  const policy = definePolicy({ limits: { timeoutMs: 10_000 } }, 'trustedEnvironment');
  const registry = createToolRegistry({ policy });
  const agent = definePermissionPolicy({ agent: 'consumer', permissions: Permission.STANDARD, allowedPaths: ['/workspace'] });
  const sandbox = createSandbox({ policy, tools: registry.forAgent(agent, { sink: audit }), audit, watchdogGraceMs: 200 });
  try {
    const result = (await sandbox.run('[1, 2, 3].map((x) => x * 2)', { user: 'consumer' })).value;
    const deadline = await sandbox.run('while (true) {}', { timeoutMs: 100 }).then(() => 'no error', codeOf);
    const killed = await sandbox
      .run('const a = []; a.length = 2 ** 32 - 1; a.join(",").length', { timeoutMs: 50 })
      .then(() => 'no error', codeOf);
    const afterKill = (await sandbox.run('6 * 7')).value;
    const tool = (
      await sandbox.run(`
        await tools.writeFile({ path: '/workspace/a.txt', content: 'from a tool' });
        await tools.readFile({ path: '/workspace/a.txt' })`)
    ).value;
    await audit.flush();
    const runs = await audit.query({ user: 'consumer' });
    const databases = (await indexedDB.databases()).map((d) => d.name);
    return {
      result,
      deadline,
      killed,
      afterKill,
      tool,
      auditTypes: [...new Set(runs.map((e) => e.type))].sort(),
      auditInIndexedDB: databases.includes('consumer-audit') && audit.storage === 'indexeddb',
    };
  } finally {
    await sandbox.dispose();
    await audit.dispose();
  }
}

main().then(
  (outcome) => {
    document.body.dataset.result = JSON.stringify({ ...outcome, violations });
  },
  (error) => {
    document.body.dataset.result = JSON.stringify({ failed: String(error && error.stack ? error.stack : error), violations });
  },
);

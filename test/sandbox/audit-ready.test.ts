/**
 * Auto-disable from the first run: a sandbox made at page load, before its audit log has loaded
 * what earlier pages disabled (`audit.ready` pending), must not let a disabled user run or a
 * disabled tool be called. Runs made meanwhile wait for `ready` in their admission.
 */
import { describe, expect, it } from 'vitest';
import { createAuditLog, createSandbox, createToolRegistry, defineTool, definePermissionPolicy, Permission, type AuditSink, type RunOutput, type Sandbox, type SecurityEventInput } from '../../src/index.js';
import { rejectsWith } from './helpers.js';

/** A sink whose disabled state loads when the test says so. */
function loadingSink() {
  let loaded = false;
  let finish!: () => void;
  let fail!: (error: Error) => void;
  const disabled = new Set<string>();
  const events: SecurityEventInput[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    finish = () => { loaded = true; resolve(); };
    fail = (error) => { loaded = true; reject(error); };
  });
  ready.catch(() => undefined);
  const sink: AuditSink = {
    record: (event) => void events.push(event),
    isDisabled: (kind, id) => loaded && disabled.has(`${kind}:${id}`),
    ready,
  };
  return { sink, events, disabled, finish, fail };
}

/** Whether `promise` is still pending after `ms`. */
async function pendingAfter(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false;
  promise.then(() => { settled = true; }, () => { settled = true; });
  await new Promise((resolve) => setTimeout(resolve, ms));
  return !settled;
}

const agent = definePermissionPolicy({ agent: 'clerk', permissions: Permission.READONLY });

function lookupTool() {
  const calls: unknown[] = [];
  const tool = defineTool({
    name: 'lookup',
    description: 'Looks an order up.',
    permission: Permission.DATABASE_READ,
    params: { type: 'object', properties: {}, additionalProperties: false },
    handler: (args) => {
      calls.push(args);
      return { status: 'shipped' };
    },
  });
  return { calls, tools: createToolRegistry({ tools: [tool] }).forAgent(agent) };
}

const CALLS_LOOKUP = 'let out; try { out = (await tools.lookup({})).status; } catch (e) { out = e.code; }\nexport default out;';

/**
 * A warm sandbox over a sink that is still loading, with the lookup tool, and a run of CALLS_LOOKUP
 * by `user` made meanwhile: held (still pending after 150 ms, no tool call) before `body` runs.
 */
async function withHeldRun(user: string, body: (held: ReturnType<typeof loadingSink> & ReturnType<typeof lookupTool> & { box: Sandbox; run: Promise<RunOutput<unknown>> }) => Promise<void>): Promise<void> {
  const loading = loadingSink();
  const lookup = lookupTool();
  const box = createSandbox({ audit: loading.sink, tools: lookup.tools, standby: false });
  try {
    await box.ready();
    const run = box.run(CALLS_LOOKUP, { user });
    expect(await pendingAfter(run, 150)).toBe(true);
    expect(lookup.calls).toEqual([]);
    await body({ ...loading, ...lookup, box, run });
  } finally {
    await box.dispose();
  }
}

describe('runs made before the audit log is ready', () => {
  it('a user disabled in storage is refused with USER_DISABLED; its run makes no host call and returns nothing', async () => {
    await withHeldRun('mallory', async ({ box, run, calls, disabled, finish }) => {
      disabled.add('user:mallory');
      finish();
      const error = await rejectsWith(run, 'USER_DISABLED');
      expect(error.message).toContain('mallory');
      expect(calls).toEqual([]);
      // The next run is unaffected: another user runs and calls the tool.
      expect((await box.run(CALLS_LOOKUP, { user: 'alice' })).value).toBe('shipped');
      expect(calls).toHaveLength(1);
    });
  });

  it('a tool disabled in storage is denied to a run that started before the state loaded', async () => {
    await withHeldRun('alice', async ({ run, calls, disabled, finish }) => {
      disabled.add('tool:lookup');
      finish();
      expect((await run).value).toBe('TOOL_DENIED');
      expect(calls).toEqual([]);
    });
  });

  it('near miss: nobody disabled, the held run completes once the state has loaded; later runs are not held', async () => {
    await withHeldRun('alice', async ({ box, run, calls, finish }) => {
      finish();
      expect((await run).value).toBe('shipped');
      expect((await box.run('1 + 1', { user: 'alice' })).value).toBe(2);
      expect(calls).toHaveLength(1);
    });
  });

  it('a ready that rejects counts as settled: runs go on with what the sink answers', async () => {
    const { sink, fail } = loadingSink();
    const box = createSandbox({ audit: sink, standby: false });
    try {
      const run = box.run('40 + 2', { user: 'alice' });
      fail(new Error('storage unavailable'));
      expect((await run).value).toBe(42);
    } finally {
      await box.dispose();
    }
  });

  it('rejects a ready that is not a promise with INVALID_ARGUMENT naming options.audit.ready', () => {
    const sink = { record: () => undefined, isDisabled: () => false, ready: 'soon' } as unknown as AuditSink;
    expect(() => createSandbox({ audit: sink })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'options.audit.ready' }));
  });

  it('with createAuditLog: a user disabled by an earlier page is refused on the first run of a new one', async () => {
    const dbName = `audit-ready-${crypto.randomUUID()}`;
    const earlier = createAuditLog({ dbName });
    await earlier.ready;
    await earlier.disable('user', 'mallory', { reason: 'test' });
    await earlier.dispose();

    const audit = createAuditLog({ dbName });
    const box = createSandbox({ audit, standby: false });
    try {
      // Made at once, without `await audit.ready`: the sandbox waits for it.
      const refused = rejectsWith(box.run('globalThis.leak = 1; 7', { user: 'mallory' }), 'USER_DISABLED');
      const allowed = box.run('6 * 7', { user: 'alice' });
      await refused;
      expect((await allowed).value).toBe(42);
      expect(audit.isDisabled('user', 'mallory')).toBe(true);
    } finally {
      await box.dispose();
      await audit.dispose();
    }
  });
});

/**
 * Confinement through links: an app-supplied backend with symbolic links resolves every path with
 * `realpath`, and the file tools check the resolved path (and each ancestor below the allowed root)
 * on every call. A link that leads out is denied before the backend reads anything.
 */
import { deleteDB } from 'idb';
import { describe, expect, test } from 'vitest';
import { createAuditLog } from '../../src/audit/index.js';
import { createSandbox } from '../../src/sandbox.js';
import { Permission, definePermissionPolicy } from '../../src/tools/permissions.js';
import { createToolRegistry } from '../../src/tools/registry.js';
import { createVirtualFileSystem, type VirtualFileSystem } from '../../src/tools/vfs.js';
import { makePolicy, outcomes, probe } from './helpers.js';

/**
 * A file system with symbolic links over the in-memory one, as a backend bridged from a desktop
 * shell or a server would be: `links` maps a link path to its target, resolved component by component.
 */
function linkedFs(links: Map<string, string>) {
  const inner = createVirtualFileSystem();
  const touched: string[] = [];
  const realpath = async (path: string): Promise<string> => {
    let pending = path.slice(1).split('/').filter(Boolean);
    let current = '';
    for (let hops = 0; pending.length > 0; ) {
      const next = `${current}/${pending[0]}`;
      pending = pending.slice(1);
      const target = links.get(next);
      if (target === undefined) {
        current = next;
        continue;
      }
      // A link's target is resolved again, component by component (as POSIX realpath does).
      if (++hops > 40) throw new Error('too many links');
      pending = [...target.slice(1).split('/').filter(Boolean), ...pending];
      current = '';
    }
    return current === '' ? '/' : current;
  };
  const log = <T>(name: string, fn: (p: string) => Promise<T>) => async (p: string) => {
    touched.push(`${name} ${p}`);
    return fn(p);
  };
  const fs: VirtualFileSystem = {
    storage: 'memory',
    realpath,
    readFile: log('readFile', (p) => inner.readFile(p)),
    writeFile: async (p, content) => {
      touched.push(`writeFile ${p}`);
      return inner.writeFile(p, content);
    },
    listDir: log('listDir', (p) => inner.listDir(p)),
    deleteFile: log('deleteFile', (p) => inner.deleteFile(p)),
    stat: log('stat', (p) => inner.stat(p)),
    close: () => inner.close(),
  };
  return { fs, inner, touched };
}

const policy = makePolicy({ allowedOperations: { fileOperations: true }, files: { allowedPaths: ['/data'] } });
const agent = definePermissionPolicy({ agent: 'reader', permissions: Permission.STANDARD, allowedPaths: ['/data'] });

async function setup(links: [string, string][]) {
  const backend = linkedFs(new Map(links));
  await backend.inner.writeFile('/secret/passwd', 'root:x:0:0');
  await backend.inner.writeFile('/data/real/notes.md', 'inside');
  const registry = createToolRegistry({ policy, fileSystem: backend.fs });
  return { ...backend, registry };
}

describe('a linked backend that tries to escape', () => {
  test.each([
    ['a link to a directory outside', [['/data/link', '/secret']], 'readFile', '/data/link/passwd'],
    ['a link to a file outside', [['/data/file', '/secret/passwd']], 'readFile', '/data/file'],
    ['a link to the root', [['/data/up', '/']], 'listDir', '/data/up'],
    ['a link deep in the path', [['/data/real/deeper', '/secret']], 'readFile', '/data/real/deeper/passwd'],
    ['a chain of links that ends outside', [['/data/a', '/data/b'], ['/data/b', '/secret']], 'readFile', '/data/a/passwd'],
    ['a write through a link', [['/data/link', '/secret']], 'writeFile', '/data/link/new.txt'],
  ] as const)('%s is denied with path.link-escape and the backend never touches the target', async (_title, links, tool, path) => {
    const { registry, touched, inner } = await setup(links.map(([a, b]) => [a, b]));
    const { ctx, events } = probe(agent);
    const args = tool === 'writeFile' ? { path, content: 'pwned' } : { path };
    await expect(registry.invoke(tool, args, ctx)).rejects.toMatchObject({ code: 'TOOL_DENIED', details: { rule: 'path.link-escape' } });
    expect(touched).toEqual([]);
    expect(outcomes(events)).toEqual([['denied', 'high']]);
    expect(events[0]!.details).toMatchObject({ rule: 'path.link-escape', attempted: { path } });
    expect(await inner.listDir('/secret')).toEqual([{ name: 'passwd', type: 'file', size: 10 }]);
  });

  test('near miss: a link that stays inside is followed, and the tool operates on the resolved path', async () => {
    const { registry, touched } = await setup([['/data/alias', '/data/real']]);
    await expect(registry.invoke('readFile', { path: '/data/alias/notes.md' }, probe(agent).ctx)).resolves.toBe('inside');
    expect(touched).toEqual(['stat /data/real/notes.md', 'readFile /data/real/notes.md']);
  });

  test('resolution happens on every call: a link retargeted between two calls is caught on the second', async () => {
    const links = new Map([['/data/alias', '/data/real']]);
    const backend = linkedFs(links);
    await backend.inner.writeFile('/data/real/notes.md', 'inside');
    await backend.inner.writeFile('/secret/notes.md', 'secret');
    const registry = createToolRegistry({ policy, fileSystem: backend.fs });
    await expect(registry.invoke('readFile', { path: '/data/alias/notes.md' }, probe(agent).ctx)).resolves.toBe('inside');
    links.set('/data/alias', '/secret');
    await expect(registry.invoke('readFile', { path: '/data/alias/notes.md' }, probe(agent).ctx)).rejects.toMatchObject({ details: { rule: 'path.link-escape' } });
  });

  test('a backend answer that is not canonical is denied with path.resolve', async () => {
    const { fs } = linkedFs(new Map());
    const lying: VirtualFileSystem = { ...fs, realpath: async () => '/data/../secret/passwd' };
    const registry = createToolRegistry({ policy, fileSystem: lying });
    await expect(registry.invoke('readFile', { path: '/data/x' }, probe(agent).ctx)).rejects.toMatchObject({ code: 'TOOL_DENIED', details: { rule: 'path.resolve' } });
  });

  test('a backend that neither resolves links nor declares links: none is refused at registry creation', () => {
    const { fs } = linkedFs(new Map());
    const { realpath: _drop, ...noResolve } = fs;
    expect(() => createToolRegistry({ policy, fileSystem: noResolve as VirtualFileSystem })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'fileSystem' }));
    expect(() => createToolRegistry({ policy, fileSystem: { ...noResolve, links: 'none' } as VirtualFileSystem })).not.toThrow();
    expect(createVirtualFileSystem().links).toBe('none');
  });
});

describe('end to end: guest code in QuickJS, a linked backend, a real audit log', () => {
  test('the escape fails in the guest, and the stored event names the attempted path and the rule', async () => {
    const dbName = `links-e2e-${crypto.randomUUID()}`;
    const audit = createAuditLog({ dbName, lifecycle: false, warn: () => undefined });
    const { registry } = await setup([['/data/link', '/secret']]);
    const sandbox = createSandbox({ policy, tools: registry.forAgent(agent, { sink: audit }), audit, standby: false });
    try {
      const run = await sandbox.run(`
        const out = [];
        for (const path of ['/data/link/passwd', '/data/real/notes.md']) {
          try { out.push(await tools.readFile({ path })); } catch (e) { out.push(String(e.message).includes('TOOL_DENIED')); }
        }
        out`, { user: 'mallory' });
      expect(run.value).toEqual([true, 'inside']);
      const events = await audit.query({ runId: run.runId, type: 'tool_call' });
      const denied = events.find((e) => e.details?.outcome === 'denied');
      expect(denied).toMatchObject({ severity: 'high', user: 'mallory', tool: 'readFile', details: { rule: 'path.link-escape', attempted: { path: '/data/link/passwd' } } });
      expect(events.filter((e) => e.details?.outcome === 'ok')).toHaveLength(1);
    } finally {
      await sandbox.dispose();
      await audit.dispose();
      await deleteDB(dbName);
    }
  });
});

/**
 * The virtual file system, run the same way against both backends (memory and real IndexedDB).
 */
import { deleteDB } from 'idb';
import { afterEach, describe, expect, test } from 'vitest';
import { createVirtualFileSystem, type VirtualFileSystem } from '../../src/tools/vfs.js';

const opened: { fs: VirtualFileSystem; dbName: string }[] = [];
afterEach(async () => {
  for (const { fs, dbName } of opened.splice(0)) {
    fs.close();
    await deleteDB(dbName);
  }
});

function make(storage: 'memory' | 'indexeddb', limits: { maxFileBytes?: number; maxTotalBytes?: number; maxFiles?: number } = {}): VirtualFileSystem {
  const dbName = `quickcage-files-test-${crypto.randomUUID()}`;
  const fs = createVirtualFileSystem({ storage, dbName, ...limits });
  opened.push({ fs, dbName });
  return fs;
}

describe.each(['memory', 'indexeddb'] as const)('virtual file system (%s)', (storage) => {
  test('writes, reads, stats and deletes a file', async () => {
    const fs = make(storage);
    expect(await fs.writeFile('/data/a.txt', 'héllo')).toMatchObject({ path: '/data/a.txt', type: 'file', size: 6 });
    expect(await fs.readFile('/data/a.txt')).toBe('héllo');
    expect(await fs.stat('/data/a.txt')).toMatchObject({ type: 'file', size: 6 });
    expect(await fs.stat('/data')).toEqual({ path: '/data', type: 'directory', size: 0, mtime: 0 });
    expect(await fs.stat('/nothing')).toBeNull();
    expect(await fs.deleteFile('/data/a.txt')).toBe(true);
    expect(await fs.deleteFile('/data/a.txt')).toBe(false);
    expect(await fs.stat('/data')).toBeNull();
  });

  test('lists direct children with implicit directories, sorted', async () => {
    const fs = make(storage);
    await fs.writeFile('/data/b.txt', 'bb');
    await fs.writeFile('/data/a/x.txt', 'x');
    await fs.writeFile('/data/a/y/z.txt', 'z');
    await fs.writeFile('/data2/c.txt', 'c');
    expect(await fs.listDir('/data')).toEqual([
      { name: 'a', type: 'directory', size: 0 },
      { name: 'b.txt', type: 'file', size: 2 },
    ]);
    expect(await fs.listDir('/')).toEqual([
      { name: 'data', type: 'directory', size: 0 },
      { name: 'data2', type: 'directory', size: 0 },
    ]);
    expect(await fs.listDir('/empty')).toEqual([]);
  });

  test('a file and a directory cannot share a path', async () => {
    const fs = make(storage);
    await fs.writeFile('/data/a/x.txt', 'x');
    await expect(fs.writeFile('/data/a', 'file over dir')).rejects.toMatchObject({ code: 'TOOL_FAILED', details: { reason: 'is-directory' } });
    await expect(fs.writeFile('/data/a/x.txt/y', 'under a file')).rejects.toMatchObject({ code: 'TOOL_FAILED', details: { reason: 'not-directory', path: '/data/a/x.txt' } });
    await expect(fs.readFile('/data/a')).rejects.toMatchObject({ details: { reason: 'is-directory' } });
    await expect(fs.listDir('/data/a/x.txt')).rejects.toMatchObject({ details: { reason: 'not-directory' } });
    await expect(fs.deleteFile('/data/a')).rejects.toMatchObject({ details: { reason: 'is-directory' } });
    await expect(fs.readFile('/data/none')).rejects.toMatchObject({ code: 'TOOL_FAILED', details: { reason: 'not-found' } });
  });

  test('caps the file size in UTF-8 bytes', async () => {
    const fs = make(storage, { maxFileBytes: 4 });
    expect((await fs.writeFile('/a', 'abcd')).size).toBe(4);
    await expect(fs.writeFile('/b', 'abcde')).rejects.toMatchObject({ code: 'TOOL_FAILED', details: { reason: 'too-large' } });
    await expect(fs.writeFile('/c', 'ééé')).rejects.toMatchObject({ details: { reason: 'too-large' } }); // 6 bytes
  });

  test('caps the total size and the number of files, counting replacements once', async () => {
    const fs = make(storage, { maxTotalBytes: 10, maxFiles: 2 });
    await fs.writeFile('/a', '12345');
    await fs.writeFile('/a', '123456'); // replaces: total 6, not 11
    await fs.writeFile('/b', '1234');
    await expect(fs.writeFile('/c', '')).rejects.toMatchObject({ details: { reason: 'quota' } });
    await expect(fs.writeFile('/b', '12345')).rejects.toMatchObject({ details: { reason: 'quota' } });
    await fs.deleteFile('/b');
    await fs.writeFile('/c', '1234');
    expect(await fs.readFile('/c')).toBe('1234');
  });

  test.each([['/data/../x'], ['data'], ['/data/'], ['/data//x'], [42]])('refuses the non-canonical path %j with INVALID_ARGUMENT', async (path) => {
    const fs = make(storage);
    await expect(fs.readFile(path as string)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'path' });
    await expect(fs.writeFile(path as string, 'x')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'path' });
  });
});

test('IndexedDB files persist across file system instances of the same database', async () => {
  const dbName = `quickcage-files-test-${crypto.randomUUID()}`;
  const first = createVirtualFileSystem({ storage: 'indexeddb', dbName });
  await first.writeFile('/keep/me.txt', 'still here');
  first.close();
  const second = createVirtualFileSystem({ storage: 'indexeddb', dbName });
  opened.push({ fs: second, dbName });
  expect(await second.readFile('/keep/me.txt')).toBe('still here');
});

test.each([
  [{ storage: 'opfs' }, 'storage'],
  [{ maxFileBytes: -1 }, 'maxFileBytes'],
  [{ dbName: '' }, 'dbName'],
  [{ max: 1 }, 'options.max'],
])('rejects the option %j naming `%s`', (options, field) => {
  expect(() => createVirtualFileSystem(options as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field }));
});

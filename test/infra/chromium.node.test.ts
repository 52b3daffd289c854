/**
 * scripts/chromium.mjs, with the file system and apt-get replaced by tables: which path wins,
 * when it installs, and what it says when it cannot.
 */
import { describe, expect, test } from 'vitest';
import {
  CHROMIUM_ARGS,
  CHROMIUM_FLAGS,
  findChromium,
  playwrightCacheDirs,
  resolveChromium,
  type ResolveOptions,
} from '../../scripts/chromium.mjs';

const HOME = '/home/ci';
const CACHE = '/home/ci/.cache/ms-playwright';

/** A fake file system: `files` are the executables that exist, directories are derived from them. */
function fakeFs(files: string[]): Pick<ResolveOptions, 'isExecutable' | 'list' | 'home'> {
  const list = (dir: string) => {
    const prefix = dir.endsWith('/') ? dir : `${dir}/`;
    const names = files.filter((f) => f.startsWith(prefix)).map((f) => f.slice(prefix.length).split('/')[0] ?? '');
    return [...new Set(names)];
  };
  return { home: HOME, isExecutable: (file) => files.includes(file), list };
}

const noInstall = { canInstall: () => false, install: () => 1, log: () => {} };

describe('findChromium order', () => {
  const table: Array<{ name: string; env: Record<string, string>; files: string[]; expected: string | undefined }> = [
    {
      name: 'QUICKCAGE_CHROMIUM wins over everything',
      env: { QUICKCAGE_CHROMIUM: '/opt/c/chrome', CHROME_PATH: '/opt/other' },
      files: ['/opt/c/chrome', '/opt/other', `${CACHE}/chromium-1255/chrome-linux64/chrome`, '/usr/bin/chromium'],
      expected: '/opt/c/chrome',
    },
    {
      name: 'CHROME_PATH is accepted when QUICKCAGE_CHROMIUM is unset',
      env: { CHROME_PATH: '/opt/other' },
      files: ['/opt/other', '/usr/bin/chromium'],
      expected: '/opt/other',
    },
    {
      name: "Playwright's cache wins over /usr/bin/chromium, newest revision first",
      env: {},
      files: [
        `${CACHE}/chromium-999/chrome-linux/chrome`,
        `${CACHE}/chromium-1255/chrome-linux64/chrome`,
        `${CACHE}/chromium_headless_shell-1300/chrome-linux/headless_shell`,
        '/usr/bin/chromium',
      ],
      expected: `${CACHE}/chromium-1255/chrome-linux64/chrome`,
    },
    {
      name: 'PLAYWRIGHT_BROWSERS_PATH is searched before the default cache',
      env: { PLAYWRIGHT_BROWSERS_PATH: '/pw' },
      files: ['/pw/chromium-1/chrome-linux/chrome', `${CACHE}/chromium-2/chrome-linux/chrome`],
      expected: '/pw/chromium-1/chrome-linux/chrome',
    },
    {
      name: 'a revision directory without an executable is passed over',
      env: {},
      files: [`${CACHE}/chromium-2000/chrome-linux64/README`, '/usr/bin/chromium'],
      expected: '/usr/bin/chromium',
    },
    { name: '/usr/bin/chromium is the last resort', env: {}, files: ['/usr/bin/chromium'], expected: '/usr/bin/chromium' },
    { name: 'nothing anywhere', env: {}, files: ['/usr/bin/chromium-browser'], expected: undefined },
  ];
  for (const row of table) {
    test(row.name, () => {
      expect(findChromium({ env: row.env, ...fakeFs(row.files) })?.path).toBe(row.expected);
    });
  }

  test('an explicit QUICKCAGE_CHROMIUM that does not exist is an error, not a silent fallback', () => {
    expect(() => findChromium({ env: { QUICKCAGE_CHROMIUM: '/nope' }, ...fakeFs(['/usr/bin/chromium']) })).toThrow(
      'QUICKCAGE_CHROMIUM is set to `/nope`, which is not an executable file',
    );
  });

  test('XDG_CACHE_HOME moves the default cache, and ~/.cache is still probed', () => {
    expect(playwrightCacheDirs({ XDG_CACHE_HOME: '/xdg' }, HOME)).toEqual(['/xdg/ms-playwright', CACHE]);
  });
});

describe('resolveChromium installing', () => {
  test('installs with apt when allowed, then finds the new executable', () => {
    const files: string[] = [];
    const logs: string[] = [];
    const path = resolveChromium({
      env: {},
      ...fakeFs(files),
      canInstall: () => true,
      install: () => {
        files.push('/usr/bin/chromium');
        return 0;
      },
      log: (line) => logs.push(line),
    });
    expect(path).toBe('/usr/bin/chromium');
    expect(logs[0]).toContain('apt-get update && apt-get install -y chromium');
  });

  test('does not install when something is already there', () => {
    let installs = 0;
    const found = resolveChromium({ env: {}, ...fakeFs(['/usr/bin/chromium']), canInstall: () => true, install: () => ++installs, log: () => {} });
    expect(found).toBe('/usr/bin/chromium');
    expect(installs).toBe(0);
  });

  const refusals: Array<{ name: string; options: ResolveOptions; reason: string }> = [
    { name: 'QUICKCAGE_NO_INSTALL=1', options: { env: { QUICKCAGE_NO_INSTALL: '1' }, canInstall: () => true }, reason: 'QUICKCAGE_NO_INSTALL=1' },
    { name: 'not Debian as root', options: { env: {}, ...noInstall }, reason: 'not Debian as root with apt-get' },
    { name: 'apt-get fails', options: { env: {}, canInstall: () => true, install: () => 100, log: () => {} }, reason: 'apt-get exited with status 100' },
    { name: 'apt-get succeeds but installs nothing usable', options: { env: {}, canInstall: () => true, install: () => 0, log: () => {} }, reason: 'no executable appeared' },
  ];
  for (const row of refusals) {
    test(`throws a message naming all three places when ${row.name}`, () => {
      let message = '';
      try {
        resolveChromium({ ...fakeFs([]), ...row.options });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toContain(row.reason);
      expect(message).toContain('$QUICKCAGE_CHROMIUM');
      expect(message).toContain(`${CACHE}/chromium-*/chrome-linux*/chrome`);
      expect(message).toContain('/usr/bin/chromium');
      expect(message).toContain('apt-get install -y chromium');
    });
  }
});

test('launch args leave --headless to Playwright; the manual flag list adds it', () => {
  expect(CHROMIUM_ARGS).not.toContain('--headless');
  expect(CHROMIUM_FLAGS).toEqual([
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ]);
});

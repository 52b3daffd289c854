// Finds the Chromium that every browser test in this repository runs in (Vitest browser mode and
// Playwright). One module so that `npm test`, `vitest.config.ts` and `playwright.config.ts` agree.
//
// Order: QUICKCAGE_CHROMIUM (or CHROME_PATH) -> Playwright's browser cache -> /usr/bin/chromium.
// Playwright cannot download browsers on our CI machines, so this never runs `playwright install`.
// When nothing is found on a Debian machine as root, it installs the distribution's `chromium`
// package with apt-get (opt out with QUICKCAGE_NO_INSTALL=1); anywhere else it throws a message
// that names every place it looked and how to fix it.
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Launch flags without `--headless`: Playwright adds its own headless flag from `headless: true`.
 * Each flag removes a source of noise or network traffic in a sandboxed CI container:
 * no sandbox (containers run as root without user namespaces), no GPU, no QUIC, and no background
 * fetches (component updates, sync, first-run pings) so tests never touch the network.
 */
export const CHROMIUM_ARGS = Object.freeze([
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]);

/** The full flag list for launching Chromium by hand (outside Playwright). */
export const CHROMIUM_FLAGS = Object.freeze(['--headless', ...CHROMIUM_ARGS]);

/** The system location probed last, and where the Debian `chromium` package puts its launcher. */
export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** @param {string} file */
function isExecutableFile(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** @param {string} dir */
function listDir(dir) {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * The directories Playwright keeps browsers in, in the order Playwright itself uses:
 * PLAYWRIGHT_BROWSERS_PATH (`0` means inside playwright-core), else `$XDG_CACHE_HOME` or
 * `~/.cache`, plus `ms-playwright`. The default cache is always probed too.
 * @param {Record<string, string | undefined>} env
 * @param {string} home
 */
export function playwrightCacheDirs(env, home) {
  const dirs = [];
  const custom = env.PLAYWRIGHT_BROWSERS_PATH;
  if (custom === '0') {
    dirs.push(path.join(PACKAGE_ROOT, 'node_modules', 'playwright-core', '.local-browsers'));
  } else if (custom) {
    dirs.push(path.resolve(custom));
  }
  dirs.push(path.join(env.XDG_CACHE_HOME || path.join(home, '.cache'), 'ms-playwright'));
  dirs.push(path.join(home, '.cache', 'ms-playwright'));
  return [...new Set(dirs)];
}

/**
 * Executables inside Playwright caches, newest revision first:
 * `<cache>/chromium-<rev>/chrome-linux64/chrome` (current) or `.../chrome-linux/chrome` (older).
 * @param {string[]} cacheDirs
 * @param {(dir: string) => string[]} list
 */
export function playwrightChromiumCandidates(cacheDirs, list = listDir) {
  const found = [];
  for (const cache of cacheDirs) {
    const revisions = list(cache)
      .map((name) => /^chromium-(\d+)$/.exec(name))
      .filter((m) => m !== null)
      .sort((a, b) => Number(b[1]) - Number(a[1]));
    for (const [name] of revisions) {
      for (const platformDir of list(path.join(cache, name)).filter((d) => d.startsWith('chrome-linux')).sort()) {
        found.push(path.join(cache, name, platformDir, 'chrome'));
      }
    }
  }
  return found;
}

/**
 * @typedef {object} ResolveOptions
 * @property {Record<string, string | undefined>} [env] environment to read (default `process.env`)
 * @property {string} [home] home directory (default `os.homedir()`)
 * @property {(file: string) => boolean} [isExecutable]
 * @property {(dir: string) => string[]} [list]
 * @property {() => boolean} [canInstall] Debian + root + apt-get present
 * @property {() => number} [install] runs the install, returns its exit status
 * @property {(line: string) => void} [log] progress lines (default: stderr)
 */

/**
 * Looks for Chromium without installing anything.
 * @param {ResolveOptions} [options]
 * @returns {{ path: string, source: 'env' | 'playwright' | 'system' }}
 *   or `undefined` when no candidate exists
 * @throws {Error} when QUICKCAGE_CHROMIUM or CHROME_PATH names a file that is not executable:
 *   an explicit choice that does not work must not silently fall back to another browser.
 */
export function findChromium(options = {}) {
  const env = options.env ?? process.env;
  const isExecutable = options.isExecutable ?? isExecutableFile;
  for (const name of ['QUICKCAGE_CHROMIUM', 'CHROME_PATH']) {
    const value = env[name];
    if (value) {
      if (!isExecutable(value)) {
        throw new Error(`${name} is set to \`${value}\`, which is not an executable file. Fix the path or unset ${name}.`);
      }
      return { path: value, source: 'env' };
    }
  }
  const caches = playwrightCacheDirs(env, options.home ?? homedir());
  for (const candidate of playwrightChromiumCandidates(caches, options.list ?? listDir)) {
    if (isExecutable(candidate)) return { path: candidate, source: 'playwright' };
  }
  if (isExecutable(SYSTEM_CHROMIUM)) return { path: SYSTEM_CHROMIUM, source: 'system' };
  return undefined;
}

function onPath(command) {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && isExecutableFile(path.join(dir, command)));
}

/** True on Debian (or a derivative) as root with apt-get on PATH: the only case we install in. */
export function canInstallWithApt() {
  return existsSync('/etc/debian_version') && process.getuid?.() === 0 && onPath('apt-get');
}

function aptInstall() {
  const update = spawnSync('apt-get', ['update'], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (update.status !== 0) return update.status ?? 1;
  const install = spawnSync('apt-get', ['install', '-y', 'chromium'], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return install.status ?? 1;
}

/**
 * The message thrown when no Chromium is found and none may be installed.
 * @param {Record<string, string | undefined>} env
 * @param {string} home
 * @param {string} why
 */
export function notFoundMessage(env, home, why) {
  const caches = playwrightCacheDirs(env, home).map((d) => `${d}/chromium-*/chrome-linux*/chrome`);
  return [
    `No Chromium found for the browser tests (${why}). Looked in:`,
    '  1. $QUICKCAGE_CHROMIUM or $CHROME_PATH (unset)',
    `  2. Playwright's browser cache: ${caches.join(', ')}`,
    `  3. ${SYSTEM_CHROMIUM}`,
    'Fix it with one of:',
    '  - Debian/Ubuntu: sudo apt-get install -y chromium',
    '  - point QUICKCAGE_CHROMIUM at any Chromium/Chrome executable, e.g. QUICKCAGE_CHROMIUM=/opt/google/chrome/chrome',
    '  - on a machine with internet access: npx playwright install chromium',
  ].join('\n');
}

/**
 * Returns the path of a Chromium executable for the tests, installing the Debian package when
 * nothing is found and installing is allowed (Debian, root, apt-get, QUICKCAGE_NO_INSTALL not `1`).
 * Synchronous so config files can call it at load time.
 * @param {ResolveOptions} [options]
 * @returns {string}
 * @throws {Error} naming every probed location and the fixes, when no Chromium can be found or installed
 */
export function resolveChromium(options = {}) {
  const env = options.env ?? process.env;
  const home = options.home ?? homedir();
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  const found = findChromium(options);
  if (found) return found.path;

  if (env.QUICKCAGE_NO_INSTALL === '1') throw new Error(notFoundMessage(env, home, 'QUICKCAGE_NO_INSTALL=1, not installing'));
  const canInstall = options.canInstall ?? canInstallWithApt;
  if (!canInstall()) throw new Error(notFoundMessage(env, home, 'not Debian as root with apt-get, so not installing'));

  log('quickcage: no Chromium found; installing it: apt-get update && apt-get install -y chromium');
  const status = (options.install ?? aptInstall)();
  if (status !== 0) throw new Error(notFoundMessage(env, home, `apt-get exited with status ${status}`));
  const after = findChromium(options);
  if (!after) throw new Error(notFoundMessage(env, home, 'apt-get succeeded but no executable appeared'));
  log(`quickcage: installed Chromium at ${after.path}`);
  return after.path;
}

// `node scripts/chromium.mjs` prints the resolved path (used by .ci/run and for debugging).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.stdout.write(`${resolveChromium()}\n`);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}

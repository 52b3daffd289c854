// Types for scripts/chromium.mjs, so the TypeScript configs and tests can import it.

/** Launch flags without `--headless` (Playwright adds its own from `headless: true`). */
export declare const CHROMIUM_ARGS: readonly string[];
/** `--headless` plus {@link CHROMIUM_ARGS}, for launching Chromium by hand. */
export declare const CHROMIUM_FLAGS: readonly string[];
/** The system location probed last. */
export declare const SYSTEM_CHROMIUM: '/usr/bin/chromium';

export interface ResolveOptions {
  /** Environment to read (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Home directory (default `os.homedir()`). */
  home?: string;
  isExecutable?: (file: string) => boolean;
  list?: (dir: string) => string[];
  /** Debian + root + apt-get present. */
  canInstall?: () => boolean;
  /** Runs the install and returns its exit status. */
  install?: () => number;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

export declare function playwrightCacheDirs(env: Record<string, string | undefined>, home: string): string[];
export declare function playwrightChromiumCandidates(cacheDirs: string[], list?: (dir: string) => string[]): string[];
/**
 * Looks for Chromium without installing anything.
 * @throws {Error} when QUICKCAGE_CHROMIUM or CHROME_PATH names a file that is not executable.
 */
export declare function findChromium(
  options?: ResolveOptions,
): { path: string; source: 'env' | 'playwright' | 'system' } | undefined;
export declare function canInstallWithApt(): boolean;
export declare function notFoundMessage(env: Record<string, string | undefined>, home: string, why: string): string;
/**
 * Path of a Chromium executable for the tests; installs the Debian package when allowed.
 * @throws {Error} naming every probed location and the fixes, when none can be found or installed.
 */
export declare function resolveChromium(options?: ResolveOptions): string;

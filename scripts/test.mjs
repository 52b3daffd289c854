// `npm test`: every check this repository has, in one command, offline.
//
//   0. find Chromium (scripts/chromium.mjs; may apt-get install it on Debian as root)
//   1. typecheck   tsc -p tsconfig.json --noEmit            one check
//   2. lint        eslint .                                 one check
//   3. package     scripts/package-checks.mjs: build + pack, publint, attw, size budgets, the public
//                  types under TypeScript 5.2/5.4/6                         one check each
//   4. vitest      vitest run (browser + node projects)     one per test, from test-results/vitest.json,
//                  plus one per unhandled error (test-results/vitest-errors.json)
//   5. playwright  playwright test (only when test/e2e has specs)  one per test, test-results/playwright.json;
//                  its consumer matrix installs the tarball packed in step 3 (QUICKCAGE_TARBALL)
//
// Runner output streams through as it happens. The very last line is the total, exactly
// `N passed, N failed` (plus `, N skipped` when N > 0). The exit code is non-zero when anything
// failed; a runner that crashes or leaves no report counts as one failed test and says so.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveChromium } from './chromium.mjs';
import { runPackageChecks } from './package-checks.mjs';
import { addTallies, countCheck, countPlaywright, countVitest, crashed, formatSummary } from './summary.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REPORTS = path.join(ROOT, 'test-results');
const VITEST_REPORT = path.join(REPORTS, 'vitest.json');
const VITEST_ERRORS = path.join(REPORTS, 'vitest-errors.json');
const VITEST_ERRORS_REPORTER = path.join(ROOT, 'scripts', 'vitest-errors-reporter.mjs');
// Must match the json reporter's outputFile in playwright.config.ts.
const PLAYWRIGHT_REPORT = path.join(REPORTS, 'playwright.json');

/** @param {string} text */
function banner(text) {
  process.stdout.write(`\n=== ${text} ===\n`);
}

/**
 * Runs a local binary from node_modules/.bin with inherited stdio (output streams live).
 * Resolves with the exit code, or `null` when it was killed by a signal or could not start.
 * @param {string} bin
 * @param {string[]} args
 * @param {NodeJS.ProcessEnv} env
 * @returns {Promise<number | null>}
 */
function run(bin, args, env) {
  // `tsc` by path: older TypeScript versions installed under aliases for the declaration matrix
  // (typescript-5.2, typescript-5.4) also provide a `tsc` bin, and npm links whichever it likes.
  const [command, prefix] = bin === 'tsc' ? [process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')]] : [path.join(ROOT, 'node_modules', '.bin', bin), []];
  return new Promise((resolve) => {
    const child = spawn(command, [...prefix, ...args], { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', (error) => {
      process.stderr.write(`quickcage test: could not start ${bin}: ${error.message}\n`);
      resolve(null);
    });
    child.on('exit', (code, signal) => {
      if (signal) process.stderr.write(`quickcage test: ${bin} was killed by ${signal}\n`);
      resolve(signal ? null : code);
    });
  });
}

/** @param {string} file */
function readReport(file) {
  try {
    return { report: JSON.parse(readFileSync(file, 'utf8')) };
  } catch (error) {
    return { error: existsSync(file) ? `unreadable JSON report ${path.relative(ROOT, file)}: ${error.message}` : `no JSON report at ${path.relative(ROOT, file)}` };
  }
}

/** @param {string} dir */
function hasSpecs(dir) {
  if (!existsSync(dir)) return false;
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).some((f) => /\.spec\.[cm]?[jt]s$/.test(f));
}

/** @param {number} started */
function seconds(started) {
  return `${((Date.now() - started) / 1000).toFixed(1)} s`;
}

async function main() {
  const steps = [];
  // Children see our environment (CI, proxies, PLAYWRIGHT_*), plus the resolved browser so the
  // configs do not search (or install) again.
  const env = { ...process.env };

  banner('chromium');
  let chromium;
  try {
    chromium = resolveChromium();
    env.QUICKCAGE_CHROMIUM = chromium;
    process.stdout.write(`using ${chromium}\n`);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    steps.push({ name: 'chromium', note: 'not found', tally: crashed('chromium', 1, 'no browser; vitest and playwright not run') });
  }

  banner('typecheck: tsc -p tsconfig.json --noEmit');
  let started = Date.now();
  const tsc = await run('tsc', ['-p', 'tsconfig.json', '--noEmit'], env);
  steps.push({ name: 'typecheck', note: seconds(started), tally: countCheck('typecheck (tsc)', tsc) });

  banner('lint: eslint .');
  started = Date.now();
  const eslint = await run('eslint', ['.'], env);
  steps.push({ name: 'lint', note: seconds(started), tally: countCheck('lint (eslint)', eslint) });

  banner('package: build, pack, publint, attw, size, types');
  started = Date.now();
  const packaged = await runPackageChecks().catch((error) => {
    process.stderr.write(`quickcage test: package checks crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return { tarball: null, results: [{ name: 'package checks', ok: false }] };
  });
  if (packaged.tarball) env.QUICKCAGE_TARBALL = packaged.tarball;
  steps.push({
    name: 'package',
    note: seconds(started),
    tally: addTallies(packaged.results.map(({ name, ok }) => countCheck(`package ${name}`, ok ? 0 : 1))),
  });

  if (chromium) {
    mkdirSync(REPORTS, { recursive: true });

    banner('vitest run');
    started = Date.now();
    // Stale reports must never count.
    rmSync(VITEST_REPORT, { force: true });
    rmSync(VITEST_ERRORS, { force: true });
    const vitest = await run(
      'vitest',
      ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${VITEST_REPORT}`, `--reporter=${VITEST_ERRORS_REPORTER}`],
      { ...env, QUICKCAGE_VITEST_ERRORS_FILE: VITEST_ERRORS },
    );
    const vitestReport = readReport(VITEST_REPORT);
    const vitestErrors = readReport(VITEST_ERRORS);
    steps.push({
      name: 'vitest',
      note: seconds(started),
      tally: vitestReport.report
        ? countVitest(vitestReport.report, vitest, ROOT, vitestErrors.report)
        : crashed('vitest', vitest, vitestReport.error),
    });

    if (hasSpecs(path.join(ROOT, 'test', 'e2e'))) {
      banner('playwright test');
      started = Date.now();
      rmSync(PLAYWRIGHT_REPORT, { force: true });
      const playwright = await run('playwright', ['test'], env);
      const playwrightReport = readReport(PLAYWRIGHT_REPORT);
      steps.push({
        name: 'playwright',
        note: seconds(started),
        tally: playwrightReport.report
          ? countPlaywright(playwrightReport.report, playwright)
          : crashed('playwright', playwright, playwrightReport.error),
      });
    } else {
      process.stdout.write('\n(no test/e2e/*.spec.ts: playwright not run)\n');
    }
  }

  const total = addTallies(steps.map((s) => s.tally));
  banner('totals');
  for (const { name, note, tally } of steps) {
    process.stdout.write(`${name.padEnd(11)} ${formatSummary(tally).padEnd(32)} ${note}\n`);
  }
  if (total.failures.length > 0) {
    process.stdout.write('\nFailed:\n');
    for (const line of total.failures) process.stdout.write(`  ✗ ${line}\n`);
  }
  process.stdout.write(`${formatSummary(total)}\n`);
  process.exitCode = total.failed > 0 ? 1 : 0;
}

main().catch((error) => {
  // A bug in this script itself: still end with a summary line so CI logs stay parseable.
  process.stderr.write(`quickcage test: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.stdout.write(`${formatSummary({ passed: 0, failed: 1, skipped: 0 })}\n`);
  process.exitCode = 1;
});

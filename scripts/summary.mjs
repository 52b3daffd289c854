// Pure counting for scripts/test.mjs: turns each runner's exit code and JSON report into
// passed/failed/skipped counts and the names of what failed. No I/O here, so it is unit-tested
// (test/infra/summary.node.test.ts) with report shapes recorded from the real runners.

/**
 * @typedef {object} Tally
 * @property {number} passed
 * @property {number} failed
 * @property {number} skipped
 * @property {string[]} failures one line per failed test or crash, for the recap before the summary
 */

/** @returns {Tally} */
export function emptyTally() {
  return { passed: 0, failed: 0, skipped: 0, failures: [] };
}

/**
 * A whole-tool check (typecheck, lint) counts as one test.
 * @param {string} name
 * @param {number | null} exitCode `null` when the process died from a signal or did not start
 * @returns {Tally}
 */
export function countCheck(name, exitCode) {
  if (exitCode === 0) return { ...emptyTally(), passed: 1 };
  return { ...emptyTally(), failed: 1, failures: [`${name}: ${describeExit(exitCode)}`] };
}

/**
 * A runner that produced no usable report counts as one failed test, with a line saying so.
 * @param {string} name
 * @param {number | null} exitCode
 * @param {string} why
 * @returns {Tally}
 */
export function crashed(name, exitCode, why) {
  return { ...emptyTally(), failed: 1, failures: [`${name} crashed (${describeExit(exitCode)}): ${why}`] };
}

/** @param {number | null} exitCode */
function describeExit(exitCode) {
  return exitCode === null ? 'killed by a signal or failed to start' : `exit code ${exitCode}`;
}

/**
 * Vitest's JSON reporter (Jest-compatible shape). Every assertion result is one test; a file that
 * failed without any failed test (it did not load, or a hook threw) is one failed test.
 * `extra` comes from scripts/vitest-errors-reporter.mjs: each unhandled error is one failed test,
 * and an interrupted run is one more. A non-zero exit with nothing failed is one failed test too.
 * @param {any} report parsed JSON
 * @param {number | null} exitCode
 * @param {string} root absolute project root, stripped from file names
 * @param {any} [extra] `{ reason, unhandledErrors: [{ name, message }] }`, when available
 * @returns {Tally}
 */
export function countVitest(report, exitCode, root = '', extra = undefined) {
  if (!report || !Array.isArray(report.testResults)) return crashed('vitest', exitCode, 'its JSON report has no testResults');
  const tally = emptyTally();
  for (const file of report.testResults) {
    const name = relative(String(file.name ?? '?'), root);
    let failedHere = 0;
    for (const t of file.assertionResults ?? []) {
      if (t.status === 'passed') tally.passed++;
      else if (t.status === 'failed') {
        tally.failed++;
        failedHere++;
        tally.failures.push(`vitest: ${name} > ${t.fullName ?? t.title}`);
      } else tally.skipped++; // skipped, pending, todo
    }
    if (file.status === 'failed' && failedHere === 0) {
      tally.failed++;
      tally.failures.push(`vitest: ${name} failed outside any test: ${firstLine(file.message) || 'no message'}`);
    }
  }
  for (const error of extra?.unhandledErrors ?? []) {
    tally.failed++;
    tally.failures.push(`vitest: unhandled error outside any test: ${firstLine(`${error.name}: ${error.message}`)}`);
  }
  if (extra?.reason === 'interrupted') {
    tally.failed++;
    tally.failures.push('vitest: the run was interrupted before every test ran');
  }
  if (exitCode !== 0 && tally.failed === 0) {
    tally.failed++;
    tally.failures.push(`vitest: ${describeExit(exitCode)} although its report has no failed test (an error outside any test: unhandled error, browser launch; see the output above)`);
  }
  return tally;
}

/**
 * Playwright's JSON reporter: `stats` counts tests per project; `errors` are failures outside any
 * test (a spec that does not load, a web server that does not start), one failed test each.
 * A flaky test (failed, then passed on retry) counts as passed and is named in the recap.
 * @param {any} report parsed JSON
 * @param {number | null} exitCode
 * @returns {Tally}
 */
export function countPlaywright(report, exitCode) {
  if (!report || typeof report.stats !== 'object' || report.stats === null) {
    return crashed('playwright', exitCode, 'its JSON report has no stats');
  }
  const { expected = 0, unexpected = 0, flaky = 0, skipped = 0 } = report.stats;
  const tally = { passed: expected + flaky, failed: unexpected, skipped, failures: [] };
  for (const { title, status, project } of playwrightTests(report.suites ?? [])) {
    if (status === 'unexpected') tally.failures.push(`playwright: [${project}] ${title}`);
    if (status === 'flaky') tally.failures.push(`playwright: [${project}] ${title} (flaky: passed on retry, counted as passed)`);
  }
  for (const error of report.errors ?? []) {
    tally.failed++;
    tally.failures.push(`playwright: ${firstLine(error.message) || 'error outside any test'}`);
  }
  if (exitCode !== 0 && tally.failed === 0) {
    tally.failed++;
    tally.failures.push(`playwright: ${describeExit(exitCode)} although no test failed (see the output above)`);
  }
  return tally;
}

/**
 * @param {any[]} suites
 * @param {string[]} path
 * @returns {Generator<{ title: string, status: string, project: string }>}
 */
function* playwrightTests(suites, path = []) {
  for (const suite of suites) {
    const here = suite.title ? [...path, suite.title] : path;
    for (const spec of suite.specs ?? []) {
      for (const t of spec.tests ?? []) {
        yield { title: [...here, spec.title].join(' > '), status: t.status, project: t.projectName ?? '' };
      }
    }
    yield* playwrightTests(suite.suites ?? [], here);
  }
}

/** @param {Tally[]} tallies */
export function addTallies(tallies) {
  const total = emptyTally();
  for (const t of tallies) {
    total.passed += t.passed;
    total.failed += t.failed;
    total.skipped += t.skipped;
    total.failures.push(...t.failures);
  }
  return total;
}

/**
 * The last line `npm test` prints: `N passed, N failed`, plus `, N skipped` only when some were.
 * @param {{ passed: number, failed: number, skipped: number }} total
 */
export function formatSummary({ passed, failed, skipped }) {
  return `${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`;
}

// Runner messages carry terminal colours; the recap is plain text.
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

/** @param {unknown} text */
function firstLine(text) {
  return typeof text === 'string' ? (text.replace(ANSI, '').trim().split('\n')[0] ?? '').trim() : '';
}

/** @param {string} file @param {string} root */
function relative(file, root) {
  return root && file.startsWith(`${root}/`) ? file.slice(root.length + 1) : file;
}

/**
 * scripts/summary.mjs: how `npm test` turns runner reports into its last line. Report shapes are
 * trimmed copies of what Vitest 4.1 and Playwright 1.65 write with their json reporters.
 */
import { describe, expect, test } from 'vitest';
import { addTallies, countCheck, countPlaywright, countVitest, crashed, formatSummary } from '../../scripts/summary.mjs';

const ROOT = '/work/main';

describe('formatSummary', () => {
  const table: Array<[{ passed: number; failed: number; skipped: number }, string]> = [
    [{ passed: 25, failed: 0, skipped: 0 }, '25 passed, 0 failed'],
    [{ passed: 0, failed: 0, skipped: 0 }, '0 passed, 0 failed'],
    [{ passed: 3, failed: 2, skipped: 1 }, '3 passed, 2 failed, 1 skipped'],
    [{ passed: 1, failed: 0, skipped: 4 }, '1 passed, 0 failed, 4 skipped'],
  ];
  for (const [total, line] of table) {
    test(`prints "${line}"`, () => expect(formatSummary(total)).toBe(line));
  }
});

describe('countCheck (typecheck, lint)', () => {
  test('exit 0 is one passed check', () => {
    expect(countCheck('lint (eslint)', 0)).toEqual({ passed: 1, failed: 0, skipped: 0, failures: [] });
  });
  test('a non-zero exit is one failed check naming the code', () => {
    expect(countCheck('typecheck (tsc)', 2)).toEqual({ passed: 0, failed: 1, skipped: 0, failures: ['typecheck (tsc): exit code 2'] });
  });
  test('a signal (null exit) is one failed check', () => {
    expect(countCheck('lint (eslint)', null).failures).toEqual(['lint (eslint): killed by a signal or failed to start']);
  });
});

describe('countVitest', () => {
  const report = {
    numTotalTests: 5,
    success: false,
    testResults: [
      {
        name: `${ROOT}/test/infra/zz-broken.node.test.ts`,
        status: 'failed',
        message: "Cannot find module './does-not-exist.js' imported from /work/main/test/infra/zz-broken.node.test.ts",
        assertionResults: [],
      },
      {
        name: `${ROOT}/test/infra/zz-fail.node.test.ts`,
        status: 'failed',
        message: '',
        assertionResults: [
          { fullName: 'fails', title: 'fails', status: 'failed' },
          { fullName: 'passes', title: 'passes', status: 'passed' },
          { fullName: 'skipped', title: 'skipped', status: 'skipped' },
          { fullName: 'todo', title: 'todo', status: 'todo' },
        ],
      },
      { name: `${ROOT}/test/infra/ok.test.ts`, status: 'passed', message: '', assertionResults: [{ fullName: 'a b', title: 'b', status: 'passed' }] },
    ],
  };

  test('counts each test, and a file that failed to load as one failed test', () => {
    expect(countVitest(report, 1, ROOT)).toEqual({
      passed: 2,
      failed: 2,
      skipped: 2,
      failures: [
        "vitest: test/infra/zz-broken.node.test.ts failed outside any test: Cannot find module './does-not-exist.js' imported from /work/main/test/infra/zz-broken.node.test.ts",
        'vitest: test/infra/zz-fail.node.test.ts > fails',
      ],
    });
  });

  test('a non-zero exit with no failed test (an unhandled error) counts one failed', () => {
    const clean = { testResults: [report.testResults[2]] };
    expect(countVitest(clean, 0, ROOT)).toMatchObject({ passed: 1, failed: 0 });
    const tally = countVitest(clean, 1, ROOT);
    expect(tally).toMatchObject({ passed: 1, failed: 1 });
    expect(tally.failures[0]).toContain('exit code 1 although its report has no failed test');
  });

  test('each unhandled error outside any test counts one failed, even when tests failed too', () => {
    const extra = { reason: 'failed', unhandledErrors: [{ name: 'ToolError', message: 'Approval for tool `sendEmail` was denied (APPROVAL_DENIED)\n  at x' }] };
    const tally = countVitest(report, 1, ROOT, extra);
    expect(tally).toMatchObject({ passed: 2, failed: 3, skipped: 2 });
    expect(tally.failures.at(-1)).toBe('vitest: unhandled error outside any test: ToolError: Approval for tool `sendEmail` was denied (APPROVAL_DENIED)');
  });

  test('an interrupted run counts one failed', () => {
    const clean = { testResults: [report.testResults[2]] };
    expect(countVitest(clean, 1, ROOT, { reason: 'interrupted', unhandledErrors: [] }).failures).toEqual([
      'vitest: the run was interrupted before every test ran',
    ]);
  });

  test('a report without testResults is a crash', () => {
    expect(countVitest({}, 1, ROOT)).toEqual({
      passed: 0,
      failed: 1,
      skipped: 0,
      failures: ['vitest crashed (exit code 1): its JSON report has no testResults'],
    });
  });
});

describe('countPlaywright', () => {
  const spec = (title: string, status: string, line: number) => ({ title, file: 'x.spec.ts', line, tests: [{ projectName: 'chromium', status }] });
  const report = {
    stats: { expected: 1, unexpected: 1, flaky: 1, skipped: 1 },
    errors: [],
    suites: [
      {
        title: 'x.spec.ts',
        specs: [spec('skipped', 'skipped', 3), spec('passes', 'expected', 4), spec('retried', 'flaky', 5)],
        suites: [{ title: 'group', specs: [spec('fails', 'unexpected', 2)] }],
      },
    ],
  };

  test('counts stats; flaky counts as passed but is named', () => {
    expect(countPlaywright(report, 1)).toEqual({
      passed: 2,
      failed: 1,
      skipped: 1,
      failures: [
        'playwright: [chromium] x.spec.ts > retried (flaky: passed on retry, counted as passed)',
        'playwright: [chromium] x.spec.ts > group > fails',
      ],
    });
  });

  test('an error outside any test (a spec that does not load) is one failed test, colours stripped', () => {
    const broken = {
      stats: { expected: 0, unexpected: 0, flaky: 0, skipped: 0 },
      errors: [{ message: "\u001b[31mError: Cannot find module '/w/test/e2e/nope.js'\u001b[39m\n    at x" }],
      suites: [],
    };
    expect(countPlaywright(broken, 1)).toEqual({
      passed: 0,
      failed: 1,
      skipped: 0,
      failures: ["playwright: Error: Cannot find module '/w/test/e2e/nope.js'"],
    });
  });

  test('a non-zero exit with nothing failed counts one failed', () => {
    const quiet = { stats: { expected: 2, unexpected: 0, flaky: 0, skipped: 0 }, errors: [], suites: [] };
    expect(countPlaywright(quiet, 0)).toMatchObject({ passed: 2, failed: 0 });
    expect(countPlaywright(quiet, 1)).toMatchObject({ passed: 2, failed: 1 });
  });

  test('a report without stats is a crash', () => {
    expect(countPlaywright(null, null).failures).toEqual(['playwright crashed (killed by a signal or failed to start): its JSON report has no stats']);
  });
});

test('addTallies sums every step; the summary line reflects all of them', () => {
  const total = addTallies([countCheck('typecheck', 0), countCheck('lint', 1), crashed('vitest', 1, 'no JSON report at test-results/vitest.json')]);
  expect(formatSummary(total)).toBe('1 passed, 2 failed');
  expect(total.failures).toEqual(['lint: exit code 1', 'vitest crashed (exit code 1): no JSON report at test-results/vitest.json']);
});

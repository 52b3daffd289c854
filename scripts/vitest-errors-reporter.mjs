// A Vitest reporter that records what the JSON reporter leaves out: errors outside any test
// (unhandled rejections, errors thrown after a test finished) and whether the run was interrupted.
// scripts/test.mjs counts each unhandled error as one failed test, as Vitest's own "Errors" line does:
// an unhandled rejection usually means a promise nobody awaited, which can hide a real failure.
// Writes JSON to $QUICKCAGE_VITEST_ERRORS_FILE (default test-results/vitest-errors.json).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export default class VitestErrorsReporter {
  /**
   * @param {unknown} _testModules
   * @param {ReadonlyArray<{ name?: string, message?: string, stack?: string }>} unhandledErrors
   * @param {'passed' | 'failed' | 'interrupted'} reason
   */
  onTestRunEnd(_testModules, unhandledErrors, reason) {
    const file = process.env.QUICKCAGE_VITEST_ERRORS_FILE || path.join('test-results', 'vitest-errors.json');
    mkdirSync(path.dirname(file), { recursive: true });
    const errors = unhandledErrors.map((e) => ({ name: e.name ?? 'Error', message: e.message ?? String(e) }));
    writeFileSync(file, `${JSON.stringify({ reason, unhandledErrors: errors }, null, 2)}\n`);
  }
}

// Types for scripts/summary.mjs (imported by its tests).

export interface Tally {
  passed: number;
  failed: number;
  skipped: number;
  /** One line per failed test or crash, for the recap before the summary line. */
  failures: string[];
}

export declare function emptyTally(): Tally;
export declare function countCheck(name: string, exitCode: number | null): Tally;
export declare function crashed(name: string, exitCode: number | null, why: string): Tally;
/** `extra`: what scripts/vitest-errors-reporter.mjs wrote (unhandled errors, end reason). */
export declare function countVitest(report: unknown, exitCode: number | null, root?: string, extra?: unknown): Tally;
export declare function countPlaywright(report: unknown, exitCode: number | null): Tally;
export declare function addTallies(tallies: Tally[]): Tally;
/** `N passed, N failed`, plus `, N skipped` only when N > 0. */
export declare function formatSummary(total: { passed: number; failed: number; skipped: number }): string;

/**
 * What the bench page and the Node runner (bench/run.mjs) exchange. Everything here crosses
 * `page.evaluate` as JSON, so it is plain data only.
 */

/**
 * Row ids, in table order (issue 11's target table first). bench/report.mjs holds their titles and
 * targets. `audit` is measured by bench/run.mjs itself (it reads the page thread's CPU time over the
 * DevTools protocol) with the helpers in bench/page/audit.ts.
 */
export const ROW_IDS = ['warm', 'throughput', 'cold', 'coldInPage', 'deadline', 'audit', 'fib', 'memory', 'stuck'] as const;
export type RowId = (typeof ROW_IDS)[number];

/**
 * Peer ids, in column order. `quickcageFull` is the same SDK with the full pipeline wired
 * (`createAuditLog()` + `createRateLimiter()`), as the seeds use it.
 */
export const PEER_IDS = ['quickcage', 'quickcageFull', 'raw', 'sebastianwessel', 'native', 'comlink'] as const;
export type PeerId = (typeof PEER_IDS)[number];

/** One row measured for one peer. */
export type RowResult =
  | {
      status: 'ok';
      /** `ms` (lower is better) or `runs/s` (higher is better). */
      unit: 'ms' | 'runs/s';
      samples: number[];
      /** Second series measured with the same samples, e.g. `next` (stuck row) or `peakBytes` (memory row). */
      extra?: Record<string, number[]>;
      /** How each sample ended, e.g. `{ MEMORY_LIMIT: 5 }`; the runner flags samples that did not end as expected. */
      outcomes?: Record<string, number>;
      note?: string;
    }
  /** The peer has no way to do this (e.g. stopping native code); `reason` says why. */
  | { status: 'na'; reason: string }
  | { status: 'error'; error: string };

/** Options the runner passes to a row. */
export interface RowOptions {
  /** Soft time budget for sampling, in ms: sampling stops when it is spent (after `minSamples`). */
  budgetMs: number;
  /** Target sample count; fewer when the budget runs out. */
  samples: number;
  minSamples: number;
}

/** A peer: one implementation of every row, or a reason why a row does not apply. */
export interface Peer {
  /** Runs one row; never throws (errors become `{ status: 'error' }` in main.ts). */
  run(row: RowId, options: RowOptions): Promise<RowResult>;
}

/** One row reported by an optional component bench (bench/validate.bench.ts, bench/guardrails.bench.ts). */
export interface ComponentRow {
  name: string;
  /** Human-readable result, e.g. `41.2 MB/s`. */
  value: string;
  target?: string;
  /** Whether the target is met; leave undefined when there is no target. */
  meets?: boolean;
  n?: number;
  note?: string;
}

/** The outcome of one optional component bench. */
export type ComponentResult =
  | { status: 'ok'; rows: ComponentRow[] }
  | { status: 'absent'; reason: string }
  | { status: 'error'; error: string };

/** What the page reports about itself before the rows run. */
export interface PageInfo {
  crossOriginIsolated: boolean;
  /** Smallest non-zero step of `performance.now()` seen in a short probe, in ms. */
  timerResolutionMs: number;
  userAgent: string;
  hardwareConcurrency: number;
  components: string[];
}

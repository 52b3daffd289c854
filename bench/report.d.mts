// Types for bench/report.mjs, so test/bench/report.test.ts can import it.

export interface Summary {
  n: number;
  min: number;
  p50: number;
  /** 95th percentile; for `runs/s` the slow tail (5th percentile). */
  p95: number;
  max: number;
  mean: number;
}

import type { ComponentRow, RowResult } from './page/types.js';

// The page's types are the contract; the report reads the same shapes.
export type { ComponentRow, RowResult };

export interface Verdict {
  ok: boolean | null;
  text: string;
}

export interface RowSpec {
  id: string;
  title: string;
  target: string;
  /** The outcome every quickcage sample must end with (e.g. `MEMORY_LIMIT`). */
  expect?: string;
  check?: (cells: Record<string, RowResult>) => Verdict;
}

export interface PeerSpec {
  id: string;
  label: string;
  engine: boolean;
}

export declare const PEERS: readonly PeerSpec[];
/** The quickcage columns (default sandbox, full pipeline) every target applies to. */
export declare const SANDBOXES: readonly { id: string; name: string }[];
export declare const ROWS: readonly RowSpec[];
export declare function percentile(sorted: number[], q: number): number;
export declare function summarize(samples: number[], unit?: 'ms' | 'runs/s' | 'bytes'): Summary;
export declare function num(value: number): string;
export declare function mib(bytes: number): string;
export declare function formatCell(result: RowResult | undefined, row: RowSpec): string;
export declare function cell(text: string): string;
export declare function judge(cellsByRow: Record<string, Record<string, RowResult>>): { spec: RowSpec; cells: Record<string, RowResult>; verdict: Verdict | null }[];
export declare function renderSummary(rows: { spec: RowSpec; cells: Record<string, RowResult>; verdict: Verdict | null }[]): string;
export declare function renderMarkdown(report: {
  rows: { spec: RowSpec; cells: Record<string, RowResult>; verdict: Verdict | null }[];
  components: ComponentRow[];
  machine: Record<string, string>;
  peerLabels?: Record<string, string>;
}): string;

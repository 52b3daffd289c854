// scripts/bench-docs.mjs renders a saved run (bench/results/latest.json) into docs/benchmarks.md. The
// page must list every target row of the bench, also when the saved run is older than the row.
import { describe, expect, it } from 'vitest';
import { ROWS } from '../../bench/report.mjs';
import { renderResults } from '../../scripts/bench-docs.mjs';

const summary = { n: 1, min: 1, p50: 1, p95: 1, max: 1, mean: 1 };
const olderRun = {
  generatedAt: '2026-01-01T00:00:00.000Z',
  contended: false,
  machine: { date: '2026-01-01T00:00:00.000Z' },
  components: {},
  rows: [
    {
      id: 'warm',
      title: 'warm one-shot run as that run called it',
      target: '<= 0.5 ms',
      meetsTarget: { ok: false, text: 'no: p50 1.00 ms > 0.5 ms' },
      cells: { quickcage: { status: 'ok', unit: 'ms', samples: [1], summary } },
    },
  ],
};

describe('bench docs table', () => {
  const page = renderResults(olderRun).split('\n');
  // The full table (after the summary of targets).
  const table = page.slice(page.findIndex((line) => line.startsWith('| row |'))).filter((line) => line.startsWith('| '));
  const summary = page.slice(page.findIndex((line) => line.startsWith('| target row |'))).filter((line) => line.startsWith('| '));

  it('keeps the title, target and verdict the run recorded', () => {
    const warm = table.find((line) => line.includes('warm one-shot run as that run called it'))!;
    expect(warm).toContain('| <= 0.5 ms |');
    expect(warm).toContain('| p50 1.00 · p95 1.00 ms (n=1) |');
    expect(warm).toMatch(/\| no: p50 1.00 ms > 0.5 ms \|$/);
  });

  it('lists every row the run did not measure, in the bench order, saying so', () => {
    const rows = table.slice(1, 1 + ROWS.length);
    expect(rows).toHaveLength(ROWS.length);
    ROWS.forEach((spec, i) => {
      if (spec.id === 'warm') return;
      expect(rows[i]).toContain(`| ${spec.title.replace(/\|/g, '\\|')} |`);
      expect(rows[i]).toMatch(spec.check ? /\| not measured in the run of 2026-01-01T00:00:00.000Z \|$/ : /\| no target \|$/);
    });
  });

  it('the summary of targets has every target row too', () => {
    const targets = ROWS.filter((spec) => spec.check);
    expect(summary.slice(1, 1 + targets.length).map((line) => line.split(' | ')[0]!.slice(2))).toEqual(targets.map((spec) => (spec.id === 'warm' ? 'warm one-shot run as that run called it' : spec.title.replace(/\|/g, '\\|'))));
    expect(summary[1]).toMatch(/\| 1.00 · 1.00 ms \| not run \| not run \| — \| — \| MISS \|$/);
  });
});

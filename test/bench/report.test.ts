// The bench's report logic (bench/report.mjs): statistics, target verdicts and markdown. No timing:
// samples are made up, the code under test only does arithmetic and formatting.
import { describe, expect, it } from 'vitest';
import { ROWS, cell, formatCell, judge, num, percentile, renderMarkdown, renderSummary, summarize, type RowResult } from '../../bench/report.mjs';

const MIB = 1024 * 1024;
const ms = (samples: number[], more: Partial<Extract<RowResult, { status: 'ok' }>> = {}): RowResult => ({ status: 'ok', unit: 'ms', samples, ...more });
const rate = (samples: number[]): RowResult => ({ status: 'ok', unit: 'runs/s', samples });
const row = (id: string) => ROWS.find((r) => r.id === id)!;
const verdictOf = (id: string, cells: Record<string, RowResult>) => row(id).check!(cells);

describe('statistics', () => {
  it.each([
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5, 5],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95, 10],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.05, 1],
    [[7], 0.95, 7],
    [[1, 2], 0.5, 1],
  ])('nearest-rank percentile of %j at %d is %d', (sorted, q, expected) => {
    expect(percentile(sorted, q)).toBe(expected);
  });

  it('percentile of no samples is NaN', () => {
    expect(percentile([], 0.5)).toBeNaN();
  });

  it('summarize sorts its input and reports the slow tail for ms', () => {
    expect(summarize([5, 1, 4, 2, 3])).toMatchObject({ n: 5, min: 1, p50: 3, p95: 5, max: 5, mean: 3 });
  });

  it('summarize reports the low tail as p95 for runs/s (higher is better)', () => {
    const samples = Array.from({ length: 20 }, (_, i) => 1000 + i * 100);
    expect(summarize(samples, 'runs/s').p95).toBe(1000);
    expect(summarize(samples, 'ms').p95).toBe(2800);
  });
});

describe('number formatting', () => {
  it.each([
    [0.0421, '0.042'],
    [0.421, '0.42'],
    [4.214, '4.21'],
    [42.14, '42.1'],
    [421.4, '421'],
    [4214.4, '4214'],
    [0, '0'],
    [Number.NaN, 'NaN'],
  ])('%d prints as %s', (value, text) => {
    expect(num(value)).toBe(text);
  });

  it('escapes pipes and newlines in cells, and leaves plain text alone', () => {
    expect(cell('a | b\nc')).toBe('a \\| b c');
    expect(cell('p50 0.42 ms')).toBe('p50 0.42 ms');
  });
});

describe('targets (both quickcage columns)', () => {
  // Both columns the same: each target applies to the default sandbox and to the full pipeline alike.
  const both = (r: RowResult, more: Record<string, RowResult> = {}) => ({ quickcage: r, quickcageFull: r, ...more });
  const raw = (p50: number) => ({ raw: ms([p50]) });

  it.each([
    ['warm', both(ms([0.4, 0.45, 0.5, 1.4]), raw(0.5)), true],
    ['warm', both(ms([0.4, 0.45, 0.5, 1.4]), raw(0.44)), false],
    ['warm', both(ms([0.4, 0.51, 0.52, 0.6]), raw(1)), false],
    ['warm', both(ms([0.3, 0.3, 0.3, 1.6]), raw(1)), false],
    ['warm', both(ms([0.4, 0.45, 0.5, 1.4])), false],
    ['warm', { quickcage: ms([0.4]), quickcageFull: ms([0.6]), ...raw(1) }, false],
    ['warm', { quickcage: ms([0.4]), ...raw(1) }, false],
    ['cold', both(ms([39, 40, 41]), raw(41)), true],
    ['cold', both(ms([39, 40, 41]), raw(40)), false],
    ['cold', both(ms([40, 41, 42]), raw(100)), false],
    ['throughput', both(rate([5000, 5100, 4000])), true],
    ['throughput', both(rate([4999, 4999, 6000])), false],
    ['throughput', { quickcage: rate([9000]), quickcageFull: rate([4999]) }, false],
    ['deadline', both(ms([0.5, 1, 2.9], { outcomes: { DEADLINE_EXCEEDED: 3 } })), true],
    ['deadline', both(ms([0.5, 1, 2.9], { outcomes: { DEADLINE_EXCEEDED: 2, WORKER_CRASHED: 1 } })), false],
    ['deadline', both(ms([0.5, 1.1, 1.2])), false],
    ['deadline', both(ms([0.5, 1, 2.9], { outcomes: { DEADLINE_EXCEEDED: 2, 'DEADLINE_EXCEEDED (worker terminated)': 1 } })), true],
    ['deadline', both(ms([0.5, 1, 2.9], { outcomes: { DEADLINE_EXCEEDED_SOON: 3 } })), false],
    ['audit', { quickcage: ms([0.3]), quickcageFull: ms([0.01, 0.05, 0.2]) }, true],
    ['audit', { quickcage: ms([0.3]), quickcageFull: ms([0.01, 0.051, 0.06]) }, false],
    ['audit', { quickcage: ms([0.3]) }, false],
    ['stuck', both(ms([201, 250], { extra: { next: [1, 10] }, outcomes: { DEADLINE_EXCEEDED: 2 } })), true],
    ['stuck', both(ms([201, 251], { extra: { next: [1, 2] }, outcomes: { DEADLINE_EXCEEDED: 2 } })), false],
    ['stuck', both(ms([201, 202], { extra: { next: [1, 10.5] }, outcomes: { DEADLINE_EXCEEDED: 2 } })), false],
    ['stuck', both(ms([], { outcomes: { hung: 1 } })), false],
    ['memory', both(ms([120, 300], { extra: { peakBytes: [66 * MIB] }, outcomes: { MEMORY_LIMIT: 2 } })), true],
    ['memory', both(ms([120, 300], { extra: { peakBytes: [66 * MIB + 1] }, outcomes: { MEMORY_LIMIT: 2 } })), false],
    ['memory', both(ms([120, 301], { extra: { peakBytes: [60 * MIB] }, outcomes: { MEMORY_LIMIT: 2 } })), false],
    ['memory', both(ms([120, 200], { extra: { peakBytes: [60 * MIB] }, outcomes: { DEADLINE_EXCEEDED: 2 } })), false],
    ['fib', { quickcage: ms([100]), raw: ms([96]) }, true],
    ['fib', { quickcage: ms([100]), raw: ms([95]) }, false],
    ['fib', { quickcage: ms([100]), raw: ms([120]), native: ms([1]) }, true],
    ['fib', { quickcage: ms([100]), quickcageFull: ms([50]), raw: ms([100]) }, true],
    ['fib', { quickcage: ms([100]), raw: { status: 'error', error: 'boom' } }, true],
    ['fib', { quickcage: ms([100], { extra: { rawAlternatingMs: [96] } }), raw: ms([50]) }, true],
    ['fib', { quickcage: ms([100], { extra: { rawAlternatingMs: [95] } }), raw: ms([200]) }, false],
  ] as [string, Record<string, RowResult>, boolean][])('%s: %j meets the target: %s', (id, cells, meets) => {
    const v = verdictOf(id, cells);
    expect(v.ok, v.text).toBe(meets);
    expect(v.text.startsWith(meets ? 'PASS · ' : 'MISS · ')).toBe(true);
  });

  it('names the column that missed, what missed, and the ratio to raw', () => {
    const v = verdictOf('warm', { quickcage: ms([0.4]), quickcageFull: ms([0.8]), raw: ms([0.5]) });
    expect(v.text).toBe('MISS · default: met (p50 0.80× raw) · full pipeline: p50 0.80 ms > 0.5 ms; p50 slower than raw 0.50 ms (p50 1.60× raw)');
  });

  it.each(['cold', 'warm', 'deadline', 'stuck', 'memory', 'throughput'])('%s: a failed quickcage cell is a MISS with the error', (id) => {
    const v = verdictOf(id, { quickcage: { status: 'error', error: 'worker never answered' }, quickcageFull: { status: 'error', error: 'no IndexedDB' } });
    expect(v.ok).toBe(false);
    expect(v.text).toMatch(/^MISS · default: error: worker never answered · full pipeline: error: no IndexedDB/);
  });

  it('fib: a failed quickcage cell is a MISS with the error', () => {
    expect(verdictOf('fib', { quickcage: { status: 'error', error: 'worker never answered' } })).toEqual({ ok: false, text: 'MISS · default: error: worker never answered' });
  });

  it('the context row has no target', () => {
    expect(judge({ coldInPage: { quickcage: ms([1]) } }).find((r) => r.spec.id === 'coldInPage')!.verdict).toBeNull();
  });

  it('the table lists every row of issue 11 in its order', () => {
    expect(ROWS.map((r) => r.id)).toEqual(['warm', 'throughput', 'cold', 'coldInPage', 'deadline', 'audit', 'fib', 'memory', 'stuck']);
  });
});

describe('cells', () => {
  it('shows n/a and errors in words', () => {
    expect(formatCell({ status: 'na', reason: 'cannot stop native code' }, row('deadline'))).toBe('n/a: cannot stop native code');
    expect(formatCell({ status: 'error', error: 'needs node:buffer' }, row('warm'))).toBe('**failed**: needs node:buffer');
    expect(formatCell(undefined, row('warm'))).toBe('not run');
  });

  it('says how every sample ended when they did not all end as the row expects', () => {
    const text = formatCell(ms([3000], { outcomes: { 'InternalError: out of memory': 1 } }), row('memory'));
    expect(text).toContain('ended: 1× InternalError: out of memory');
    expect(formatCell(ms([100], { outcomes: { MEMORY_LIMIT: 1 } }), row('memory'))).toContain('all MEMORY_LIMIT');
  });

  it('a hung peer has no numbers, only what happened', () => {
    expect(formatCell(ms([], { outcomes: { hung: 1 }, note: 'never rejected' }), row('stuck'))).toBe('no result · ended: 1× hung: never rejected');
  });

  it('the audit cell of the full pipeline carries its own page time and the noise floor of the method', () => {
    expect(formatCell(ms([0.02, 0.04], { extra: { pipelinePageMs: [0.3, 0.32], noiseFloorMs: [-0.01, 0.01] } }), row('audit'))).toBe(
      "p50 0.020 · p95 0.040 ms (n=2); the full pipeline's own page time per run p50 0.30 · p95 0.32 ms; noise floor of the method (a second default sandbox minus the first) p50 -0.010 · p95 0.010 ms",
    );
  });

  it('stuck cells carry both series and memory cells the peak', () => {
    expect(formatCell(ms([201, 202], { extra: { next: [1, 2] } }), row('stuck'))).toBe('rejected p50 201 · p95 202 ms; next p50 1.00 · p95 2.00 ms (n=2)');
    expect(formatCell(ms([150], { extra: { peakBytes: [64 * MIB, 65 * MIB] } }), row('memory'))).toBe('p50 150 · p95 150 ms (n=1); peak 65.0 MiB');
  });
});

describe('markdown', () => {
  it('renders one line per row with a verdict column, then components and machine info', () => {
    const md = renderMarkdown({
      rows: judge({ warm: { quickcage: ms([0.4]), native: { status: 'na', reason: 'x' } } }).filter((r) => r.spec.id === 'warm'),
      components: [{ name: 'validation', value: '40 MB/s', target: '>= 10 MB/s', meets: true }],
      machine: { cpu: 'test cpu' },
    });
    const all = md.split('\n');
    const lines = all.slice(all.findIndex((line) => line.startsWith('| row |')));
    expect(lines[0]).toMatch(/^\| row \| target \(both quickcage columns\) \| quickcage \| quickcage \+ createAuditLog\(\) \+ createRateLimiter\(\) \| .* \| PASS \/ MISS \|$/);
    expect(lines[1]).toBe('|---|---|---|---|---|---|---|---|---|');
    expect(lines[2]).toContain('| p50 0.40 · p95 0.40 ms (n=1) |');
    expect(lines[2]).toMatch(/\| MISS · default: raw not measured in this run \(not measured\) · full pipeline: not measured \|$/);
    expect(lines[3]).toBe('| validation | >= 10 MB/s | 40 MB/s | — | — | — | — | — | yes |');
    expect(md).toContain('- cpu: test cpu');
    for (const line of lines.slice(0, 4)) expect(line.split(/(?<!\\)\|/).length).toBe(11);
  });

  it('says a repeated failure of one peer once, then "same as above"', () => {
    const broken: RowResult = { status: 'error', error: 'needs node:buffer' };
    const md = renderMarkdown({
      rows: judge({ warm: { raw: broken }, deadline: { raw: broken }, stuck: { raw: { status: 'error', error: 'other' } } }).filter((r) =>
        ['warm', 'deadline', 'stuck'].includes(r.spec.id),
      ),
      components: [],
      machine: {},
    });
    const all = md.split('\n');
    const rawColumn = all.slice(all.findIndex((line) => line.startsWith('| row |')) + 2).slice(0, 3).map((line) => line.split(/(?<!\\)\|/)[5]!.trim());
    expect(rawColumn).toEqual(['**failed**: needs node:buffer', '**failed**: same as above', '**failed**: other']);
  });

  it('opens with the target rows at a glance: both quickcage columns, raw, ratios and PASS / MISS', () => {
    const rows = judge({
      warm: { quickcage: ms([0.4, 0.4, 1.2]), quickcageFull: ms([0.6, 0.6, 1.4]), raw: ms([0.5, 0.5, 1]) },
      audit: { quickcage: ms([0.3]), quickcageFull: ms([0.02]), raw: ms([0.1]) },
      stuck: { quickcage: ms([201], { extra: { next: [1] }, outcomes: { DEADLINE_EXCEEDED: 1 } }), raw: ms([], { outcomes: { hung: 1 } }) },
      coldInPage: { quickcage: ms([90]) },
    }).filter((r) => ['warm', 'audit', 'stuck', 'coldInPage'].includes(r.spec.id));
    const lines = renderSummary(rows).split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe('| target row | target | quickcage p50 · p95 | full pipeline p50 · p95 | raw quickjs-emscripten p50 · p95 | quickcage ÷ raw | full pipeline ÷ raw | verdict |');
    expect(lines[2]).toMatch(/^\| warm one-shot run.* \| 0.40 · 1.20 ms \| 0.60 · 1.40 ms \| 0.50 · 1.00 ms \| 0.80× \| 1.20× \| MISS \|$/);
    expect(lines[3]).toMatch(/^\| audit record .* \| 0.30 · 0.30 ms \| 0.020 · 0.020 ms \| 0.10 · 0.10 ms \| 3.00× \| — \| PASS \|$/);
    expect(lines[4]).toMatch(/^\| stuck guest .* \| 201 · 201 ms \| not run \| no result \(hung\) \| — \| — \| MISS \|$/);
    expect(renderMarkdown({ rows, components: [], machine: {} })).toContain(lines.join('\n'));
  });
});

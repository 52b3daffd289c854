// The bench's report logic (bench/report.mjs): statistics, target verdicts and markdown. No timing:
// samples are made up, the code under test only does arithmetic and formatting.
import { describe, expect, it } from 'vitest';
import { ROWS, cell, formatCell, judge, num, percentile, renderMarkdown, summarize, type RowResult } from '../../bench/report.mjs';

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

describe('targets (quickcage column)', () => {
  it.each([
    ['warm', { quickcage: ms([0.4, 0.45, 0.5, 1.4]) }, true],
    ['warm', { quickcage: ms([0.4, 0.51, 0.52, 0.6]) }, false],
    ['warm', { quickcage: ms([0.3, 0.3, 0.3, 1.6]) }, false],
    ['cold', { quickcage: ms([39, 40, 41]) }, true],
    ['cold', { quickcage: ms([40, 41, 42]) }, false],
    ['deadline', { quickcage: ms([0.5, 1, 2.9], { outcomes: { DEADLINE_EXCEEDED: 3 } }) }, true],
    ['deadline', { quickcage: ms([0.5, 1, 2.9], { outcomes: { DEADLINE_EXCEEDED: 2, WORKER_CRASHED: 1 } }) }, false],
    ['deadline', { quickcage: ms([0.5, 1.1, 1.2]) }, false],
    ['deadline', { quickcage: ms([0.5, 1, 2.9], { outcomes: { DEADLINE_EXCEEDED: 2, 'DEADLINE_EXCEEDED (worker terminated)': 1 } }) }, true],
    ['deadline', { quickcage: ms([0.5, 1, 2.9], { outcomes: { DEADLINE_EXCEEDED_SOON: 3 } }) }, false],
    ['stuck', { quickcage: ms([201, 250], { extra: { next: [1, 10] }, outcomes: { DEADLINE_EXCEEDED: 2 } }) }, true],
    ['stuck', { quickcage: ms([201, 251], { extra: { next: [1, 2] }, outcomes: { DEADLINE_EXCEEDED: 2 } }) }, false],
    ['stuck', { quickcage: ms([201, 202], { extra: { next: [1, 10.5] }, outcomes: { DEADLINE_EXCEEDED: 2 } }) }, false],
    ['stuck', { quickcage: ms([], { outcomes: { hung: 1 } }) }, false],
    ['memory', { quickcage: ms([120, 300], { extra: { peakBytes: [66 * MIB] }, outcomes: { MEMORY_LIMIT: 2 } }) }, true],
    ['memory', { quickcage: ms([120, 300], { extra: { peakBytes: [66 * MIB + 1] }, outcomes: { MEMORY_LIMIT: 2 } }) }, false],
    ['memory', { quickcage: ms([120, 301], { extra: { peakBytes: [60 * MIB] }, outcomes: { MEMORY_LIMIT: 2 } }) }, false],
    ['memory', { quickcage: ms([120, 200], { extra: { peakBytes: [60 * MIB] }, outcomes: { DEADLINE_EXCEEDED: 2 } }) }, false],
    ['throughput', { quickcage: rate([5000, 5100, 4000]) }, true],
    ['throughput', { quickcage: rate([4999, 4999, 6000]) }, false],
    ['fib', { quickcage: ms([100]), raw: ms([96]) }, true],
    ['fib', { quickcage: ms([100]), raw: ms([95]) }, false],
    ['fib', { quickcage: ms([100]), raw: ms([120]), native: ms([1]) }, true],
    ['fib', { quickcage: ms([100]), raw: { status: 'error', error: 'boom' } }, true],
    ['fib', { quickcage: ms([100], { extra: { rawAlternatingMs: [96] } }), raw: ms([50]) }, true],
    ['fib', { quickcage: ms([100], { extra: { rawAlternatingMs: [95] } }), raw: ms([200]) }, false],
  ] as [string, Record<string, RowResult>, boolean][])('%s: %j meets the target: %s', (id, cells, meets) => {
    const v = verdictOf(id, cells);
    expect(v.ok, v.text).toBe(meets);
    expect(v.text.startsWith(meets ? 'yes' : 'no')).toBe(true);
  });

  it.each(['cold', 'warm', 'deadline', 'stuck', 'memory', 'throughput', 'fib'])('%s: a failed quickcage cell is a plain no with the error', (id) => {
    const v = verdictOf(id, { quickcage: { status: 'error', error: 'worker never answered' } });
    expect(v).toEqual({ ok: false, text: 'no: error: worker never answered' });
  });

  it('the context row has no target', () => {
    expect(judge({ coldInPage: { quickcage: ms([1]) } }).find((r) => r.spec.id === 'coldInPage')!.verdict).toBeNull();
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
    const lines = md.split('\n');
    expect(lines[0]).toMatch(/^\| row \| target \(quickcage\) \| quickcage \| .* \| meets target\? \|$/);
    expect(lines[1]).toBe('|---|---|---|---|---|---|---|---|');
    expect(lines[2]).toContain('| p50 0.40 · p95 0.40 ms (n=1) |');
    expect(lines[2]).toMatch(/\| yes \|$/);
    expect(lines[3]).toBe('| validation | >= 10 MB/s | 40 MB/s | — | — | — | — | yes |');
    expect(md).toContain('- cpu: test cpu');
    for (const line of lines.slice(0, 4)) expect(line.split(/(?<!\\)\|/).length).toBe(10);
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
    const rawColumn = md.split('\n').slice(2, 5).map((line) => line.split(/(?<!\\)\|/)[4]!.trim());
    expect(rawColumn).toEqual(['**failed**: needs node:buffer', '**failed**: same as above', '**failed**: other']);
  });
});

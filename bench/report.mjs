// Turns raw bench samples into statistics, target verdicts and the markdown table. Pure functions
// (no I/O, no clock), so test/bench/report.test.ts can check them without timing anything.

const MIB = 1024 * 1024;

/**
 * Columns, in order. `engine` marks the QuickJS engines the fib row compares against each other (the
 * full pipeline is the same engine as quickcage, so it is not a rival there).
 */
export const PEERS = Object.freeze([
  { id: 'quickcage', label: 'quickcage', engine: true },
  { id: 'quickcageFull', label: 'quickcage + createAuditLog() + createRateLimiter()', engine: false },
  { id: 'raw', label: 'raw quickjs-emscripten (worker + comlink)', engine: true },
  { id: 'sebastianwessel', label: '@sebastianwessel/quickjs', engine: true },
  { id: 'native', label: 'native JS floor', engine: false },
  { id: 'comlink', label: 'comlink round-trip floor', engine: false },
]);

/**
 * @typedef {{ n: number, min: number, p50: number, p95: number, max: number, mean: number }} Summary
 * @typedef {{ status: 'ok', unit: 'ms' | 'runs/s', samples: number[], extra?: Record<string, number[]>,
 *   outcomes?: Record<string, number>, note?: string }
 *   | { status: 'na', reason: string } | { status: 'error', error: string }} RowResult
 * @typedef {{ ok: boolean | null, text: string }} Verdict
 * @typedef {{ id: string, title: string, target: string, expect?: string,
 *   check?: (cells: Record<string, RowResult>) => Verdict }} RowSpec
 */

/**
 * Nearest-rank percentile of sorted values. For `runs/s` (higher is better) callers pass `1 - q`, so
 * the reported "p95" is always the bad tail.
 * @param {number[]} sorted ascending
 * @param {number} q in [0, 1]
 */
export function percentile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/**
 * @param {number[]} samples
 * @param {'ms' | 'runs/s' | 'bytes'} [unit] for `runs/s` the p95 is the slow tail (5th percentile)
 * @returns {Summary}
 */
export function summarize(samples, unit = 'ms') {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  const mean = n === 0 ? NaN : sorted.reduce((a, b) => a + b, 0) / n;
  return {
    n,
    min: sorted[0] ?? NaN,
    p50: percentile(sorted, 0.5),
    p95: unit === 'runs/s' ? percentile(sorted, 0.05) : percentile(sorted, 0.95),
    max: sorted[n - 1] ?? NaN,
    mean,
  };
}

/** A number with as many digits as its size deserves: 0.042, 0.42, 4.21, 42.1, 421, 4210. */
export function num(value) {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000) return String(Math.round(value));
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 0.1) return value.toFixed(2);
  if (abs === 0) return '0';
  return value.toPrecision(2);
}

export function mib(bytes) {
  return `${(bytes / MIB).toFixed(1)} MiB`;
}

/** @param {RowResult | undefined} r */
function ok(r) {
  return r !== undefined && r.status === 'ok' && r.samples.length > 0;
}

/** Samples whose outcome is not `expected`, as text, or '' when all match. */
function unexpected(r, expected) {
  if (!expected || !r.outcomes) return '';
  // `DEADLINE_EXCEEDED (worker terminated)` still is a DEADLINE_EXCEEDED.
  const other = Object.entries(r.outcomes).filter(([k]) => k !== expected && !k.startsWith(`${expected} (`));
  return other.map(([k, n]) => `${n}× ${k}`).join(', ');
}

function notMeasured(r) {
  if (r === undefined) return 'not measured';
  if (r.status === 'error') return `error: ${r.error}`;
  if (r.status === 'na') return `n/a: ${r.reason}`;
  return 'no samples';
}

/** The two quickcage columns every target applies to (issue 11: the default sandbox and the full pipeline). */
export const SANDBOXES = Object.freeze([
  { id: 'quickcage', name: 'default' },
  { id: 'quickcageFull', name: 'full pipeline' },
]);

/** `x` as a multiple of `base`: `0.82× raw`. */
function ratio(x, base, what) {
  return `${(x / base).toFixed(2)}× ${what}`;
}

/**
 * The verdict of a row over the quickcage columns it applies to: PASS when every one meets the
 * target, else MISS; then, per column, what missed (or `met`) and context such as ratios.
 * @param {Record<string, RowResult>} cells
 * @param {(r: RowResult, cells: Record<string, RowResult>) => { fails: string[], info?: string }} checkOne
 */
function verdictOver(cells, checkOne, columns = SANDBOXES) {
  let pass = true;
  const parts = columns.map(({ id, name }) => {
    const r = cells[id];
    if (!ok(r)) {
      pass = false;
      return `${name}: ${notMeasured(r)}`;
    }
    const { fails, info } = checkOne(r, cells);
    if (fails.length) pass = false;
    return `${name}: ${fails.length ? fails.join('; ') : 'met'}${info ? ` (${info})` : ''}`;
  });
  return { ok: pass, text: `${pass ? 'PASS' : 'MISS'} · ${parts.join(' · ')}` };
}

/** p50 and p95 limits in ms. */
function limits(s, p50, p95) {
  const fails = [];
  if (p50 !== undefined && s.p50 > p50) fails.push(`p50 ${num(s.p50)} ms > ${p50} ms`);
  if (p95 !== undefined && s.p95 > p95) fails.push(`p95 ${num(s.p95)} ms > ${p95} ms`);
  return fails;
}

/** The rows of the table, in order, with what each targets and how the target is checked. */
export const ROWS = Object.freeze([
  {
    id: 'warm',
    title: 'warm one-shot run, fresh isolated context, back to back (not after idle): `1+1`, page to result',
    target: '<= 0.5 ms p50, <= 1.5 ms p95, p50 no slower than raw quickjs-emscripten (fresh runtime, comlink) in the same run',
    check: (cells) => verdictOver(cells, (r) => {
      const s = summarize(r.samples);
      const fails = limits(s, 0.5, 1.5);
      const raw = cells.raw;
      if (!ok(raw)) return { fails: [...fails, `raw not measured in this run (${notMeasured(raw)})`] };
      const base = summarize(raw.samples).p50;
      if (s.p50 > base) fails.push(`p50 slower than raw ${num(base)} ms`);
      return { fails, info: `p50 ${ratio(s.p50, base, 'raw')}` };
    }),
  },
  {
    id: 'throughput',
    title: 'tiny runs per second, 2 workers (`workers: 2`, `Promise.all` batches of `1+1`)',
    target: '>= 5000 runs/s (p50), with audit + quotas on',
    check: (cells) => verdictOver(cells, (r) => {
      const s = summarize(r.samples, 'runs/s');
      const raw = cells.raw;
      const info = ok(raw) ? ratio(s.p50, summarize(raw.samples, 'runs/s').p50, 'raw') : undefined;
      return { fails: s.p50 >= 5000 ? [] : [`p50 ${num(s.p50)} runs/s < 5000`], ...(info ? { info } : {}) };
    }),
  },
  {
    id: 'cold',
    title: 'cold: import + create + first result, fresh page (fetch + compile of JS and WASM, workers)',
    target: '<= 40 ms p50, and below raw quickjs-emscripten in the same run',
    check: (cells) => verdictOver(cells, (r) => {
      const s = summarize(r.samples);
      const fails = limits(s, 40);
      const raw = cells.raw;
      if (!ok(raw)) return { fails: [...fails, `raw not measured in this run (${notMeasured(raw)})`] };
      const base = summarize(raw.samples).p50;
      if (!(s.p50 < base)) fails.push(`p50 not below raw ${num(base)} ms`);
      return { fails, info: `p50 ${ratio(s.p50, base, 'raw')}` };
    }),
  },
  {
    id: 'coldInPage',
    title: 'create + first result again in the same page (code and WASM already compiled)',
    target: 'none (context for the row above)',
  },
  {
    id: 'deadline',
    title: 'deadline overshoot: `while(true){}` with a 100 ms deadline (time to rejection − 100 ms)',
    target: '<= 1 ms p50, <= 3 ms p95, with audit on too',
    expect: 'DEADLINE_EXCEEDED',
    check: (cells) => verdictOver(cells, (r) => {
      const fails = limits(summarize(r.samples), 1, 3);
      const bad = unexpected(r, 'DEADLINE_EXCEEDED');
      if (bad) fails.push(`ended as ${bad}`);
      return { fails };
    }),
  },
  {
    id: 'audit',
    title: 'audit record + quota check: page main-thread time per run (full pipeline − default sandbox)',
    target: '<= 0.05 ms p50',
    check: (cells) => verdictOver(cells, (r) => ({ fails: limits(summarize(r.samples), 0.05) }), [SANDBOXES[1]]),
  },
  {
    id: 'fib',
    title: 'fib(25), recursive, page to result',
    target: "within 5% of the fastest QuickJS engine (keep today's result)",
    check: (cells) => {
      const r = cells.quickcage;
      if (!ok(r)) return { ok: false, text: `MISS · default: ${notMeasured(r)}` };
      // The head-to-head raw samples (same page, alternating) replace the raw column when present:
      // columns measured minutes apart on a shared machine differ by more than 5% on noise alone.
      const headToHead = r.extra?.rawAlternatingMs?.length ? summarize(r.extra.rawAlternatingMs).p50 : undefined;
      const engines = PEERS.filter((p) => p.engine && ok(cells[p.id]) && !(p.id === 'raw' && headToHead !== undefined))
        .map((p) => ({ id: p.id, p50: summarize(cells[p.id].samples).p50 }));
      if (headToHead !== undefined) engines.push({ id: 'raw (head-to-head)', p50: headToHead });
      const fastest = engines.reduce((a, b) => (b.p50 < a.p50 ? b : a));
      const mine = summarize(r.samples).p50;
      const vs = engines.filter((e) => e.id !== 'quickcage').map((e) => `${ratio(mine, e.p50, e.id)}`).join(', ');
      if (mine / fastest.p50 <= 1.05) {
        return { ok: true, text: `PASS · default: ${fastest.id === 'quickcage' ? 'fastest' : `within 5% of ${fastest.id}`}${vs ? ` (p50 ${vs})` : ''}` };
      }
      return { ok: false, text: `MISS · default: ${((mine / fastest.p50 - 1) * 100).toFixed(1)}% slower than ${fastest.id} (p50 ${vs})` };
    },
  },
  {
    id: 'memory',
    title: 'memory bomb under 50 MiB (`const a=[]; for(;;) a.push({i:a.length})`), 5 s deadline: time to the end, peak WASM memory',
    target: "<= 300 ms p95; peak <= 66 MiB (limit + 16 MiB) (keep today's result)",
    expect: 'MEMORY_LIMIT',
    check: (cells) => verdictOver(cells, (r) => {
      const peak = Math.max(...(r.extra?.peakBytes ?? [Infinity]));
      const fails = limits(summarize(r.samples), undefined, 300);
      if (peak > 66 * MIB) fails.push(`peak ${mib(peak)} > 66 MiB`);
      const bad = unexpected(r, 'MEMORY_LIMIT');
      if (bad) fails.push(`ended as ${bad}`);
      return { fails };
    }),
  },
  {
    id: 'stuck',
    title: 'stuck guest (awaits a promise that never settles), 200 ms deadline: time to rejection, then time to the next result',
    target: "rejected <= 250 ms p95; next run <= 10 ms p95 (keep today's result)",
    expect: 'DEADLINE_EXCEEDED',
    check: (cells) => verdictOver(cells, (r) => {
      const s = summarize(r.samples);
      const next = summarize(r.extra?.next ?? []);
      const fails = [];
      if (s.p95 > 250) fails.push(`rejected p95 ${num(s.p95)} ms > 250 ms`);
      if (!(next.p95 <= 10)) fails.push(`next run p95 ${num(next.p95)} ms > 10 ms`);
      const bad = unexpected(r, 'DEADLINE_EXCEEDED');
      if (bad) fails.push(`ended as ${bad}`);
      return { fails };
    }),
  },
]);

function outcomesText(r, expected) {
  if (!r.outcomes) return '';
  const entries = Object.entries(r.outcomes);
  if (expected && entries.length === 1 && entries[0][0] === expected) return ` · all ${expected}`;
  return ` · ended: ${entries.map(([k, n]) => `${n}× ${k}`).join(', ')}`;
}

/**
 * One table cell.
 * @param {RowResult | undefined} r
 * @param {RowSpec} row
 */
export function formatCell(r, row) {
  if (r === undefined) return 'not run';
  if (r.status === 'na') return `n/a: ${r.reason}`;
  if (r.status === 'error') return `**failed**: ${r.error}`;
  if (r.samples.length === 0) {
    const why = r.note ? `: ${r.note}` : '';
    return `no result${outcomesText(r, row.expect)}${why}`;
  }
  // `summaries` (main series and extras) are the exact statistics a saved report carries; its samples
  // are rounded to 1 µs, which can move a printed digit (scripts/bench-docs.mjs renders saved reports).
  const stat = (key, values, unit) => r.summaries?.[key] ?? summarize(values ?? [], unit);
  const s = stat('main', r.samples, r.unit);
  const unit = r.unit === 'runs/s' ? ' runs/s' : ' ms';
  let text;
  if (row.id === 'stuck') {
    const next = stat('next', r.extra?.next);
    text = `rejected p50 ${num(s.p50)} · p95 ${num(s.p95)} ms; next p50 ${num(next.p50)} · p95 ${num(next.p95)} ms (n=${s.n})`;
  } else {
    text = `p50 ${num(s.p50)} · p95 ${num(s.p95)}${unit} (n=${s.n})`;
  }
  if (r.extra?.inWorkerMs?.length) {
    const w = stat('inWorkerMs', r.extra.inWorkerMs);
    text += `; inside the worker p50 ${num(w.p50)} · p95 ${num(w.p95)} ms`;
  }
  if (r.extra?.noStandbyMs?.length) {
    const w = stat('noStandbyMs', r.extra.noStandbyMs);
    text += `; with \`standby: false\` p50 ${num(w.p50)} · p95 ${num(w.p95)} ms (n=${w.n})`;
  }
  if (r.extra?.rawAlternatingMs?.length) {
    const w = stat('rawAlternatingMs', r.extra.rawAlternatingMs);
    text += `; raw head-to-head in the same page p50 ${num(w.p50)} · p95 ${num(w.p95)} ms`;
  }
  if (r.extra?.afterIdleMs?.length) {
    const w = stat('afterIdleMs', r.extra.afterIdleMs);
    text += `; after 5 ms idle p50 ${num(w.p50)} · p95 ${num(w.p95)} ms (n=${w.n})`;
  }
  if (r.extra?.pipelinePageMs?.length) {
    const w = stat('pipelinePageMs', r.extra.pipelinePageMs);
    text += `; the full pipeline's own page time per run p50 ${num(w.p50)} · p95 ${num(w.p95)} ms`;
  }
  if (r.extra?.noiseFloorMs?.length) {
    const w = stat('noiseFloorMs', r.extra.noiseFloorMs);
    text += `; noise floor of the method (a second default sandbox minus the first) p50 ${num(w.p50)} · p95 ${num(w.p95)} ms`;
  }
  if (row.id === 'memory' && r.extra?.peakBytes?.length) {
    text += `; peak ${mib(Math.max(...r.extra.peakBytes))}`;
  }
  text += outcomesText(r, row.expect);
  if (r.note) text += ` · ${r.note}`;
  return text;
}

/** Escapes a string for a markdown table cell. */
export function cell(text) {
  return String(text).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** Saved exact statistics when the cell comes from a results file, else computed from the samples. */
function statsOf(r) {
  return ok(r) ? (r.summaries?.main ?? summarize(r.samples, r.unit)) : undefined;
}

/** A short cell for the summary: `p50 · p95 unit`, or in two words why there is none. */
function brief(r) {
  const s = statsOf(r);
  if (s) return `${num(s.p50)} · ${num(s.p95)} ${r.unit}`;
  if (r === undefined) return 'not run';
  if (r.status === 'na') return 'n/a';
  if (r.status === 'error') return 'failed';
  return r.outcomes ? `no result (${Object.keys(r.outcomes).join(', ')})` : 'no result';
}

/**
 * The target rows at a glance: p50 · p95 of both quickcage columns and raw quickjs-emscripten, each
 * quickcage column's p50 as a multiple of raw's, and PASS / MISS (the details are in the full table).
 * @param {{ spec: RowSpec, cells: Record<string, RowResult>, verdict: Verdict | null }[]} rows
 */
export function renderSummary(rows) {
  const lines = [
    '| target row | target | quickcage p50 · p95 | full pipeline p50 · p95 | raw quickjs-emscripten p50 · p95 | quickcage ÷ raw | full pipeline ÷ raw | verdict |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const { spec, cells, verdict: v } of rows) {
    if (!v) continue;
    const raw = statsOf(cells.raw);
    // The audit row's full-pipeline cell is a difference (what it adds), not a time to compare with raw.
    const times = (id) => {
      const s = statsOf(cells[id]);
      return s && raw && !(spec.id === 'audit' && id === 'quickcageFull') ? `${(s.p50 / raw.p50).toFixed(2)}×` : '—';
    };
    const verdictText = v.ok === true ? 'PASS' : v.ok === false ? 'MISS' : v.text;
    lines.push(`| ${cell(spec.title)} | ${cell(spec.target)} | ${cell(brief(cells.quickcage))} | ${cell(brief(cells.quickcageFull))} | ${cell(brief(cells.raw))} | ${times('quickcage')} | ${times('quickcageFull')} | ${cell(verdictText)} |`);
  }
  return lines.join('\n');
}

/**
 * The whole markdown report.
 * @param {{ rows: { spec: RowSpec, cells: Record<string, RowResult>, verdict: Verdict | null }[],
 *   components: { name: string, value: string, target?: string, meets?: boolean, n?: number, note?: string }[],
 *   machine: Record<string, string>, peerLabels?: Record<string, string> }} report
 */
export function renderMarkdown(report) {
  const labels = PEERS.map((p) => report.peerLabels?.[p.id] ?? p.label);
  const lines = [];
  lines.push(`| row | target (both quickcage columns) | ${labels.map(cell).join(' | ')} | PASS / MISS |`);
  lines.push(`|---|---|${PEERS.map(() => '---').join('|')}|---|`);
  // A peer that fails the same way on every row says why once, not eight times.
  const lastError = {};
  for (const { spec, cells, verdict: v } of report.rows) {
    const values = PEERS.map((p) => {
      const r = cells[p.id];
      if (r?.status === 'error' && lastError[p.id] === r.error) return '**failed**: same as above';
      lastError[p.id] = r?.status === 'error' ? r.error : undefined;
      return cell(formatCell(r, spec));
    });
    lines.push(`| ${cell(spec.title)} | ${cell(spec.target)} | ${values.join(' | ')} | ${cell(v ? v.text : 'no target')} |`);
  }
  for (const c of report.components) {
    const value = `${c.value}${c.n === undefined ? '' : ` (n=${c.n})`}${c.note ? ` · ${c.note}` : ''}`;
    const meets = c.meets === undefined ? (c.target ? 'not stated' : 'no target') : c.meets ? 'yes' : 'no';
    lines.push(`| ${cell(c.name)} | ${cell(c.target ?? 'none')} | ${cell(value)} | ${PEERS.slice(1).map(() => '—').join(' | ')} | ${cell(meets)} |`);
  }
  const machine = Object.entries(report.machine).map(([k, v]) => `- ${k}: ${v}`);
  return [
    '**Targets** (issue 11; full pipeline = quickcage + `createAuditLog()` + `createRateLimiter()`):',
    '',
    renderSummary(report.rows),
    '',
    '**Every row and column**:',
    '',
    lines.join('\n'),
    '',
    'p50 = median, p95 = 95th percentile (for runs/s: the slowest 5% of batches); n = samples. All times are measured on the page, from the call to the result, except the audit row (page main-thread CPU time per run). PASS when both quickcage columns (default sandbox, full pipeline) meet the target, else MISS with what each missed; `0.80× raw` = p50 relative to raw quickjs-emscripten in the same run.',
    '',
    ...machine,
  ].join('\n');
}

/**
 * Verdicts for every row that has a target.
 * @param {Record<string, Record<string, RowResult>>} cellsByRow
 */
export function judge(cellsByRow) {
  return ROWS.map((spec) => {
    const cells = cellsByRow[spec.id] ?? {};
    return { spec, cells, verdict: spec.check ? spec.check(cells) : null };
  });
}

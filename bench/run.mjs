// `npm run bench`: builds the bench page (bench/page/) with Vite, serves the build on 127.0.0.1
// (port 5179 unless --port), drives it in real headless Chromium and prints one side-by-side markdown
// table of issue 11's targets: quickcage (default sandbox), quickcage with the full pipeline
// (`createAuditLog()` + `createRateLimiter()`), raw quickjs-emscripten in a worker via comlink,
// @sebastianwessel/quickjs, and two floors. Writes bench/results/latest.md and latest.json (machine,
// versions, every sample). `node bench/run.mjs --help` lists the flags.
//
// Every (row, peer) pair runs alone in a fresh browser context, one at a time (the machine has two
// cores; parallel peers would measure each other). Each pair has a time budget inside the page and a
// hard timeout outside it: a peer that hangs or blocks its page is cut off, its cell says so, and the
// rest of the run carries on. Requests that leave 127.0.0.1 are aborted: the bench never touches the network.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { build, preview } from 'vite';
import { nodePolyfills } from 'vite-plugin-node-polyfills';
import { CHROMIUM_ARGS, resolveChromium } from '../scripts/chromium.mjs';
import { asciiAcornPlugin } from '../scripts/acorn-ascii.mjs';
import { PEERS, ROWS, judge, renderMarkdown, summarize } from './report.mjs';

const HELP = `Usage: node bench/run.mjs [flags]     (npm run bench -- [flags])

Measures issue 11's target rows in one run of headless Chromium, every column side by side, and
writes bench/results/latest.json + latest.md (then \`npm run bench:docs\` renders docs/benchmarks.md).

  --rows=warm,cold     only these rows (also: --rows warm,cold). Rows: ${ROWS.map((r) => r.id).join(', ')},
                       and the component benches validate, guardrails
  --peers=quickcage,raw  only these columns. Columns: ${PEERS.map((p) => p.id).join(', ')}
  --quick              about a tenth of the samples and a quarter of the time budgets (a few
                       minutes at most; for trying a change, not for the docs)
  --wait-quiet[=600]   first wait up to 600 s for the 1-minute load average to drop below the core count
  --port=5179          port of the local bench server (127.0.0.1)
  --profile=quickcageFull  instead of the rows: CPU-profile the page main thread over 3000 back-to-back
                       tiny runs of one audit arm (quickcage, quickcageFull, raw), unminified; prints
                       the top functions by self time and writes bench/results/profile-<arm>.cpuprofile
                       (open it in DevTools' Performance panel). --profile=quickcageFull:throughput
                       profiles one row of that column instead
  --trace=quickcage    instead of the rows: Chromium traces of cold samples of one column (5 fresh
                       pages; --trace=raw:9 for 9): median times of the user-timing marks (the
                       page's and the worker's), the first page's thread timelines, and per thread
                       the self time of each trace event; --trace=quickcage:9:marks records marks only
  --help               this text

A partial run (--quick, --rows or --peers) writes bench/results/partial.tmp.json and leaves latest.*
alone. Examples:
  node bench/run.mjs --quick --rows warm,throughput,audit --peers quickcage,quickcageFull,raw
  node bench/run.mjs --wait-quiet=600        # the full run for the docs (about 4 minutes)
`;

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH_DIR, '..');
const COMPONENTS = ['validate', 'guardrails'];
/** The SDK's page-side sources (side-effect free, as package.json declares for the built package; the worker is one bundled file there). */
const SDK_SOURCES = [path.join(ROOT, 'src') + path.sep];

const BOOLEAN_FLAGS = new Set(['quick', 'help']);

/** `--name=value`, `--name value` and bare `--name` (true). */
function parseArgs(argv) {
  const out = new Map();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${JSON.stringify(a)} (see --help)`);
    const eq = a.indexOf('=');
    if (eq > 0) out.set(a.slice(2, eq), a.slice(eq + 1));
    else if (!BOOLEAN_FLAGS.has(a.slice(2)) && i + 1 < argv.length && !argv[i + 1].startsWith('--')) out.set(a.slice(2), argv[++i]);
    else out.set(a.slice(2), 'true');
  }
  return out;
}

const KNOWN_FLAGS = new Set(['rows', 'peers', 'quick', 'wait-quiet', 'port', 'help', 'profile', 'trace']);
let args;
try {
  args = parseArgs(process.argv.slice(2));
  for (const k of args.keys()) if (!KNOWN_FLAGS.has(k)) throw new Error(`unknown flag --${k} (see --help)`);
} catch (error) {
  process.stderr.write(`bench: ${error.message}\n`);
  process.exit(64);
}
if (args.has('help')) {
  process.stdout.write(HELP);
  process.exit(0);
}
const QUICK = args.has('quick');
const PROFILE = args.get('profile');
if (PROFILE !== undefined && !/^(quickcage|quickcageFull|raw)(:\w+)?$/.test(PROFILE)) {
  process.stderr.write(`bench: --profile takes quickcage, quickcageFull or raw, optionally :<row>, got ${PROFILE}\n`);
  process.exit(2);
}
const TRACE = args.get('trace');
if (TRACE !== undefined && !/^(quickcage|quickcageFull|raw)(:\d*)?(:marks)?$/.test(TRACE)) {
  process.stderr.write(`bench: --trace takes quickcage, quickcageFull or raw, optionally :<pages> and :marks, got ${TRACE}\n`);
  process.exit(2);
}
const onlyRows = args.get('rows')?.split(',').filter(Boolean);
const onlyPeers = args.get('peers')?.split(',').filter(Boolean);
for (const [flag, list, known] of [['rows', onlyRows, [...ROWS.map((r) => r.id), ...COMPONENTS]], ['peers', onlyPeers, PEERS.map((p) => p.id)]]) {
  const unknown = (list ?? []).filter((id) => !known.includes(id));
  if (unknown.length) {
    process.stderr.write(`bench: --${flag}: unknown ${unknown.join(', ')}; known: ${known.join(', ')}\n`);
    process.exit(64);
  }
}
const PARTIAL = QUICK || onlyRows !== undefined || onlyPeers !== undefined;
const PORT = Number(args.get('port') ?? 5179);
if (!Number.isInteger(PORT) || PORT < 1024 || PORT > 65535) {
  process.stderr.write(`bench: --port must be an integer in 1024..65535, got ${args.get('port')}\n`);
  process.exit(64);
}
const HOST = '127.0.0.1';
const ORIGIN = `http://${HOST}:${PORT}`;
/**
 * A quiet run takes about 4 minutes; past this, remaining cells are skipped, not measured (a busy
 * machine slows every page open and sample: a run under a load average of 12 on 2 cores needed 7).
 */
const SOFT_BUDGET_MS = 540_000;
/** Past this, the run is abandoned: the browser is closed and the process exits with status 2. */
const HARD_LIMIT_MS = 660_000;

/**
 * Sampling plan per row: `samples` wanted, `minSamples` always, `budgetMs` of sampling inside the
 * page, `timeoutMs` hard cap per (row, peer) from outside. `pages` > 1 means one sample per fresh page.
 */
const PLAN = {
  cold: { samples: 1, minSamples: 1, budgetMs: 0, timeoutMs: 30_000, pages: 9 },
  coldInPage: { samples: 15, minSamples: 3, budgetMs: 5_000, timeoutMs: 40_000 },
  warm: { samples: 2_000, minSamples: 50, budgetMs: 4_000, timeoutMs: 40_000 },
  deadline: { samples: 30, minSamples: 5, budgetMs: 4_000, timeoutMs: 40_000 },
  stuck: { samples: 20, minSamples: 3, budgetMs: 5_000, timeoutMs: 40_000 },
  memory: { samples: 8, minSamples: 3, budgetMs: 8_000, timeoutMs: 60_000 },
  throughput: { samples: 10, minSamples: 3, budgetMs: 4_000, timeoutMs: 40_000 },
  fib: { samples: 15, minSamples: 5, budgetMs: 5_000, timeoutMs: 60_000 },
  /** samples = pairs of batches (default sandbox, full pipeline), `batch` runs each; measured by measureAudit. */
  audit: { samples: 16, minSamples: 4, budgetMs: 20_000, timeoutMs: 120_000, batch: 250 },
};
if (QUICK) {
  for (const p of Object.values(PLAN)) {
    p.samples = Math.max(p.minSamples, Math.ceil(p.samples / 10));
    p.budgetMs = Math.round(p.budgetMs / 4);
    if (p.pages) p.pages = 2;
    if (p.batch) p.batch = Math.round(p.batch / 2);
  }
}

let started = Date.now();
let loadAtStart = os.loadavg().map((l) => l.toFixed(1)).join(' ');
const elapsed = () => Date.now() - started;
const log = (line) => process.stderr.write(`${line}\n`);

function versionOf(name) {
  try {
    return JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return 'not installed';
  }
}

function machineInfo(browserVersion, pageInfo) {
  const cpuinfo = (() => {
    try {
      return readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      return '';
    }
  })();
  const cpu = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    // not a git checkout
  }
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const watched = ['quickjs-emscripten-core', '@jitl/quickjs-wasmfile-release-sync', 'comlink', '@sebastianwessel/quickjs', 'vite', 'playwright-core'];
  return {
    cpu,
    cores: String(os.availableParallelism?.() ?? os.cpus().length),
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    chromium: browserVersion,
    node: process.version,
    packages: [`quickcage ${pkg.version} (${commit})`, ...watched.map((n) => `${n} ${versionOf(n)}`)].join(', '),
    page: pageInfo
      ? `crossOriginIsolated=${pageInfo.crossOriginIsolated}, performance.now() step ${pageInfo.timerResolutionMs.toFixed(3)} ms, navigator.hardwareConcurrency=${pageInfo.hardwareConcurrency}`
      : 'unknown',
    load: `load average ${loadAtStart} at start, ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at end (1/5/15 min; includes the bench's own processes)`,
    date: new Date().toISOString(),
  };
}

/** CPU ticks (utime + stime) and parent of every process, from /proc; empty where there is no /proc. */
function processTicks() {
  const out = new Map();
  let entries;
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return out;
  }
  for (const pid of entries) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(pid), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/**
 * Watches how much CPU *other* processes (not this one or its descendants: Chromium, workers, Vite)
 * take during the run, sampling /proc once a second. Processes that live less than a second are
 * missed, so the figure is a lower bound. The load average cannot tell this apart: it counts the
 * bench's own threads too.
 */
function watchOtherCpu() {
  const TICKS_PER_SECOND = 100;
  let last = processTicks();
  let otherTicks = 0;
  const t0 = Date.now();
  const sample = () => {
    const now = processTicks();
    const ours = new Set([process.pid]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const [pid, p] of now) {
        if (!ours.has(pid) && ours.has(p.ppid)) {
          ours.add(pid);
          grew = true;
        }
      }
    }
    for (const [pid, p] of now) {
      if (ours.has(pid)) continue;
      const before = last.get(pid);
      // A process that was not there at the last sample spent all its ticks since then.
      otherTicks += before ? Math.max(0, p.ticks - before.ticks) : p.ticks;
    }
    last = now;
  };
  const timer = setInterval(sample, 1000);
  return () => {
    clearInterval(timer);
    sample();
    const seconds = (Date.now() - t0) / 1000;
    const cores = os.availableParallelism?.() ?? os.cpus().length;
    const cpuSeconds = otherTicks / TICKS_PER_SECOND;
    return { otherCpuSeconds: cpuSeconds, share: seconds > 0 ? cpuSeconds / (seconds * cores) : 0, seconds };
  };
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${Math.round(ms / 1000)} s`)), ms);
    }),
  ]);
}

/** A fresh browser context + page on the bench page, with network guard and error capture. */
async function openPage(browser) {
  const context = await browser.newContext();
  // Only the local bench server may be reached.
  await context.route((url) => url.origin !== ORIGIN, (route) => route.abort('blockedbyclient'));
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  await page.goto(`${ORIGIN}/index.html`);
  await page.waitForFunction("document.body.dataset.ready === 'true'", null, { timeout: 20_000 });
  const close = async () => {
    // A page stuck in a synchronous loop still closes: the browser kills its renderer.
    await withTimeout(context.close(), 10_000, 'closing the page').catch((e) => log(`  warning: ${e.message}`));
  };
  return { page, errors, close };
}

/**
 * Runs one row for one peer, `pages` fresh pages one after another (the plan's count unless told),
 * merging their samples; never throws.
 */
async function measure(browser, row, peer, pages = PLAN[row].pages ?? 1) {
  const plan = PLAN[row];
  const merged = { status: 'ok', unit: 'ms', samples: [], extra: {}, outcomes: {} };
  for (let i = 0; i < pages; i++) {
    let opened;
    try {
      opened = await withTimeout(openPage(browser), 30_000, 'opening the bench page');
      const options = { samples: plan.samples, minSamples: plan.minSamples, budgetMs: plan.budgetMs };
      const result = await withTimeout(
        opened.page.evaluate(([p, r, o]) => globalThis.__bench.runRow(p, r, o), [peer, row, options]),
        plan.timeoutMs,
        `${peer} on "${row}"`,
      );
      if (result.status !== 'ok') {
        if (result.status === 'error' && opened.errors.length) result.error += ` (page: ${opened.errors.slice(0, 2).join(' / ')})`;
        return result;
      }
      mergeInto(merged, result);
    } catch (error) {
      const extra = opened?.errors.length ? ` (page: ${opened.errors.slice(0, 2).join(' / ')})` : '';
      return { status: 'error', error: `${error instanceof Error ? error.message : String(error)}${extra}` };
    } finally {
      await opened?.close();
    }
  }
  return tidy(merged);
}

/** Adds one page's result to a cell's merged result. */
function mergeInto(merged, result) {
  merged.unit = result.unit;
  merged.samples.push(...result.samples);
  for (const [k, v] of Object.entries(result.extra ?? {})) (merged.extra[k] ??= []).push(...v);
  for (const [k, v] of Object.entries(result.outcomes ?? {})) merged.outcomes[k] = (merged.outcomes[k] ?? 0) + v;
  if (result.note) merged.note = result.note;
}

function tidy(merged) {
  if (Object.keys(merged.extra).length === 0) delete merged.extra;
  if (Object.keys(merged.outcomes).length === 0) delete merged.outcomes;
  return merged;
}

/**
 * A row of one sample per fresh page (the cold row): the peers take turns, one page each per round,
 * the order reversed every round, so drift in the machine's load over the row reaches every column
 * alike. A peer whose page fails keeps its error and sits out the remaining rounds.
 */
async function measureRounds(browser, row, peers) {
  const cells = Object.fromEntries(peers.map((p) => [p, { status: 'ok', unit: 'ms', samples: [], extra: {}, outcomes: {} }]));
  for (let round = 0; round < PLAN[row].pages; round++) {
    for (const peer of round % 2 ? [...peers].reverse() : peers) {
      if (cells[peer].status !== 'ok') continue;
      const result = await measure(browser, row, peer, 1);
      if (result.status === 'ok') mergeInto(cells[peer], result);
      else cells[peer] = result;
    }
  }
  return Object.fromEntries(Object.entries(cells).map(([peer, cell]) => [peer, cell.status === 'ok' ? tidy(cell) : cell]));
}

/**
 * The audit row. Page-thread time cannot be read from inside the page, so the runner reads it: the
 * DevTools protocol's `Performance.getMetrics` reports `ThreadTime`, the CPU time of a page's main
 * thread (workers excluded). Each arm gets its own page (its own browser context, so its own renderer
 * process): the default sandbox, the full pipeline, raw quickjs-emscripten (for scale) and `control`,
 * a second default sandbox. After warming every arm up, the runner takes turns: one batch of
 * back-to-back `1+1` runs on each page (the order reverses every round), reading that page's
 * `ThreadTime` when its batch starts. One sample per batch but the last: the page's CPU time from the
 * start of this batch to the start of its next one, divided by the runs in the batch. So everything an arm's page
 * does because of its runs is counted for that arm, including work it does later (IndexedDB callbacks,
 * batched audit writes, quota-lease timers, garbage collection) while other pages take their turn.
 * The full pipeline's cost is its sample minus the default sandbox's of the same round; the page
 * work both share (comlink, structured clone, the watchdog timer, these protocol calls) cancels. The
 * control's difference to the default sandbox is the method's noise floor.
 */
async function measureAudit(browser, selected) {
  const plan = PLAN.audit;
  const columns = ['quickcage', 'quickcageFull', 'raw'].filter((id) => selected.includes(id));
  const na = { status: 'na', reason: 'not an audit arm: only quickcage, the full pipeline and raw are measured here' };
  const cells = Object.fromEntries(selected.filter((id) => !columns.includes(id)).map((id) => [id, na]));
  if (columns.length === 0) return cells;
  const arms = columns.includes('quickcage') && columns.includes('quickcageFull') ? [...columns, 'control'] : columns;
  /** @type {Record<string, { opened: Awaited<ReturnType<typeof openPage>>, threadMs: () => Promise<number> }>} */
  const pages = {};
  try {
    const work = async () => {
      for (const arm of arms) {
        const opened = await openPage(browser);
        const cdp = await opened.page.context().newCDPSession(opened.page);
        pages[arm] = {
          opened,
          async threadMs() {
            const { metrics } = await cdp.send('Performance.getMetrics');
            const t = metrics.find((m) => m.name === 'ThreadTime');
            if (!t) throw new Error('this Chromium reports no ThreadTime metric');
            return t.value * 1000;
          },
        };
        await cdp.send('Performance.enable');
        await opened.page.evaluate((a) => globalThis.__bench.audit.setup([a === 'control' ? 'quickcage' : a]), arm);
      }
      /**
       * Each arm's ThreadTime at the start of each of its batches. The last batch gives no sample: it
       * has no next start, and a reading right after it would miss the work it leaves for later.
       */
      const marks = Object.fromEntries(arms.map((a) => [a, []]));
      const t0 = Date.now();
      for (let i = 0; i <= plan.samples; i++) {
        if (i > plan.minSamples && Date.now() - t0 > plan.budgetMs) break;
        for (const arm of i % 2 === 0 ? arms : [...arms].reverse()) {
          const { opened, threadMs } = pages[arm];
          marks[arm].push(await threadMs());
          await opened.page.evaluate(([a, n]) => globalThis.__bench.audit.batch(a, n), [arm === 'control' ? 'quickcage' : arm, plan.batch]);
        }
      }
      for (const arm of arms) await pages[arm].opened.page.evaluate(() => globalThis.__bench.audit.teardown());
      return Object.fromEntries(arms.map((a) => [a, marks[a].slice(1).map((m, k) => (m - marks[a][k]) / plan.batch)]));
    };
    const perRun = await withTimeout(work(), plan.timeoutMs, 'the audit row');
    const note = `page main-thread CPU per run (DevTools ThreadTime), batches of ${plan.batch} back-to-back runs, each arm in its own page`;
    for (const arm of columns) cells[arm] = { status: 'ok', unit: 'ms', samples: perRun[arm], note };
    if (cells.quickcageFull && perRun.control) {
      const minus = (a, b) => a.map((v, k) => v - b[k]);
      cells.quickcageFull = {
        status: 'ok',
        unit: 'ms',
        samples: minus(perRun.quickcageFull, perRun.quickcage),
        extra: { pipelinePageMs: perRun.quickcageFull, noiseFloorMs: minus(perRun.control, perRun.quickcage) },
        note: 'added page main-thread CPU per run: full pipeline minus default sandbox, round by round (DevTools ThreadTime)',
      };
    } else if (cells.quickcageFull) {
      cells.quickcageFull = { status: 'error', error: 'the audit row needs the quickcage column too (the difference is against it)' };
    }
    return cells;
  } catch (error) {
    const pageErrors = Object.values(pages).flatMap((p) => p.opened.errors);
    const message = `${error instanceof Error ? error.message : String(error)}${pageErrors.length ? ` (page: ${pageErrors.slice(0, 2).join(' / ')})` : ''}`;
    for (const arm of columns) cells[arm] = { status: 'error', error: message };
    return cells;
  } finally {
    for (const p of Object.values(pages)) await p.opened.close();
  }
}

async function measureComponent(browser, name) {
  let opened;
  try {
    opened = await withTimeout(openPage(browser), 30_000, 'opening the bench page');
    return await withTimeout(opened.page.evaluate((n) => globalThis.__bench.runComponent(n), name), 90_000, `bench/${name}.bench.ts`);
  } catch (error) {
    return { status: 'error', error: error instanceof Error ? error.message : String(error) };
  } finally {
    await opened?.close();
  }
}

function short(result) {
  if (result.status !== 'ok') return result.status === 'na' ? 'n/a' : `ERROR ${result.error.slice(0, 160)}`;
  const s = summarize(result.samples, result.unit);
  return `p50 ${s.p50.toFixed(3)} p95 ${s.p95.toFixed(3)} ${result.unit} n=${s.n}${result.outcomes ? ` ${JSON.stringify(result.outcomes)}` : ''}`;
}

const round = (v) => Math.round(v * 1000) / 1000;

/** Waits (up to `seconds`) until no other process keeps the CPUs busy; returns the load seen last. */
async function waitQuiet(seconds) {
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  const until = Date.now() + seconds * 1000;
  while (os.loadavg()[0] >= cores && Date.now() < until) {
    log(`bench: load average ${os.loadavg()[0].toFixed(1)} on ${cores} cores; waiting for a quieter machine`);
    await new Promise((resolve) => setTimeout(resolve, 15_000));
  }
}

/**
 * `--profile=<arm>`: the page main thread's CPU profile over back-to-back tiny runs of one audit arm,
 * summarised by self time (where the page's per-run time goes; the audit row says how much there is).
 */
/** CPU seconds of this bench's Chromium (the process launched with the marker flag and its descendants), by process type. */
function chromiumCpu() {
  const procs = new Map();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      procs.set(pid, { ppid: f[1], cmd, ticks: Number(f[11]) + Number(f[12]) });
    } catch { /* gone */ }
  }
  const ours = new Set([...procs].filter(([, p]) => p.cmd.includes(PROFILE_MARKER)).map(([pid]) => pid));
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, p] of procs) if (!ours.has(pid) && ours.has(p.ppid)) { ours.add(pid); grew = true; }
  }
  const out = {};
  for (const pid of ours) {
    const p = procs.get(pid);
    const kind = /--type=([\w-]+)/.exec(p.cmd)?.[1] ?? 'browser';
    const sub = /--utility-sub-type=([\w.]+)/.exec(p.cmd)?.[1];
    const key = sub ? `${kind}:${sub.split('.').at(-1)}` : kind;
    out[key] = (out[key] ?? 0) + p.ticks / 100;
  }
  return out;
}
const PROFILE_MARKER = `--quickcage-bench=${process.pid}`;

async function profileArm(browser, spec) {
  const [arm, row] = spec.split(':');
  const opened = await openPage(browser);
  try {
    if (!row) await opened.page.evaluate((a) => globalThis.__bench.audit.setup([a]), arm);
    const cdp = await opened.page.context().newCDPSession(opened.page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 50 });
    await cdp.send('Profiler.start');
    if (row) {
      const cpu0 = chromiumCpu();
      const plan = PLAN[row];
      const options = { samples: plan.samples, minSamples: plan.minSamples, budgetMs: plan.budgetMs };
      const result = await opened.page.evaluate(([p, r, o]) => globalThis.__bench.runRow(p, r, o), [arm, row, options]);
      const summary = result.status === 'ok' ? summarize(result.samples, result.unit) : undefined;
      log(`${spec}: ${result.status === 'ok' ? (result.samples.length > 20 ? `p50 ${summary.p50.toFixed(3)} p95 ${summary.p95.toFixed(3)} (n=${summary.n})` : result.samples.map((x) => Math.round(x * 100) / 100).join(' ')) + ` ${result.unit}` : JSON.stringify(result)}`);
      const cpu1 = chromiumCpu();
      log(`CPU of this bench's Chromium during the row: ${Object.entries(cpu1).map(([k, v]) => `${k} ${(v - (cpu0[k] ?? 0)).toFixed(2)} s`).join(', ')}`);
    }
    else await opened.page.evaluate((a) => globalThis.__bench.audit.batch(a, 3000), arm);
    const { profile } = await cdp.send('Profiler.stop');
    const file = path.join(BENCH_DIR, 'results', `profile-${arm}${row ? `-${row}` : ''}.cpuprofile`);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(profile));
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map();
    const dt = profile.timeDeltas;
    for (let i = 0; i < profile.samples.length; i++) {
      const f = byId.get(profile.samples[i]).callFrame;
      const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\//, '')}:${f.lineNumber + 1}`;
      self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0));
    }
    const total = [...self.values()].reduce((a, b) => a + b, 0);
    const idle = self.get('(idle) :0') ?? 0;
    const per = row ? '' : ' per run';
    const runs = row ? 1 : 3000;
    log(`profile of ${spec}: ${(total / 1000).toFixed(0)} ms sampled, ${((total - idle) / runs / 1000).toFixed(3)} ms busy${per}; top self time:`);
    for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 40)) log(`  ${(us / 1000).toFixed(1).padStart(8)} ms  ${row ? '' : `${(us / runs).toFixed(1).padStart(6)} µs/run  `}${key}`);
    log(`bench: wrote ${path.relative(ROOT, file)}`);
  } finally {
    await opened.close();
  }
}

const TRACE_CATEGORIES = [
  'devtools.timeline', 'v8', 'v8.execute', 'v8.wasm', 'blink.user_timing', 'loading', 'toplevel',
  'disabled-by-default-devtools.timeline', 'disabled-by-default-v8.compile', 'disabled-by-default-v8.gc',
];

/**
 * One thread's complete trace events cut to [from, to] (µs), nested by time: its busy time (the
 * top-level events), the self time of each event name (an event's time minus its children's), and the
 * top-level events, each with the self times of what ran inside it.
 */
function threadSummary(list, from, to) {
  list.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  const stack = [];
  const top = [];
  const nodes = [];
  for (const e of list) {
    const start = Math.max(e.ts, from);
    const end = Math.min(e.ts + e.dur, to);
    while (stack.length && stack.at(-1).end <= start) stack.pop();
    const node = { name: e.name, start, end, child: 0, root: stack[0], self: new Map() };
    if (stack.length) stack.at(-1).child += Math.min(end, stack.at(-1).end) - start;
    else top.push((node.root = node));
    stack.push(node);
    nodes.push(node);
  }
  const self = new Map();
  for (const node of nodes) {
    const ms = (node.end - node.start - node.child) / 1000;
    self.set(node.name, (self.get(node.name) ?? 0) + ms);
    node.root.self.set(node.name, (node.root.self.get(node.name) ?? 0) + ms);
  }
  return { top, self, busy: top.reduce((sum, t) => sum + (t.end - t.start), 0) / 1000 };
}

/**
 * `--trace=<column>[:pages][:marks]`: where a cold sample's time goes. One Chromium trace per fresh
 * page, cut to the sample (the `cold:start` / `cold:end` marks of bench/page/cold.ts). Prints the
 * median time of every user-timing mark of the page and its workers (bench/page/cold.ts marks the
 * import; a `performance.mark()` added to the SDK or the worker for an investigation shows up too),
 * the median time between consecutive marks, the first page's timeline of its main and worker
 * threads (top-level events of 1 ms or more, with what ran inside them) and, per thread, the busy
 * time and the self time of each trace event name, averaged over the pages. `:marks` records the
 * marks only (tracing itself slows a page; the fewer categories, the less).
 */
async function traceCold(browser, spec) {
  const [peer, n, mode] = spec.split(':');
  const pages = Number(n || 5);
  const marksOnly = mode === 'marks';
  const selfTotals = new Map();
  const busyTotals = new Map();
  const walls = [];
  /** ms after cold:start of every user-timing mark, one entry per page. */
  const marks = new Map();
  for (let i = 0; i < pages; i++) {
    const opened = await openPage(browser);
    try {
      await browser.startTracing(opened.page, { categories: marksOnly ? ['blink.user_timing'] : TRACE_CATEGORIES });
      const result = await opened.page.evaluate(([p, r, o]) => globalThis.__bench.runRow(p, r, o), [peer, 'cold', { samples: 1, minSamples: 1, budgetMs: 0 }]);
      // Marks posted by a worker reach the trace a moment after the page's result.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const events = JSON.parse((await browser.stopTracing()).toString('utf8')).traceEvents;
      if (result.status !== 'ok') throw new Error(`${peer}: ${JSON.stringify(result)}`);
      walls.push(result.samples[0]);
      const timing = events.filter((e) => e.cat.includes('blink.user_timing') && e.ph !== 'e');
      const start = timing.find((e) => e.name === 'cold:start');
      const end = timing.find((e) => e.name === 'cold:end');
      if (!start || !end) throw new Error('the trace has no cold:start / cold:end marks');
      const pid = start.pid;
      for (const e of timing.filter((e) => e.pid === pid)) {
        if (!marks.has(e.name)) marks.set(e.name, []);
        marks.get(e.name)[i] = (e.ts - start.ts) / 1000;
      }
      if (marksOnly) continue;
      const names = new Map(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.pid === pid).map((e) => [e.tid, e.args.name]));
      // Nested per thread; summed per thread name (the pool's threads share one).
      const byThread = new Map();
      for (const e of events) {
        if (e.pid !== pid || e.ph !== 'X' || e.ts + (e.dur ?? 0) < start.ts || e.ts > end.ts) continue;
        if (!byThread.has(e.tid)) byThread.set(e.tid, []);
        byThread.get(e.tid).push(e);
      }
      for (const [tid, list] of byThread) {
        const thread = names.get(tid) ?? String(tid);
        const { top, self, busy } = threadSummary(list, start.ts, end.ts);
        busyTotals.set(thread, (busyTotals.get(thread) ?? 0) + busy);
        for (const [name, ms] of self) selfTotals.set(`${thread}\u0000${name}`, (selfTotals.get(`${thread}\u0000${name}`) ?? 0) + ms);
        if (i > 0 || !/Worker thread|CrRendererMain/.test(thread)) continue;
        log(`first page, ${thread} (${peer}), top-level events of 1 ms or more: ms after cold:start, +duration, self time inside:`);
        for (const t of top.filter((t) => t.end - t.start >= 1000)) {
          const inside = [...t.self].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, ms]) => `${k} ${ms.toFixed(1)}`).join(', ');
          log(`  ${((t.start - start.ts) / 1000).toFixed(1).padStart(7)} +${((t.end - t.start) / 1000).toFixed(1).padStart(6)}  ${inside}`);
        }
      }
    } finally {
      await opened.close();
    }
  }
  const order = [...marks].map(([name, at]) => [name, summarize(at.filter((x) => x !== undefined)).p50]).sort((a, b) => a[1] - b[1]);
  log(`${peer} cold: ${walls.map((w) => w.toFixed(0)).join(' ')} ms (traced: tracing slows the page)`);
  log(`marks, median ms after cold:start: ${order.map(([name, at]) => `${name} ${at.toFixed(1)}`).join(', ')}`);
  const steps = order.slice(1).map(([name], i) => {
    const prev = order[i][0];
    const d = marks.get(name).map((at, page) => at - marks.get(prev)[page]).filter((x) => !Number.isNaN(x));
    return `${prev} -> ${name} ${d.length ? summarize(d).p50.toFixed(1) : 'n/a'}`;
  });
  log(`median ms from each mark to the next: ${steps.join(', ')}`);
  if (marksOnly) return;
  log(`per thread (threads of one name together), mean busy time and self time by trace event over ${pages} pages:`);
  for (const [thread, busy] of [...busyTotals].sort((a, b) => b[1] - a[1])) {
    log(`  ${thread}: busy ${(busy / pages).toFixed(1)} ms`);
    const rows = [...selfTotals].filter(([k]) => k.startsWith(`${thread}\u0000`)).sort((a, b) => b[1] - a[1]).slice(0, 14);
    for (const [k, ms] of rows) if (ms / pages >= 0.5) log(`    ${(ms / pages).toFixed(1).padStart(7)} ms  ${k.split('\u0000')[1]}`);
  }
}

/** One Vite build of (part of) bench/page, minified as an app would ship it (unminified with --profile). */
function buildPage({ base, outDir, plugins = [], rollupOptions = {} }) {
  return build({
    configFile: false,
    root: path.join(BENCH_DIR, 'page'),
    base,
    logLevel: 'error',
    // The worker as the package ships it: acorn's identifier tables in ASCII (scripts/acorn-ascii.mjs).
    worker: { format: 'es', plugins: () => [asciiAcornPlugin()] },
    plugins,
    build: {
      outDir, emptyOutDir: true, target: 'es2022', assetsInlineLimit: 0, reportCompressedSize: false, chunkSizeWarningLimit: 5_000,
      ...(PROFILE ? { minify: false } : {}),
      rollupOptions: {
        ...rollupOptions,
        // The package says `"sideEffects": false` (package.json); the bench imports the sources, so it
        // tells the bundler the same of src/: what an app does not import stays out of its chunks.
        treeshake: { moduleSideEffects: (id) => !SDK_SOURCES.some((dir) => id.startsWith(dir)) },
      },
    },
  });
}

async function main() {
  if (args.has('wait-quiet')) {
    await waitQuiet(Number(args.get('wait-quiet')) || 600);
    started = Date.now();
    loadAtStart = os.loadavg().map((l) => l.toFixed(1)).join(' ');
  }
  const stopWatch = watchOtherCpu();
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'quickcage-bench-'));
  let server;
  let browser;
  const hard = setTimeout(() => {
    log(`bench: hard limit of ${HARD_LIMIT_MS / 1000} s reached; giving up`);
    void browser?.close();
    process.exit(2);
  }, HARD_LIMIT_MS);
  try {
    log(`bench: building bench/page with Vite into ${outDir}`);
    await buildPage({
      base: '/',
      outDir,
      // Node built-ins for @sebastianwessel/quickjs (memfs reads Buffer from node:buffer at load), the
      // way its browser instructions do it. Only modules that import a built-in (or use the globals
      // below) are touched: quickcage and raw quickjs-emscripten import none, so their chunks do not change.
      plugins: [nodePolyfills({ protocolImports: true, exclude: ['fs'] })],
    });
    // The cold row's SDK, built on its own like an app that imports only what it uses
    // (bench/page/cold-sdk.ts): in the page's build above it would share one chunk with every row's
    // code, and a cold page would fetch and compile the SDK whole.
    await buildPage({
      base: '/cold-app/',
      outDir: path.join(outDir, 'cold-app'),
      rollupOptions: {
        input: { 'cold-sdk': path.join(BENCH_DIR, 'page', 'cold-sdk.ts') },
        preserveEntrySignatures: 'exports-only',
        output: { entryFileNames: '[name].js' },
      },
    });
    server = await preview({
      configFile: false,
      root: path.join(BENCH_DIR, 'page'),
      logLevel: 'error',
      build: { outDir },
      // Cross-origin isolation only sharpens performance.now() (5 µs instead of 100 µs steps in
      // Chromium); quickcage itself needs neither COOP/COEP nor SharedArrayBuffer.
      preview: {
        host: HOST,
        port: PORT,
        strictPort: true,
        open: false,
        headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
      },
    });
    const executablePath = resolveChromium();
    browser = await chromium.launch({ executablePath, args: [...CHROMIUM_ARGS, ...(PROFILE ? [PROFILE_MARKER] : [])], headless: true });
    log(`bench: ${executablePath} (Chromium ${browser.version()}), serving ${ORIGIN}`);

    let pageInfo;
    {
      const opened = await openPage(browser);
      pageInfo = await opened.page.evaluate(() => globalThis.__bench.info());
      await opened.close();
    }

    if (PROFILE) {
      await profileArm(browser, PROFILE);
      return;
    }
    if (TRACE) {
      await traceCold(browser, TRACE);
      return;
    }

    const rows = ROWS.filter((r) => !onlyRows || onlyRows.includes(r.id));
    const peers = PEERS.filter((p) => !onlyPeers || onlyPeers.includes(p.id));
    /** @type {Record<string, Record<string, any>>} */
    const cellsByRow = {};
    for (const row of rows) {
      cellsByRow[row.id] = {};
      if (PLAN[row.id].pages > 1 && elapsed() <= SOFT_BUDGET_MS) {
        const t0 = Date.now();
        Object.assign(cellsByRow[row.id], await measureRounds(browser, row.id, peers.map((p) => p.id)));
        for (const [peer, result] of Object.entries(cellsByRow[row.id])) log(`  ${row.id.padEnd(10)} ${peer.padEnd(15)} ${short(result)}`);
        log(`  ${row.id}: [${((Date.now() - t0) / 1000).toFixed(1)} s]`);
        continue;
      }
      for (const peer of peers) {
        if (elapsed() > SOFT_BUDGET_MS) {
          cellsByRow[row.id][peer.id] = { status: 'error', error: `skipped: the bench ran out of its ${SOFT_BUDGET_MS / 60_000}-minute budget` };
          continue;
        }
        if (row.id === 'audit') continue;
        const t0 = Date.now();
        const result = await measure(browser, row.id, peer.id);
        cellsByRow[row.id][peer.id] = result;
        log(`  ${row.id.padEnd(10)} ${peer.id.padEnd(15)} ${short(result)}  [${((Date.now() - t0) / 1000).toFixed(1)} s]`);
      }
      if (row.id === 'audit' && elapsed() <= SOFT_BUDGET_MS) {
        const t0 = Date.now();
        const cells = await measureAudit(browser, peers.map((p) => p.id));
        Object.assign(cellsByRow.audit, cells);
        for (const [peer, result] of Object.entries(cells)) log(`  ${'audit'.padEnd(10)} ${peer.padEnd(15)} ${short(result)}`);
        log(`  audit: [${((Date.now() - t0) / 1000).toFixed(1)} s]`);
      }
    }

    const components = [];
    const componentResults = {};
    for (const name of COMPONENTS) {
      const result = onlyRows && !onlyRows.includes(name)
        ? { status: 'absent', reason: 'not selected' }
        : elapsed() > SOFT_BUDGET_MS
          ? { status: 'error', error: `skipped: the bench ran out of its ${SOFT_BUDGET_MS / 60_000}-minute budget` }
          : await measureComponent(browser, name);
      componentResults[name] = result;
      log(`  ${name.padEnd(10)} ${result.status}${result.status === 'ok' ? ` ${result.rows.length} rows` : `: ${result.reason ?? result.error}`}`);
      if (result.status === 'ok') components.push(...result.rows);
      else if (result.status === 'absent') components.push({ name: `${name} (bench/${name}.bench.ts)`, value: `skipped: ${result.reason}` });
      else components.push({ name: `${name} (bench/${name}.bench.ts)`, value: `failed: ${result.error}` });
    }

    const machine = machineInfo(browser.version(), pageInfo);
    const judged = judge(cellsByRow).filter((r) => cellsByRow[r.spec.id]);
    const peerLabels = { sebastianwessel: `@sebastianwessel/quickjs ${versionOf('@sebastianwessel/quickjs')}` };
    const competition = stopWatch();
    machine.competition = `other processes used at least ${(competition.share * 100).toFixed(0)}% of the CPU capacity during the run (${competition.otherCpuSeconds.toFixed(0)} CPU-s in ${competition.seconds.toFixed(0)} s)`;
    const contended = competition.share > 0.1;
    const warning = contended
      ? `**Warning: other processes took at least ${(competition.share * 100).toFixed(0)}% of the machine's CPU during this run; every number is inflated by that, the p95s most.**\n\n`
      : '';
    const markdown = warning + renderMarkdown({ rows: judged, components, machine, peerLabels });
    const json = {
      generatedAt: machine.date,
      durationMs: elapsed(),
      contended,
      partial: PARTIAL,
      machine,
      pageInfo,
      plan: PLAN,
      rows: judged.map(({ spec, cells, verdict }) => ({
        id: spec.id,
        title: spec.title,
        target: spec.target,
        meetsTarget: verdict,
        cells: Object.fromEntries(Object.entries(cells).map(([peer, r]) => [peer, r.status !== 'ok' ? r : {
          ...r,
          summary: summarize(r.samples, r.unit),
          samples: r.samples.map(round),
          ...(r.extra ? { extra: Object.fromEntries(Object.entries(r.extra).map(([k, v]) => [k, { summary: summarize(v), samples: v.map(round) }])) } : {}),
        }])),
      })),
      components: componentResults,
    };

    const resultsDir = path.join(BENCH_DIR, 'results');
    mkdirSync(resultsDir, { recursive: true });
    if (PARTIAL) {
      writeFileSync(path.join(resultsDir, 'partial.tmp.json'), `${JSON.stringify(json, null, 2)}\n`);
    } else {
      writeFileSync(path.join(resultsDir, 'latest.json'), `${JSON.stringify(json, null, 2)}\n`);
      writeFileSync(path.join(resultsDir, 'latest.md'), `# quickcage benchmark, latest run\n\nProduced by \`npm run bench\` in ${(elapsed() / 1000).toFixed(0)} s.\n\n${markdown}\n`);
    }
    process.stdout.write(`${markdown}\n`);
    log(`bench: done in ${(elapsed() / 1000).toFixed(1)} s${PARTIAL ? ' (partial run: wrote bench/results/partial.tmp.json)' : ' (wrote bench/results/latest.md and latest.json)'}`);
  } finally {
    stopWatch();
    clearTimeout(hard);
    await browser?.close().catch(() => undefined);
    await server?.close().catch(() => undefined);
    rmSync(outDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  log(`bench: failed: ${error instanceof Error ? error.stack : String(error)}`);
  process.exitCode = 1;
});

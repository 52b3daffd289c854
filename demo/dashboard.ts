/**
 * Security dashboard: the live audit stream with filters, an hourly chart (plain SVG), per-user risk,
 * quota meters, chain verification and JSONL export. Everything shown is read from the audit log and
 * the rate limiter; nothing is made up.
 */
import {
  EVENT_TYPES, SEVERITIES, type AuditEvent, type AuditLog, type AuditQuery, type HourlyBucket, type Policy, type RateLimiter, type SecurityEventType,
  type Severity,
} from '../src/index.js';
import { clock, h, replace } from './dom.js';

/** What the dashboard reads. */
export interface DashboardSources {
  audit: AuditLog;
  limiter(): RateLimiter;
  policy(): Policy;
  user(): string;
}

const HOUR = 3_600_000;
const SVG = 'http://www.w3.org/2000/svg';
const STREAM_LIMIT = 100;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** `14:00` in local time. */
const hourLabel = (time: number): string => new Date(time).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false });

/** One short line of an event's details. */
function describe(event: AuditEvent): string {
  const d = event.details ?? {};
  const bits: string[] = [];
  for (const key of ['code', 'outcome', 'decision', 'rule', 'rules', 'reason', 'message']) {
    const value = d[key];
    if (value === undefined || value === null) continue;
    const text = Array.isArray(value) ? value.join(',') : typeof value === 'object' ? JSON.stringify(value) : String(value);
    bits.push(key === 'message' ? text.slice(0, 90) : `${key}=${text}`);
  }
  if (event.count > 1) bits.push(`×${event.count}`);
  return bits.join(' ');
}

/** Builds the dashboard into `root`. */
export function createDashboard(root: HTMLElement, src: DashboardSources): { refresh(): Promise<void> } {
  const { audit } = src;
  const storage = h('span', { id: 'audit-storage', class: 'badge' }, 'opening');
  const verifyResult = h('span', { id: 'verify-result', class: 'muted', role: 'status' });
  const exportLink = h('a', { id: 'export-link', hidden: true }, 'download');
  const typeFilter = h('select', { id: 'filter-type', 'aria-label': 'Event type' }, h('option', { value: '' }, 'all types'), ...EVENT_TYPES.map((t) => h('option', { value: t }, t)));
  const severityFilter = h('select', { id: 'filter-severity', 'aria-label': 'Severity' }, h('option', { value: '' }, 'all severities'), ...SEVERITIES.map((s) => h('option', { value: s }, s)));
  const userFilter = h('input', { id: 'filter-user', placeholder: 'user', 'aria-label': 'User filter', autocomplete: 'off', spellcheck: 'false' });
  const stream = h('ol', { id: 'audit-stream', class: 'stream', 'aria-live': 'polite' });
  const chart = h('div', { id: 'hourly-chart', class: 'chart' });
  const risk = h('tbody', { id: 'risk-table' });
  const quotas = h('div', { id: 'quota-meters', class: 'meters' });

  const filter = (): AuditQuery => ({
    limit: STREAM_LIMIT,
    ...(typeFilter.value ? { type: typeFilter.value as SecurityEventType } : {}),
    ...(severityFilter.value ? { severity: severityFilter.value as Severity } : {}),
    ...(userFilter.value.trim() ? { user: userFilter.value.trim() } : {}),
  });
  const matches = (event: AuditEvent, f: AuditQuery) =>
    (f.type === undefined || event.type === f.type) && (f.severity === undefined || event.severity === f.severity) && (f.user === undefined || event.user === f.user);

  const row = (e: AuditEvent) => h('li', { class: `event sev-${e.severity}`, 'data-type': e.type, 'data-severity': e.severity },
    h('span', { class: 'ev-time' }, clock(e.time)),
    h('span', { class: `badge sev ${e.severity}` }, e.severity),
    h('span', { class: 'ev-type' }, e.type),
    h('span', { class: 'ev-who' }, [e.user, e.tool && `tool ${e.tool}`].filter(Boolean).join(' · ')),
    h('span', { class: 'ev-details' }, describe(e)),
    h('span', { class: 'ev-seq', title: `hash ${e.hash}` }, `#${e.seq}`));

  let streamLoads = 0;
  const loadStream = async () => {
    const f = filter();
    const load = ++streamLoads;
    const events = await audit.query(f);
    if (load !== streamLoads) return; // a newer filter's answer is on its way
    replace(stream, ...(events.length === 0 ? [h('li', { class: 'muted' }, 'No events match.')] : events.map(row)));
    // Which filter the list shows (tests wait for it; screen readers get it from the controls).
    stream.dataset.type = f.type?.toString() ?? '';
    stream.dataset.severity = f.severity?.toString() ?? '';
    stream.dataset.user = f.user ?? '';
  };

  const drawChart = (buckets: HourlyBucket[], now: number) => {
    const end = Math.floor(now / HOUR) * HOUR;
    const hours = Array.from({ length: 24 }, (_, i) => end - (23 - i) * HOUR);
    const counts = hours.map((hour) => Object.fromEntries(SEVERITIES.map((s) => [s, buckets.filter((b) => b.hour === hour && b.severity === s).reduce((n, b) => n + b.count, 0)])) as Record<Severity, number>);
    const max = Math.max(1, ...counts.map((c) => SEVERITIES.reduce((n, s) => n + c[s], 0)));
    const total = counts.reduce((n, c) => n + SEVERITIES.reduce((m, s) => m + c[s], 0), 0);
    const W = 480, H = 150, left = 28, bottom = 20, top = 8;
    const bw = (W - left) / 24;
    const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `Events per hour over the last 24 hours, ${total} in total` });
    root.append(svg('line', { x1: left, y1: H - bottom, x2: W, y2: H - bottom, class: 'axis' }));
    root.append(svg('text', { x: left - 4, y: top + 8, 'text-anchor': 'end', class: 'tick' }, String(max)));
    root.append(svg('text', { x: left - 4, y: H - bottom, 'text-anchor': 'end', class: 'tick' }, '0'));
    hours.forEach((hour, i) => {
      let y = H - bottom;
      const x = left + i * bw + 1;
      for (const s of [...SEVERITIES].reverse()) {
        const n = counts[i]![s];
        if (n === 0) continue;
        const height = ((H - bottom - top) * n) / max;
        y -= height;
        const rect = svg('rect', { x, y, width: bw - 2, height, class: `bar ${s}`, 'data-hour': hour, 'data-severity': s });
        rect.append(svg('title', {}, `${hourLabel(hour)}: ${n} ${s}`));
        root.append(rect);
      }
      if (i % 6 === 0) root.append(svg('text', { x: x + bw / 2, y: H - 5, 'text-anchor': 'middle', class: 'tick' }, hourLabel(hour)));
      if (i === 23) root.append(svg('text', { x: W, y: H - 5, 'text-anchor': 'end', class: 'tick' }, hourLabel(hour)));
    });
    replace(chart, root, h('div', { class: 'legend' }, ...SEVERITIES.map((s) => h('span', {}, h('i', { class: `swatch ${s}` }), s))));
  };

  const loadRisk = async (now: number) => {
    const recent = await audit.query({ since: now - 24 * HOUR, limit: 2000 });
    const users = [...new Set([src.user(), ...recent.map((e) => e.user).filter((u): u is string => typeof u === 'string')])].sort();
    const scores = await Promise.all(users.map((u) => audit.riskScore(u, { now })));
    const disabled = new Map(audit.disabledEntries().filter((e) => e.kind === 'user').map((e) => [e.id, e]));
    replace(risk, ...scores.map((s) => {
      const entry = disabled.get(s.user);
      const off = entry?.disabled === true;
      return h('tr', { 'data-user': s.user, 'data-level': s.level },
        h('td', {}, s.user),
        h('td', {}, s.score.toFixed(1)),
        h('td', {}, h('span', { class: `badge sev ${s.level}` }, s.level)),
        h('td', {}, String(s.events)),
        h('td', {}, off
          ? h('span', {}, h('span', { class: 'badge denied' }, 'disabled'), ` ${entry?.reason ?? ''} `,
            h('button', { type: 'button', onclick: () => void audit.enable('user', s.user, { by: 'playground' }).then(refresh) }, 'Enable'))
          : h('span', { class: 'muted' }, 'active')));
    }));
  };

  const loadQuotas = async () => {
    const user = src.user();
    const policy = src.policy();
    const limiter = src.limiter();
    const meters: [string, string, { limit: number; windowMs: number }][] = [
      ['execution', 'Runs', policy.quotas.executions],
      ['toolCreation', 'Tool creations', policy.quotas.toolCreations],
    ];
    const rows = await Promise.all(meters.map(async ([action, label, quota]) => {
      const peek = await limiter.peek(user, action);
      const used = Math.max(0, quota.limit - peek.remaining);
      return h('div', { class: 'meter-row', 'data-action': action },
        h('label', { for: `quota-${action}` }, `${label} (${user})`),
        h('meter', { id: `quota-${action}`, min: 0, max: quota.limit, value: used, high: quota.limit * 0.8, optimum: 0 }),
        h('span', { class: 'meter-text' }, `${used} / ${quota.limit} per ${Math.round(quota.windowMs / HOUR)} h`));
    }));
    replace(quotas, ...rows, limiter.degraded ? h('p', { class: 'warning' }, 'IndexedDB unavailable: quotas are per tab, in memory.') : '');
  };

  let pending: ReturnType<typeof setTimeout> | undefined;
  const refresh = async () => {
    clearTimeout(pending);
    const now = Date.now();
    storage.textContent = audit.degraded ? 'memory (degraded)' : audit.storage;
    storage.className = `badge ${audit.degraded ? 'denied' : 'approved'}`;
    await Promise.all([
      loadStream(),
      audit.hourlySummary({ since: now - 24 * HOUR }).then((b) => drawChart(b, now)),
      loadRisk(now),
      loadQuotas(),
    ]);
  };
  const refreshSoon = () => {
    clearTimeout(pending);
    pending = setTimeout(() => void refresh(), 300);
  };

  audit.subscribe((event) => {
    const f = filter();
    if (matches(event, f)) {
      stream.querySelector('.muted')?.remove();
      stream.prepend(row(event));
      while (stream.children.length > STREAM_LIMIT) stream.lastElementChild?.remove();
    }
    refreshSoon();
  });

  const verify = async () => {
    verifyResult.className = 'muted';
    verifyResult.textContent = 'verifying…';
    await audit.flush();
    const result = await audit.verify();
    verifyResult.className = result.ok ? 'ok' : 'error';
    verifyResult.textContent = result.ok
      ? `chain intact: ${result.checked} events checked, head ${result.head.slice(0, 12)}…`
      : `BROKEN at #${result.seq}: ${result.reason}`;
  };

  let lastUrl: string | undefined;
  const exportJsonl = async () => {
    await audit.flush();
    const text = await audit.exportJsonl();
    if (lastUrl) URL.revokeObjectURL(lastUrl);
    lastUrl = URL.createObjectURL(new Blob([text], { type: 'application/x-ndjson' }));
    exportLink.href = lastUrl;
    exportLink.download = `quickcage-audit-${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`;
    exportLink.hidden = false;
    exportLink.textContent = `download (${text === '' ? 0 : text.split('\n').filter(Boolean).length} events)`;
    exportLink.click();
  };

  for (const control of [typeFilter, severityFilter]) control.addEventListener('change', () => void loadStream());
  userFilter.addEventListener('input', refreshSoon);

  replace(
    root,
    h('div', { class: 'dash-head' },
      h('h2', {}, 'Security dashboard'),
      h('span', {}, 'storage ', storage),
      h('button', { type: 'button', id: 'verify-chain', onclick: () => void verify() }, 'Verify chain'),
      verifyResult,
      h('button', { type: 'button', id: 'export-jsonl', onclick: () => void exportJsonl() }, 'Export JSONL'),
      exportLink),
    h('div', { class: 'dash-grid' },
      h('section', { class: 'dash-stream', 'aria-label': 'Audit stream' },
        h('h3', {}, 'Live audit stream'),
        h('div', { class: 'filters' }, typeFilter, severityFilter, userFilter),
        stream),
      h('section', { 'aria-label': 'Hourly chart' }, h('h3', {}, 'Events per hour (24 h)'), chart),
      h('section', { 'aria-label': 'Risk per user' },
        h('h3', {}, 'Risk per user'),
        h('div', { class: 'table-wrap' }, h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'user'), h('th', {}, 'score'), h('th', {}, 'level'), h('th', {}, 'violations'), h('th', {}, 'state'))), risk)),
        h('p', { class: 'hint' }, 'Score: severity weights decayed with a 1 h half-life. 5 high-severity violations within an hour disable the user.')),
      h('section', { 'aria-label': 'Quotas' }, h('h3', {}, 'Quotas'), quotas)),
  );
  return { refresh };
}

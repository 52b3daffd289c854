/**
 * The playground, end to end in Chromium: every panel clicked through, real outcomes asserted (result
 * text, typed error codes, editor markers, audit events), screenshots saved to test-results/.
 * Each test gets a fresh browser context, so IndexedDB (audit log, quotas, tools) starts empty.
 */
import { expect, test, type Page } from '@playwright/test';

const DEMO = '/demo/';
const SHOTS = 'test-results';

async function open(page: Page): Promise<void> {
  await page.goto(DEMO);
  await expect(page.locator('body')).toHaveAttribute('data-state', 'idle', { timeout: 20_000 });
}

/** Clicks Run and waits for the outcome; returns the status code shown (OK or an error code). */
async function run(page: Page): Promise<string> {
  await page.click('#run');
  await expect(page.locator('#run-status')).toHaveClass(/\b(ok|error)\b/, { timeout: 20_000 });
  await expect(page.locator('body')).toHaveAttribute('data-state', 'idle');
  return (await page.locator('#run-status .code').first().textContent()) ?? '';
}

async function runExample(page: Page, id: string): Promise<string> {
  await page.selectOption('#examples', id);
  return run(page);
}

/** Replaces the editor's content, as a person typing would. */
async function setCode(page: Page, code: string): Promise<void> {
  await page.locator('.cm-content').click();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(code);
}

async function setPolicy(page: Page, json: string): Promise<void> {
  await page.click('#tab-policy');
  await page.fill('#policy-json', json);
}

test('ordinary agent code runs: result, console and stats', async ({ page }) => {
  await open(page);
  expect(await runExample(page, 'data')).toBe('OK');
  await expect(page.locator('#result')).toContainText('"bestSeller": "coffee"');
  await expect(page.locator('#result')).toContainText('"south": 114');
  await expect(page.locator('#console')).toContainText('regions: north, south, east');
  await expect(page.locator('#console .log.info')).toContainText('best seller: coffee');
  for (const stat of ['wall', 'cpu', 'total', 'peak memory', 'heap', 'tool calls']) {
    await expect(page.locator(`#stats [data-stat="${stat}"] dd`)).not.toBeEmpty();
  }
  await expect(page.locator('#stats [data-stat="tool calls"] dd')).toHaveText('0');
  // The playground asks for the heap walk (`measureHeap: true`; the SDK's default is false), so the
  // QuickJS heap of a real run is shown in KB, never the `0 B` of an unmeasured run.
  await expect(page.locator('#stats [data-stat="heap"] dd')).toHaveText(/^\d+\.\d (KB|MB)$/);
  await page.screenshot({ path: `${SHOTS}/demo-desktop.png` });
});

/**
 * Each attack next to a near-miss that must pass: the defense fires on the attack only.
 * `code` is the error code shown; `host` the host tool code carried by the guest's ToolError.
 */
const ATTACKS: { id: string; code: string; host?: string; rules?: string[]; text: string; safe: { code: string; result: string } }[] = [
  { id: 'loop', code: 'DEADLINE_EXCEEDED', text: '3000 ms deadline', safe: { code: 'let i = 0; while (i < 1e5) i++; i;', result: '100000' } },
  { id: 'redos', code: 'DEADLINE_EXCEEDED', text: 'deadline', safe: { code: "/^(a+)+$/.test('a'.repeat(40));", result: 'true' } },
  { id: 'memory', code: 'MEMORY_LIMIT', text: 'memory limit', safe: { code: "const keep = []; for (let i = 0; i < 1000; i++) keep.push('x'.repeat(1000)); keep.length;", result: '1000' } },
  { id: 'stack', code: 'STACK_OVERFLOW', text: 'stack limit', safe: { code: 'function down(n) { return n === 0 ? 0 : down(n - 1) + 1; } down(200);', result: '200' } },
  { id: 'output', code: 'OUTPUT_TOO_LARGE', text: 'result exceeds', safe: { code: "'x'.repeat(1000).length;", result: '1000' } },
  { id: 'constructor', code: 'VALIDATION_REJECTED', rules: ['no-function-constructor'], text: 'constructor', safe: { code: 'const f = function () { return 1; }; f.name.length;', result: '1' } },
  { id: 'eval', code: 'VALIDATION_REJECTED', rules: ['no-eval', 'no-eval'], text: 'eval', safe: { code: "const evaluate = (s) => s.length; evaluate('1 + 1');", result: '5' } },
  { id: 'proto', code: 'VALIDATION_REJECTED', rules: ['no-prototype-write'], text: 'prototype', safe: { code: 'const o = { isAdmin: false }; o.isAdmin;', result: 'false' } },
  { id: 'host', code: 'VALIDATION_REJECTED', rules: ['host-global'], text: 'document', safe: { code: "const doc = { cookie: 'c' }; doc.cookie;", result: '"c"' } },
  {
    id: 'traversal', code: 'GUEST_ERROR', host: 'TOOL_DENIED', text: 'path contains a `..` segment',
    safe: { code: "await tools.readFile({ path: '/workspace/notes.md' });", result: '/workspace only' },
  },
  {
    id: 'exfil', code: 'GUEST_ERROR', host: 'TOOL_DENIED', text: 'userinfo',
    safe: { code: "(await tools.fetch({ url: 'https://api.demo.test/orders/123456' })).body;", result: 'shipped' },
  },
];

for (const attack of ATTACKS) {
  test(`attack example "${attack.id}" fails with ${attack.host ?? attack.code}; its near miss runs`, async ({ page }) => {
    await open(page);
    expect(await runExample(page, attack.id)).toBe(attack.code);
    await expect(page.locator('#result')).toContainText(attack.text);
    if (attack.host) await expect(page.locator(`#run-status [data-host-code="${attack.host}"]`)).toBeVisible();
    if (attack.rules) {
      const rules = await page.locator('#result .violations .rule').allTextContents();
      for (const rule of attack.rules) expect(rules).toContain(rule);
      // One editor marker per violation.
      await expect(page.locator('#editor')).toHaveAttribute('data-markers', String(rules.length));
      await expect(page.locator('.cm-lintRange-error').first()).toBeVisible();
    }
    await setCode(page, attack.safe.code);
    expect(await run(page)).toBe('OK');
    await expect(page.locator('#result')).toContainText(attack.safe.result);
  });
}

test('validation errors are marked in the editor at their line and column', async ({ page }) => {
  await open(page);
  expect(await runExample(page, 'eval')).toBe('VALIDATION_REJECTED');
  const ranges = page.locator('.cm-lintRange-error');
  await expect(page.locator('#editor')).toHaveAttribute('data-marker-lines', '2,4');
  await expect(ranges).toHaveCount(2);
  // The markers cover the offending source text itself: `eval` on line 2, `globalThis[name]` on line 4.
  await expect(ranges.nth(0)).toHaveText('eval');
  await expect(ranges.nth(1)).toHaveText('globalThis[name]');
  await expect(page.locator('.cm-gutter-lint .cm-lint-marker-error')).toHaveCount(2);
  await expect(page.locator('#result .violations li').first()).toContainText('at 2:11');
  await expect(page.locator('#result .violations li').nth(1)).toHaveAttribute('data-line', '4');
  await page.setViewportSize({ width: 1280, height: 960 });
  await page.screenshot({ path: `${SHOTS}/demo-validation.png` });
  // Near miss: the same computation without eval passes and the markers go away.
  await setCode(page, 'const a = 1 + 1;\nconst b = 2 + 2;\n[a, b];');
  expect(await run(page)).toBe('OK');
  await expect(ranges).toHaveCount(0);
});

test('compilation errors are marked in the editor too', async ({ page }) => {
  await open(page);
  await setCode(page, 'const ok = 1;\nconst broken = ;\n');
  expect(await run(page)).toBe('COMPILATION_ERROR');
  await expect(page.locator('#result')).toContainText('at line 2, column 16');
  await expect(page.locator('#editor')).toHaveAttribute('data-marker-lines', '2');
  await expect(page.locator('.cm-lintRange-error')).toHaveText([';']);
  await expect(page.locator('.cm-gutter-lint .cm-lint-marker-error')).toHaveCount(1);
});

test('Stop aborts a running guest', async ({ page }) => {
  await open(page);
  await page.selectOption('#examples', 'loop');
  await page.click('#run');
  await expect(page.locator('#stop')).toBeEnabled();
  await page.click('#stop');
  await expect(page.locator('#run-status .code')).toHaveText('ABORTED');
  await expect(page.locator('#run')).toBeEnabled();
  // The sandbox still works after the abort (a standby worker took over).
  expect(await runExample(page, 'data')).toBe('OK');
});

test('policy panel: live validation, presets recreate the sandbox, trusted toggle', async ({ page }) => {
  await open(page);
  await setPolicy(page, '{ "preset": "webApi", ');
  await expect(page.locator('#policy-status .code')).toHaveText('JSON');
  await setPolicy(page, '{ "preset": "webApi", "limts": {} }');
  await expect(page.locator('#policy-status .code')).toHaveText('INVALID_POLICY');
  await expect(page.locator('#policy-status')).toContainText('Unknown policy key `limts`');
  await setPolicy(page, '{ "preset": "webApi", "limits": { "timeoutMs": -1 } }');
  await expect(page.locator('#policy-status')).toContainText('Expected `limits.timeoutMs` to be an integer');
  // The sandbox kept the last valid policy: file tools still work.
  expect(await runExample(page, 'files')).toBe('OK');

  await page.click('#tab-policy');
  await page.selectOption('#preset', 'webApi');
  await expect(page.locator('#policy-status .code')).toHaveText('valid');
  await expect(page.locator('#policy-status')).toContainText('preset webApi');
  await expect(page.locator('#policy-status')).toContainText('no files');
  // webApi grants no built-in tools: the guest has no readFile at all.
  expect(await runExample(page, 'files')).toBe('GUEST_ERROR');
  await expect(page.locator('#result')).toContainText('not a function');
  await page.click('#tab-tools');
  await expect(page.locator('#tool-list tr[data-tool]')).toHaveText([/sendEmail/]);

  await page.click('#tab-policy');
  await page.selectOption('#preset', 'development');
  await expect(page.locator('#policy-dangerous')).toBeVisible();
  expect(await runExample(page, 'eval')).toBe('OK');
  await expect(page.locator('#run-status')).toContainText('DANGEROUS');

  await page.selectOption('#preset', 'trustedEnvironment');
  await page.check('#trusted');
  expect(await runExample(page, 'constructor')).toBe('OK');
  await expect(page.locator('#run-status')).toContainText('trusted');
  await page.uncheck('#trusted');
  expect(await runExample(page, 'constructor')).toBe('VALIDATION_REJECTED');
  await page.screenshot({ path: `${SHOTS}/demo-policy.png` });
});

test('guardrails: PII is redacted or masked once the policy turns them on; a secret blocks', async ({ page }) => {
  await open(page);
  // Off (the presets' default): the data leaves as it is, and a key shape passes.
  expect(await runExample(page, 'pii')).toBe('OK');
  await expect(page.locator('#result')).toContainText('ada@example.com');
  expect(await runExample(page, 'secret')).toBe('OK');

  await page.click('#tab-policy');
  await page.click('#guardrails-on');
  await expect(page.locator('#policy-status .code')).toHaveText('valid');
  await expect(page.locator('#policy-json')).toHaveValue(/"email": "redact"/);
  expect(await runExample(page, 'pii')).toBe('OK');
  const result = page.locator('#result');
  await expect(result).toContainText('[REDACTED:EMAIL]');
  await expect(result).not.toContainText('ada@example.com');
  await expect(result).not.toContainText('4111 1111 1111 1111');
  await expect(page.locator('#console')).not.toContainText('ada@example.com');
  await expect(page.locator('#audit-stream [data-type="suspicious_pattern"]').first()).toBeVisible();

  expect(await runExample(page, 'secret')).toBe('GUARDRAIL_BLOCKED');
  await expect(result).toContainText('secret');
});

test('tools panel: files, local fetch, and the approval dialog for sendEmail', async ({ page }) => {
  await open(page);
  await page.click('#tab-tools');
  await expect(page.locator('#tool-list tr[data-tool]')).toHaveText([/deleteFile/, /fetch/, /listDir/, /readFile/, /sendEmail/, /stat/, /writeFile/]);
  await expect(page.locator('#file-list [data-path="/secret/api-keys.txt"]')).toBeVisible();

  expect(await runExample(page, 'files')).toBe('OK');
  await expect(page.locator('#result')).toContainText('"total": 158.75');
  await expect(page.locator('#file-list [data-path="/workspace/report.json"]')).toBeVisible();

  expect(await runExample(page, 'fetch')).toBe('OK');
  await expect(page.locator('#result')).toContainText('"city": "Oslo"');

  await page.selectOption('#examples', 'email');
  await page.click('#run');
  const dialog = page.locator('#approval-dialog');
  await expect(dialog).toBeVisible();
  await expect(page.locator('#approval-tool')).toHaveText('sendEmail');
  await expect(page.locator('#approval-args')).toContainText('customer@example.com');
  await page.screenshot({ path: `${SHOTS}/demo-approval.png` });
  await page.click('#approve');
  await expect(page.locator('#run-status .code')).toHaveText('OK');
  await expect(page.locator('#result')).toContainText('"sent": true');
  await expect(page.locator('#outbox')).toContainText('Your order 123456');

  await page.click('#run');
  await expect(dialog).toBeVisible();
  await page.click('#deny');
  await expect(page.locator('#run-status [data-host-code="APPROVAL_DENIED"]')).toBeVisible();
  await expect(page.locator('#outbox li')).toHaveCount(1);
  await expect(page.locator('#approval-list [data-status="denied"]')).toHaveCount(1);
  await expect(page.locator('#approval-list [data-status="consumed"]')).toHaveCount(1);
  await page.screenshot({ path: `${SHOTS}/demo-tools.png` });
});

test('Stop while an approval is pending aborts the run and closes the dialog', async ({ page }) => {
  await open(page);
  await page.selectOption('#examples', 'email');
  await page.click('#run');
  await expect(page.locator('#approval-dialog')).toBeVisible();
  // The modal dialog covers the page; Stop is reached the way a script or a keyboard user would.
  await page.locator('#stop').dispatchEvent('click');
  await expect(page.locator('#run-status .code')).toHaveText('ABORTED');
  await expect(page.locator('#approval-dialog')).toBeHidden();
  await page.click('#tab-tools');
  await expect(page.locator('#outbox li.mail')).toHaveCount(0);
});

test('dynamic tools: create, call, disable with a reason, re-enable', async ({ page }) => {
  await open(page);
  await page.click('#tab-dynamic');
  // Rejected at creation: no default export.
  await page.fill('#dyn-name', 'broken');
  await page.fill('#dyn-code', 'const x = 1;');
  await page.click('#dyn-create');
  await expect(page.locator('#dyn-status [data-code]')).toHaveText('VALIDATION_REJECTED');
  await expect(page.locator('#dyn-status .rule')).toHaveText('dynamic-tool-shape');

  // The sample tool: created, listed, callable.
  await page.reload();
  await expect(page.locator('body')).toHaveAttribute('data-state', 'idle');
  await page.click('#tab-dynamic');
  await page.click('#dyn-create');
  await expect(page.locator('#dyn-status')).toContainText('created discount for alice');
  const row = page.locator('#dyn-list tr[data-tool="discount"]');
  await expect(row).toHaveAttribute('data-enabled', 'true');
  expect(await runExample(page, 'dynamic')).toBe('OK');
  await expect(page.locator('#result')).toContainText('"final": 102');
  await expect(page.locator('#result')).toContainText('"currency": "EUR"');

  // A tool's arguments are checked against its schema before it runs.
  await setCode(page, 'await tools.discount({ price: 10, percent: 95 });');
  expect(await run(page)).toBe('GUEST_ERROR');
  await expect(page.locator('#run-status [data-host-code="INVALID_ARGUMENT"]')).toBeVisible();

  await row.locator('input.reason').fill('returns wrong prices');
  await row.getByRole('button', { name: 'Disable' }).click();
  await expect(row).toHaveAttribute('data-enabled', 'false');
  await expect(row.locator('.why')).toHaveText('returns wrong prices');
  expect(await runExample(page, 'dynamic')).toBe('GUEST_ERROR');
  await expect(page.locator('#audit-stream [data-type="tool_disabled"]').first()).toContainText('returns wrong prices');
  await page.screenshot({ path: `${SHOTS}/demo-dynamic.png` });

  await row.getByRole('button', { name: 'Enable' }).click();
  await expect(row).toHaveAttribute('data-enabled', 'true');
  expect(await runExample(page, 'dynamic')).toBe('OK');
});

test('security dashboard: live stream, filters, chart, risk, quotas, verify, export', async ({ page }) => {
  await open(page);
  expect(await runExample(page, 'data')).toBe('OK');
  expect(await runExample(page, 'eval')).toBe('VALIDATION_REJECTED');
  expect(await runExample(page, 'traversal')).toBe('GUEST_ERROR');

  const stream = page.locator('#audit-stream');
  await expect(stream.locator('[data-type="execution"]').first()).toBeVisible();
  await expect(stream.locator('[data-type="validation_failure"]')).toContainText('rules=no-eval');
  await expect(stream.locator('[data-type="tool_call"][data-severity="high"]')).toContainText('rule=path.traversal');

  await page.selectOption('#filter-severity', 'high');
  await expect(stream).toHaveAttribute('data-severity', 'high');
  await expect(stream.locator('li.event')).not.toHaveCount(0);
  for (const severity of await stream.locator('li.event').evaluateAll((els) => els.map((e) => e.getAttribute('data-severity')))) {
    expect(severity).toBe('high');
  }
  await page.selectOption('#filter-severity', '');
  await page.selectOption('#filter-type', 'validation_failure');
  await expect(stream).toHaveAttribute('data-type', 'validation_failure');
  await expect(stream.locator('li.event')).toHaveCount(1);
  await page.selectOption('#filter-type', '');

  await expect(page.locator('#hourly-chart rect.bar').first()).toBeVisible();
  await expect(page.locator('#hourly-chart rect.bar.high')).toHaveCount(1);
  const alice = page.locator('#risk-table tr[data-user="alice"]');
  await expect(alice).toBeVisible();
  await expect(alice.locator('td').nth(3)).not.toHaveText('0');
  await expect(page.locator('#quota-execution')).toHaveAttribute('value', '3');

  await page.click('#verify-chain');
  await expect(page.locator('#verify-result')).toContainText('chain intact');

  const download = page.waitForEvent('download');
  await page.click('#export-jsonl');
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^quickcage-audit-.*\.jsonl$/);
  // The same Blob the download came from, read in the page (the spec has no Node types).
  const text = await page.evaluate(async () => (await fetch((document.getElementById('export-link') as HTMLAnchorElement).href)).text());
  const events = text.trim().split('\n').map((line) => JSON.parse(line) as { type: string; hash: string; seq: number });
  expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['execution', 'validation_failure', 'tool_call']));
  expect(events.every((e) => /^[0-9a-f]{64}$/.test(e.hash))).toBe(true);
  await page.locator('#dashboard').screenshot({ path: `${SHOTS}/demo-dashboard.png` });
});

test('repeated attacks disable that user only; Enable in the risk table restores them', async ({ page }) => {
  await open(page);
  await page.fill('#user', 'mallory');
  await page.locator('#user').dispatchEvent('change');
  // Five high-severity violations within an hour trip the audit log's auto-disable.
  for (let i = 0; i < 5; i++) expect(await runExample(page, 'traversal')).toBe('GUEST_ERROR');
  const mallory = page.locator('#risk-table tr[data-user="mallory"]');
  await expect(mallory).toContainText('disabled');
  expect(await runExample(page, 'data')).toBe('USER_DISABLED');
  await expect(page.locator('#result')).toContainText('user `mallory` is disabled');

  // Another user is not affected.
  await page.fill('#user', 'alice');
  await page.locator('#user').dispatchEvent('change');
  expect(await runExample(page, 'data')).toBe('OK');

  await mallory.getByRole('button', { name: 'Enable' }).click();
  await expect(mallory).toContainText('active');
  await page.fill('#user', 'mallory');
  expect(await runExample(page, 'data')).toBe('OK');
});

test('works offline: no request leaves the dev server', async ({ page, baseURL }) => {
  const foreign: string[] = [];
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(baseURL!) && !url.startsWith('data:') && !url.startsWith('blob:')) foreign.push(url);
  });
  await open(page);
  expect(await runExample(page, 'fetch')).toBe('OK');
  expect(await runExample(page, 'exfil')).toBe('GUEST_ERROR');
  expect(foreign).toEqual([]);
});

test('layout holds in a 390 px wide window', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await open(page);
  expect(await runExample(page, 'eval')).toBe('VALIDATION_REJECTED');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  // Single column: the side panel sits below the output, not beside it.
  const output = await page.locator('.output-panel').boundingBox();
  const side = await page.locator('.side').boundingBox();
  expect(side!.y).toBeGreaterThan(output!.y + output!.height - 1);
  expect(side!.width).toBeGreaterThan(330);
  await page.screenshot({ path: `${SHOTS}/demo-mobile.png`, fullPage: true });
});

test('observe mode: a few runs, the suggested least privilege with reasons, applied with one click, then enforced', async ({ page }) => {
  test.setTimeout(90_000);
  await open(page);
  await page.click('#tab-observe');
  await page.check('#observe-toggle');
  await expect(page.locator('body')).toHaveAttribute('data-observing', 'true');
  // The webApi preset grants neither files nor network: in observe mode the runs still complete.
  await setPolicy(page, '{ "preset": "webApi", "limits": { "timeoutMs": 3000 } }');
  await expect(page.locator('#policy-status')).toContainText('no files');
  await page.click('#tab-observe');
  expect(await runExample(page, 'files')).toBe('OK');
  expect(await runExample(page, 'fetch')).toBe('OK');
  const grants = page.locator('#observe-grants li');
  await expect(grants.filter({ hasText: 'path /workspace' })).toHaveCount(1);
  await expect(grants.filter({ hasText: 'domain api.demo.test' })).toContainText('would have been denied (permission.missing by the sandbox policy)');
  await expect(grants.filter({ hasText: 'permission SEND_EMAIL' })).toHaveCount(0);
  await page.screenshot({ path: `${SHOTS}/demo-observe.png` });

  await page.click('#observe-apply');
  await expect(page.locator('#observe-status')).toContainText('enforcing');
  await page.click('#tab-policy');
  await expect(page.locator('#policy-json')).toHaveValue(/"allowedDomains": \[\s*"api\.demo\.test"\s*\]/);
  await expect(page.locator('#policy-status')).toContainText('files /workspace');
  // What was observed runs; what was never observed is denied.
  expect(await runExample(page, 'files')).toBe('OK');
  // A tool denial reaches the guest as a rejected promise; uncaught, the run ends in GUEST_ERROR naming it.
  await setCode(page, "await tools.readFile({ path: '/secret/api-keys.txt' })");
  expect(await run(page)).toBe('GUEST_ERROR');
  await expect(page.locator('#run-status')).toContainText('TOOL_DENIED');
  const stream = page.locator('#audit-stream');
  await expect(stream.locator('[data-type="tool_call"]').filter({ hasText: 'rule=path.outside' }).first()).toBeVisible();
  await setCode(page, "await tools.fetch({ url: 'https://elsewhere.demo.test/' })");
  expect(await run(page)).toBe('GUEST_ERROR');
  await expect(stream.locator('[data-type="tool_call"]').filter({ hasText: 'rule=url.host-not-allowed' }).first()).toBeVisible();
});

/**
 * The playground's Agent view, end to end in Chromium: the offline scripted agent replays its task
 * (read a file, fetch, an approval the test answers through the real dialog, a validation rejection
 * and its fix, the answer), and "connect a model" streams from a local OpenAI-compatible mock
 * endpoint on 127.0.0.1 started here (test/agent/servers.mjs).
 */
import { expect, test, type Page } from '@playwright/test';
import { startOpenAIMock, type ChatBody, type ScriptReply } from '../agent/servers.mjs';

const SHOTS = 'test-results';

// Each test loads the playground, starts workers and runs several programs: on a loaded two-core
// machine that takes longer than the default budget. (A budget, not a timed assertion.)
test.setTimeout(120_000);

async function openAgent(page: Page): Promise<void> {
  await page.goto('/demo/');
  await expect(page.locator('body')).toHaveAttribute('data-state', 'idle', { timeout: 20_000 });
  await page.click('#view-agent');
  await expect(page.locator('#agent-view')).toBeVisible();
  await expect(page.locator('#agent-tool-description')).toContainText('declare const tools');
}

const stepCodes = (page: Page) => page.locator('#agent-chat .step').evaluateAll((steps) => steps.map((s) => (s as HTMLElement).dataset.code));

test('the scripted agent runs its task offline; an approved email is sent', async ({ page }) => {
  await openAgent(page);
  // The model is told exactly the granted API: the agent holds no DATABASE_* flag, so no such tools.
  await expect(page.locator('#agent-tool-description')).toContainText('sendEmail(args: {');
  await expect(page.locator('#agent-tool-description')).toContainText('fetch(args: {');
  await page.click('#agent-send');
  await expect(page.locator('#approval-dialog')).toBeVisible({ timeout: 20_000 });
  await expect(page.locator('#approval-tool')).toHaveText('sendEmail');
  await expect(page.locator('#approval-args')).toContainText('"to": "ada@example.com"');
  await page.click('#approve');
  await expect(page.locator('#agent-view')).toHaveAttribute('data-state', 'done', { timeout: 20_000 });

  expect(await stepCodes(page)).toEqual(['OK', 'OK', 'OK', 'VALIDATION_REJECTED', 'OK']);
  const step = (n: number) => page.locator(`#agent-chat .step[data-step="${n}"]`);
  await expect(step(1).locator('.step-result pre')).toContainText('"orders": 3');
  await expect(step(1).locator('.step-audit')).toContainText('tool_call [low] readFile → ok');
  await expect(step(2).locator('.step-audit li', { hasText: 'fetch → ok' })).toHaveCount(2);
  await expect(step(2).locator('.step-result pre')).toContainText('"status": "shipped"');
  await expect(step(3).locator('.step-approvals')).toContainText('sendEmail: requested');
  await expect(step(3).locator('.step-approvals')).toContainText('sendEmail: approved');
  await expect(step(4).locator('.step-result pre')).toContainText('"code": "VALIDATION_REJECTED"');
  await expect(step(4).locator('.step-result pre')).toContainText('"line": 1');
  await expect(step(4).locator('.step-audit')).toContainText('validation_failure [medium]');
  await expect(step(5).locator('.step-audit')).toContainText('writeFile → ok');
  const answer = page.locator('#agent-chat .msg.assistant').last();
  await expect(answer).toContainText('Done. 3 orders, 158.75 EUR in total. Order 123456 is shipped (ETA Friday).');
  await expect(answer).toContainText('I emailed Ada the summary, and saved the report to /workspace/report.md.');
  await page.screenshot({ path: `${SHOTS}/demo-agent.png`, fullPage: true });
});

test('a denied approval reaches the scripted agent as a typed result, and it carries on', async ({ page }) => {
  await openAgent(page);
  await page.click('#agent-send');
  await expect(page.locator('#approval-dialog')).toBeVisible({ timeout: 20_000 });
  await page.click('#deny');
  await expect(page.locator('#agent-view')).toHaveAttribute('data-state', 'done', { timeout: 20_000 });
  expect(await stepCodes(page)).toEqual(['OK', 'OK', 'APPROVAL_DENIED', 'VALIDATION_REJECTED', 'OK']);
  await expect(page.locator('#agent-chat .step[data-step="3"] .step-result pre')).toContainText('"tool": "sendEmail"');
  await expect(page.locator('#agent-chat .msg.assistant').last()).toContainText('I did not email Ada: the approval was denied');
});

/** The mock model for the connected test: reads the notes with one program, then answers from them. */
function notesScript(body: ChatBody): ScriptReply {
  const tool = body.messages.find((m) => m.role === 'tool');
  if (tool === undefined) {
    return { content: 'Let me read the notes.', toolCalls: [{ name: 'run_code', arguments: JSON.stringify({ code: "const t = await tools.readFile({ path: '/workspace/notes.md' });\nt.split('\\n')[0]" }) }] };
  }
  const result = JSON.parse(String(tool.content)) as { ok: boolean; value?: string; error?: { code: string } };
  return { content: result.ok ? `The notes start with: ${result.value}` : `Failed: ${result.error?.code}` };
}

test('connect a model: a local OpenAI-compatible endpoint, streamed, key kept in memory only', async ({ page }) => {
  const mock = await startOpenAIMock({ script: notesScript, apiKey: 'sk-local-e2e', lifetimeMs: 60_000 });
  try {
    await openAgent(page);
    await page.selectOption('#agent-mode', 'model');
    await page.fill('#agent-base-url', mock.url);
    await page.fill('#agent-model', 'mock-coder');
    await page.fill('#agent-key', 'sk-local-e2e');
    await page.fill('#agent-task', 'What do the notes start with?');
    await page.click('#agent-send');
    await expect(page.locator('#agent-view')).toHaveAttribute('data-state', 'done', { timeout: 20_000 });
    expect(await stepCodes(page)).toEqual(['OK']);
    await expect(page.locator('#agent-chat .msg.assistant').last()).toHaveText(/The notes start with: # Notes$/);
    await expect(page.locator('#agent-chat .msg.assistant').first()).toContainText('Let me read the notes.');
    // Two streamed requests, each with the system prompt, the code tool and the conversation so far.
    expect(mock.requests.map((r) => [r.stream, r.model, r.messages.map((m) => m.role).join(',')])).toEqual([
      [true, 'mock-coder', 'system,user'],
      [true, 'mock-coder', 'system,user,assistant,tool'],
    ]);
    expect((mock.requests[0]!.tools as { function: { name: string } }[]).map((t) => t.function.name)).toEqual(['run_code']);
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }) + document.cookie);
    expect(stored).not.toContain('sk-local-e2e');

    // A wrong key: the endpoint's 401 is shown, no program runs.
    await page.fill('#agent-key', 'sk-wrong');
    await page.click('#agent-reset');
    await page.click('#agent-send');
    await expect(page.locator('#agent-view')).toHaveAttribute('data-state', 'error', { timeout: 20_000 });
    await expect(page.locator('#agent-status')).toContainText('The model failed: 401');
    expect(await stepCodes(page)).toEqual([]);
  } finally {
    await mock.close();
  }
});

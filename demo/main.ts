/**
 * The quickcage playground: wires the editor, the panels and every layer of the SDK together, using
 * only the public API (src/index.ts).
 *
 * Lifetimes: the audit log, the approval manager, the virtual file system and the dynamic tool store
 * live as long as the page. A policy change recreates the sandbox, the rate limiter, the dynamic-tool
 * runner and the tool registry (built-in tools follow the policy), and disposes the old ones.
 */
import {
  Permission, createApprovalManager, createAuditLog, createDynamicToolStore, createRateLimiter, createSandbox, createToolRegistry,
  createVirtualFileSystem, definePermissionPolicy, isSandboxError, type Policy, type RateLimiter, type Sandbox,
  type Tool, type ToolRegistry,
} from '../src/index.js';
import { createAgentPanel } from './agent-panel.js';
import { createApprovalDialog } from './approval-dialog.js';
import { createDashboard } from './dashboard.js';
import { byId, h } from './dom.js';
import { createDynamicPanel } from './dynamic-panel.js';
import { createDynamicRunner, type DynamicRunner } from './dynamic-runner.js';
import { createEditor } from './editor.js';
import { EXAMPLES, exampleById } from './examples.js';
import { DEMO_HOST, createEmailTool, demoFetch, seedFiles, type OutboxEntry } from './host.js';
import { createOutput } from './output.js';
import { createPolicyPanel } from './policy-panel.js';
import { createToolsPanel } from './tools-panel.js';
import { createObservePanel } from './observe-panel.js';

// ---- page-lifetime services ----

const audit = createAuditLog({ dbName: 'quickcage-playground-audit' });
const vfs = createVirtualFileSystem({ storage: 'memory' });
const outbox: OutboxEntry[] = [];
const approvalDialog = createApprovalDialog();
const approvals = createApprovalManager({
  onApproval: (request) => approvalDialog.ask(request),
  sink: audit,
  dbName: 'quickcage-playground-approvals',
  timeoutMs: 2 * 60_000,
});
/** The agent every run acts as: what it may do, where. DATABASE_* are not granted. */
const agent = definePermissionPolicy({
  agent: 'playground-agent',
  permissions: Permission.READ_FILE | Permission.WRITE_FILE | Permission.NETWORK_ACCESS | Permission.SEND_EMAIL | Permission.EXECUTE_CODE,
  allowedPaths: ['/workspace'],
  allowedDomains: [DEMO_HOST],
});

let limiter: RateLimiter | undefined;
let runner: DynamicRunner | undefined;
let registry: ToolRegistry | undefined;
let sandbox: Sandbox | undefined;
let currentPolicy: Policy | undefined;
let controller: AbortController | undefined;
/** Observe mode (the Observe tab) and the agent runs act as: the one above until a suggestion is applied. */
let observing = false;
let runAgent = agent;

const userInput = byId<HTMLInputElement>('user');
const currentUser = () => userInput.value.trim() || 'anonymous';

const dynamicStore = createDynamicToolStore({
  runner: (code, args, ctx) => {
    if (runner === undefined) throw new Error('no runner yet');
    return runner.run(code, args, ctx);
  },
  consume: (user) => limiter?.consume(user, 'toolCreation'),
  deps: { currency: 'EUR' },
  sink: audit,
  dbName: 'quickcage-playground-tools',
});

const emailTool = createEmailTool(outbox, () => void toolsPanel.refresh());

// ---- panels ----

const output = createOutput();
const runButton = byId<HTMLButtonElement>('run');
const stopButton = byId<HTMLButtonElement>('stop');
const editor = createEditor(byId('editor'), EXAMPLES[0]!.code, () => void run());

const toolsPanel = createToolsPanel(byId('panel-tools'), {
  registry: () => registry!,
  agent,
  user: currentUser,
  vfs,
  outbox,
  approvals,
});
const dynamicPanel = createDynamicPanel(byId('panel-dynamic'), dynamicStore, currentUser, () => void toolsPanel.refresh());
const dashboard = createDashboard(byId('dashboard'), {
  audit,
  limiter: () => limiter!,
  policy: () => currentPolicy!,
  user: currentUser,
});

/**
 * Builds everything that depends on the policy, then swaps it in and disposes the old set. Throws
 * (and keeps the old set) when a layer refuses the policy, e.g. a non-canonical `files.allowedPaths`.
 */
function applyPolicy(policy: Policy): void {
  // No `events` here: the sandbox records each refusal itself (rate_limit_exceeded), once.
  const nextLimiter = createRateLimiter({ policy, dbName: 'quickcage-playground-quotas' });
  let nextRunner: DynamicRunner | undefined;
  try {
    nextRunner = createDynamicRunner(policy, audit);
    const nextRegistry = createToolRegistry({ policy, tools: [emailTool], fileSystem: vfs, fetchImpl: demoFetch, approvals, dynamicTools: dynamicStore, observe: observing });
    const nextSandbox = createSandbox({
      policy,
      observe: observing,
      tools: nextRegistry.forAgent(runAgent, { sink: audit }),
      audit,
      // Each untrusted run takes one `execution` from the user's quota (RATE_LIMITED when used up);
      // users the audit log disabled are refused with USER_DISABLED.
      rateLimiter: nextLimiter,
    });
    const old = { sandbox, limiter, runner };
    [sandbox, limiter, runner, registry, currentPolicy] = [nextSandbox, nextLimiter, nextRunner, nextRegistry, policy];
    void old.sandbox?.dispose();
    void old.limiter?.dispose();
    void old.runner?.dispose();
  } catch (error) {
    void nextLimiter.dispose();
    void nextRunner?.dispose();
    throw error;
  }
  void toolsPanel.refresh();
  void dashboard.refresh();
}

const policyPanel = createPolicyPanel(byId('panel-policy'), applyPolicy);

createObservePanel(byId('panel-observe'), {
  audit,
  onToggle: (observe) => {
    observing = observe;
    runAgent = agent;
    applyPolicy(currentPolicy!);
  },
  onApply: (suggestion) => {
    observing = false;
    runAgent = definePermissionPolicy(suggestion.permissions);
    // The playground's short deadline stays; everything else is the suggestion.
    policyPanel.setInput({ ...suggestion.policy, limits: { timeoutMs: currentPolicy!.limits.timeoutMs } });
    applyPolicy(currentPolicy!);
  },
});

createAgentPanel(byId('agent-view'), byId<HTMLButtonElement>('view-agent'), {
  audit, vfs, approvals, agent, user: currentUser,
  emailTool: emailTool as unknown as Tool<never>,
  cancelApprovals: () => approvalDialog.cancel(),
  changed: () => {
    void toolsPanel.refresh();
    void dashboard.refresh();
  },
});

// ---- run and stop ----

async function run(): Promise<void> {
  if (controller !== undefined || sandbox === undefined) return;
  const current = sandbox;
  const abort = new AbortController();
  controller = abort;
  runButton.disabled = true;
  stopButton.disabled = false;
  document.body.dataset.state = 'running';
  editor.mark([]);
  output.running();
  try {
    // measureHeap: the stats panel shows the QuickJS heap, which a run only measures when asked.
    const out = await current.run(editor.getCode(), { signal: abort.signal, trusted: policyPanel.trusted, user: currentUser(), measureHeap: true });
    output.showResult(out);
  } catch (error) {
    editor.mark(output.showError(error));
    if (!isSandboxError(error)) console.error(error);
  } finally {
    approvalDialog.cancel();
    controller = undefined;
    runButton.disabled = false;
    stopButton.disabled = true;
    document.body.dataset.state = 'idle';
    void toolsPanel.refresh();
    void dashboard.refresh();
  }
}

runButton.addEventListener('click', () => void run());
stopButton.addEventListener('click', () => controller?.abort());

// ---- examples menu ----

const examples = byId<HTMLSelectElement>('examples');
const note = byId('example-note');
for (const [group, label] of [['agent', 'Agent code'], ['attack', 'Attacks']] as const) {
  examples.append(h('optgroup', { label }, ...EXAMPLES.filter((e) => e.group === group).map((e) => h('option', { value: e.id }, e.title))));
}
const showExample = (id: string) => {
  const example = exampleById(id);
  if (example === undefined) return;
  examples.value = id;
  note.textContent = `Expect: ${example.expect}`;
  note.dataset.group = example.group;
  editor.setCode(example.code);
};
examples.addEventListener('change', () => showExample(examples.value));
note.textContent = `Expect: ${EXAMPLES[0]!.expect}`;
const requested = new URLSearchParams(location.search).get('example');
if (requested !== null) showExample(requested);

// ---- side tabs ----

const tabs = [...document.querySelectorAll<HTMLButtonElement>('[role="tab"]')];
for (const tab of tabs) {
  tab.addEventListener('click', () => {
    for (const other of tabs) {
      const selected = other === tab;
      other.setAttribute('aria-selected', String(selected));
      byId(other.getAttribute('aria-controls')!).hidden = !selected;
    }
    if (tab.id === 'tab-tools') void toolsPanel.refresh();
    if (tab.id === 'tab-dynamic') void dynamicPanel.refresh();
  });
}

userInput.addEventListener('change', () => {
  void toolsPanel.refresh();
  void dashboard.refresh();
});

// ---- start ----

void (async () => {
  await seedFiles(vfs);
  await Promise.all([audit.ready, dynamicStore.ready]);
  await Promise.all([toolsPanel.refresh(), dynamicPanel.refresh(), dashboard.refresh()]);
  document.body.dataset.state = 'idle';
})();

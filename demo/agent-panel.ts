/**
 * The Agent view of the playground: a chat with an agent that works through quickcage's code tool,
 * and for each program it writes, the code, the result the model read, the step's audit events and
 * its approvals. The agent is the offline script or a connected OpenAI-compatible model.
 *
 * It has its own sandbox and registry under a fixed policy (files under /workspace, the demo API
 * host), sharing the page's file system, audit log, approvals and email tool, so the Policy panel's
 * experiments never change what the scripted task can do.
 */
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import {
  createSandbox, createToolRegistry, definePolicy, type ApprovalManager, type AuditLog, type PermissionPolicy, type Sandbox, type Tool,
  type VirtualFileSystem,
} from '../src/index.js';
import { createCodeTool, createEventTap, type CodeStep, type CodeTool } from '../src/agent/index.js';
import type { SecurityEventInput } from '../src/index.js';
import { h, pretty, replace } from './dom.js';
import { DEMO_HOST, demoFetch } from './host.js';
import { runAgentLoop, type AgentModel } from './agent-loop.js';
import { createConnectedModel } from './agent-model.js';
import { SCRIPTED_TASK, createScriptedModel } from './agent-script.js';
import './agent.css';

/** What the Agent view shares with the rest of the page. */
export interface AgentPanelDeps {
  audit: AuditLog;
  vfs: VirtualFileSystem;
  approvals: ApprovalManager;
  /** Closes a pending approval dialog (denying it) when a run ends. */
  cancelApprovals(): void;
  emailTool: Tool<never>;
  agent: PermissionPolicy;
  user(): string;
  /** Called after each loop so other panels can refresh (audit dashboard, outbox). */
  changed(): void;
}

/** The fixed policy of the Agent view. */
const POLICY = definePolicy({
  allowedOperations: { fileOperations: true, networkOperations: true, imports: [] },
  files: { allowedPaths: ['/workspace'] },
  network: { allowedDomains: [DEMO_HOST] },
  limits: { timeoutMs: 3000 },
}, 'webApi');

function eventLine(event: SecurityEventInput): string {
  const d = event.details ?? {};
  const what = event.type === 'tool_call' ? `${event.tool} → ${String(d.outcome)}${d.rule ? ` (${String(d.rule)})` : ''}`
    : event.type === 'approval' ? `${event.tool}: ${String(d.decision)}`
      : event.type === 'execution' ? (d.code ? `run failed: ${String(d.code)}` : 'run ok')
        : `${d.code ? String(d.code) : ''}`;
  return `${event.type} [${event.severity ?? 'low'}] ${what}`.trim();
}

/** Creates the view in `root`; `toggle` is the header button that shows it. */
export function createAgentPanel(root: HTMLElement, toggle: HTMLButtonElement, deps: AgentPanelDeps): void {
  const tap = createEventTap(deps.audit);
  const registry = createToolRegistry({ policy: POLICY, tools: [deps.emailTool], fileSystem: deps.vfs, fetchImpl: demoFetch, approvals: deps.approvals });
  let sandbox: Sandbox | undefined;
  let stepCount = 0;
  /** A code tool for the current user: the declarations follow what that user may call (dynamic tools are per user). */
  const codeToolFor = (user: string): CodeTool => {
    sandbox ??= createSandbox({ policy: POLICY, tools: registry.forAgent(deps.agent, { sink: tap.sink }), audit: tap.sink });
    return createCodeTool({ sandbox, registry, agent: deps.agent, user, events: tap, onStep: (step) => showStep(step) });
  };

  // ---- the form ----
  const mode = h('select', { id: 'agent-mode' },
    h('option', { value: 'scripted' }, 'Scripted agent (offline)'),
    h('option', { value: 'model' }, 'Connect a model (OpenAI-compatible)'));
  const baseUrl = h('input', { id: 'agent-base-url', value: 'http://127.0.0.1:11434/v1', size: 32, autocomplete: 'off', spellcheck: 'false' });
  const model = h('input', { id: 'agent-model', value: 'qwen2.5-coder', size: 16, autocomplete: 'off', spellcheck: 'false' });
  const key = h('input', { id: 'agent-key', type: 'password', placeholder: 'optional', size: 20, autocomplete: 'off' });
  const connect = h('fieldset', { id: 'agent-connect', class: 'agent-connect', hidden: true },
    h('legend', {}, 'Model endpoint'),
    h('label', {}, 'Base URL ', baseUrl),
    h('label', {}, 'Model ', model),
    h('label', {}, 'API key ', key),
    h('p', { class: 'hint' }, 'Any chat-completions API with tool calling: Ollama (set OLLAMA_ORIGINS to allow this page), LM Studio, or a hosted one. The key stays in this page\'s memory (never stored) and goes only to this URL.'));
  const task = h('textarea', { id: 'agent-task', rows: 2, spellcheck: 'false' });
  task.value = SCRIPTED_TASK;
  const send = h('button', { type: 'submit', id: 'agent-send', class: 'primary' }, 'Send');
  const stop = h('button', { type: 'button', id: 'agent-stop', class: 'danger', disabled: true }, 'Stop');
  const reset = h('button', { type: 'button', id: 'agent-reset' }, 'New chat');
  const status = h('div', { id: 'agent-status', class: 'agent-status', role: 'status' }, 'Ready.');
  const description = h('pre', { id: 'agent-tool-description', class: 'json' }, '');
  const chat = h('ol', { id: 'agent-chat', class: 'agent-chat', 'aria-live': 'polite' });
  const form = h('form', { class: 'agent-form' }, h('div', { class: 'agent-row' }, h('label', {}, 'Agent ', mode), reset), connect,
    h('div', { class: 'agent-row' }, task, send, stop));
  replace(root, h('div', { class: 'agent-layout' }, h('section', { class: 'panel agent-main', 'aria-label': 'Agent chat' }, form, status, chat),
    h('aside', { class: 'panel agent-declarations' }, h('h3', {}, 'What the model is told'), description)));
  root.dataset.state = 'idle';

  mode.addEventListener('change', () => {
    connect.hidden = mode.value !== 'model';
    if (mode.value === 'scripted') task.value = SCRIPTED_TASK;
  });

  toggle.addEventListener('click', () => {
    const show = document.body.dataset.view !== 'agent';
    document.body.dataset.view = show ? 'agent' : 'playground';
    root.hidden = !show;
    toggle.setAttribute('aria-pressed', String(show));
    toggle.textContent = show ? 'Playground' : 'Agent';
    if (show) description.textContent = codeToolFor(deps.user()).description;
  });

  // ---- the conversation ----
  let messages: ChatCompletionMessageParam[] = [];
  let controller: AbortController | undefined;
  let current: HTMLElement | undefined;

  const say = (role: 'user' | 'assistant' | 'note', text: string): HTMLElement => {
    const body = h('div', { class: 'text' }, text);
    const item = h('li', { class: `msg ${role}` }, h('span', { class: 'who' }, role === 'note' ? '' : role), body);
    chat.append(item);
    item.scrollIntoView({ block: 'nearest' });
    return body;
  };

  const showStep = (step: CodeStep) => {
    stepCount++;
    const result = step.result;
    const list = (items: string[], cls: string) => h('ul', { class: cls }, ...items.map((t) => h('li', {}, t)));
    const events = step.events.filter((e) => e.type !== 'approval');
    chat.append(h('li', { class: 'step', 'data-step': stepCount, 'data-ok': String(result.ok), 'data-code': result.ok ? 'OK' : result.error.code },
      h('div', { class: 'step-head' }, h('span', { class: `code ${result.ok ? 'ok' : 'error'}` }, result.ok ? 'OK' : result.error.code), ` step ${stepCount}`,
        step.stats ? ` · ${step.stats.toolCalls} tool call${step.stats.toolCalls === 1 ? '' : 's'} · ${step.stats.wallMs.toFixed(0)} ms in the worker` : ''),
      h('details', { class: 'step-code', open: true }, h('summary', {}, 'Code'), h('pre', {}, step.code)),
      h('details', { class: 'step-result', open: true }, h('summary', {}, 'Result (what the model reads)'), h('pre', { class: 'json' }, pretty(result))),
      h('details', { class: 'step-audit', open: true }, h('summary', {}, `Audit events (${events.length})`), list(events.map(eventLine), 'events')),
      step.approvals.length > 0
        ? h('details', { class: 'step-approvals', open: true }, h('summary', {}, 'Approvals'), list(step.approvals.map(eventLine), 'approvals'))
        : null));
    chat.lastElementChild?.scrollIntoView({ block: 'nearest' });
  };

  const setState = (state: 'idle' | 'running' | 'done' | 'error', text: string) => {
    root.dataset.state = state;
    status.className = `agent-status ${state}`;
    status.textContent = text;
    send.disabled = state === 'running';
    stop.disabled = state !== 'running';
    mode.disabled = state === 'running';
  };

  reset.addEventListener('click', () => {
    if (controller !== undefined) return;
    messages = [];
    stepCount = 0;
    chat.replaceChildren();
    setState('idle', 'Ready.');
  });
  stop.addEventListener('click', () => controller?.abort());

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void go();
  });

  async function go(): Promise<void> {
    if (controller !== undefined || task.value.trim() === '') return;
    let agentModel: AgentModel;
    try {
      agentModel = mode.value === 'scripted' ? createScriptedModel() : createConnectedModel({ baseURL: baseUrl.value, model: model.value, apiKey: key.value });
    } catch (error) {
      setState('error', (error as Error).message);
      return;
    }
    const tool = codeToolFor(deps.user());
    description.textContent = tool.description;
    const abort = new AbortController();
    controller = abort;
    if (mode.value === 'scripted') {
      // The script replays one task from the start.
      messages = [];
      stepCount = 0;
      chat.replaceChildren();
    }
    messages.push({ role: 'user', content: task.value });
    say('user', task.value);
    setState('running', `Running with ${agentModel.label}…`);
    try {
      const end = await runAgentLoop({
        model: agentModel,
        codeTool: tool,
        messages,
        signal: abort.signal,
        events: {
          turnStarted: () => {
            current = say('assistant', '');
            current.parentElement!.dataset.streaming = 'true';
          },
          text: (delta) => {
            if (current) current.textContent += delta;
          },
          turnEnded: (turn) => {
            if (!current) return;
            delete current.parentElement!.dataset.streaming;
            if (turn.content === '') current.parentElement!.remove();
          },
        },
      });
      setState('done', end === 'answered' ? `Answered after ${stepCount} program${stepCount === 1 ? '' : 's'}.` : 'Stopped: too many rounds.');
    } catch (error) {
      const text = abort.signal.aborted ? 'Stopped.' : `The model failed: ${(error as Error).message}`;
      say('note', text);
      setState('error', text);
    } finally {
      deps.cancelApprovals();
      controller = undefined;
      current = undefined;
      deps.changed();
    }
  }
}

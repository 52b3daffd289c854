/**
 * Tools panel: the agent and its permissions, the tools it may call under the current policy, the
 * virtual files (host view), the local demo API, the outbox of the approval-gated email tool and the
 * approval records.
 */
import { permissionNames, type ApprovalManager, type PermissionPolicy, type ToolRegistry, type VirtualFileSystem } from '../src/index.js';
import { clock, formatBytes, h, replace } from './dom.js';
import { DEMO_HOST, DEMO_ROUTES, listTree, type OutboxEntry } from './host.js';

/** What the panel reads. */
export interface ToolsPanelSources {
  registry(): ToolRegistry;
  agent: PermissionPolicy;
  user(): string;
  vfs: VirtualFileSystem;
  outbox: readonly OutboxEntry[];
  approvals: ApprovalManager;
}

/** Builds the panel into `root`; `refresh()` re-reads every source. */
export function createToolsPanel(root: HTMLElement, src: ToolsPanelSources): { refresh(): Promise<void> } {
  const tools = h('tbody', { id: 'tool-list' });
  const files = h('ul', { id: 'file-list', class: 'plain' });
  const outbox = h('ul', { id: 'outbox', class: 'plain' });
  const approvals = h('ul', { id: 'approval-list', class: 'plain' });
  const { agent } = src;

  replace(
    root,
    h('h3', {}, 'Agent'),
    h('dl', { class: 'kv' },
      h('dt', {}, 'name'), h('dd', {}, agent.agent),
      h('dt', {}, 'permissions'), h('dd', {}, permissionNames(agent.permissions).join(', ')),
      h('dt', {}, 'paths'), h('dd', {}, agent.allowedPaths.join(', ') || '(none)'),
      h('dt', {}, 'domains'), h('dd', {}, agent.allowedDomains.join(', ') || '(none)')),
    h('p', { class: 'hint' }, 'Built-in tools appear when the policy grants them (allowedOperations); every call is checked against the policy and the agent.'),
    h('h3', {}, 'Tools this run can call'),
    h('div', { class: 'table-wrap' }, h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'tool'), h('th', {}, 'kind'), h('th', {}, 'needs'), h('th', {}, 'approval'))), tools)),
    h('h3', {}, 'Virtual files (host view)'),
    files,
    h('p', { class: 'hint' }, '/secret exists on the host but lies outside every allowed path.'),
    h('h3', {}, `Demo API: https://${DEMO_HOST}`),
    h('ul', { class: 'plain' }, ...DEMO_ROUTES.map((r) => h('li', {}, h('code', {}, r.path), ` ${r.what}`))),
    h('p', { class: 'hint' }, 'Answered by a handler inside the page: the playground never touches the network.'),
    h('h3', {}, 'Outbox (sendEmail)'),
    outbox,
    h('h3', {}, 'Approvals'),
    approvals,
  );

  const refresh = async () => {
    const described = src.registry().describe(agent, src.user());
    replace(tools, ...(described.length === 0
      ? [h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'No tools granted.'))]
      : described.map((t) => h('tr', { 'data-tool': t.name },
        h('td', {}, h('code', {}, t.name)), h('td', {}, t.kind), h('td', {}, t.permissions.join(', ')),
        h('td', {}, t.requiresApproval === true ? 'yes' : t.requiresApproval === false ? 'no' : 'depends')))));

    const tree = await listTree(src.vfs);
    replace(files, ...tree.map((f) => h('li', { 'data-path': f.path },
      h('details', {}, h('summary', {}, h('code', {}, f.path), ` ${formatBytes(f.size)}`), h('pre', { class: 'file' })))));
    for (const details of files.querySelectorAll('details')) {
      details.addEventListener('toggle', () => {
        const path = details.parentElement?.getAttribute('data-path');
        const pre = details.querySelector('pre');
        if (details.open && path && pre) void src.vfs.readFile(path).then((text) => (pre.textContent = text), (e: Error) => (pre.textContent = e.message));
      });
    }

    replace(outbox, ...(src.outbox.length === 0
      ? [h('li', { class: 'muted' }, 'Nothing sent yet.')]
      : src.outbox.map((m) => h('li', { class: 'mail' }, h('strong', {}, m.subject), ` → ${m.to} `, h('span', { class: 'muted' }, `${clock(m.at)} by ${m.user ?? '(no user)'}`)))));

    const records = (await src.approvals.list()).slice(0, 8);
    replace(approvals, ...(records.length === 0
      ? [h('li', { class: 'muted' }, 'No approval requests yet.')]
      : records.map((r) => h('li', { 'data-status': r.status },
        h('span', { class: `badge ${r.status}` }, r.status), ` ${r.tool} for ${r.user ?? '(no user)'} `, h('span', { class: 'muted' }, clock(r.createdAt))))));
  };
  return { refresh };
}

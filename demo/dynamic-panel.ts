/**
 * Dynamic tools manager: users create tools from code at run time; the list shows each tool's owner,
 * state and why it was last enabled or disabled; enable and disable take a reason.
 */
import { ValidationError, isSandboxError, type DynamicToolStore, type JsonSchema } from '../src/index.js';
import { clock, h, pretty, replace } from './dom.js';

export const SAMPLE_TOOL = {
  name: 'discount',
  description: 'Applies a percentage discount to a price.',
  code: `// A pure function of its arguments and ctx.deps: no tools, no imports.
export default function discount({ price, percent }, ctx) {
  const final = Math.round(price * (100 - percent)) / 100;
  return { price, percent, final, currency: ctx.deps.currency, for: ctx.deps.user };
}
`,
  params: {
    type: 'object',
    properties: { price: { type: 'number', minimum: 0 }, percent: { type: 'number', minimum: 0, maximum: 90 } },
    required: ['price', 'percent'],
    additionalProperties: false,
  },
};

/** Builds the panel into `root`. `onChange` runs after every change (other panels refresh). */
export function createDynamicPanel(root: HTMLElement, store: DynamicToolStore, user: () => string, onChange: () => void): { refresh(): Promise<void> } {
  const name = h('input', { id: 'dyn-name', value: SAMPLE_TOOL.name, autocomplete: 'off', spellcheck: 'false' });
  const description = h('input', { id: 'dyn-description', value: SAMPLE_TOOL.description });
  const code = h('textarea', { id: 'dyn-code', rows: 7, spellcheck: 'false', 'aria-label': 'Tool code' });
  code.value = SAMPLE_TOOL.code;
  const params = h('textarea', { id: 'dyn-params', rows: 4, spellcheck: 'false', 'aria-label': 'Argument schema (JSON, optional)' });
  params.value = JSON.stringify(SAMPLE_TOOL.params);
  const shared = h('input', { type: 'checkbox', id: 'dyn-shared' });
  const status = h('p', { id: 'dyn-status', class: 'status', role: 'status' });
  const list = h('tbody', { id: 'dyn-list' });

  const fail = (error: unknown) => {
    status.className = 'status error';
    if (!isSandboxError(error)) {
      replace(status, h('span', { class: 'code' }, 'ERROR'), ' ', String(error));
      return;
    }
    replace(status, h('span', { class: 'code', 'data-code': error.code }, error.code), ' ', error.message);
    if (error instanceof ValidationError) {
      status.append(h('ul', { class: 'violations' }, ...error.violations.map((v) => h('li', {}, h('span', { class: 'rule' }, v.rule), ` at ${v.line}:${v.column} ${v.message}`))));
    }
  };

  const create = async () => {
    let schema: JsonSchema | undefined;
    try {
      schema = params.value.trim() === '' ? undefined : (JSON.parse(params.value) as JsonSchema);
    } catch (error) {
      status.className = 'status error';
      replace(status, h('span', { class: 'code' }, 'JSON'), ` params: ${(error as Error).message}`);
      return;
    }
    try {
      const record = await store.create({
        owner: user(), name: name.value.trim(), code: code.value, description: description.value,
        ...(schema === undefined ? {} : { params: schema }), shared: shared.checked,
      });
      status.className = 'status ok';
      replace(status, h('span', { class: 'code ok' }, 'created'), ` ${record.name} for ${record.owner} (sha256 ${record.codeHash.slice(0, 12)}…)`);
      onChange();
    } catch (error) {
      fail(error);
    }
    await refresh();
  };

  const setEnabled = async (tool: string, enabled: boolean, reason: string) => {
    try {
      await (enabled ? store.enable(tool, reason) : store.disable(tool, reason));
      status.className = 'status ok';
      replace(status, h('span', { class: 'code ok' }, enabled ? 'enabled' : 'disabled'), ` ${tool}: ${reason}`);
      onChange();
    } catch (error) {
      fail(error);
    }
    await refresh();
  };

  const remove = async (tool: string) => {
    try {
      await store.remove(tool);
      onChange();
    } catch (error) {
      fail(error);
    }
    await refresh();
  };

  replace(
    root,
    h('p', { class: 'hint' }, 'A dynamic tool is module code whose default export is (args, ctx) => result. It runs in its own sandbox, always untrusted, with only its arguments and ctx.deps: it cannot call other tools. Creating one costs a toolCreations quota unit.'),
    h('div', { class: 'form-grid' },
      h('label', { for: 'dyn-name' }, 'Name'), name,
      h('label', { for: 'dyn-description' }, 'Description'), description),
    h('label', { for: 'dyn-code', class: 'block' }, 'Code'), code,
    h('label', { for: 'dyn-params', class: 'block' }, 'Argument schema (JSON Schema, optional)'), params,
    h('label', { class: 'toggle' }, shared, ' Shared with every user (default: only the owner\'s runs see it)'),
    h('div', { class: 'row' }, h('button', { type: 'button', id: 'dyn-create', class: 'primary', onclick: () => void create() }, 'Create tool')),
    status,
    h('h3', {}, 'Tools'),
    h('div', { class: 'table-wrap' }, h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'tool'), h('th', {}, 'owner'), h('th', {}, 'state'), h('th', {}, 'why'), h('th', {}, ''))), list)),
  );

  const refresh = async () => {
    const records = await store.list();
    if (records.length === 0) {
      replace(list, h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No dynamic tools yet.')));
      return;
    }
    replace(list, ...records.map((r) => {
      const reason = h('input', { 'aria-label': `Reason to ${r.enabled ? 'disable' : 'enable'} ${r.name}`, value: r.enabled ? 'misbehaving in the playground' : 'reviewed, fine again', class: 'reason' });
      return h('tr', { 'data-tool': r.name, 'data-enabled': String(r.enabled) },
        h('td', {}, h('code', { title: r.description }, r.name), r.shared ? ' (shared)' : ''),
        h('td', {}, r.owner),
        h('td', {}, h('span', { class: `badge ${r.enabled ? 'approved' : 'denied'}` }, r.enabled ? 'enabled' : 'disabled')),
        h('td', { class: 'why' }, r.reason ?? `created ${clock(r.createdAt)}`),
        h('td', { class: 'actions' }, reason,
          h('button', { type: 'button', class: r.enabled ? 'danger' : '', onclick: () => void setEnabled(r.name, !r.enabled, reason.value) }, r.enabled ? 'Disable' : 'Enable'),
          h('button', { type: 'button', title: pretty(r.params ?? {}), onclick: () => void remove(r.name) }, 'Delete')));
    }));
  };
  return { refresh };
}

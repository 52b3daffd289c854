/**
 * Observe panel: switches the playground into observe mode (allow-list checks record what they
 * would deny instead of denying), shows `suggestPolicy()` over the runs made since, with the reason
 * for each grant, and applies it with one click: the suggested policy goes into the policy panel and
 * the suggested permissions become the agent's, enforcing.
 */
import { suggestPolicy, type AuditEvent, type AuditLog, type PolicySuggestion } from '../src/index.js';
import { h, pretty, replace } from './dom.js';

export interface ObservePanelDeps {
  audit: AuditLog;
  /** Observe mode on or off: main.ts rebuilds the registry and the sandbox. */
  onToggle(observe: boolean): void;
  /** Apply a suggestion: the policy and the agent's permissions, enforcing. */
  onApply(suggestion: PolicySuggestion): void;
}

export function createObservePanel(root: HTMLElement, deps: ObservePanelDeps): { refresh(): void } {
  let observed: AuditEvent[] = [];
  let suggestion: PolicySuggestion | undefined;
  const toggle = h('input', { type: 'checkbox', id: 'observe-toggle' });
  const status = h('p', { id: 'observe-status', class: 'status', role: 'status' }, 'Off: checks enforce the policy.');
  const list = h('ul', { id: 'observe-grants', class: 'grants' });
  const json = h('pre', { id: 'observe-json', class: 'json' });
  const apply = h('button', { type: 'button', id: 'observe-apply', disabled: true }, 'Apply suggestion (enforce)');

  const refresh = () => {
    if (!toggle.checked) return;
    const runs = new Set(observed.map((e) => e.runId)).size;
    if (observed.length === 0) {
      suggestion = undefined;
      replace(status, h('span', { class: 'code warn' }, 'observing'), ' Run some agent code: every check is recorded, would-be denials included.');
      replace(list);
      json.textContent = '';
      apply.disabled = true;
      return;
    }
    suggestion = suggestPolicy(observed, { agent: 'playground-agent' });
    const folded = suggestion.basis.folded > 0 ? ` ${suggestion.basis.folded} flood aggregate(s) hide some checks: the suggestion may be incomplete.` : '';
    replace(status, h('span', { class: 'code warn' }, 'observing'), ` ${suggestion.basis.observations} checks in ${runs} run${runs === 1 ? '' : 's'}.${folded} Suggested least privilege:`);
    replace(list, ...suggestion.grants.map((g) => h('li', { 'data-kind': g.kind }, h('code', {}, `${g.kind} ${g.value}`), ' — ', g.reason)));
    json.textContent = pretty({ policy: suggestion.policy, permissions: suggestion.permissions });
    apply.disabled = suggestion.grants.length === 0;
  };

  deps.audit.subscribe((event) => {
    if (!toggle.checked || event.details?.observed !== true) return;
    observed.push(event);
    refresh();
  });
  toggle.addEventListener('change', () => {
    observed = [];
    deps.onToggle(toggle.checked);
    if (!toggle.checked) {
      replace(status, 'Off: checks enforce the policy.');
      replace(list);
      json.textContent = '';
      apply.disabled = true;
    }
    document.body.dataset.observing = String(toggle.checked);
    refresh();
  });
  apply.addEventListener('click', () => {
    if (suggestion === undefined) return;
    const applied = suggestion;
    toggle.checked = false;
    document.body.dataset.observing = 'false';
    observed = [];
    deps.onApply(applied);
    replace(status, h('span', { class: 'code ok' }, 'enforcing'), ` the suggestion: ${applied.grants.map((g) => `${g.kind} ${g.value}`).join(', ')}. Anything else is denied.`);
    replace(list);
    apply.disabled = true;
  });

  replace(
    root,
    h('label', { class: 'toggle' }, toggle, ' Observe mode: record what would be denied instead of denying (development)'),
    h('p', { class: 'hint' }, 'Shape guards, eval validation, limits and isolation still hold. Run a few examples, then apply the suggestion.'),
    status,
    list,
    h('details', {}, h('summary', {}, 'Suggested policy and permissions (JSON)'), json),
    h('div', { class: 'row' }, apply),
  );
  return { refresh };
}

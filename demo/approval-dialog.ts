/**
 * The approval dialog: the `onApproval` of the playground's approval manager. It shows exactly what
 * the call will run with (tool, agent, user, the canonical arguments and their SHA-256 digest) and
 * resolves to the person's answer. Closing the dialog any other way (Escape) is a denial.
 */
import type { ApprovalAnswer, ApprovalRequest } from '../src/index.js';
import { h, pretty, replace } from './dom.js';

/** The dialog as main.ts uses it. */
export interface ApprovalDialog {
  /** The approval manager's `onApproval`. */
  ask(request: ApprovalRequest): Promise<ApprovalAnswer>;
  /**
   * Closes the open dialog and drops queued ones, answering `deny`: called when a run ends, so a
   * person is never asked about a call nobody waits for (an approval given then could be reused by
   * the next identical call).
   */
  cancel(): void;
}

/** Creates the dialog (appended to `document.body`). */
export function createApprovalDialog(): ApprovalDialog {
  const body = h('div', { class: 'dialog-body' });
  const approve = h('button', { type: 'submit', value: 'approve', class: 'primary', id: 'approve' }, 'Approve');
  const deny = h('button', { type: 'submit', value: 'deny', class: 'danger', id: 'deny' }, 'Deny');
  const form = h('form', { method: 'dialog' },
    h('h2', { id: 'approval-title' }, 'Approve this tool call?'),
    body,
    h('div', { class: 'dialog-actions' }, deny, approve));
  const dialog = h('dialog', { id: 'approval-dialog', 'aria-labelledby': 'approval-title' }, form);
  document.body.append(dialog);

  // One request at a time; later ones wait their turn. `generation` changes on cancel().
  let queue: Promise<unknown> = Promise.resolve();
  let generation = 0;

  const ask = (request: ApprovalRequest): Promise<ApprovalAnswer> => {
    const asked = generation;
    const answer = queue.then(() => new Promise<ApprovalAnswer>((resolve) => {
      if (asked !== generation) {
        resolve('deny');
        return;
      }
      replace(body,
        h('dl', { class: 'kv' },
          h('dt', {}, 'tool'), h('dd', { id: 'approval-tool' }, request.tool),
          h('dt', {}, 'agent'), h('dd', {}, request.agent),
          h('dt', {}, 'user'), h('dd', {}, request.user ?? '(none)'),
          h('dt', {}, 'expires'), h('dd', {}, new Date(request.expiresAt).toLocaleTimeString())),
        h('p', { class: 'hint' }, 'The call runs with exactly these arguments (the decision is bound to their digest). The run\'s deadline is paused while you decide.'),
        h('pre', { class: 'json', id: 'approval-args' }, pretty(request.args)),
        h('p', { class: 'digest' }, `sha256 ${request.argsDigest}`));
      dialog.returnValue = '';
      dialog.addEventListener('close', () => resolve(dialog.returnValue === 'approve' ? 'approve' : 'deny'), { once: true });
      dialog.showModal();
      approve.focus();
    }));
    queue = answer.catch(() => undefined);
    return answer;
  };

  const cancel = () => {
    generation++;
    if (dialog.open) dialog.close('deny');
  };
  return { ask, cancel };
}

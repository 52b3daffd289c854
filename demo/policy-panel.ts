/**
 * Policy panel: a preset picker, the policy input as JSON validated live with `definePolicy` (an
 * INVALID_POLICY message names the field), and the trusted toggle. Every valid change hands a new
 * frozen policy to `onPolicy`, which recreates the sandbox.
 */
import { definePolicy, isSandboxError, PRESETS, type Policy, type PolicyInput, type PresetName } from '../src/index.js';
import { h, pretty, replace } from './dom.js';
import { DEMO_HOST } from './host.js';

/** A short deadline so the attack examples end quickly (the presets allow 5 to 60 s). */
const DEMO_TIMEOUT_MS = 3000;

/**
 * What the picker writes for each preset. The playground adds the demo API host to the network
 * allow-list (and, on `trustedEnvironment`, switches the fetch tool on so its examples work) and a
 * 3 s deadline; every other value is the preset's own.
 */
export const TEMPLATES: Readonly<Record<PresetName, PolicyInput>> = {
  webApi: { preset: 'webApi', limits: { timeoutMs: DEMO_TIMEOUT_MS } },
  trustedEnvironment: {
    preset: 'trustedEnvironment',
    allowedOperations: { networkOperations: true },
    network: { allowedDomains: [DEMO_HOST] },
    limits: { timeoutMs: DEMO_TIMEOUT_MS },
  },
  development: { preset: 'development', network: { allowedDomains: [DEMO_HOST] }, limits: { timeoutMs: DEMO_TIMEOUT_MS } },
};

/** Guardrail strategies the panel's button writes into the policy. */
const GUARDRAILS_ON = { email: 'redact', phone: 'mask', card: 'mask', iban: 'mask', ssn: 'redact', secret: 'block' } as const;

/** The preset the playground starts with. */
export const DEFAULT_PRESET: PresetName = 'trustedEnvironment';

/** The panel as main.ts uses it. */
export interface PolicyPanel {
  /** The policy in force (the last valid input). */
  readonly policy: Policy;
  /** The trusted toggle. */
  readonly trusted: boolean;
  /** Writes `input` into the JSON editor and applies it (the observe panel's one click). */
  setInput(input: PolicyInput): void;
}

/** Checks policy JSON text: the policy, or the message to show and its code. */
export function checkPolicyText(text: string): { ok: true; policy: Policy } | { ok: false; code: string; message: string } {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    return { ok: false, code: 'JSON', message: (error as Error).message };
  }
  try {
    return { ok: true, policy: definePolicy(input as PolicyInput) };
  } catch (error) {
    if (isSandboxError(error)) return { ok: false, code: error.code, message: error.message };
    throw error;
  }
}

/** One line about what a policy allows. */
function summary(policy: Policy): string {
  const ops = policy.allowedOperations;
  const parts = [
    `preset ${policy.preset}`,
    `deadline ${policy.limits.timeoutMs} ms`,
    `memory ${Math.round(policy.limits.memoryLimitBytes / 1024 / 1024)} MB`,
    ops.fileOperations ? `files ${policy.files.allowedPaths.join(', ') || '(no paths)'}` : 'no files',
    ops.networkOperations ? `network ${policy.network.allowedDomains.join(', ') || '(no hosts)'}` : 'no network',
    `${policy.quotas.executions.limit} runs / ${Math.round(policy.quotas.executions.windowMs / 3_600_000)} h`,
  ];
  return parts.join(' · ');
}

/** Builds the panel into `root` and calls `onPolicy` with the initial policy and every valid change. */
export function createPolicyPanel(root: HTMLElement, onPolicy: (policy: Policy) => void): PolicyPanel {
  let policy = definePolicy(TEMPLATES[DEFAULT_PRESET]);
  let applied = JSON.stringify(policy);
  let timer: ReturnType<typeof setTimeout> | undefined;

  const select = h('select', { id: 'preset', 'aria-label': 'Preset' },
    ...(Object.keys(PRESETS) as PresetName[]).map((name) => h('option', { value: name, selected: name === DEFAULT_PRESET }, name)));
  const textarea = h('textarea', { id: 'policy-json', spellcheck: 'false', rows: 12, 'aria-label': 'Policy input as JSON', 'aria-describedby': 'policy-status' });
  textarea.value = pretty(TEMPLATES[DEFAULT_PRESET]);
  const status = h('p', { id: 'policy-status', class: 'status ok', role: 'status' });
  const effective = h('pre', { id: 'policy-effective', class: 'json' });
  const trusted = h('input', { type: 'checkbox', id: 'trusted' });
  const dangerous = h('p', { id: 'policy-dangerous', class: 'warning', hidden: true },
    'allowDangerousOperations is on: validation and taming are off for every run (every result and audit event says so).');

  const show = (result: ReturnType<typeof checkPolicyText>) => {
    if (!result.ok) {
      status.className = 'status error';
      replace(status, h('span', { class: 'code' }, result.code), ' ', result.message, ' — the sandbox keeps the last valid policy.');
      return;
    }
    const text = JSON.stringify(result.policy);
    const changed = text !== applied;
    if (changed) {
      try {
        onPolicy(result.policy);
      } catch (error) {
        // definePolicy accepted it but a layer did not (the tool registry wants canonical paths).
        if (!isSandboxError(error)) throw error;
        status.className = 'status error';
        replace(status, h('span', { class: 'code' }, error.code), ' ', error.message, ' — the sandbox keeps the last valid policy.');
        return;
      }
    }
    policy = result.policy;
    applied = text;
    status.className = 'status ok';
    replace(status, h('span', { class: 'code ok' }, 'valid'), ' ', summary(policy), changed ? ' — sandbox recreated.' : '');
    effective.textContent = pretty(policy);
    dangerous.hidden = !policy.allowDangerousOperations;
    if ((Object.keys(PRESETS) as string[]).includes(policy.preset)) select.value = policy.preset;
  };

  const validateSoon = () => {
    clearTimeout(timer);
    timer = setTimeout(() => show(checkPolicyText(textarea.value)), 250);
  };
  textarea.addEventListener('input', validateSoon);
  // Writes the guardrail settings into the JSON (the person sees and can edit exactly what changed).
  const guardrails = h('button', { type: 'button', id: 'guardrails-on', onclick: () => {
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(textarea.value) as Record<string, unknown>;
    } catch {
      input = { ...TEMPLATES[select.value as PresetName] } as Record<string, unknown>;
    }
    textarea.value = pretty({ ...input, guardrails: { detectors: GUARDRAILS_ON } });
    clearTimeout(timer);
    show(checkPolicyText(textarea.value));
  } }, 'Guardrails: redact PII, block secrets');
  select.addEventListener('change', () => {
    textarea.value = pretty(TEMPLATES[select.value as PresetName]);
    clearTimeout(timer);
    show(checkPolicyText(textarea.value));
  });

  replace(
    root,
    h('div', { class: 'row' }, h('label', { for: 'preset' }, 'Preset'), select),
    h('p', { class: 'hint' }, `Presets as shipped, plus ${DEMO_HOST} (the local demo API) on the network allow-list and a ${DEMO_TIMEOUT_MS / 1000} s deadline so attacks end quickly.`),
    h('label', { for: 'policy-json', class: 'block' }, 'Policy input (JSON, merged onto the preset by definePolicy)'),
    textarea,
    status,
    dangerous,
    h('div', { class: 'row' }, guardrails),
    h('label', { class: 'toggle' }, trusted, ' Run as trusted code (skips validation and taming; never for user code)'),
    h('details', {}, h('summary', {}, 'Effective policy (frozen)'), effective),
  );
  replace(status, h('span', { class: 'code ok' }, 'valid'), ' ', summary(policy));
  effective.textContent = pretty(policy);
  onPolicy(policy);

  return {
    get policy() {
      return policy;
    },
    get trusted() {
      return trusted.checked;
    },
    setInput(input) {
      textarea.value = pretty(input);
      clearTimeout(timer);
      show(checkPolicyText(textarea.value));
    },
  };
}

/**
 * Guardrails: PII and secret detectors, the strategies that hide what they find, and the prompt
 * sandwich. Pure, synchronous, main-thread functions; the SDK applies them to run results, logs,
 * tool arguments and tool results, and apps can call them directly.
 */
export type { DetectedSpan } from './types.js';
export { detect, mergeSpans, FINDERS, type DetectOptions } from './detect.js';
export { findEmails } from './detectors/email.js';
export { findPhones } from './detectors/phone.js';
export { findCards, isValidLuhn, cardBrand } from './detectors/card.js';
export { findIbans, isValidIban, ibanLength } from './detectors/iban.js';
export { findSsns, isValidSsn } from './detectors/ssn.js';
export { findIps, isValidIpv4, isValidIpv6 } from './detectors/ip.js';
export { findSecrets, SECRET_KINDS } from './detectors/secret.js';
export {
  GuardrailError,
  GUARDRAIL_BLOCKED,
  redactReplacement,
  maskReplacement,
  hashReplacement,
  type GuardrailWhere,
} from './strategies.js';
export {
  applyGuardrails,
  replaceSpans,
  type ApplyGuardrailsOptions,
  type GuardrailContext,
  type GuardrailHit,
  type GuardrailOutcome,
  type GuardrailsInput,
  type ReplaceStrategy,
} from './apply.js';
export { sandwich, type SandwichInput, type SandwichResult } from './sandwich.js';

/**
 * What the strategies put in place of a detected span: `redact`, `mask` and `hash`. `block` has no
 * replacement; it throws {@link GuardrailError}.
 */
import { SandboxError, type ErrorCode, type SandboxErrorOptions } from '../errors.js';
import type { DetectorId } from '../policy.js';
import { SECRET_PREFIXES } from './detectors/secret.js';
import { hmacSha256, toHex } from '../sha256.js';
import type { DetectedSpan } from './types.js';

/** Where guardrails are applied; names the place in errors and audit events. */
export type GuardrailWhere = 'result' | 'logs' | 'toolArgs' | 'toolResult';

/** Error code of {@link GuardrailError}. */
export const GUARDRAIL_BLOCKED: ErrorCode = 'GUARDRAIL_BLOCKED';

/**
 * A guardrail with the `block` strategy found its pattern. The message and `details` name the
 * detectors, the place and the counts, never the matched text.
 */
export class GuardrailError extends SandboxError {
  override name = 'GuardrailError';
  /** Detectors whose `block` strategy fired, in {@link DETECTORS} order. */
  readonly detectors: readonly DetectorId[];
  readonly where: GuardrailWhere;
  constructor(message: string, info: { detectors: DetectorId[]; where: GuardrailWhere; counts: Partial<Record<DetectorId, number>> }, options?: SandboxErrorOptions) {
    super(GUARDRAIL_BLOCKED, message, { ...options, details: { detectors: [...info.detectors], where: info.where, counts: { ...info.counts }, ...options?.details } });
    this.detectors = Object.freeze([...info.detectors]);
    this.where = info.where;
  }
}

/** `[REDACTED:EMAIL]`: the detector id in capitals, nothing of the value. */
export function redactReplacement(type: DetectorId): string {
  return `[REDACTED:${type.toUpperCase()}]`;
}

const maskDigits = (value: string, keep: number): string => {
  let remaining = 0;
  for (const ch of value) if (ch >= '0' && ch <= '9') remaining++;
  let out = '';
  for (const ch of value) {
    if (ch >= '0' && ch <= '9') {
      out += remaining <= keep ? ch : '*';
      remaining--;
    } else {
      out += ch;
    }
  }
  return out;
};

/**
 * Partly hidden form of a span, keeping what people use to recognize it:
 * email `j***@example.com` (first character of the local part, fixed `***`, the domain);
 * card, phone and SSN keep the last 4 digits and the layout (`**** **** **** 1111`, `***-**-6789`);
 * IBAN keeps the country and the last 4 characters (`DE** **** **** **** **30 00`);
 * IPv4 keeps the first two octets (`203.0.*.*`), IPv6 the first two groups (`2001:db8:*`);
 * a secret keeps its vendor prefix (`ghp_***`, `eyJ***`) or its PEM header line.
 */
export function maskReplacement(span: Pick<DetectedSpan, 'type' | 'value' | 'kind'>): string {
  const { value } = span;
  switch (span.type) {
    case 'email': {
      const at = value.lastIndexOf('@');
      return `${value.slice(0, 1)}***${value.slice(at)}`;
    }
    case 'phone':
    case 'card':
    case 'ssn':
      return maskDigits(value, 4);
    case 'iban': {
      let alnum = 0;
      for (const ch of value) if (ch !== ' ') alnum++;
      let seen = 0;
      let out = '';
      for (const ch of value) {
        if (ch === ' ') {
          out += ch;
          continue;
        }
        out += seen < 2 || seen >= alnum - 4 ? ch : '*';
        seen++;
      }
      return out;
    }
    case 'ip': {
      if (span.kind === 'ipv4') return `${value.split('.').slice(0, 2).join('.')}.*.*`;
      const second = value.indexOf(':', value.indexOf(':') + 1);
      return `${second === -1 ? value : value.slice(0, second)}:*`;
    }
    case 'secret': {
      if (span.kind === 'private_key') {
        const headerEnd = value.indexOf('-----', 5) + 5;
        return `${value.slice(0, headerEnd)}***`;
      }
      if (span.kind === 'jwt') return 'eyJ***';
      const prefix = SECRET_PREFIXES.find((p) => value.startsWith(p)) ?? '';
      return `${prefix}***`;
    }
  }
}

/** The form of a value that is hashed, so one value written differently hashes the same. */
function normalizeForHash(type: DetectorId, value: string): string {
  switch (type) {
    case 'email':
    case 'ip':
      return value.toLowerCase();
    case 'phone':
    case 'card':
    case 'ssn':
      return value.replace(/\D/g, '');
    case 'iban':
      return value.replace(/\s/g, '').toUpperCase();
    case 'secret':
      return value;
  }
}

const encoder = new TextEncoder();

/**
 * `[EMAIL:1a2b3c4d]`: the first 8 hex digits of HMAC-SHA-256 keyed with `salt` over
 * `type + ':' + normalized value` (emails and IPs lowercased; digits only for cards, phones and
 * SSNs; IBANs without spaces). Stable for one salt, so equal values can be correlated; 32 bits, so
 * distinct values may collide. Values from small spaces (SSNs, phone numbers) can be recovered by
 * anyone who knows the salt by trying them all: keep the salt secret.
 */
export function hashReplacement(type: DetectorId, value: string, salt: string): string {
  const mac = hmacSha256(encoder.encode(salt), encoder.encode(`${type}:${normalizeForHash(type, value)}`));
  return `[${type.toUpperCase()}:${toHex(mac).slice(0, 8)}]`;
}

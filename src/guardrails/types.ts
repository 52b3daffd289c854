/**
 * Shared types of the guardrails: what a detector reports. Kept apart so detectors, strategies and the
 * public entry import one small leaf.
 */
import type { DetectorId } from '../policy.js';

/**
 * One detected piece of sensitive text. `start`/`end` are UTF-16 offsets into the scanned string
 * (`end` exclusive), so `text.slice(start, end) === value`.
 */
export interface DetectedSpan {
  /** Which detector found it. */
  type: DetectorId;
  start: number;
  end: number;
  /**
   * How sure the detector is, from 0 to 1: a passed checksum (Luhn, mod-97) or a vendor-specific key
   * prefix gives 0.9 and more; a shape alone (a dashed SSN, a national phone number) gives 0.6 to 0.85.
   */
  confidence: number;
  /** The matched text. Never written to audit events. */
  value: string;
  /**
   * Sub-kind, safe to log: a card brand (`visa`), an IBAN country (`DE`), a phone format
   * (`international`, `nanp`, `national`), `ipv4`/`ipv6`, a secret kind (`github_token`), and so on.
   */
  kind: string;
}

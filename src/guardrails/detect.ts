/**
 * `detect()`: runs the chosen detectors over a string and returns non-overlapping spans.
 */
import { checkKnownKeys } from '../internal/checks.js';
import { invalidArgument } from '../errors.js';
import { DETECTORS, type DetectorId } from '../policy.js';
import { findCards } from './detectors/card.js';
import { findEmails } from './detectors/email.js';
import { findIbans } from './detectors/iban.js';
import { findIps } from './detectors/ip.js';
import { findPhones } from './detectors/phone.js';
import { findSecrets } from './detectors/secret.js';
import { findSsns } from './detectors/ssn.js';
import { foldForScan } from './fold.js';
import type { DetectedSpan } from './types.js';

/** One finder per detector id. Each returns its own spans sorted and non-overlapping. */
export const FINDERS: Readonly<Record<DetectorId, (text: string) => DetectedSpan[]>> = Object.freeze({
  email: findEmails,
  phone: findPhones,
  card: findCards,
  iban: findIbans,
  ssn: findSsns,
  ip: findIps,
  secret: findSecrets,
});

/**
 * Tie order when two overlapping spans have the same confidence and length: the more harmful leak
 * first (a secret over a card number over a phone number).
 */
const TIE_ORDER: readonly DetectorId[] = ['secret', 'card', 'iban', 'ssn', 'email', 'ip', 'phone'];

/** Options of {@link detect}. */
export interface DetectOptions {
  /** Detectors to run; default all of {@link DETECTORS}. */
  detectors?: readonly DetectorId[];
}

/**
 * Finds sensitive spans in `text`. Runs in time linear in `text.length` (no backtracking regex over
 * attacker-controlled input).
 *
 * The text is folded before the scan: full-width forms (`４１１１`, `＠`), decimal digits of other
 * scripts (`٤`, `४`), the ideographic space and typographic dashes read as their ASCII look-alikes.
 * Offsets and `value` always refer to the original `text` (`text.slice(start, end) === value`).
 * Values written against Chinese or Japanese text with no space (`电话13800138000`) are found: those
 * scripts do not count as word characters at a value's edge.
 *
 * Spans never overlap. When two detectors claim overlapping text, the span with the higher
 * confidence wins, then the longer one, then the earlier one, then the detector listed first in
 * `secret, card, iban, ssn, email, ip, phone`. The losing span is dropped whole, not trimmed.
 *
 * @returns spans sorted by `start`.
 * @throws {InvalidArgumentError} `INVALID_ARGUMENT` when `text` is not a string, or `options.detectors`
 *   is not an array of known detector ids.
 */
export function detect(text: string, options: DetectOptions = {}): DetectedSpan[] {
  if (typeof text !== 'string') throw invalidArgument('text', 'a string', text);
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw invalidArgument('options', 'an object', options);
  checkKnownKeys('options', options, ['detectors']);
  const ids = checkDetectorIds(options.detectors);
  return detectUnchecked(text, ids);
}

/** {@link detect} without input checks, for callers that checked already. */
export function detectUnchecked(text: string, ids: readonly DetectorId[]): DetectedSpan[] {
  if (text.length === 0 || ids.length === 0) return [];
  const folded = foldForScan(text);
  const lists = ids.map((id) => FINDERS[id](folded.text)).filter((list) => list.length > 0);
  if (lists.length === 0) return [];
  const spans = lists.length === 1 ? (lists[0] as DetectedSpan[]) : resolveOverlaps(lists.flat());
  if (folded.text === text) return spans;
  // Spans were found in the folded text: report offsets and values of the original string.
  const map = folded.map;
  return spans.map((span) => {
    const start = map === undefined ? span.start : (map[span.start] as number);
    const end = map === undefined ? span.end : (map[span.end] as number);
    return { ...span, start, end, value: text.slice(start, end) };
  });
}

/**
 * Merges spans from several finders (for example a built-in one and an app's own) into one
 * non-overlapping list, with the tie rule of {@link detect}. Pure: the input array is not modified.
 *
 * @returns the kept spans sorted by `start`.
 * @throws {InvalidArgumentError} `INVALID_ARGUMENT` when a span has no integer `0 <= start <= end`,
 *   no known `type`, or no `confidence` from 0 to 1.
 */
export function mergeSpans(spans: readonly DetectedSpan[]): DetectedSpan[] {
  if (!Array.isArray(spans)) throw invalidArgument('spans', 'an array of spans', spans);
  spans.forEach((span: DetectedSpan, i) => {
    const ok = typeof span === 'object' && span !== null && Number.isSafeInteger(span.start) && Number.isSafeInteger(span.end)
      && span.start >= 0 && span.end >= span.start && (DETECTORS as readonly string[]).includes(span.type)
      && typeof span.confidence === 'number' && span.confidence >= 0 && span.confidence <= 1;
    // The message shows the span without its `value`: errors get logged, the value is the secret.
    const shown = typeof span === 'object' && span !== null ? { type: span.type, start: span.start, end: span.end, confidence: span.confidence } : span;
    if (!ok) throw invalidArgument(`spans[${i}]`, 'a span { type, start, end, confidence } with 0 <= start <= end and confidence in [0, 1]', shown);
  });
  return resolveOverlaps([...spans]);
}

function checkDetectorIds(value: unknown): readonly DetectorId[] {
  if (value === undefined) return DETECTORS;
  const expected = `an array of detector ids (${DETECTORS.join(', ')})`;
  if (!Array.isArray(value)) throw invalidArgument('options.detectors', expected, value);
  value.forEach((id: unknown, i) => {
    if (typeof id !== 'string' || !(DETECTORS as readonly string[]).includes(id)) throw invalidArgument(`options.detectors[${i}]`, `one of ${DETECTORS.join(', ')}`, id);
  });
  return [...new Set(value as DetectorId[])];
}

const byPriority = (a: DetectedSpan, b: DetectedSpan): number =>
  b.confidence - a.confidence
  || (b.end - b.start) - (a.end - a.start)
  || a.start - b.start
  || TIE_ORDER.indexOf(a.type) - TIE_ORDER.indexOf(b.type);

/**
 * Keeps the best spans among overlapping candidates (see {@link detect} for the order). A sweep by
 * start position cuts the candidates into clusters of transitively overlapping spans; most clusters
 * hold one span and are kept as they are.
 */
function resolveOverlaps(candidates: DetectedSpan[]): DetectedSpan[] {
  candidates.sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: DetectedSpan[] = [];
  let i = 0;
  while (i < candidates.length) {
    const first = candidates[i] as DetectedSpan;
    let end = first.end;
    let j = i + 1;
    for (; j < candidates.length && (candidates[j] as DetectedSpan).start < end; j++) end = Math.max(end, (candidates[j] as DetectedSpan).end);
    if (j === i + 1) kept.push(first);
    else kept.push(...pickBest(candidates.slice(i, j), first.start, end));
    i = j;
  }
  return kept;
}

/**
 * Greedy by priority within one cluster. Small clusters compare pairwise; a large one (only
 * contrived input makes one) claims characters in a bitmap over its extent, which keeps the work
 * at most (number of detectors) × extent since each detector's own spans are disjoint.
 */
function pickBest(cluster: DetectedSpan[], from: number, to: number): DetectedSpan[] {
  cluster.sort(byPriority);
  const chosen: DetectedSpan[] = [];
  if (cluster.length <= 32) {
    for (const s of cluster) if (chosen.every((c) => c.end <= s.start || s.end <= c.start)) chosen.push(s);
  } else {
    const claimed = new Uint8Array(to - from);
    for (const s of cluster) {
      let free = true;
      for (let k = s.start - from; k < s.end - from && free; k++) free = claimed[k] === 0;
      if (!free) continue;
      claimed.fill(1, s.start - from, s.end - from);
      chosen.push(s);
    }
  }
  return chosen.sort((a, b) => a.start - b.start);
}

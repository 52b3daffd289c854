/**
 * Guardrail detector throughput on ~1 MB of realistic mixed text (prose, logs, code, JSON records
 * with a sprinkling of PII and secrets), per detector and all together; plus `applyGuardrails` with
 * every detector on `redact`, and the slowest of the adversarial near-miss inputs the tests use.
 *
 * Runs in the bench page's main thread, where the SDK applies guardrails. `benchGuardrails()` is the
 * lead's entry; the default export follows the component-bench contract of bench/page/main.ts.
 * MB = 10^6 bytes of (almost all ASCII) text.
 */
import { DETECTORS, type DetectorId } from '../src/policy.js';
import { applyGuardrails, detect } from '../src/guardrails/index.js';

/** Deterministic PRNG (mulberry32): the same text on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = 'the a of to and in is that for it with as was on be by this are from at or an have not which but all were when we there can been has more if will one so no out up about into than them only other new some could time these two may then do first any now such like our over man me even most made after also did many before must through back years where much your way well down should because each just those people how too little state good very make world still own see men work long get here between both life being under never day same another know while last might us great old year off come since against go came right used take three'.split(' ');
const NAMES = ['jane.doe', 'j.smith', 'ops-team', 'alice', 'bob.martin', 'support'];
const DOMAINS = ['example.com', 'mail.example.org', 'corp.example.net'];
const PII = [
  () => `${NAMES[0]}@${DOMAINS[0]}`,
  () => '+44 20 7946 0958',
  () => '(415) 555-2671',
  () => '4111 1111 1111 1111',
  () => 'DE89 3704 0044 0532 0130 00',
  () => '123-45-6789',
  () => '203.0.113.42',
  () => '2001:db8::17',
  () => `ghp_${'aB3dE5fG7h'.repeat(4).slice(0, 36)}`,
  () => 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ',
];

/** ~`bytes` of mixed text: about one line in ten carries one PII value or secret. */
export function mixedText(bytes = 1_000_000): string {
  const rand = prng(42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const sentence = (n: number) => Array.from({ length: n }, () => pick(WORDS)).join(' ');
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const kind = i % 5;
    let line: string;
    if (kind === 0) line = `${sentence(8 + Math.floor(rand() * 12))}.`;
    else if (kind === 1) line = `2024-05-${String(1 + (i % 28)).padStart(2, '0')}T12:${String(i % 60).padStart(2, '0')}:07.${i % 1000}Z INFO [worker-${i % 8}] request ${(i * 2654435761 >>> 0).toString(16)} took ${i % 997} ms (v1.${i % 20}.3, build 10.0.${i % 9}.1)`;
    else if (kind === 2) line = `const item${i} = await load('pkg@${i % 9}.${i % 5}.0', { retries: ${i % 4}, timeout: ${1000 + i}, tags: ['${pick(WORDS)}', '${pick(WORDS)}'] });`;
    else if (kind === 3) line = JSON.stringify({ id: i, name: pick(NAMES), qty: i % 50, price: (i % 997) / 10, at: '2024-05-06 10:30' });
    else line = `${sentence(6)}: ${pick(WORDS)} ${i % 100}% of ${pick(WORDS)} at ${i % 24}:${String(i % 60).padStart(2, '0')}`;
    if (rand() < 0.1) line += ` contact ${pick(PII)()}`;
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n');
}

/** Near-miss inputs from the linear-time tests: repeated units that trap backtracking scanners. */
const ADVERSARIAL = ['4111 ', '1 ', '1-', 'DE89 ', '123-45-', 'a@a.', 'eyJ.', '1.2.3.'];

function median(samples: number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[s.length >> 1] as number;
}

/** Median ms of `f`, sampled for about `budgetMs` (at least `min` samples) after one warm-up call. */
function time(f: () => void, budgetMs: number, min: number): number {
  f();
  const samples: number[] = [];
  const end = performance.now() + budgetMs;
  while (samples.length < min || performance.now() < end) {
    const t = performance.now();
    f();
    samples.push(performance.now() - t);
  }
  return median(samples);
}

const mbPerSec = (bytes: number, ms: number): number => bytes / 1e6 / (ms / 1000);

/**
 * Throughput of each detector and of all together on ~1 MB of mixed text, of `applyGuardrails`
 * (all detectors, `redact`) on the same text, and of all detectors on the slowest adversarial input.
 */
export async function benchGuardrails(): Promise<Array<{ detector: string; mbPerSec: number }>> {
  const text = mixedText();
  const bytes = new TextEncoder().encode(text).length;
  const out: Array<{ detector: string; mbPerSec: number }> = [];
  for (const id of DETECTORS) {
    const ids: DetectorId[] = [id];
    out.push({ detector: id, mbPerSec: mbPerSec(bytes, time(() => detect(text, { detectors: ids }), 400, 3)) });
    await new Promise((r) => setTimeout(r, 0)); // let the page breathe between rows
  }
  out.push({ detector: 'all', mbPerSec: mbPerSec(bytes, time(() => detect(text), 800, 3)) });
  const redactAll = { detectors: Object.fromEntries(DETECTORS.map((d) => [d, 'redact' as const])), hashSalt: 'bench' };
  out.push({ detector: 'applyGuardrails (all, redact)', mbPerSec: mbPerSec(bytes, time(() => applyGuardrails(text, redactAll, { context: { where: 'logs' } }), 800, 3)) });
  let worst = Infinity;
  for (const unit of ADVERSARIAL) {
    const adversarial = unit.repeat(Math.ceil(1_000_000 / unit.length)).slice(0, 1_000_000);
    worst = Math.min(worst, mbPerSec(1_000_000, time(() => detect(adversarial), 200, 2)));
  }
  out.push({ detector: 'all, slowest adversarial input', mbPerSec: worst });
  return out;
}

/** Component-bench entry (bench/page/main.ts): one report row per measurement. */
export default async function bench(): Promise<unknown[]> {
  const spans = detect(mixedText()).length;
  return (await benchGuardrails()).map((r) => ({
    name: `guardrails: ${r.detector}`,
    value: `${r.mbPerSec.toFixed(1)} MB/s`,
    note: r.detector === 'all' ? `~1 MB mixed text, ${spans} spans` : undefined,
  }));
}

/**
 * The docs' file-level checks (test/docs.test.ts runs their examples in Chromium):
 * - every relative link in README.md and docs/ points to an existing file, and every `#anchor` to a
 *   heading of that file (GitHub's heading ids);
 * - every ```ts / ```js block is marked `<!-- doctest -->` or `<!-- fragment -->`;
 * - docs/benchmarks.md is exactly what `npm run bench:docs` generates from bench/results/latest.json.
 */
import { describe, expect, test } from 'vitest';
import { PAGE, generate } from '../../scripts/bench-docs.mjs';
import { codeBlocks, docFiles, readRepoFile, repoPathExists, resolveLink } from '../../scripts/doc-blocks.mjs';

const read = (file: string): string => readRepoFile(file);

/** The markdown without fenced code blocks and inline code, so code is never read as links. */
function prose(markdown: string): string {
  return markdown.replace(/^\s*```[\s\S]*?^\s*```\s*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** Heading ids as GitHub makes them: lowercase, punctuation dropped, spaces to dashes, -1, -2 for repeats. */
function anchors(markdown: string): Set<string> {
  const ids = new Set<string>();
  const seen = new Map<string, number>();
  const withoutCode = markdown.replace(/^\s*```[\s\S]*?^\s*```\s*$/gm, '');
  for (const m of withoutCode.matchAll(/^#{1,6} (.+)$/gm)) {
    const base = m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    ids.add(n === 0 ? base : `${base}-${n}`);
  }
  return ids;
}

describe('anchors (GitHub heading ids)', () => {
  test.each([
    ['## Quotas (`createRateLimiter`)', 'quotas-createratelimiter'],
    ['## Writing: batched, yet not lost', 'writing-batched-yet-not-lost'],
    ['### `sandbox.run(code, options?)` → `Promise<RunOutput>`', 'sandboxruncode-options--promiserunoutput'],
    ['## Honest limits\n## Honest limits', 'honest-limits-1'],
  ])('%s -> #%s', (heading, id) => {
    expect(anchors(heading)).toContain(id);
  });
});

const files = docFiles();

describe('links', () => {
  test('the docs are README.md and the pages under docs/', () => {
    expect(files).toContain('README.md');
    expect(files).toContain('docs/api.md');
    expect(files.length).toBeGreaterThan(10);
  });

  test.each(files)('%s: every relative link and anchor resolves', (file) => {
    const broken: string[] = [];
    for (const m of prose(read(file)).matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!;
      if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:: not checked (offline)
      const [pathPart, anchor] = target.split('#') as [string, string | undefined];
      const resolved = pathPart ? resolveLink(file, pathPart) : file;
      if (!repoPathExists(resolved)) {
        broken.push(`${target} (no file ${resolved})`);
        continue;
      }
      if (anchor !== undefined && !anchors(read(resolved)).has(anchor)) broken.push(`${target} (no heading #${anchor} in ${resolved})`);
    }
    expect(broken).toEqual([]);
  });
});

describe('code blocks', () => {
  test.each(files)('%s: every ts/js block is marked doctest or fragment', (file) => {
    const unmarked = codeBlocks(read(file)).filter((b) => /^(ts|js|typescript|javascript)$/.test(b.lang) && !b.mark).map((b) => `line ${b.line}`);
    expect(unmarked).toEqual([]);
  });
});

describe('README.md', () => {
  const readme = read('README.md');

  test('keeps the two commands, and the playground URL the demo serves', () => {
    expect(readme).toContain('npm ci && npm run demo   # the playground at http://127.0.0.1:5173/demo/ — fully offline\n');
    expect(readme).toContain('npm ci && npm test       # typecheck, lint, every test in headless Chromium; ends with "N passed, N failed"\n');
  });

  test('opens with a runnable example that disposes its sandbox', () => {
    const first = codeBlocks(readme).find((b) => b.lang === 'ts');
    expect(first?.mark).toBe('doctest');
    expect(first?.code).toContain('await using sandbox = createSandbox(');
    expect(readme.split('\n').length).toBeLessThan(400);
  });
});

describe('docs/benchmarks.md', () => {
  test('is what `npm run bench:docs` generates from bench/results/latest.json', () => {
    expect(read(PAGE)).toBe(generate());
  });

  test('carries the table of the latest run', () => {
    const report = JSON.parse(read('bench/results/latest.json')) as { generatedAt: string; rows: { title: string }[] };
    const page = read(PAGE);
    expect(page).toContain(`- date: ${report.generatedAt}`);
    for (const row of report.rows) expect(page).toContain(row.title.replace(/\|/g, '\\|'));
  });
});

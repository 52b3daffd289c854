/**
 * The docs cannot drift from the code:
 * - every `<!-- doctest -->` block of README.md and docs/**\/*.md runs, as written, against the real
 *   library in Chromium (`import ... from 'quickcage'` is src/index.ts; see scripts/doc-blocks.mjs),
 *   and its `console.log(...); // => ...` lines are assertions;
 * - every name the docs present as API is exported from src/index.ts, and every export is documented;
 * - every default the docs state is the code's default (policy, sandbox and run options);
 * - every error code is in docs/api.md's table, and nothing else is.
 * Links and anchors, the generated benchmarks page and typedoc are checked by
 * test/infra/docs.node.test.ts (they need the file system).
 */
import { describe, expect, test } from 'vitest';
import blocks from 'virtual:doc-blocks';
import * as quickcage from '../src/index.js';
import indexSource from '../src/index.ts?raw';
import { RUN_DEFAULTS, SANDBOX_DEFAULTS } from '../src/sandbox.js';

const pages = import.meta.glob<string>(['../README.md', '../docs/**/*.md', '!../docs/api/**'], { query: '?raw', import: 'default', eager: true });
const page = (name: string): string => {
  const text = pages[`../${name}`];
  if (text === undefined) throw new Error(`no page ${name}`);
  return text;
};

/**
 * Deletes the IndexedDB databases a block created, so blocks do not see each other's state. A database
 * a block left open (a store without `close()`) blocks its deletion; that request then completes
 * whenever the connection goes, so it is issued once and not awaited past `blocked`.
 */
const deleting = new Set<string>();
async function deleteNewDatabases(before: Set<string>): Promise<void> {
  for (const db of await indexedDB.databases()) {
    const name = db.name;
    if (!name || before.has(name) || deleting.has(name)) continue;
    deleting.add(name);
    await new Promise((resolve) => {
      const req = indexedDB.deleteDatabase(name);
      req.onsuccess = () => resolve(deleting.delete(name));
      req.onerror = req.onblocked = resolve;
    });
  }
  localStorage.clear();
}

describe('doctest blocks', () => {
  test('there are runnable examples with assertions in the README and in docs/', () => {
    expect(blocks.some((b) => b.file === 'README.md')).toBe(true);
    expect(blocks.filter((b) => b.file.startsWith('docs/')).length).toBeGreaterThan(5);
    expect(blocks.reduce((n, b) => n + b.checks, 0)).toBeGreaterThan(20);
  });

  test.each(blocks.map((b) => [`${b.file}:${b.line}`, b] as const))('%s runs and its assertions hold', async (_, block) => {
    const before = new Set((await indexedDB.databases()).map((d) => d.name!));
    const errors: unknown[][] = [];
    const hits = new Set<number>();
    const fakeConsole = { ...console, log: () => {}, info: () => {}, error: (...a: unknown[]) => void errors.push(a) };
    const check = (id: number, actual: unknown[], expected: unknown[], partial: boolean) => {
      hits.add(id);
      const where = `${block.file}:${block.line}, assertion ${id + 1}`;
      if (partial) expect(actual, where).toMatchObject(expected);
      else expect(actual, where).toEqual(expected);
    };
    try {
      await block.run(fakeConsole, check);
    } finally {
      await deleteNewDatabases(before);
    }
    expect(errors).toEqual([]);
    // An assertion inside a branch that never ran would prove nothing.
    expect([...hits].sort((a, b) => a - b)).toEqual([...Array(block.checks).keys()]);
  });
});

/** Names exported from src/index.ts, values and types alike, read from its explicit export lists. */
function exportedNames(): Set<string> {
  const names = new Set<string>();
  expect(indexSource).not.toMatch(/export \*/);
  for (const m of indexSource.matchAll(/export (?:type )?\{([^}]*)\}/g)) {
    for (const part of m[1]!.split(',')) {
      const name = part.replace(/\btype\b/, '').split(/\bas\b/).pop()!.trim();
      if (name) names.add(name);
    }
  }
  return names;
}

/** Rows of every markdown table whose header starts with `header`. */
function tableRows(markdown: string, header: RegExp): string[][] {
  const rows: string[][] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith('|') || !header.test(lines[i]!) || !/^\|[-| ]+\|$/.test(lines[i + 1] ?? '')) continue;
    for (let j = i + 2; j < lines.length && lines[j]!.startsWith('|'); j++) {
      rows.push(lines[j]!.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim()));
    }
  }
  return rows;
}

const codeSpans = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

describe('the documented API is the exported API', () => {
  const exported = exportedNames();

  test('src/index.ts exports values the module really has', () => {
    for (const name of Object.keys(quickcage)) expect(exported, name).toContain(name);
  });

  test('every export is listed in docs/api.md (Exports), and every listed name is exported', () => {
    const listed = new Set(tableRows(page('docs/api.md'), /^\| export \| kind \|/).map((row) => codeSpans(row[0]!)[0]!));
    expect([...exported].filter((n) => !listed.has(n)).sort(), 'exported but not in docs/api.md').toEqual([]);
    expect([...listed].filter((n) => !exported.has(n)).sort(), 'in docs/api.md but not exported').toEqual([]);
  });

  test('every name in an `export` column of any page is exported', () => {
    for (const [name, text] of Object.entries(pages)) {
      for (const row of tableRows(text, /^\| export \|/)) {
        for (const span of codeSpans(row[0]!)) {
          const id = /^[A-Za-z_$][\w$]*/.exec(span)?.[0];
          expect(exported, `${name}: \`${span}\``).toContain(id);
        }
      }
    }
  });

  test('every API heading of docs/api.md names an export or a method of Sandbox / Session', () => {
    const headings = page('docs/api.md').split('\n').filter((l) => /^#{2,3} `/.test(l)).map((l) => codeSpans(l)[0]!);
    expect(headings.length).toBeGreaterThan(3);
    for (const h of headings) {
      const method = /^(sandbox|session)\.(\w+)/.exec(h);
      if (method) {
        const proto = (method[1] === 'sandbox' ? quickcage.Sandbox : quickcage.Session).prototype as unknown as Record<string, unknown>;
        expect(typeof proto[method[2]!], h).toBe('function');
      } else {
        expect(exported, h).toContain(/^[A-Za-z_$][\w$]*/.exec(h)![0]);
      }
    }
  });

  test('docs/api.md lists every error code once, with its class, and no other', () => {
    const rows = tableRows(page('docs/api.md'), /^\| code \| class \|/);
    const codes = rows.map((r) => codeSpans(r[0]!)[0]);
    expect([...codes].sort()).toEqual([...quickcage.ERROR_CODES].sort());
    for (const row of rows) {
      const cls = codeSpans(row[1]!)[0]!;
      expect(typeof (quickcage as Record<string, unknown>)[cls], `${row[0]} class ${cls}`).toBe('function');
    }
  });
});

/** The value a "default" cell states: a code literal, a size, a quota, or `all <value>` for a group. */
function statedDefault(cell: string): unknown {
  let m: RegExpExecArray | null;
  if ((m = /^(\d+) (KiB|MiB)$/.exec(cell))) return Number(m[1]) * (m[2] === 'KiB' ? 1024 : 1024 * 1024);
  if ((m = /^(\d+) per day$/.exec(cell))) return { limit: Number(m[1]), windowMs: 86_400_000 };
  if ((m = /^`([^`]+)`$/.exec(cell))) return JSON.parse(m[1]!.replace(/'/g, '"'));
  throw new Error(`cannot read the default \`${cell}\``);
}

describe('stated defaults are the code defaults', () => {
  test('docs/policy.md: every field of definePolicy({}) has a row with its default, and every row is a field', () => {
    const policy = quickcage.definePolicy({}) as unknown as Record<string, unknown>;
    const leaves = new Map<string, unknown>();
    const walk = (value: unknown, at: string) => {
      if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(at === 'quotas.executions' || at === 'quotas.toolCreations')) {
        for (const [k, v] of Object.entries(value)) walk(v, at ? `${at}.${k}` : k);
      } else leaves.set(at, value);
    };
    walk(policy, '');
    const rows = tableRows(page('docs/policy.md'), /^\| field \| default \(`webApi`\) \|/);
    const documented = new Set<string>();
    for (const row of rows) {
      const field = codeSpans(row[0]!)[0]!;
      const all = /^all (.+)$/.exec(row[1]!);
      const group = field.endsWith('.*') ? field.slice(0, -2) : all ? field : undefined;
      const matching = group ? [...leaves.keys()].filter((k) => k.startsWith(`${group}.`)) : [field];
      expect(matching.length, field).toBeGreaterThan(0);
      const stated = statedDefault(all ? all[1]! : row[1]!);
      for (const key of matching) {
        expect(leaves.has(key), `${field}: ${key} is not a policy field`).toBe(true);
        expect(leaves.get(key), `docs/policy.md default of ${key}`).toEqual(stated);
        documented.add(key);
      }
    }
    expect([...leaves.keys()].filter((k) => !documented.has(k)), 'policy fields without a row').toEqual([]);
  });

  test('docs/policy.md: the presets table states what PRESETS hold', () => {
    const rows = tableRows(page('docs/policy.md'), /^\| preset \| for \| files \| network \|/);
    expect(rows.map((r) => codeSpans(r[0]!)[0]).sort()).toEqual(Object.keys(quickcage.PRESETS).sort());
    const size = (n: string, unit: string) => Number(n) * (unit === 'KiB' ? 1024 : 1024 * 1024);
    for (const [name, , files, network, imports, validation, limits, quotas] of rows) {
      const preset = quickcage.PRESETS[codeSpans(name!)[0] as quickcage.PresetName];
      const where = `preset ${name}`;
      if (files === 'no') expect(preset.allowedOperations.fileOperations, where).toBe(false);
      else {
        const [, root, mib] = /^`([^`]+)`, (\d+) MiB files$/.exec(files!)!;
        expect([preset.allowedOperations.fileOperations, preset.files.allowedPaths, preset.files.maxFileBytes], where).toEqual([true, [root], size(mib!, 'MiB')]);
      }
      expect(preset.allowedOperations.networkOperations, where).toBe(network !== 'no');
      expect(preset.allowedOperations.imports, where).toEqual(imports === 'none' ? [] : codeSpans(imports!));
      expect(preset.allowDangerousOperations, where).toBe(validation!.startsWith('**off**'));
      const [, s, mem, src, srcUnit] = /^(\d+) s, (\d+) MiB, (\d+) (KiB|MiB) source$/.exec(limits!)!;
      expect([preset.limits.timeoutMs, preset.limits.memoryLimitBytes, preset.limits.maxSourceBytes], where).toEqual([Number(s) * 1000, size(mem!, 'MiB'), size(src!, srcUnit!)]);
      const [, runs, creations] = /^(\d+) runs, (\d+) tool creations$/.exec(quotas!)!;
      expect([preset.quotas.executions, preset.quotas.toolCreations], where).toEqual([
        { limit: Number(runs), windowMs: 86_400_000 },
        { limit: Number(creations), windowMs: 86_400_000 },
      ]);
    }
  });

  test('docs/api.md: the sandbox and run option tables state the code defaults, and list every option', () => {
    const check = (header: RegExp, defaults: Record<string, unknown>, keys: string[]) => {
      const rows = tableRows(page('docs/api.md'), header);
      expect(rows.map((r) => codeSpans(r[0]!)[0]).sort()).toEqual([...keys].sort());
      for (const row of rows) {
        const name = codeSpans(row[0]!)[0]!;
        if (name in defaults) expect(statedDefault(row[1]!), `default of ${name}`).toEqual(defaults[name]);
        else expect(row[1], `${name} has no default in the code`).toMatch(/^(none|policy .*|`webApi` preset)$/);
      }
    };
    const sandboxKeys = ['policy', 'workers', 'standby', 'watchdogGraceMs', 'modules', 'tools', 'audit', 'rateLimiter', 'beforeRun', 'setup', 'debug', 'observe'];
    const runKeys = ['signal', 'timeoutMs', 'trusted', 'sourceType', 'filename', 'globals', 'user', 'measureHeap', 'deterministic', 'record'];
    check(/^\| option \| default \| meaning \|$/, SANDBOX_DEFAULTS, sandboxKeys);
    check(/^\| run option \| default \| meaning \|$/, RUN_DEFAULTS, runKeys);
    // The code rejects what the tables do not list: unknown keys fail with INVALID_ARGUMENT.
    expect(() => quickcage.createSandbox({ nope: 1 } as never)).toThrow(/known options: policy, workers, standby, watchdogGraceMs, modules, tools, audit, rateLimiter, beforeRun, setup, debug, observe$/);
  });
});

// The code blocks of the docs (README.md and docs/**/*.md), as the docs test runs them.
//
// A block is marked by the HTML comment on the line before its fence:
//   <!-- doctest -->   a complete example: test/docs.test.ts runs it as an ES module in Chromium,
//                      with `import ... from 'quickcage'` bound to src/index.ts (and
//                      'quickcage/agent[/adapter]' to src/agent/);
//   <!-- fragment -->  a piece of code that cannot run alone (a shape, an excerpt that needs the
//                      app's own objects); shown, not run.
// Every ```ts / ```js block must carry one of the two, so no example silently stops being checked.
//
// Inside a doctest, `console.log(a, b); // => x, y` is an assertion: the logged values must deep-equal
// the literal after `=>` (evaluated in the block's scope). A literal with `...` in an object or array
// (`{ allowed: false, rule: 'path.traversal', ... }`) only has to match the fields it names.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is in scripts/). */
export const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** Markdown files the docs test covers, relative to `root`, sorted. */
export function docFiles(root = ROOT) {
  const out = ['README.md'];
  const walk = (dir) => {
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      // docs/api/ is typedoc's output (ignored by git), not hand-written docs.
      if (entry.isDirectory() && rel !== 'docs/api') walk(rel);
      else if (entry.isFile() && entry.name.endsWith('.md')) out.push(rel);
    }
  };
  walk('docs');
  return out.sort();
}

const FENCE = /^(\s*)```(\w*)\s*$/;
const MARK = /^\s*<!--\s*(doctest|fragment)\s*-->\s*$/;

/**
 * Every fenced block of one markdown text: `{ lang, mark, line, code }`, where `line` is the 1-based
 * line of the opening fence and `mark` is `doctest`, `fragment` or undefined.
 */
export function codeBlocks(markdown) {
  const lines = markdown.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open) continue;
    const start = i;
    let end = i + 1;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end])) end++;
    let prev = start - 1;
    while (prev >= 0 && lines[prev].trim() === '') prev--;
    const mark = prev >= 0 ? MARK.exec(lines[prev])?.[1] : undefined;
    // A block inside a list item is indented like its fence; the code is not.
    const indent = open[1].length;
    const code = lines.slice(start + 1, end).map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length))).join('\n');
    blocks.push({ lang: open[2], mark, line: start + 1, code });
    i = end;
  }
  return blocks;
}

const CHECK = /^(\s*)console\.log\((.*)\);?\s*\/\/\s*=>\s*(.+)$/;
const IMPORT_END = /\sfrom\s+'[^']+';?\s*$/;

/**
 * Turns a doctest block into an ES module whose default export runs it:
 * `export default async function (console, check) { ...block... }`, with the block's imports hoisted
 * and each `console.log(...); // => ...` line turned into `check(n, [...], [...], partial)`.
 * @returns {{ code: string, checks: number }}
 */
export function toModule(block) {
  const imports = [];
  const body = [];
  let checks = 0;
  let openImport = false; // inside a multi-line `import {` ... `} from '...'`
  for (const line of block.split('\n')) {
    if (openImport || /^import\s/.test(line)) {
      imports.push(line);
      openImport = !IMPORT_END.test(line);
      continue;
    }
    const m = CHECK.exec(line);
    if (m) {
      const [, indent, args, expected] = m;
      // `...` as an element means "and other fields": drop it and compare with toMatchObject.
      const partial = /(^|[{[,]\s*)\.\.\.\s*(?=[}\],]|$)/.test(expected);
      const literal = expected.replace(/,?\s*\.\.\.\s*(?=[}\]])/g, ' ').replace(/\.\.\.\s*,/g, '');
      body.push(`${indent}check(${checks}, [${args}], [${literal}], ${partial});`);
      checks++;
      continue;
    }
    body.push(line);
  }
  const code = [
    ...imports,
    'export default async function (console: Console, check: (id: number, actual: unknown[], expected: unknown[], partial: boolean) => void): Promise<void> {',
    ...body,
    '}',
    '',
  ].join('\n');
  return { code, checks };
}

const PREFIX = '/@doc-blocks/';
const INDEX = 'virtual:doc-blocks';

/**
 * Vite plugin: `virtual:doc-blocks` lists every doctest block of the docs, each compiled by Vite as a
 * TypeScript module (`/@doc-blocks/<file>/<n>.ts`) whose `quickcage` import is src/index.ts.
 * @param {string} [root] the repository root
 */
export function docBlocksPlugin(root = ROOT) {
  const modules = new Map();
  const entries = () => {
    modules.clear();
    const list = [];
    for (const file of docFiles(root)) {
      const blocks = codeBlocks(readFileSync(path.join(root, file), 'utf8')).filter((b) => b.mark === 'doctest');
      blocks.forEach((b, n) => {
        const id = `${PREFIX}${file}/${n}.ts`;
        const mod = toModule(b.code);
        modules.set(id, mod.code);
        list.push({ id, file, line: b.line, checks: mod.checks });
      });
    }
    return list;
  };
  return {
    name: 'quickcage-doc-blocks',
    enforce: 'pre',
    resolveId(source, importer) {
      if (source === INDEX) return `\0${INDEX}`;
      if (source.startsWith(PREFIX)) return source;
      if (importer?.startsWith(PREFIX)) {
        // The package's entries, as package.json `exports` maps them: 'quickcage' and 'quickcage/agent[/sdk]'.
        if (source === 'quickcage') return path.join(root, 'src/index.ts');
        if (source === 'quickcage/agent') return path.join(root, 'src/agent/index.ts');
        const adapter = /^quickcage\/agent\/([\w-]+)$/.exec(source);
        if (adapter) return path.join(root, `src/agent/${adapter[1]}.ts`);
      }
      return undefined;
    },
    load(id) {
      if (id === `\0${INDEX}`) {
        const list = entries();
        for (const file of docFiles(root)) this.addWatchFile(path.join(root, file));
        return [
          ...list.map((e, i) => `import run${i} from ${JSON.stringify(e.id)};`),
          `export default [${list.map((e, i) => `{ file: ${JSON.stringify(e.file)}, line: ${e.line}, checks: ${e.checks}, run: run${i} }`).join(',\n')}];`,
        ].join('\n');
      }
      if (id.startsWith(PREFIX)) {
        if (!modules.has(id)) entries();
        return modules.get(id);
      }
      return undefined;
    },
  };
}

/** A repository file's text (for the Node-side docs test, which has no Node typings). */
export function readRepoFile(file, root = ROOT) {
  return readFileSync(path.join(root, file), 'utf8');
}

/** Whether a repository path exists. */
export function repoPathExists(file, root = ROOT) {
  return existsSync(path.join(root, file));
}

/** The repository path a relative link in `fromFile` points to (`docs/a.md` + `../README.md` = `README.md`). */
export function resolveLink(fromFile, target) {
  return path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), target));
}

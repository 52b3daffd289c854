// `npm run build`: the package as users install it, into dist/.
//
//   dist/src/quickcage.worker.js  the worker: ONE self-contained file (QuickJS glue, comlink, the
//                                 acorn validator, guest module sources). No import, no import(), no
//                                 import.meta: a consumer's bundler copies it as one asset.
//   dist/src/quickcage.wasm       the QuickJS release build, fetched and compiled once per page.
//   dist/src/**.js, .d.ts         the main-thread library, one ES module per source module, so a
//   dist/worker/**.js, .d.ts        consumer's bundler tree-shakes what the app does not import.
//   dist/vendor/**.js             comlink, idb (and ajv, acorn where a tool feature needs them), one
//                                 module per file: the package has no runtime dependencies, so it
//                                 also runs with no bundler at all.
//
// The main thread finds its two assets with `new URL('./quickcage.worker.js', import.meta.url)` and
// `new URL('./quickcage.wasm', import.meta.url)`, literal, unminified patterns that Vite and webpack
// recognise and rewrite; other bundlers copy the two files next to their output (docs/bundlers.md).
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'acorn';
import { build } from 'rolldown';
import { asciiAcornPlugin, nonAscii } from './acorn-ascii.mjs';
import { GLUE_ID, stripGlueWasm } from './quickjs-glue.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');
const require = createRequire(import.meta.url);

/** Public entries (package.json `exports`), by output name. */
export const ENTRIES = {
  index: 'src/index.ts',
  'agent/index': 'src/agent/index.ts',
  'agent/ai-sdk': 'src/agent/ai-sdk.ts',
  'agent/openai': 'src/agent/openai.ts',
  'agent/anthropic': 'src/agent/anthropic.ts',
  'otel/index': 'src/otel/index.ts',
};
export const WORKER_FILE = 'quickcage.worker.js';
export const WASM_FILE = 'quickcage.wasm';

/**
 * Rewrites the two asset references of the main-thread source (written for Vite's dev server and
 * the tests) into what the package ships. Fails the build when a pattern is missing, so a refactor
 * of src/pool.ts or src/wasm.ts cannot silently ship a worker URL that points into the source tree.
 * @returns {import('rolldown').Plugin}
 */
function shippedAssetUrls() {
  const rewrites = [
    {
      file: path.join(ROOT, 'src', 'pool.ts'),
      from: "new URL('../worker/worker.ts', import.meta.url)",
      to: `new URL('./${WORKER_FILE}', import.meta.url)`,
    },
    {
      file: path.join(ROOT, 'src', 'wasm.ts'),
      from: "import wasmUrl from '@jitl/quickjs-wasmfile-release-sync/wasm?url&no-inline';",
      to: `const wasmUrl = new URL('./${WASM_FILE}', import.meta.url).href;`,
    },
  ];
  return {
    name: 'quickcage:shipped-asset-urls',
    transform(code, id) {
      const rewrite = rewrites.find((r) => r.file === id);
      if (!rewrite) return null;
      if (!code.includes(rewrite.from)) throw new Error(`build: ${path.relative(ROOT, id)} no longer contains ${rewrite.from}`);
      return { code: code.replace(rewrite.from, rewrite.to), map: null };
    },
  };
}

/** The glue rewrite shared with vite.config.ts (scripts/quickjs-glue.mjs). */
function noGlueWasm() {
  return {
    name: 'quickcage:no-glue-wasm',
    transform(code, id) {
      return GLUE_ID.test(id) ? { code: stripGlueWasm(code, path.relative(ROOT, id)), map: null } : null;
    },
  };
}

/**
 * The module syntax in `code` a bundler would follow or rewrite (import/export declarations,
 * `import()`, `import.meta`), as `Type@offset`. Parsed, not grepped: the validator's own messages
 * mention `import()` and `import.meta` in strings.
 * @param {string} code
 */
export function moduleSyntax(code) {
  const found = [];
  const visit = (node) => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node.type !== 'string') return;
    if (/^(Import|Export)|^ImportExpression$/.test(node.type) || (node.type === 'MetaProperty' && node.meta.name === 'import')) found.push(`${node.type}@${node.start}`);
    for (const key in node) if (key !== 'type' && typeof node[key] === 'object') visit(node[key]);
  };
  visit(parse(code, { ecmaVersion: 'latest', sourceType: 'module' }));
  return found;
}

/**
 * Where a module inside node_modules comes from: `{ dir, name }` of its package (the innermost
 * node_modules folder wins), or null for the project's own sources.
 */
function packageOf(id) {
  const marker = `${path.sep}node_modules${path.sep}`;
  const nm = id.lastIndexOf(marker);
  if (nm < 0) return null;
  const start = nm + marker.length;
  const parts = id.slice(start).split(path.sep);
  const name = parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  return { dir: id.slice(0, start) + name.split('/').join(path.sep), name };
}

const posix = (p) => p.split(path.sep).join('/');

/** Output path of a module under preserveModules: dependencies go to vendor/<package>/... */
function moduleFileName(chunk) {
  const id = chunk.facadeModuleId ?? chunk.name;
  // Bundler runtime helpers are virtual modules (`\0rolldown/runtime.js`).
  if (id.startsWith('\0')) return `vendor/_virtual/${id.slice(1).replace(/[^\w.-]+/g, '_').replace(/\.js$/, '')}.js`;
  const pkg = packageOf(id);
  const file = pkg ? `vendor/${pkg.name}/${posix(path.relative(pkg.dir, id))}` : posix(path.relative(ROOT, id));
  return `${file.replace(/\.[cm]?[jt]s$/, '')}.js`;
}

/** Folders of the packages whose code ends up in dist/ (the worker bundle and the vendored modules). */
const shipped = new Set();

/** Records every package a build's output contains. */
function collect(output) {
  for (const chunk of output.output) {
    for (const id of chunk.type === 'chunk' ? chunk.moduleIds : []) {
      const pkg = packageOf(id.replace(/^\0/, ''));
      if (pkg) shipped.add(pkg.dir);
    }
  }
}

/**
 * dist/THIRD-PARTY-NOTICES.md: name, version, license and the full license text of every package
 * bundled into the worker or vendored for the main thread (QuickJS itself comes with the WASM build's
 * package). The package has no runtime dependencies, so this file is where their notices travel.
 */
function writeNotices() {
  const lines = ['# Third-party notices', '', 'quickcage bundles the following packages into `dist/`.', ''];
  const packages = [...shipped].map((dir) => ({ dir, meta: JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) }));
  for (const { dir, meta } of packages.sort((a, b) => a.meta.name.localeCompare(b.meta.name))) {
    const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f));
    if (!file) throw new Error(`build: ${meta.name} ships no license file`);
    lines.push(`## ${meta.name} ${meta.version} (${meta.license})`, '', '```', readFileSync(path.join(dir, file), 'utf8').trim(), '```', '');
  }
  writeFileSync(path.join(DIST, 'THIRD-PARTY-NOTICES.md'), `${lines.join('\n')}`);
}

async function buildWorker() {
  const output = await build({
    input: path.join(ROOT, 'worker', 'worker.ts'),
    platform: 'browser',
    // The engine disposes QuickJS handles with `using`: lowered, so browsers and bundlers (webpack
    // parses the worker) that do not know the syntax yet still load the worker.
    transform: { target: 'es2022' },
    plugins: [noGlueWasm(), asciiAcornPlugin()],
    resolve: { conditionNames: ['browser', 'import', 'default'] },
    logLevel: 'warn',
    output: {
      file: path.join(DIST, 'src', WORKER_FILE),
      format: 'es',
      codeSplitting: false,
      minify: true,
      sourcemap: true,
      comments: { legal: true },
    },
  });
  collect(output);
  const code = readFileSync(path.join(DIST, 'src', WORKER_FILE), 'utf8');
  const followed = moduleSyntax(code);
  if (followed.length > 0) throw new Error(`build: ${WORKER_FILE} is not self-contained: ${followed.join(', ')}`);
  // Chromium decodes a non-ASCII worker script into a two-byte string on the worker thread, on the cold start's critical path.
  const wide = nonAscii(code);
  if (wide.length > 0) throw new Error(`build: ${WORKER_FILE} is not pure ASCII (${wide.join(', ')}); see scripts/acorn-ascii.mjs`);
}

async function buildMain() {
  const output = await build({
    input: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, path.join(ROOT, file)])),
    platform: 'browser',
    plugins: [shippedAssetUrls()],
    // `module`: packages such as @opentelemetry/api list their ESM build under it and CommonJS as
    // `default`; the CommonJS build would bundle as one opaque module and defeat tree-shaking.
    resolve: { conditionNames: ['browser', 'import', 'module', 'default'] },
    logLevel: 'warn',
    output: {
      dir: DIST,
      format: 'es',
      preserveModules: true,
      entryFileNames: moduleFileName,
      chunkFileNames: moduleFileName,
      // Not minified: consumers minify, and their bundlers must see the literal `new URL(...)` patterns.
      minify: false,
      sourcemap: true,
    },
  });
  collect(output);
}

export async function buildAll() {
  rmSync(DIST, { recursive: true, force: true });
  mkdirSync(DIST, { recursive: true });
  await buildWorker();
  await buildMain();
  copyFileSync(require.resolve('@jitl/quickjs-wasmfile-release-sync/wasm'), path.join(DIST, 'src', WASM_FILE));
  shipped.add(path.dirname(require.resolve('@jitl/quickjs-wasmfile-release-sync/package.json')));
  writeNotices();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildAll();
}

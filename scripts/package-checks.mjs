// The package as users get it, checked in `npm test` (scripts/test.mjs runs this before the browser
// tests and hands the tarball on to the consumer matrix through QUICKCAGE_TARBALL):
//
//   pack      `npm pack` (whose `prepare` script builds dist/): the tarball the other checks and test/e2e/consumers.spec.ts use
//   publint   package.json, exports and files as npm and bundlers read them
//   attw      arethetypeswrong on the tarball (ESM-only profile: the package has no CommonJS build)
//   size      size-limit budgets (.size-limit.js), plus the WASM's size reported beside them
//   types     test/consumers/types/usage.ts compiled against the INSTALLED tarball under `strict` and
//             `skipLibCheck: false` by every supported TypeScript (5.2, the first with `using`, 5.4, 6)
//
// Each check prints its tool's output and one line `package check NAME: ok|FAILED`. As a module it
// exports `runPackageChecks()`, which resolves with `{ tarball, results: [{ name, ok }] }`.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'test-results', 'consumers');
const BIN = path.join(ROOT, 'node_modules', '.bin');

/** TypeScript versions the public declarations must compile with: [label, package folder]. */
export const TYPESCRIPTS = [
  ['5.2', 'typescript-5.2'],
  ['5.4', 'typescript-5.4'],
  ['6', 'typescript'],
];

/** Runs a command with output streamed through; true when it exits 0. */
function step(command, args, cwd = ROOT) {
  const result = spawnSync(command, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'], encoding: 'utf8' });
  if (result.error) process.stderr.write(`package checks: could not run ${command}: ${result.error.message}\n`);
  return result.status === 0;
}

function npm(args, cwd = ROOT) {
  return spawnSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

/** `npm pack` into test-results/consumers/ (its `prepare` script builds dist/ first); the tarball's path, or null. */
function pack() {
  mkdirSync(OUT, { recursive: true });
  const packed = npm(['pack', '--pack-destination', OUT, '--silent']);
  if (packed.status !== 0) return null;
  return path.join(OUT, packed.stdout.trim().split('\n').pop());
}

/** The types fixture with the tarball installed (no dependencies, so offline). */
function typesApp(tarball) {
  const dir = path.join(OUT, 'types');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(path.join(ROOT, 'test', 'consumers', 'types'), dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer-types', private: true, type: 'module' }));
  const installed = npm(['install', '--offline', '--no-package-lock', tarball], dir);
  return installed.status === 0 ? dir : null;
}

function reportWasm() {
  const wasm = readFileSync(path.join(ROOT, 'dist', 'src', 'quickcage.wasm'));
  const kb = (n) => `${(n / 1000).toFixed(1)} kB`;
  process.stdout.write(`  QuickJS WASM (dist/src/quickcage.wasm): ${kb(wasm.length)}, ${kb(gzipSync(wasm).length)} gzipped\n`);
}

export async function runPackageChecks() {
  const results = [];
  const record = (name, ok) => {
    results.push({ name, ok });
    process.stdout.write(`package check ${name}: ${ok ? 'ok' : 'FAILED'}\n`);
  };
  const tarball = pack();
  record('pack', tarball !== null);
  if (!tarball) return { tarball, results };

  // `--pack false`: lint dist/ as pack just built it (packing again would run `prepare` again).
  record('publint', step(path.join(BIN, 'publint'), ['--strict', '--pack', 'false']));
  record('attw', step(path.join(BIN, 'attw'), [tarball, '--profile', 'esm-only', '--exclude-entrypoints', 'quickcage.worker.js', 'quickcage.wasm']));
  record('size', step(path.join(BIN, 'size-limit'), []));
  reportWasm();

  const dir = typesApp(tarball);
  for (const [label, pkg] of TYPESCRIPTS) {
    const tsc = path.join(ROOT, 'node_modules', pkg, 'bin', 'tsc');
    const version = JSON.parse(readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version;
    process.stdout.write(`  TypeScript ${version}: tsc -p test-results/consumers/types (strict, skipLibCheck false)\n`);
    record(`types (TypeScript ${label})`, dir !== null && step(process.execPath, [tsc, '-p', dir]));
  }
  return { tarball, results };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { results } = await runPackageChecks();
  process.exitCode = results.every((r) => r.ok) ? 0 : 1;
}

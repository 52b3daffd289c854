// The consumer matrix: the packed tarball installed into fresh apps, each built the way its bundler's
// users build for production, then served statically on 127.0.0.1 with a strict Content-Security-Policy.
// test/e2e/consumers.spec.ts drives each one in Chromium.
//
// Every app is test/consumers/app.js (plus index.html), installed with `npm install <tarball>` into its
// own folder under test-results/consumers/<name>/: the package resolves from that folder's
// node_modules, never through a path alias to the sources. The bundlers themselves resolve from the
// repository's node_modules (a parent folder), so nothing is downloaded.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
export const OUT = path.join(ROOT, 'test-results', 'consumers');

/** The policy the consumer pages are served under (docs/bundlers.md shows the same one). */
export const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'";

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

/** npm, run as a child with the repository's npm settings, quietly. */
function npm(args, cwd) {
  return execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

/**
 * The tarball to install: the one `npm test` packed (QUICKCAGE_TARBALL, scripts/package-checks.mjs),
 * else a fresh `npm pack` (which builds).
 */
export function packTarball() {
  if (process.env.QUICKCAGE_TARBALL && existsSync(process.env.QUICKCAGE_TARBALL)) return process.env.QUICKCAGE_TARBALL;
  mkdirSync(OUT, { recursive: true });
  for (const f of readdirSync(OUT)) if (f.endsWith('.tgz')) rmSync(path.join(OUT, f));
  // `npm pack` runs the package's `prepare` script, which builds dist/.
  const name = npm(['pack', '--pack-destination', OUT, '--silent'], ROOT).trim().split('\n').pop();
  return path.join(OUT, name);
}

/** A fresh app folder with app.js + index.html and the tarball installed; returns the folder. */
function freshApp(name, tarball, indexHtml) {
  const dir = path.join(OUT, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `consumer-${name}`, private: true, type: 'module' }, null, 2));
  copyFileSync(path.join(HERE, 'app.js'), path.join(dir, 'app.js'));
  writeFileSync(path.join(dir, 'index.html'), indexHtml);
  // The package has no dependencies, so this never needs the network.
  npm(['install', '--offline', '--no-package-lock', tarball], dir);
  return dir;
}

const page = (script) => `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><title>quickcage consumer</title></head>
  <body>
    ${script}
  </body>
</html>
`;
const MODULE_PAGE = page('<script type="module" src="./app.js"></script>');

/** Copies the package's worker and WASM next to a bundle (what docs/bundlers.md tells esbuild and Rollup users). */
function copyAssets(appDir, outDir) {
  for (const file of ['quickcage.worker.js', 'quickcage.wasm']) {
    copyFileSync(path.join(appDir, 'node_modules', 'quickcage', 'dist', 'src', file), path.join(outDir, file));
  }
}

/**
 * The apps, by name. `build(tarball)` prepares one and returns `{ dir }`, the folder to serve
 * statically, or `{ url, close }` for one that serves itself (the Vite dev server).
 */
export const CONSUMERS = {
  /** Vite, production build, no quickcage-specific configuration. */
  async 'vite-build'(tarball) {
    const dir = freshApp('vite-build', tarball, MODULE_PAGE);
    const { build } = await import('vite');
    await build({ root: dir, configFile: false, logLevel: 'warn', build: { outDir: 'dist', emptyOutDir: true } });
    return { dir: path.join(dir, 'dist') };
  },

  /** Vite's dev server (its dependency optimiser pre-bundles the package), no quickcage-specific configuration. */
  async 'vite-dev'(tarball, port) {
    const dir = freshApp('vite-dev', tarball, MODULE_PAGE);
    const { createServer: createViteServer } = await import('vite');
    const server = await createViteServer({
      root: dir,
      configFile: false,
      logLevel: 'warn',
      server: { host: '127.0.0.1', port, strictPort: true, headers: { 'Content-Security-Policy': CSP } },
    });
    await server.listen();
    return { url: `http://127.0.0.1:${port}/`, close: () => server.close() };
  },

  /** webpack 5, production mode, no quickcage-specific configuration. */
  async webpack(tarball) {
    const dir = freshApp('webpack', tarball, page('<script src="./main.js" defer></script>'));
    const { default: webpack } = await import('webpack');
    const outDir = path.join(dir, 'dist');
    const stats = await new Promise((resolve, reject) => {
      webpack({ mode: 'production', context: dir, entry: './app.js', output: { path: outDir, clean: true }, devtool: false }, (error, result) =>
        error ? reject(error) : resolve(result),
      );
    });
    if (stats.hasErrors()) throw new Error(`webpack: ${stats.toString({ all: false, errors: true })}`);
    copyFileSync(path.join(dir, 'index.html'), path.join(outDir, 'index.html'));
    return { dir: outDir };
  },

  /** esbuild: one bundle, plus the two asset files copied beside it. */
  async esbuild(tarball) {
    const dir = freshApp('esbuild', tarball, MODULE_PAGE);
    const esbuild = await import('esbuild');
    const outDir = path.join(dir, 'dist');
    await esbuild.build({ entryPoints: [path.join(dir, 'app.js')], bundle: true, format: 'esm', minify: true, outdir: outDir, logLevel: 'warning' });
    copyAssets(dir, outDir);
    copyFileSync(path.join(dir, 'index.html'), path.join(outDir, 'index.html'));
    return { dir: outDir };
  },

  /** Rollup with node-resolve: one bundle, plus the two asset files copied beside it. */
  async rollup(tarball) {
    const dir = freshApp('rollup', tarball, MODULE_PAGE);
    const { rollup } = await import('rollup');
    const { nodeResolve } = await import('@rollup/plugin-node-resolve');
    const outDir = path.join(dir, 'dist');
    const bundle = await rollup({ input: path.join(dir, 'app.js'), plugins: [nodeResolve({ browser: true })], onwarn: () => {} });
    await bundle.write({ dir: outDir, format: 'es' });
    await bundle.close();
    copyAssets(dir, outDir);
    copyFileSync(path.join(dir, 'index.html'), path.join(outDir, 'index.html'));
    return { dir: outDir };
  },

  /** No bundler: the package's files served as they are, the app importing them by path. */
  async 'no-bundler'(tarball) {
    const dir = freshApp('no-bundler', tarball, MODULE_PAGE);
    const app = readFileSync(path.join(dir, 'app.js'), 'utf8');
    writeFileSync(path.join(dir, 'app.js'), app.replace("from 'quickcage';", "from './node_modules/quickcage/dist/src/index.js';"));
    return { dir };
  },
};

/**
 * Serves `dir` on 127.0.0.1:`port` with the strict CSP on every response. Resolves with `{ url, close }`.
 * @param {string} dir
 * @param {number} port
 */
export function serveStatic(dir, port) {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const file = path.join(dir, decodeURIComponent(url.pathname), url.pathname.endsWith('/') ? 'index.html' : '');
    if (!file.startsWith(dir)) {
      res.writeHead(403).end();
      return;
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (!existsSync(file)) {
      res.writeHead(404, { 'Content-Security-Policy': CSP }).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream', 'Content-Security-Policy': CSP, 'Cache-Control': 'no-store' });
    res.end(readFileSync(file));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${port}/`, close }));
  });
  // Chromium keeps (and preopens) keep-alive sockets; `server.close()` alone waits for them, which
  // once held a finished test until its timeout. Drop every socket, then wait for the close.
  function close() {
    return new Promise((resolve) => {
      server.close(() => resolve(undefined));
      server.closeAllConnections();
    });
  }
}

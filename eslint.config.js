// ESLint flat config: the recommended JavaScript and TypeScript rules, not type-aware (tsc --noEmit
// already type-checks everything; type-aware linting would double the time for little gain here).
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

// Node globals for the repository's own scripts (.mjs/.js run by Node). Listed by hand because the
// `globals` package is not a dependency; TypeScript files get no-undef from tsc instead.
const nodeGlobals = Object.fromEntries(
  [
    'process', 'console', 'Buffer', 'URL', 'URLSearchParams', 'fetch', 'AbortController', 'performance',
    'structuredClone', 'TextEncoder', 'TextDecoder', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval',
  ].map((name) => [name, 'readonly']),
);

// import-x reads TypeScript files only when told to (its default is .js), through the TypeScript resolver.
const importSettings = {
  'import-x/extensions': ['.ts', '.js', '.mjs'],
  'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
  'import-x/resolver-next': [createTypeScriptImportResolver({ project: 'tsconfig.json' })],
};

export default defineConfig(
  globalIgnores([
    'dist/',
    'dist-demo/',
    'node_modules/',
    'docs/api/',
    'test-results/',
    'playwright-report/',
    '.exp/',
    'bench/results/',
    '__screenshots__/',
    '.vitest-attachments/',
  ]),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_`-prefixed names are deliberately unused (placeholders in destructuring and signatures).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Type-only imports stay type-only, so no runtime import of the worker leaks into the main bundle.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // Tests must not be silently narrowed or skipped (see docs/testing.md).
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.type='MemberExpression'][callee.property.name=/^(only|skip)$/][callee.object.name=/^(test|it|describe)$/]",
          message: 'No .only/.skip in committed tests.',
        },
      ],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  // ---- The house, as lint rules (docs/design/host.md "Boundaries").
  {
    // No import cycles in the library or the worker: each module has one place in the data flow.
    files: ['src/**/*.ts', 'worker/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: importSettings,
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', {
        zones: [
          // The worker can be terminated at any moment and ships as one self-contained file: it never
          // reaches into the main thread's code or its storage.
          { target: './worker', from: './src', message: 'worker/ never imports src/ (ARCHITECTURE: import direction).' },
        ],
      }],
      'no-restricted-imports': ['error', { paths: [{ name: 'idb', message: 'worker/ holds nothing that must survive it: no IndexedDB.' }] }],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': 'off',
      // Across the boundary the main thread takes types only, so acorn, QuickJS and the validator
      // never enter the main bundle. Values may come from the two leaves (the wire contract and the
      // rule catalogue).
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [{
          regex: String.raw`(^|/)worker/(?!protocol\.js$|validate/rules\.js$)`,
          allowTypeImports: true,
          message: 'src/ imports only types from worker/ (values only from worker/protocol.ts and worker/validate/rules.ts).',
        }],
      }],
    },
  },
  {
    // Issue-10 leftover: dynamic tools still validate code on the page (acorn in the main bundle of
    // apps that use them). The exception is this one file, until that validation moves into the worker.
    files: ['src/tools/dynamic.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': 'off' },
  },
  {
    // The playground is a consumer: it may use the package's public entries only.
    files: ['demo/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: importSettings,
    rules: {
      'import-x/no-restricted-paths': ['error', {
        zones: [
          { target: './demo', from: './src', except: ['./index.ts', './agent/index.ts', './agent/openai.ts', './agent/ai-sdk.ts', './agent/anthropic.ts'], message: 'demo/ imports only the public entries (src/index.ts and the agent subpaths).' },
          { target: './demo', from: './worker', message: 'demo/ imports only the public entries.' },
        ],
      }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    languageOptions: { globals: nodeGlobals },
  },
  {
    // The consumer app runs in a browser page (test/consumers/harness.mjs builds it per bundler).
    files: ['test/consumers/app.js'],
    languageOptions: { globals: { document: 'readonly', indexedDB: 'readonly', console: 'readonly' } },
  },
  {
    // Declaration files describe .mjs modules; their exports are used elsewhere.
    files: ['**/*.d.mts', '**/*.d.ts'],
    rules: { '@typescript-eslint/no-unused-vars': 'off' },
  },
);

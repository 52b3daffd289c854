// ESLint flat config: the recommended JavaScript and TypeScript rules, not type-aware (tsc --noEmit
// already type-checks everything; type-aware linting would double the time for little gain here).
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

// Node globals for the repository's own scripts (.mjs/.js run by Node). Listed by hand because the
// `globals` package is not a dependency; TypeScript files get no-undef from tsc instead.
const nodeGlobals = Object.fromEntries(
  [
    'process', 'console', 'Buffer', 'URL', 'URLSearchParams', 'fetch', 'AbortController', 'performance',
    'structuredClone', 'TextEncoder', 'TextDecoder', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval',
  ].map((name) => [name, 'readonly']),
);

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

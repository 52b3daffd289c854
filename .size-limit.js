// Size budgets of what the package ships (`npx size-limit`; scripts/package-checks.mjs runs it in
// `npm test`, which also reports the WASM file beside them). Sizes are gzip. The main-thread rows are what an app's bundler keeps after
// tree-shaking the named imports; the worker and the WASM are single files, measured as they are.
const esm = (config) => ({ ...config, format: 'esm' });

export default [
  {
    name: 'main thread: createSandbox + definePolicy + isSandboxError',
    path: 'dist/src/index.js',
    import: '{ createSandbox, definePolicy, isSandboxError }',
    gzip: true,
    limit: '30 KB',
    modifyEsbuildConfig: esm,
  },
  {
    name: 'main thread: everything the entry exports',
    path: 'dist/src/index.js',
    import: '*',
    gzip: true,
    limit: '200 KB',
    modifyEsbuildConfig: esm,
  },
  {
    name: 'quickcage/agent + quickcage/agent/ai-sdk: createCodeTool + toAiSdkTool',
    path: ['dist/src/agent/index.js', 'dist/src/agent/ai-sdk.js'],
    import: { 'dist/src/agent/index.js': '{ createCodeTool }', 'dist/src/agent/ai-sdk.js': '{ toAiSdkTool }' },
    gzip: true,
    limit: '20 KB',
    modifyEsbuildConfig: esm,
  },
  {
    // The OpenTelemetry JSON serializer and resource come with it; the core rows above do not pay for them.
    name: 'quickcage/otel: createOtlpExporter',
    path: 'dist/src/otel/index.js',
    import: '{ createOtlpExporter }',
    gzip: true,
    limit: '15 KB',
    modifyEsbuildConfig: esm,
  },
  // Already one minified file; esbuild passes it through as it is.
  { name: 'worker (one self-contained file)', path: 'dist/src/quickcage.worker.js', gzip: true, limit: '120 KB', modifyEsbuildConfig: esm },
];

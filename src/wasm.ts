/**
 * Compiles the QuickJS WASM once per page and shares the compiled module with every worker
 * (structured clone of a WebAssembly.Module does not recompile it).
 */
import wasmUrl from '@jitl/quickjs-wasmfile-release-sync/wasm?url&no-inline';

let compiled: Promise<WebAssembly.Module> | undefined;

/** The compiled QuickJS module, compiled on first use. A failure is not cached, so a retry can succeed. */
export function quickjsModule(): Promise<WebAssembly.Module> {
  compiled ??= compile().catch((error: unknown) => {
    compiled = undefined;
    throw error;
  });
  return compiled;
}

async function compile(): Promise<WebAssembly.Module> {
  const response = await fetch(wasmUrl);
  if (!response.ok) throw new Error(`could not load QuickJS WASM from ${wasmUrl}: HTTP ${response.status}`);
  // Streaming compilation needs the application/wasm MIME type; servers that get it wrong still work.
  if (response.headers.get('content-type')?.startsWith('application/wasm')) return WebAssembly.compileStreaming(response);
  return WebAssembly.compile(await response.arrayBuffer());
}

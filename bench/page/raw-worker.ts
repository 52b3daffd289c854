/**
 * The "by hand" baseline: what people write when they put quickjs-emscripten in a worker themselves.
 * One module per worker; per run a fresh runtime + context with a memory limit and an interrupt
 * deadline, `evalCode`, `dump`, dispose. Promises are awaited the way the quickjs-emscripten README
 * shows (`resolvePromise` + `executePendingJobs`), with nothing that ends a guest idle on an await:
 * that gap is what the "stuck guest" row shows.
 */
import * as Comlink from 'comlink';
import { newQuickJSWASMModuleFromVariant, shouldInterruptAfterDeadline, type QuickJSWASMModule } from 'quickjs-emscripten-core';
import variant from '@jitl/quickjs-wasmfile-release-sync';

export interface RawRunOptions {
  timeoutMs: number;
  memoryLimitBytes: number;
  module?: boolean;
}

export type RawRunResult = { ok: true; value: unknown } | { ok: false; error: unknown; threw?: boolean };

let qjs: QuickJSWASMModule | undefined;

const api = {
  async init(): Promise<void> {
    qjs ??= await newQuickJSWASMModuleFromVariant(variant);
  },

  async run(code: string, options: RawRunOptions): Promise<RawRunResult> {
    if (!qjs) throw new Error('init() first');
    const runtime = qjs.newRuntime();
    runtime.setMemoryLimit(options.memoryLimitBytes);
    runtime.setInterruptHandler(shouldInterruptAfterDeadline(Date.now() + options.timeoutMs));
    const context = runtime.newContext();
    try {
      const result = context.evalCode(code, 'guest.js', { type: options.module ? 'module' : 'global' });
      if (result.error) {
        // An out-of-memory error reads as null only once the limit is lifted (see ARCHITECTURE.md).
        runtime.setMemoryLimit(-1);
        const error = context.dump(result.error);
        result.error.dispose();
        return { ok: false, error };
      }
      if (!options.module) {
        const value = context.dump(result.value);
        result.value.dispose();
        return { ok: true, value };
      }
      // A module evaluates to a promise of its namespace.
      const pending = context.resolvePromise(result.value);
      result.value.dispose();
      runtime.executePendingJobs();
      const settled = await pending;
      if (settled.error) {
        const error = context.dump(settled.error);
        settled.error.dispose();
        return { ok: false, error };
      }
      const namespace = settled.value;
      const def = context.getProp(namespace, 'default');
      namespace.dispose();
      const value = context.dump(def);
      def.dispose();
      return { ok: true, value };
    } catch (error) {
      // Something came out of the WASM itself (e.g. a host stack overflow, an abort).
      return { ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error), threw: true };
    } finally {
      try {
        context.dispose();
        runtime.dispose();
      } catch {
        // Freeing a runtime after an out-of-memory can abort inside the WASM; by-hand code rarely
        // handles it, but the bench must keep measuring.
      }
    }
  },

  /** Current size of this worker's WASM memory: it only grows, so after a run it is that run's peak. */
  async wasmMemoryBytes(): Promise<number> {
    return qjs ? qjs.getWasmMemory().buffer.byteLength : 0;
  },
};

export type RawWorkerApi = typeof api;

Comlink.expose(api);

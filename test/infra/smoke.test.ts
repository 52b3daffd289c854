/**
 * Proves the browser test setup itself: this file runs in real Chromium, starts a real module
 * Worker from a `new URL(..., import.meta.url)`, compiles the real QuickJS WASM served as a Vite
 * `?url` asset, and uses real IndexedDB. If this fails, every other browser test is meaningless.
 */
import { describe, expect, test } from 'vitest';
import { deleteDB, openDB } from 'idb';
import wasmUrl from '@jitl/quickjs-wasmfile-release-sync/wasm?url';
import type { SmokeReply } from './fixtures/smoke-worker.js';

function runInWorker(code: string): Promise<SmokeReply> {
  const worker = new Worker(new URL('./fixtures/smoke-worker.ts', import.meta.url), { type: 'module' });
  return new Promise<SmokeReply>((resolve, reject) => {
    worker.addEventListener('message', (event: MessageEvent<SmokeReply | { error: string }>) => {
      if ('error' in event.data) reject(new Error(event.data.error));
      else resolve(event.data);
    });
    worker.addEventListener('error', (event) => reject(new Error(`worker failed to load: ${event.message}`)));
    worker.postMessage(code);
  }).finally(() => worker.terminate());
}

describe('browser test environment', () => {
  test('runs in Chromium with a DOM', () => {
    expect(navigator.userAgent).toMatch(/Chrome\/\d+/);
    expect(document.createElement('div').tagName).toBe('DIV');
  });

  test('serves the QuickJS wasm as a compilable asset URL', async () => {
    expect(wasmUrl).toMatch(/\.wasm(\?|$)/);
    const response = await fetch(wasmUrl);
    expect(response.headers.get('content-type')).toBe('application/wasm');
    const module = await WebAssembly.compileStreaming(response);
    expect(WebAssembly.Module.exports(module).length).toBeGreaterThan(10);
  });

  test('a module Worker compiles the wasm and evaluates guest code in QuickJS', async () => {
    const reply = await runInWorker('[1 + 2, "quick" + "js", typeof window]');
    expect(reply.inWorker).toBe(true);
    expect(reply.wasmImports).toBeGreaterThan(0);
    // `typeof window` is "undefined" inside QuickJS: the guest sees no host globals.
    expect(reply.value).toEqual([3, 'quickjs', 'undefined']);
  });

  test('IndexedDB stores and reads back a record', async () => {
    const name = `quickcage-infra-smoke-${crypto.randomUUID()}`;
    const db = await openDB(name, 1, {
      upgrade(database) {
        database.createObjectStore('events', { keyPath: 'id', autoIncrement: true });
      },
    });
    try {
      const id = await db.add('events', { type: 'smoke', at: 1 });
      expect(await db.get('events', id)).toEqual({ id, type: 'smoke', at: 1 });
      expect(await db.count('events')).toBe(1);
    } finally {
      db.close();
      await deleteDB(name);
    }
  });
});

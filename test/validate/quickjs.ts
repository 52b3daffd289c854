/** Talks to the raw QuickJS fixture worker (see fixtures/quickjs-worker.ts). */
import type { QuickJSReply, QuickJSRequest } from './fixtures/quickjs-worker.js';

type Body<T> = T extends unknown ? Omit<T, 'id'> : never;

/** One fixture worker; `call` sends a request and resolves with its reply. */
export class QuickJSFixture {
  private readonly worker = new Worker(new URL('./fixtures/quickjs-worker.ts', import.meta.url), { type: 'module' });
  private next = 0;
  private readonly pending = new Map<number, (reply: QuickJSReply) => void>();

  constructor() {
    this.worker.addEventListener('message', (event: MessageEvent<QuickJSReply>) => {
      this.pending.get(event.data.id)?.(event.data);
      this.pending.delete(event.data.id);
    });
  }

  call(request: Body<QuickJSRequest>): Promise<QuickJSReply> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.worker.postMessage({ ...request, id });
    });
  }

  dispose(): void {
    this.worker.terminate();
  }
}

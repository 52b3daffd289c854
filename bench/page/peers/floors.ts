/**
 * The two floors no sandbox can beat: native JS on the page (no isolation at all) and an empty
 * comlink call to a worker (the cost of crossing to a worker and back).
 */
import * as Comlink from 'comlink';
import type { FloorWorkerApi } from '../floor-worker.js';
import { CODE, FIB_25, THROUGHPUT_BATCH, collect, na, throughput, time, warmUp } from '../measure.js';
import type { Peer, RowOptions, RowResult } from '../types.js';

/** Native calls are far below the timer's resolution: each sample times a burst and divides. */
const BURST = 1_000;
let unique = 0;

/** A fresh function per call (the native analogue of a fresh context); the counter defeats the eval cache. */
function nativeTiny(): number {
  return (new Function(`return ${CODE.tiny} // ${unique++}`) as () => number)();
}

function nativeBurst(): number {
  const t0 = performance.now();
  for (let i = 0; i < BURST; i++) {
    if (nativeTiny() !== 2) throw new Error('native 1+1 is not 2');
  }
  return (performance.now() - t0) / BURST;
}

const NO_STOP = 'no way to stop code on the page thread: it has no deadline, no memory limit and no isolation';

const nativeRows: Record<string, (o: RowOptions) => Promise<RowResult>> = {
  async cold(o) {
    const samples = await collect(o, async () => time(async () => nativeTiny()));
    return { status: 'ok', unit: 'ms', samples, note: '`new Function` + call' };
  },
  async coldInPage(o) {
    const samples = await collect(o, async () => nativeBurst());
    return { status: 'ok', unit: 'ms', samples, note: `mean of bursts of ${BURST}` };
  },
  async warm(o) {
    for (let i = 0; i < 10; i++) nativeBurst();
    const samples = await collect(o, async () => nativeBurst());
    return { status: 'ok', unit: 'ms', samples, note: `\`new Function\` + call; mean of bursts of ${BURST}` };
  },
  deadline: async () => na(NO_STOP),
  stuck: async () => na(NO_STOP),
  memory: async () => na(NO_STOP),
  async throughput(o) {
    const samples = await throughput(o, THROUGHPUT_BATCH * 50, async () => nativeTiny());
    return { status: 'ok', unit: 'runs/s', samples, note: 'page thread only' };
  },
  async fib(o) {
    const fib = new Function(`${CODE.fib.replace(/fib\(25\)$/, 'return fib(25)')}`) as () => number;
    if (fib() !== FIB_25) throw new Error('native fib(25) is wrong');
    const samples = await collect(o, async () =>
      time(async () => {
        if (fib() !== FIB_25) throw new Error('native fib(25) is wrong');
      }),
    );
    return { status: 'ok', unit: 'ms', samples, note: 'V8 JIT, for scale only' };
  },
};

interface FloorWorker {
  remote: Comlink.Remote<FloorWorkerApi>;
  dispose(): void;
}

async function spawnFloor(): Promise<FloorWorker> {
  const worker = new Worker(new URL('../floor-worker.ts', import.meta.url), { type: 'module', name: 'comlink-floor' });
  const remote = Comlink.wrap<FloorWorkerApi>(worker);
  await remote.noop();
  return {
    remote,
    dispose() {
      remote[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
}

const NOT_AN_ENGINE = 'not an engine: it runs no guest code';

const comlinkRows: Record<string, (o: RowOptions) => Promise<RowResult>> = {
  async cold(o) {
    const samples = await collect(o, () => time(async () => (await spawnFloor()).dispose()));
    return { status: 'ok', unit: 'ms', samples, note: 'new Worker + first empty call' };
  },
  async coldInPage(o) {
    (await spawnFloor()).dispose();
    const samples = await collect(o, () => time(async () => (await spawnFloor()).dispose()));
    return { status: 'ok', unit: 'ms', samples };
  },
  async warm(o) {
    const w = await spawnFloor();
    try {
      await warmUp(100, () => w.remote.noop());
      const samples = await collect(o, () => time(() => w.remote.noop()));
      return { status: 'ok', unit: 'ms', samples, note: 'empty call' };
    } finally {
      w.dispose();
    }
  },
  deadline: async () => na(NOT_AN_ENGINE),
  stuck: async () => na(NOT_AN_ENGINE),
  memory: async () => na(NOT_AN_ENGINE),
  async throughput(o) {
    const workers = await Promise.all([spawnFloor(), spawnFloor()]);
    try {
      const samples = await throughput(o, THROUGHPUT_BATCH, (i) => workers[i % 2]!.remote.noop());
      return { status: 'ok', unit: 'runs/s', samples, note: `2 workers, empty calls, batches of ${THROUGHPUT_BATCH}` };
    } finally {
      for (const w of workers) w.dispose();
    }
  },
  fib: async () => na(NOT_AN_ENGINE),
};

export const native: Peer = { run: (row, options) => nativeRows[row]!(options) };
export const comlink: Peer = { run: (row, options) => comlinkRows[row]!(options) };

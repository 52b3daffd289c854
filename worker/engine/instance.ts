/**
 * One instance of the QuickJS WASM module: its linear memory with a hard cap, the host's reserve
 * block, the promise-job loop, and snapshot/restore of the whole instance state.
 *
 * Snapshot/restore is what makes one-shot runs cheap and crash-free: the instance prepares its
 * contexts once, copies the memory that holds state (static data and the used heap) and every later
 * run starts by copying it back. A run's runtime is never freed (nothing can abort on a leak), a fault
 * inside the WASM is undone by the same copy, and what a run grew stays mapped but is free again.
 */
import { QuickJSWASMModule, type QuickJSRuntime } from 'quickjs-emscripten-core';
// The glue and the FFI are imported statically, not through the variant's `import()`s: a bundler
// that splits code would otherwise fetch them as separate files at init, after the worker started.
import loadQuickJSModule from '@jitl/quickjs-wasmfile-release-sync/emscripten-module';
import { QuickJSFFI } from '@jitl/quickjs-wasmfile-release-sync/ffi';

const PAGE = 65536;
/** Initial WASM memory; the emscripten build expects at least 16 MiB. */
export const INITIAL_MEMORY = 16 * 1024 * 1024;
/**
 * WASM memory held back from guests for the host's own allocations. quickjs-emscripten's glue
 * (strings, handles, argument arrays) calls malloc without checking for NULL and then writes through
 * the pointer: if a guest had filled memory to the cap, that write would corrupt the module (seen as
 * "memory access out of bounds"). Once the cap refuses a grow, the block is released at the next
 * point where no malloc is running, and the guest is stopped with MEMORY_LIMIT.
 */
export const HOST_RESERVE_BYTES = 1024 * 1024;
/** Offset of `malloc_state.malloc_limit` in QuickJS's JSRuntime (wasm32, this pinned build). */
const RT_MALLOC_LIMIT = 24;
/**
 * The emscripten stack of this pinned build (STACK_SIZE, 5 MiB), placed between the static data and
 * the heap. Its contents are dead whenever no WASM call is active, so a snapshot skips it.
 */
const STACK_BYTES = 5 * 1024 * 1024;
/** A request larger than any free fragment: dlmalloc serves it from the top chunk, i.e. at the heap's end. */
const PROBE_BYTES = 256 * 1024;
/** dlmalloc chunk headers around a block whose contents do not matter (kept in the snapshot). */
const CHUNK_SLACK = 32;

/** The parts of quickjs-emscripten-core's runtime the engine calls directly. */
interface RuntimeInternals {
  ffi: {
    QTS_ExecutePendingJob(rt: number, maxJobs: number, lastJobContext: number): number;
    QTS_FreeValuePointerRuntime(rt: number, value: number): void;
  };
  rt: { value: number };
  /** Host values (host functions) by id; C frees ids as their QuickJS objects die. */
  hostRefs: { nextId: number; freelist: number[]; groups: Map<number, Map<number, object>> };
}

interface EmscriptenModule {
  _malloc(bytes: number): number;
  _free(pointer: number): void;
}

/** A saved instance state: byte ranges of linear memory plus the JS-side state that must match them. */
interface Snapshot {
  ranges: Array<{ start: number; bytes: Uint8Array }>;
  reserve: number;
  hostRefs: Array<{ runtime: RuntimeInternals; nextId: number; freelist: number[]; groups: Array<[number, Array<[number, object]>]> }>;
  /** Bytes copied per restore. */
  size: number;
}

export class Instance {
  qjs!: QuickJSWASMModule;
  memory!: WebAssembly.Memory;
  /** Reads emscripten's shadow stack pointer (what QuickJS's stack check measures), when found. */
  stackPointer: (() => number) | null = null;
  private stackRestore: ((sp: number) => void) | null = null;
  /** The shadow stack pointer while no QuickJS call is active (the top QuickJS counts from). */
  stackTop = 0;
  /** Set when the hard memory cap refused a grow (cleared by the run that reads it). */
  growRefused = false;
  /** The host's reserve block (see HOST_RESERVE_BYTES), 0 while released. */
  reserve = 0;
  /** A 4-byte cell for QTS_ExecutePendingJob's out-parameter. */
  private jobOut = 0;
  /** The runtime whose guest code runs now: a refused grow starves it (see the grow hook). */
  activeRuntime: QuickJSRuntime | null = null;
  private snapshot: Snapshot | null = null;
  /** Set by the first run after a snapshot or restore: the next run must restore first. */
  dirty = false;
  /** Contents that do not matter (reserve, ballast): left out of snapshots but for their headers. */
  private readonly holes: Array<{ start: number; end: number }> = [];

  private constructor(private readonly maxBytes: number) {}

  static async create(wasmModule: WebAssembly.Module, maxBytes: number): Promise<Instance> {
    const instance = new Instance(maxBytes);
    await instance.instantiate(wasmModule);
    return instance;
  }

  get module(): EmscriptenModule {
    return (this.qjs as unknown as { module: EmscriptenModule }).module;
  }

  /** Bytes each restore copies (0 without a snapshot). */
  get snapshotBytes(): number {
    return this.snapshot?.size ?? 0;
  }

  private async instantiate(wasmModule: WebAssembly.Module): Promise<void> {
    const pages = Math.max(INITIAL_MEMORY / PAGE, Math.ceil(this.maxBytes / PAGE));
    const memory = new WebAssembly.Memory({ initial: INITIAL_MEMORY / PAGE, maximum: pages });
    // The emscripten glue grows this very object; a refused grow means a malloc inside QuickJS failed
    // at the hard cap. QuickJS then throws a value that may dump as null or "", so this flag is how
    // MEMORY_LIMIT is told apart from a guest that throws null.
    const grow = memory.grow.bind(memory);
    memory.grow = (delta: number) => {
      try {
        return grow(delta);
      } catch (error) {
        this.growRefused = true;
        // Inside malloc nothing may call back into the module; a plain store may: QuickJS's own
        // limit of the running runtime drops to 0, so the guest's next allocations fail at once.
        const rt = this.activeRuntime ? (this.activeRuntime as unknown as RuntimeInternals).rt.value : 0;
        if (rt) new Uint32Array(memory.buffer, rt + RT_MALLOC_LIMIT, 1)[0] = 0;
        throw error;
      }
    };
    this.memory = memory;
    let exports: WebAssembly.Exports | undefined;
    // What quickjs-emscripten's newVariant + newQuickJSWASMModuleFromVariant do, without their
    // dynamic imports, and with the instance's exports kept: emscripten's `stackSave`/`stackRestore`
    // (minified `Oa`/`Ma` in this pinned build).
    let refused!: (error: unknown) => void;
    const instantiateFailed = new Promise<never>((_, reject) => {
      refused = reject;
    });
    const loading = loadQuickJSModule({
      wasmMemory: memory,
      instantiateWasm(imports: WebAssembly.Imports, onSuccess: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) {
        void WebAssembly.instantiate(wasmModule, imports).then((instance) => {
          exports = instance.exports;
          onSuccess(instance, wasmModule);
        }, refused);
        return {};
      },
    } as never);
    // The glue waits for onSuccess forever: a refused instantiation must end the load instead.
    const emscripten = await Promise.race([loading, instantiateFailed]);
    emscripten.type = 'sync';
    this.qjs = new QuickJSWASMModule(emscripten, new QuickJSFFI(emscripten));
    this.jobOut = this.module._malloc(4);
    const save = exports?.Oa;
    const restore = exports?.Ma;
    if (typeof save === 'function' && save.length === 0) {
      const read = save as () => number;
      const top = read();
      // Sanity: a 16-byte aligned address inside linear memory, stable while idle.
      if (Number.isInteger(top) && top > 0 && top % 16 === 0 && top < memory.buffer.byteLength && read() === top) {
        this.stackPointer = read;
        this.stackTop = top;
        if (typeof restore === 'function' && restore.length === 1) this.stackRestore = restore as (sp: number) => void;
      }
    }
  }

  /**
   * Takes the reserve, and under a cap below the build's 16 MiB the part of memory the guest must not
   * reach (allocated once, never freed), so the guest's share is the same whatever its limit.
   */
  claimHostMemory(): void {
    this.reserve = this.module._malloc(HOST_RESERVE_BYTES);
    if (this.reserve) this.holes.push({ start: this.reserve, end: this.reserve + HOST_RESERVE_BYTES });
    const ballast = INITIAL_MEMORY - this.maxBytes;
    if (ballast > 0) {
      const at = this.module._malloc(ballast);
      if (at) this.holes.push({ start: at, end: at + ballast });
    }
  }

  /** Frees the host reserve after a refused grow; call only where no malloc is running. */
  releaseReserve(): void {
    if (this.growRefused && this.reserve !== 0) {
      this.module._free(this.reserve);
      this.reserve = 0;
    }
  }

  /** Takes the host reserve back once memory is free again (between runs). */
  restoreReserve(): void {
    if (this.reserve === 0) this.reserve = this.module._malloc(HOST_RESERVE_BYTES);
  }

  /**
   * Runs pending jobs of `runtime`; returns the context pointer of the last job and the value pointer
   * it returned (the caller turns it into a handle of its context). Replaces
   * `QuickJSRuntime.executePendingJobs`, which reads the job's context pointer through a typed-array
   * view made before the call: when a job grows WASM memory that view is detached, the read gives
   * `undefined`, and quickjs-emscripten-core then creates (and never frees) a context for it. Here the
   * pointer is read through a view made after the call.
   */
  executeJobs(runtime: QuickJSRuntime, max: number): { ctx: number; value: number } {
    const internals = runtime as unknown as RuntimeInternals;
    this.releaseReserve();
    new Int32Array(this.memory.buffer, this.jobOut, 1)[0] = 0;
    const value = internals.ffi.QTS_ExecutePendingJob(internals.rt.value, max, this.jobOut);
    const ctx = new Int32Array(this.memory.buffer, this.jobOut, 1)[0]!;
    if (ctx === 0) internals.ffi.QTS_FreeValuePointerRuntime(internals.rt.value, value);
    return { ctx, value };
  }

  /**
   * Saves the instance state: static data and the used heap (without the stack, whose contents are
   * dead while idle, and without the contents of the reserve and ballast). Call only while no WASM
   * call is active and nothing is running; `runtimes` are the runtimes that live in the snapshot.
   */
  takeSnapshot(runtimes: QuickJSRuntime[]): void {
    const module = this.module;
    // The heap ends where the top chunk starts: a block larger than any free fragment is cut from it.
    const probe = module._malloc(PROBE_BYTES);
    if (probe === 0) throw new Error('no memory left for the snapshot probe');
    module._free(probe);
    const end = probe + CHUNK_SLACK;
    const stackStart = this.stackTop - STACK_BYTES;
    const spans: Array<{ start: number; end: number }> = [];
    // The fast path needs the layout this pinned build has: data, then the stack, then the heap.
    if (this.stackPointer && stackStart > 0) {
      spans.push({ start: 0, end: stackStart });
      let at = this.stackTop;
      for (const hole of [...this.holes].sort((a, b) => a.start - b.start)) {
        if (hole.start < at || hole.end > end) continue;
        spans.push({ start: at, end: hole.start + CHUNK_SLACK });
        at = hole.end - CHUNK_SLACK;
      }
      spans.push({ start: at, end });
    } else {
      spans.push({ start: 0, end });
    }
    const heap = new Uint8Array(this.memory.buffer);
    const ranges = spans.filter((s) => s.end > s.start).map((s) => ({ start: s.start, bytes: heap.slice(s.start, s.end) }));
    this.snapshot = {
      ranges,
      reserve: this.reserve,
      size: ranges.reduce((n, r) => n + r.bytes.length, 0),
      hostRefs: runtimes.map((runtime) => {
        const internals = runtime as unknown as RuntimeInternals;
        const refs = internals.hostRefs;
        return {
          runtime: internals, nextId: refs.nextId, freelist: [...refs.freelist],
          groups: [...refs.groups].map(([id, group]) => [id, [...group]] as [number, Array<[number, object]>]),
        };
      }),
    };
    this.dirty = false;
  }

  /**
   * Puts the instance back into its snapshot state, bit for bit in every byte that holds state. Safe
   * after anything a run did, a trap inside the WASM included: the stack pointer is reset too, and
   * handles made since the snapshot must be forgotten, never disposed.
   */
  restore(): void {
    const snapshot = this.snapshot;
    if (!snapshot) throw new Error('restore without a snapshot');
    const heap = new Uint8Array(this.memory.buffer);
    for (const range of snapshot.ranges) heap.set(range.bytes, range.start);
    if (this.stackRestore) this.stackRestore(this.stackTop);
    for (const saved of snapshot.hostRefs) {
      const refs = saved.runtime.hostRefs;
      refs.nextId = saved.nextId;
      refs.freelist = [...saved.freelist];
      refs.groups = new Map(saved.groups.map(([id, group]) => [id, new Map(group)]));
    }
    this.reserve = snapshot.reserve;
    this.growRefused = false;
    this.activeRuntime = null;
    this.dirty = false;
  }
}

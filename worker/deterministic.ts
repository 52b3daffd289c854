/**
 * Deterministic mode of a run (request field `deterministic`): `Math.random` from the given seed, and
 * a virtual clock for `Date` and the timers. Installed by one call, {@link installDeterminism}, right
 * after the run's globals and before guest code; nothing else in the worker knows about it.
 *
 * The clock starts at `clockStart` and only moves deterministically: +1 ms per read (`Date.now()`,
 * `new Date()`), so a busy-wait ends the same way every time, and to a timer's due time when that
 * timer fires. Timers never reach the host: they wait in a queue ordered by (due time, creation
 * order), drained one at a time through promise jobs, so a run that sleeps for an hour finishes at
 * once and always in the same order. Host calls are recorded and answered by the page (src/replay/).
 */
import type { QuickJSContext, QuickJSHandle } from 'quickjs-emscripten-core';
import type { WireDeterminism } from './protocol.js';

/** Evaluated once per deterministic run; `(seed, clockStart) => void`. Plain ES2020, no guest reach. */
const SOURCE = `(function (internal) {
  'use strict';
  return function (seed, clockStart) {
    // splitmix32: four well-mixed words for the prelude's xoshiro128** from one integer seed.
    let s = seed >>> 0;
    const words = [];
    for (let i = 0; i < 4; i++) {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      words.push((z ^ (z >>> 16)) >>> 0);
    }
    internal.seed(words[0], words[1], words[2], words[3]);

    const g = globalThis;
    const RealDate = g.Date;
    const promiseThen = Promise.prototype.then;
    const resolved = Promise.resolve();
    let now = clockStart;
    const read = function () { const t = now; now += 1; return t; };
    const VirtualDate = function Date(a, b, c, d, e, f, h) {
      if (new.target === undefined) return new RealDate(read()).toString();
      const n = arguments.length;
      return n === 0 ? new RealDate(read()) : n === 1 ? new RealDate(a) : new RealDate(a, b, n > 2 ? c : 1, n > 3 ? d : 0, n > 4 ? e : 0, n > 5 ? f : 0, n > 6 ? h : 0);
    };
    Object.defineProperty(VirtualDate, 'prototype', { value: RealDate.prototype });
    VirtualDate.now = function now() { return read(); };
    VirtualDate.parse = RealDate.parse;
    VirtualDate.UTC = RealDate.UTC;
    Object.defineProperty(RealDate.prototype, 'constructor', { value: VirtualDate, writable: true, configurable: true });
    Object.defineProperty(g, 'Date', { value: VirtualDate, writable: true, configurable: true });

    let nextId = 1;
    const queue = [];
    let draining = false;
    const drain = function () {
      if (queue.length === 0) { draining = false; return; }
      let best = 0;
      for (let i = 1; i < queue.length; i++) {
        if (queue[i].at < queue[best].at || (queue[i].at === queue[best].at && queue[i].id < queue[best].id)) best = i;
      }
      const timer = queue.splice(best, 1)[0];
      if (timer.at > now) now = timer.at;
      try { timer.fn.apply(undefined, timer.args); } finally { promiseThen.call(resolved, drain); }
    };
    const setTimeoutImpl = function setTimeout(fn, ms) {
      if (typeof fn !== 'function') throw new TypeError('setTimeout expects a function');
      const args = [];
      for (let i = 2; i < arguments.length; i++) args.push(arguments[i]);
      const id = nextId++;
      const delay = +ms > 0 ? +ms : 0;
      queue.push({ id: id, at: now + delay, fn: fn, args: args });
      if (!draining) { draining = true; promiseThen.call(resolved, drain); }
      return id;
    };
    const clearTimeoutImpl = function clearTimeout(id) {
      for (let i = 0; i < queue.length; i++) if (queue[i].id === id) { queue.splice(i, 1); return; }
    };
    Object.defineProperty(g, 'setTimeout', { value: setTimeoutImpl, writable: true, configurable: true });
    Object.defineProperty(g, 'clearTimeout', { value: clearTimeoutImpl, writable: true, configurable: true });
  };
})`;

/**
 * Makes the run in `context` deterministic. `internal` is the prelude's internal object (it has
 * `seed`). Throws the guest error as a handle-free Error if the setup itself fails (out of memory).
 */
export function installDeterminism(context: QuickJSContext, internal: QuickJSHandle, det: WireDeterminism): void {
  const factory = context.unwrapResult(context.evalCode(SOURCE, 'quickcage:deterministic'));
  const handles: QuickJSHandle[] = [factory];
  try {
    const install = context.unwrapResult(context.callFunction(factory, context.undefined, internal));
    handles.push(install);
    const seed = context.newNumber(det.seed);
    const clock = context.newNumber(det.clockStart);
    handles.push(seed, clock);
    handles.push(context.unwrapResult(context.callFunction(install, context.undefined, seed, clock)));
  } finally {
    for (const h of handles) h.dispose();
  }
}

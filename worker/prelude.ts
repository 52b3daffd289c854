/**
 * Trusted JavaScript evaluated in QuickJS contexts before and around guest code.
 *
 * The core ({@link PRELUDE_SOURCE}) runs in every fresh context, so it is kept small: it captures the
 * intrinsics everything else needs into one frozen object `k` (guest code may later replace `JSON`,
 * `Object.keys` or `Array.prototype.*`), takes the raw host functions off the global object, and
 * installs `console`, timers and the taming of `eval`/`Function` and the async/generator function
 * constructors. The validator rejects the same things statically; taming is the runtime line that
 * holds when the parser is fooled.
 *
 * The rest is compiled into a context only when a run needs it, and only ever reads `k`, never a
 * global, because by then guest code may have run:
 * - {@link PRELUDE_SERIALIZE_SOURCE}: the result/argument serializer (JSON-safe values; functions,
 *   symbols, bigints, cycles, class instances fail with a path; size and depth caps abort early),
 * - {@link PRELUDE_INSPECT_SOURCE}: console formatting of objects,
 * - {@link PRELUDE_TOOLS_SOURCE}: `tools`, `fetch()` and read-only globals,
 * - {@link PRELUDE_HARDEN_SOURCE}: frozen intrinsics for sessions (at open, before guest code).
 *
 * Console text and results cross as JSON-quoted text: `getString` goes through UTF-8 and stops at
 * NUL, and quoting keeps NUL and lone surrogates intact.
 */
export const PRELUDE_SOURCE = String.raw`(function () {
  'use strict';
  const g = globalThis;
  const host = g.__qc_host;
  delete g.__qc_host;
  const hostLog = host.log, hostTimer = host.timer, hostLazy = host.lazy, hostCallRaw = host.call;
  const hostNarrow = host.narrow, hostWiden = host.widen, hostEntropy = host.entropy;
  const defineProperty = Object.defineProperty, freeze = Object.freeze, getProto = Object.getPrototypeOf;
  const apply = Reflect.apply, jsonStringify = JSON.stringify, jsonParseNative = JSON.parse, JSONObject = JSON;
  const PromiseCtor = Promise, promiseThen = Promise.prototype.then, imul = Math.imul;
  const TypeErrorCtor = TypeError, EvalErrorCtor = EvalError;

  // The guest makes the promise of each host call and timer itself; the host only keeps its
  // resolving functions (quickjs-emscripten-core's newPromise() is unsafe under memory growth).
  function hostCall(target, json) {
    return new PromiseCtor(function (resolve, reject) { hostCallRaw(target, json, resolve, reject); });
  }

  // JSON.parse / JSON.stringify recurse in C at ~5x the native stack per level that QuickJS's limit
  // counts: each call gets a bounded share of the stack from where it starts (the host lowers the
  // limit for the call and restores it after), so nesting ends as a stack overflow, not as a crash.
  function guardedJson(fn) {
    return function () {
      const previous = hostNarrow();
      try {
        return apply(fn, JSONObject, arguments);
      } finally {
        hostWiden(previous);
      }
    };
  }
  const guardedParse = guardedJson(jsonParseNative), guardedStringify = guardedJson(jsonStringify);
  const jsonMethods = {
    parse(text, reviver) { return apply(guardedParse, undefined, arguments); },
    stringify(value, replacer, space) { return apply(guardedStringify, undefined, arguments); },
  };
  defineProperty(JSONObject, 'parse', { value: jsonMethods.parse, writable: true, configurable: true, enumerable: false });
  defineProperty(JSONObject, 'stringify', { value: jsonMethods.stringify, writable: true, configurable: true, enumerable: false });

  // Math.random: xoshiro128** seeded by the host from crypto.getRandomValues (see seed below);
  // QuickJS seeds each context from the clock, so contexts made together could share a sequence.
  // Seeded on first use: a run that never calls Math.random pays nothing, and the snapshot holds the
  // generator unseeded (see unseed), so every run that starts from it asks the host for a new seed.
  let r0 = 1, r1 = 2, r2 = 3, r3 = 4, seeded = false;
  function nextRandom() {
    if (!seeded) seed(hostEntropy(), hostEntropy(), hostEntropy(), hostEntropy());
    const x = imul(r1, 5);
    const result = imul((x << 7) | (x >>> 25), 9);
    const t = r1 << 9;
    r2 ^= r0; r3 ^= r1; r1 ^= r2; r0 ^= r3; r2 ^= t; r3 = (r3 << 11) | (r3 >>> 21);
    return result >>> 0;
  }
  function seed(a, b, c, d) {
    seeded = true;
    r0 = a | 0; r1 = b | 0; r2 = c | 0; r3 = d | 0;
    if ((r0 | r1 | r2 | r3) === 0) r0 = 1;
  }
  function unseed() {
    seeded = false;
    r0 = 1; r1 = 2; r2 = 3; r3 = 4;
  }
  const mathMethods = {
    random() { return ((nextRandom() >>> 5) * 67108864 + (nextRandom() >>> 6)) / 9007199254740992; },
  };
  defineProperty(Math, 'random', { value: mathMethods.random, writable: true, configurable: true, enumerable: false });

  const k = freeze({
    g: g, hostCall: hostCall, jsonStringify: jsonStringify, jsonParse: guardedParse,
    objectKeys: Object.keys, getProto: getProto, isArray: Array.isArray,
    defineProperty: defineProperty, freeze: freeze, apply: apply,
    ObjectProto: Object.prototype, toStr: Object.prototype.toString, mathMin: Math.min,
    PromiseCtor: PromiseCtor, promiseThen: promiseThen,
    ErrorCtor: Error, TypeErrorCtor: TypeErrorCtor, numberIsFinite: Number.isFinite,
  });

  let inspect = null;
  function makeLogger(level) {
    return function () {
      let text = '';
      for (let i = 0; i < arguments.length; i++) {
        const v = arguments[i];
        const t = typeof v;
        // Strings and plain primitives inline; objects need the inspector, compiled on first use.
        const part = t === 'string' ? v : (t === 'number' || t === 'boolean' || v === undefined || v === null)
          ? ((v === 0 && 1 / v < 0) ? '-0' : '' + v)
          : (inspect || (inspect = hostLazy('inspect')))(v, 0, []);
        text += (i ? ' ' : '') + part;
      }
      hostLog(level, jsonStringify(text));
    };
  }
  const consoleObject = {
    log: makeLogger('log'), info: makeLogger('info'), warn: makeLogger('warn'),
    error: makeLogger('error'), debug: makeLogger('debug'),
  };
  defineProperty(g, 'console', { value: consoleObject, writable: true, configurable: true, enumerable: false });

  // Timers: each is one host timer; the host cancels them all when the run ends.
  let nextTimer = 1;
  const liveTimers = {};
  function setTimeoutImpl(fn, ms) {
    if (typeof fn !== 'function') throw new TypeErrorCtor('setTimeout expects a function');
    const id = nextTimer++;
    const args = [];
    for (let i = 2; i < arguments.length; i++) args[args.length] = arguments[i];
    liveTimers[id] = true;
    const timer = new PromiseCtor(function (resolve, reject) { hostTimer(id, +ms || 0, resolve, reject); });
    apply(promiseThen, timer, [function () {
      if (!liveTimers[id]) return;
      delete liveTimers[id];
      apply(fn, undefined, args);
    }]);
    return id;
  }
  function clearTimeoutImpl(id) { delete liveTimers[id]; }
  defineProperty(g, 'setTimeout', { value: setTimeoutImpl, writable: true, configurable: true });
  defineProperty(g, 'clearTimeout', { value: clearTimeoutImpl, writable: true, configurable: true });
  defineProperty(g, 'queueMicrotask', {
    value: function (fn) { apply(promiseThen, PromiseCtor.resolve(), [function () { fn(); }]); },
    writable: true, configurable: true,
  });

  /** Replaces code-compiling constructors with throwing stand-ins that keep prototype links. */
  function tame() {
    function denied(what) {
      return function () { throw new EvalErrorCtor(what + ' is disabled in this sandbox (code generation is not allowed)'); };
    }
    const evalStandIn = denied('eval');
    defineProperty(g, 'eval', { value: evalStandIn, writable: false, configurable: false });
    const kinds = [
      ['Function', function () {}],
      ['AsyncFunction', async function () {}],
      ['GeneratorFunction', function* () {}],
      ['AsyncGeneratorFunction', async function* () {}],
    ];
    for (let i = 0; i < kinds.length; i++) {
      const name = kinds[i][0];
      const proto = getProto(kinds[i][1]);
      const standIn = denied(name);
      defineProperty(standIn, 'prototype', { value: proto, writable: false, configurable: false });
      defineProperty(standIn, 'name', { value: name });
      defineProperty(proto, 'constructor', { value: standIn, writable: false, configurable: false });
      if (name === 'Function') defineProperty(g, 'Function', { value: standIn, writable: false, configurable: false });
    }
  }

  return { tame: tame, k: k, seed: seed, unseed: unseed };
})()`;

/** `(k) => serialize`: compiled into a context the first time a run needs it. */
export const PRELUDE_SERIALIZE_SOURCE = String.raw`(function (k) {
  'use strict';
  const jsonStringify = k.jsonStringify, objectKeys = k.objectKeys, getProto = k.getProto, isArray = k.isArray;
  const defineProperty = k.defineProperty, apply = k.apply, ObjectProto = k.ObjectProto, toStr = k.toStr;
  const ErrorCtor = k.ErrorCtor, numberIsFinite = k.numberIsFinite;
  /** Errors the host classifies by name; guests can build the same shape but only mislabel their own failure. */
  function cageError(code, message) {
    const e = new ErrorCtor(message);
    defineProperty(e, 'name', { value: 'QuickcageError', enumerable: false });
    defineProperty(e, 'code', { value: code, enumerable: false });
    return e;
  }

  function pathJoin(path, key) {
    return typeof key === 'number' ? path + '[' + key + ']' : path + '.' + key;
  }

  /**
   * Serializes a value to JSON text with caps. Returns undefined for undefined.
   * maxChars: cap on the text length; maxDepth: cap on nesting (STACK_OVERFLOW beyond).
   */
  function serialize(value, maxChars, maxDepth, what) {
    if (value === undefined) return undefined;
    let size = 0;
    const ancestors = [];
    let depth = 0;
    function emit(text) {
      size += text.length;
      if (size > maxChars) throw cageError('OUTPUT_TOO_LARGE', what + ' exceeds ' + maxChars + ' characters of JSON');
      return text;
    }
    function walk(v, path) {
      switch (typeof v) {
        case 'string': return emit(jsonStringify(v));
        case 'boolean': return emit(v ? 'true' : 'false');
        case 'number':
          if (!numberIsFinite(v)) throw cageError('UNSERIALIZABLE', path + ' is ' + v + ', which JSON cannot represent');
          return emit(jsonStringify(v));
        case 'undefined': throw cageError('UNSERIALIZABLE', path + ' is undefined (only the top-level result may be undefined)');
        case 'function': throw cageError('UNSERIALIZABLE', path + ' is a function, which cannot leave the sandbox');
        case 'symbol': throw cageError('UNSERIALIZABLE', path + ' is a symbol, which cannot leave the sandbox');
        case 'bigint': throw cageError('UNSERIALIZABLE', path + ' is a bigint; convert it to a string or number first');
      }
      if (v === null) return emit('null');
      for (let i = 0; i < ancestors.length; i++) {
        if (ancestors[i] === v) throw cageError('UNSERIALIZABLE', path + ' is a cycle back to ' + (i === 0 ? 'the root' : 'an ancestor'));
      }
      if (depth >= maxDepth) throw cageError('STACK_OVERFLOW', path + ' is nested deeper than ' + maxDepth + ' levels');
      ancestors[ancestors.length] = v;
      depth++;
      let out;
      if (isArray(v)) {
        out = emit('[');
        const n = v.length;
        for (let i = 0; i < n; i++) {
          if (i > 0) out += emit(',');
          const item = v[i];
          out += item === undefined ? emit('null') : walk(item, pathJoin(path, i));
        }
        out += emit(']');
      } else {
        const proto = getProto(v);
        if (proto !== ObjectProto && proto !== null) {
          const tag = apply(toStr, v, []);
          throw cageError('UNSERIALIZABLE', path + ' is ' + tag + ', not a plain object or array; convert it (e.g. Object.fromEntries, Array.from, toISOString) first');
        }
        out = emit('{');
        const keys = objectKeys(v);
        let first = true;
        for (let i = 0; i < keys.length; i++) {
          const k = keys[i];
          const item = v[k];
          if (item === undefined) continue;
          if (!first) out += emit(',');
          first = false;
          out += emit(jsonStringify(k)) + emit(':') + walk(item, pathJoin(path, k));
        }
        out += emit('}');
      }
      depth--;
      ancestors.length = ancestors.length - 1;
      return out;
    }
    return walk(value, what);
  }

  return serialize;
})`;

/** `(k) => inspect`: console formatting of non-primitive values, compiled on the first such log. */
export const PRELUDE_INSPECT_SOURCE = String.raw`(function (k) {
  'use strict';
  const jsonStringify = k.jsonStringify, objectKeys = k.objectKeys, isArray = k.isArray;
  const apply = k.apply, toStr = k.toStr, mathMin = k.mathMin, ErrorCtor = k.ErrorCtor;
  /** Human formatting for console output: never throws, bounded. */
  function inspect(v, depth, seen) {
    switch (typeof v) {
      case 'string': return depth === 0 ? v : jsonStringify(v);
      case 'function': return '[Function ' + (v.name || '(anonymous)') + ']';
      case 'symbol': return 'Symbol(' + (v.description || '') + ')';
      case 'bigint': return v + 'n';
      case 'undefined': return 'undefined';
      case 'number': return (v === 0 && 1 / v < 0) ? '-0' : '' + v;
      case 'boolean': return '' + v;
    }
    if (v === null) return 'null';
    if (depth > 4) return isArray(v) ? '[Array]' : '[Object]';
    for (let i = 0; i < seen.length; i++) if (seen[i] === v) return '[Circular]';
    seen[seen.length] = v;
    let out;
    try {
      if (v instanceof ErrorCtor) {
        out = (v.stack ? v.name + ': ' + v.message + '\n' + v.stack : v.name + ': ' + v.message);
      } else if (isArray(v)) {
        out = '[';
        const n = mathMin(v.length, 100);
        for (let i = 0; i < n; i++) out += (i ? ', ' : '') + inspect(v[i], depth + 1, seen);
        if (v.length > n) out += ', ... ' + (v.length - n) + ' more';
        out += ']';
      } else {
        const keys = objectKeys(v);
        const tag = apply(toStr, v, []);
        out = (tag === '[object Object]' ? '' : tag + ' ') + '{';
        const n = mathMin(keys.length, 100);
        for (let i = 0; i < n; i++) out += (i ? ', ' : ' ') + keys[i] + ': ' + inspect(v[keys[i]], depth + 1, seen);
        if (keys.length > n) out += ', ... ' + (keys.length - n) + ' more';
        out += (n ? ' }' : '}');
      }
    } catch (e) {
      out = '[Uninspectable]';
    }
    seen.length = seen.length - 1;
    return out;
  }

  return inspect;
})`;

export const PRELUDE_TOOLS_SOURCE = String.raw`(function (k, serialize) {
  'use strict';
  const g = k.g, hostCall = k.hostCall, jsonParse = k.jsonParse, objectKeys = k.objectKeys;
  const defineProperty = k.defineProperty, freeze = k.freeze, apply = k.apply, promiseThen = k.promiseThen, PromiseCtor = k.PromiseCtor;

  /** Promise for one host call; the host resolves with JSON text or rejects with an Error carrying code. */
  function callHost(target, arg, maxChars) {
    const json = serialize(arg === undefined ? null : arg, maxChars, 256, 'arguments of ' + target);
    return apply(promiseThen, hostCall(target, json), [function (text) {
      return text === undefined ? undefined : jsonParse(text);
    }]);
  }

  function installTools(names, maxChars) {
    const tools = {};
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      tools[name] = function (arg) { return callHost(name, arg, maxChars); };
    }
    // Configurable, so a session's later runs can install them again; writable false, so a typo cannot clobber them.
    defineProperty(g, 'tools', { value: freeze(tools), writable: false, configurable: true, enumerable: false });
    // A granted fetch tool also appears as a small fetch(): the response body is already text,
    // read under the tool's size cap on the page.
    if (tools.fetch) {
      const fetchTool = tools.fetch;
      defineProperty(g, 'fetch', {
        value: function (url, init) {
          const args = { url: '' + url };
          if (init && init.method !== undefined) args.method = ('' + init.method).toUpperCase();
          if (init && init.headers !== undefined) args.headers = init.headers;
          if (init && init.body !== undefined) args.body = '' + init.body;
          return apply(promiseThen, fetchTool(args), [function (r) {
            const response = {
              ok: r.status >= 200 && r.status < 300, status: r.status, statusText: r.statusText, url: r.url,
              headers: freeze({ get: function (name) { const v = r.headers[('' + name).toLowerCase()]; return v === undefined ? null : v; } }),
              text: function () { return PromiseCtor.resolve(r.body); },
              json: function () { return PromiseCtor.resolve(r.body).then(jsonParse); },
            };
            return freeze(response);
          }]);
        },
        writable: false, configurable: true, enumerable: false,
      });
    }
  }

  function installGlobals(json) {
    const values = jsonParse(json);
    const keys = objectKeys(values);
    for (let i = 0; i < keys.length; i++) {
      defineProperty(g, keys[i], { value: deepFreeze(values[keys[i]]), writable: false, configurable: true, enumerable: true });
    }
  }

  function deepFreeze(v) {
    if (typeof v === 'object' && v !== null) {
      freeze(v);
      const keys = objectKeys(v);
      for (let i = 0; i < keys.length; i++) deepFreeze(v[keys[i]]);
    }
    return v;
  }

  return { installTools: installTools, installGlobals: installGlobals, callHost: callHost };
})`;

/** Evaluated once when a session opens, before any guest code: freezes the shared intrinsics. */
export const PRELUDE_HARDEN_SOURCE = String.raw`(function () {
  'use strict';
  const g = globalThis;
  const freeze = Object.freeze, getProto = Object.getPrototypeOf, getOwnNames = Object.getOwnPropertyNames;
  const getOwnDesc = Object.getOwnPropertyDescriptor, ownKeys = Reflect.ownKeys;
  /** Freezes the shared intrinsics reachable from the global object (sessions: one cell cannot poison the next). */
  return function hardenIntrinsics() {
    const queue = [];
    const names = getOwnNames(g);
    for (let i = 0; i < names.length; i++) {
      const d = getOwnDesc(g, names[i]);
      if (d && 'value' in d && d.value !== g && (typeof d.value === 'function' || (typeof d.value === 'object' && d.value !== null))) queue[queue.length] = d.value;
    }
    queue[queue.length] = getProto(function* () {});
    queue[queue.length] = getProto(async function () {});
    queue[queue.length] = getProto(async function* () {});
    queue[queue.length] = getProto(getProto([][Symbol.iterator]()));
    const seen = new Set();
    while (queue.length) {
      const v = queue[queue.length - 1];
      queue.length = queue.length - 1;
      if (seen.has(v)) continue;
      seen.add(v);
      freeze(v);
      const proto = getProto(v);
      if (proto) queue[queue.length] = proto;
      const keys = ownKeys(v);
      for (let i = 0; i < keys.length; i++) {
        const d = getOwnDesc(v, keys[i]);
        if (!d) continue;
        const parts = 'value' in d ? [d.value] : [d.get, d.set];
        for (let j = 0; j < parts.length; j++) {
          const p = parts[j];
          if ((typeof p === 'object' && p !== null) || typeof p === 'function') queue[queue.length] = p;
        }
      }
    }
  };
})()`;

/**
 * Comments and indentation cost QuickJS parse time in every fresh context; none of these sources
 * has a string or regex that spans lines or holds a comment marker, so dropping them is safe.
 */
export function compact(source: string): string {
  return source
    .replace(/\/\*\*[\s\S]*?\*\//g, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('//'))
    .join('\n');
}

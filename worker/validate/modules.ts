/**
 * Trusted modules quickcage provides to guest code, by specifier, as ES module source text that
 * the engine registers with the QuickJS module loader.
 *
 * What the seeds' Python allow-list means in JavaScript. Most of it is built into the language,
 * and QuickJS has it: `json` is `JSON`, `re` is `RegExp`, `collections` is `Map`/`Set`/`Object.groupBy`,
 * `functools`/`operator` are closures, `.bind` and `Array.prototype.reduce`, `string` is
 * `String.prototype`, `datetime` is `Date` (QuickJS has no `Intl`), `math` is mostly `Math` (with
 * `Math.sumPrecise` for `fsum`). A module is provided only where the language has no equivalent:
 *
 * - `quickcage:math`: integer and comparison helpers Python has and `Math` lacks.
 * - `quickcage:random`: a *seedable* generator (`Math.random` cannot be seeded), with Python's helpers.
 * - `quickcage:statistics`: mean, median, mode, variance, quantiles, correlation, regression.
 * - `quickcage:itertools`: lazy `range`, `zip`, `product`, `combinations`, `permutations`, ...
 * - `quickcage:path`: POSIX path helpers for the file tools (importable only when a policy allows
 *   it: the `trustedEnvironment` preset does).
 *
 * The sources are trusted code, but they are written to pass the validator like guest code would
 * (a test checks that), so they hold nothing a guest could not write itself. They keep no state
 * besides `quickcage:random`'s default generator, and they never touch built-in prototypes, so
 * they work unchanged on frozen intrinsics.
 */
import type { DEFAULT_IMPORTS, OPTIONAL_IMPORTS } from './rules.js';
import { math } from './modules/math.js';
import { random } from './modules/random.js';
import { statistics } from './modules/statistics.js';
import { itertools } from './modules/itertools.js';
import { path } from './modules/path.js';

const SOURCES: Readonly<Record<(typeof DEFAULT_IMPORTS)[number] | (typeof OPTIONAL_IMPORTS)[number], string>> = {
  'quickcage:math': math,
  'quickcage:random': random,
  'quickcage:statistics': statistics,
  'quickcage:itertools': itertools,
  'quickcage:path': path,
};

/**
 * Source text of every module quickcage provides, by specifier: register all of them with the
 * QuickJS module loader. Which ones a guest may import is decided by the allow-list
 * ({@link DEFAULT_IMPORTS} plus `policy.allowedOperations.imports`), both by the validator and,
 * as a second line, by the loader itself.
 */
export const DEFAULT_MODULES: Readonly<Record<string, string>> = Object.freeze({ ...SOURCES });

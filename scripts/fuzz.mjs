// Long fuzz runs of the engine in real Chromium (issue 16): `npm run fuzz -- --minutes N [--seed S]`.
// Runs test/fuzz/fuzz.test.ts through Vitest browser mode with the duration and seed passed as
// VITE_ variables (the only ones Vite hands to browser code). Exit code: Vitest's (0: nothing found).
// A failure prints fast-check's shrunk counterexample and the seed/path to replay it; turn it into a
// regression test in test/sandbox/crashes.test.ts.
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    seed: { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});
const minutes = Number(values.minutes);
if (!Number.isFinite(minutes) || minutes <= 0 || minutes > 24 * 60) {
  console.error(`Expected \`--minutes\` to be a number of minutes from 0 to 1440, got \`${values.minutes}\``);
  process.exit(2);
}
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
if (!Number.isInteger(seed)) {
  console.error(`Expected \`--seed\` to be an integer, got \`${values.seed}\``);
  process.exit(2);
}
console.log(`fuzzing for ${minutes} min, seed ${seed}`);
const result = spawnSync('npx', [
  'vitest', 'run', 'test/fuzz/fuzz.test.ts', '--project', 'browser',
  `--testTimeout=${Math.ceil(minutes * 60_000 + 300_000)}`,
], {
  stdio: 'inherit',
  env: {
    ...process.env,
    VITE_QUICKCAGE_FUZZ_MINUTES: String(minutes),
    VITE_QUICKCAGE_FUZZ_SEED: String(seed),
    ...(values.verbose ? { VITE_QUICKCAGE_FUZZ_VERBOSE: '1' } : {}),
  },
});
process.exit(result.status ?? 1);

/**
 * The two ways the bench wires quickcage: the default sandbox, and the full pipeline the seeds use
 * (`createAuditLog()` + `createRateLimiter()` passed as `audit` and `rateLimiter`). Takes the SDK
 * module as an argument instead of importing it, so the cold row can time the import itself.
 */
import type * as Quickcage from '../../src/index.js';

/** The SDK functions the pipeline uses (the cold row imports only these). */
export type Lib = Pick<typeof Quickcage, 'createSandbox' | 'createAuditLog' | 'createRateLimiter' | 'definePolicy'>;
type SandboxOptions = NonNullable<Parameters<Lib['createSandbox']>[0]>;
type PolicyInput = Parameters<Lib['definePolicy']>[0];

/** The user every ordinary run is made as (quotas and audit records are per user). */
export const USER = 'bench-user';

/**
 * The execution quota of the full pipeline: large enough that thousands of back-to-back runs never
 * meet it (the seeds' 100 a day would end the bench after 100 runs), so every run pays for an
 * admitted quota check, never for a refusal.
 */
export const FULL_QUOTAS = { executions: { limit: 1_000_000_000, windowMs: 86_400_000 } } as const;

export interface Pipeline {
  readonly full: boolean;
  /** Options for `createSandbox` (the caller's, plus `audit`/`rateLimiter`/`policy` when full). */
  readonly options: SandboxOptions;
  /** Waits until every audit record so far is written (nothing to wait for without the audit log). */
  flush(): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * `policy` (optional) is merged into the pipeline's own policy. The audit log and the quota store use
 * their default IndexedDB names, as `createAuditLog()` and `createRateLimiter({ policy })` do in an
 * app; every (row, peer) pair runs in a fresh browser context, so each row starts from empty stores.
 */
export function pipeline(lib: Lib, full: boolean, options: SandboxOptions = {}, policy: PolicyInput = {}): Pipeline {
  if (!full) {
    const withPolicy = Object.keys(policy).length ? { ...options, policy: lib.definePolicy(policy) } : options;
    return { full, options: withPolicy, flush: async () => undefined, dispose: async () => undefined };
  }
  const merged = lib.definePolicy({ ...policy, quotas: FULL_QUOTAS });
  const audit = lib.createAuditLog();
  const rateLimiter = lib.createRateLimiter({ policy: merged });
  return {
    full,
    options: { ...options, policy: merged, audit, rateLimiter },
    async flush() {
      await audit.flush();
    },
    async dispose() {
      await rateLimiter.dispose();
      await audit.dispose();
    },
  };
}

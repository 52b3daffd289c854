// Compiled by every supported TypeScript (scripts/package-checks.mjs) against the INSTALLED package
// under `strict` and `skipLibCheck: false`: the public declarations must type-check as users get them.
import {
  createAuditLog,
  createRateLimiter,
  createSandbox,
  definePolicy,
  isSandboxError,
  type ErrorCode,
  type Policy,
  type RunOutput,
  type SandboxOptions,
  type PermissionPolicy,
  type ToolRegistry,
} from 'quickcage';
import { createCodeTool, type CodeTool, type ModelResult } from 'quickcage/agent';

const policy: Policy = definePolicy({ limits: { timeoutMs: 500 } }, 'webApi');
const options: SandboxOptions = { policy, audit: createAuditLog(), rateLimiter: createRateLimiter() };

export async function main(): Promise<number> {
  await using sandbox = createSandbox(options);
  try {
    const out: RunOutput = await sandbox.run('1 + 1', { user: 'u' });
    return typeof out.value === 'number' ? out.value : 0;
  } catch (error) {
    if (isSandboxError(error)) {
      const code: ErrorCode = error.code;
      return code.length;
    }
    throw error;
  }
}

/** The agent subpath's types resolve without any agent SDK and compose with the main entry's. */
export async function codeToolFor(sandbox: ReturnType<typeof createSandbox>, registry: ToolRegistry, agent: PermissionPolicy): Promise<ModelResult> {
  const tool: CodeTool = createCodeTool({ sandbox, registry, agent });
  return tool.execute({ code: '1 + 1' });
}

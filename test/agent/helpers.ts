/**
 * One agent world for the adapter tests: a file system with a knowledge base, an app tool that needs a
 * person's approval (decided by the test through `answer`), an event tap, a sandbox bound to the
 * agent, and the code tool over all of it. Everything is real: workers, QuickJS, IndexedDB-free
 * in-memory approvals.
 */
import { createSandbox, definePolicy, type Sandbox } from '../../src/index.js';
import { Permission, createApprovalManager, createToolRegistry, defineTool, definePermissionPolicy, type ApprovalAnswer, type ApprovalRequest, type Tool } from '../../src/index.js';
import type { SecurityEventInput } from '../../src/audit/types.js';
import { createCodeTool, createEventTap, type CodeStep, type CodeTool, type CodeToolOptions } from '../../src/agent/index.js';

export interface World {
  sandbox: Sandbox;
  codeTool: CodeTool;
  /** Every event the sandbox and the tools recorded (forwarded through the tap). */
  audit: SecurityEventInput[];
  /** Approval requests, in order, with the answer given. */
  asked: ApprovalRequest[];
  /** Answer to the next approval requests (default approve). */
  answer: { next: ApprovalAnswer };
  /** Emails the approval-gated tool "sent". */
  sent: { to: string; subject: string }[];
  steps: CodeStep[];
  [Symbol.asyncDispose](): Promise<void>;
}

export const KB: Record<string, string> = {
  '/kb/returns.md': 'Returns are accepted within 30 days with a receipt.\nRefunds take 5 business days.',
  '/kb/shipping.md': 'Orders ship within 2 days.',
};

/** The app tool of the tests: needs approval for every call. */
export function emailTool(sent: { to: string; subject: string }[]): Tool<{ to: string; subject: string }> {
  return defineTool<{ to: string; subject: string }>({
    name: 'sendEmail',
    description: 'Sends an email to a customer.',
    permission: Permission.SEND_EMAIL,
    params: {
      type: 'object',
      properties: { to: { type: 'string', pattern: '^[^@]+@[^@]+$', description: 'Recipient address.' }, subject: { type: 'string', minLength: 1 } },
      required: ['to', 'subject'],
      additionalProperties: false,
    },
    requiresApproval: true,
    handler: ({ to, subject }) => {
      sent.push({ to, subject });
      return { sent: true };
    },
  });
}

/** Builds the world; `extra` adds tools (e.g. imported MCP tools) and code-tool options. */
export async function createWorld(extra: { tools?: Tool<never>[]; codeTool?: Partial<CodeToolOptions>; permissions?: number } = {}): Promise<World> {
  const policy = definePolicy({ allowedOperations: { fileOperations: true, networkOperations: false, imports: [] }, files: { allowedPaths: ['/kb'] } }, 'webApi');
  const asked: ApprovalRequest[] = [];
  const answer = { next: 'approve' as ApprovalAnswer };
  const sent: { to: string; subject: string }[] = [];
  const audit: SecurityEventInput[] = [];
  const tap = createEventTap({ record: (e) => void audit.push(e) });
  const approvals = createApprovalManager({
    storage: 'memory',
    sink: tap.sink,
    onApproval: (request) => {
      asked.push(request);
      return answer.next;
    },
  });
  const registry = createToolRegistry({ policy, tools: [emailTool(sent) as unknown as Tool<never>, ...(extra.tools ?? [])], approvals });
  for (const [path, text] of Object.entries(KB)) await registry.fileSystem!.writeFile(path, text);
  const agent = definePermissionPolicy({
    agent: 'support',
    permissions: extra.permissions ?? (Permission.READ_FILE | Permission.SEND_EMAIL | Permission.DATABASE_READ),
    allowedPaths: ['/kb'],
  });
  const sandbox = createSandbox({ policy, tools: registry.forAgent(agent, { sink: tap.sink }), audit: tap.sink });
  const steps: CodeStep[] = [];
  const codeTool = createCodeTool({ sandbox, registry, agent, user: 'alice', events: tap, onStep: (s) => void steps.push(s), ...extra.codeTool });
  return {
    sandbox, codeTool, audit, asked, answer, sent, steps,
    async [Symbol.asyncDispose]() {
      approvals.close();
      await sandbox.dispose();
    },
  };
}

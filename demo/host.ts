/**
 * The playground's host side: the seeded virtual file system, the local handler that answers the
 * demo API host (so the fetch tool works offline and never touches the network), and the app tool
 * `sendEmail`, which needs a person's approval and only ever writes to an in-page outbox.
 */
import { Permission, defineTool, type Tool, type VirtualFileSystem } from '../src/index.js';

/** The one host the playground's fetch handler answers. */
export const DEMO_HOST = 'api.demo.test';

/** Files the playground starts with. `/secret` lies outside every allowed path on purpose. */
export const SEED_FILES: Readonly<Record<string, string>> = {
  '/workspace/orders.csv': 'id,customer,amount\n1001,ada,42.50\n1002,grace,17.25\n1003,alan,99.00\n',
  '/workspace/notes.md': '# Notes\n\nThe agent may read and write files under /workspace only.\n',
  '/secret/api-keys.txt': 'PAYMENTS_KEY=sk_live_do_not_leak\n',
};

/** Writes the seed files (host privileges: the VFS itself does not confine, the tools do). */
export async function seedFiles(fs: VirtualFileSystem): Promise<void> {
  for (const [path, content] of Object.entries(SEED_FILES)) await fs.writeFile(path, content);
}

/** Every file under `dir`, depth first, as the host sees them. */
export async function listTree(fs: VirtualFileSystem, dir = '/'): Promise<{ path: string; size: number }[]> {
  const out: { path: string; size: number }[] = [];
  for (const entry of await fs.listDir(dir)) {
    const path = dir === '/' ? `/${entry.name}` : `${dir}/${entry.name}`;
    if (entry.type === 'directory') out.push(...(await listTree(fs, path)));
    else out.push({ path, size: entry.size });
  }
  return out;
}

/** Routes of the demo API, for the Tools panel. */
export const DEMO_ROUTES: readonly { path: string; what: string }[] = [
  { path: '/weather?city=Oslo', what: 'JSON weather for a city' },
  { path: '/orders/123456', what: 'JSON status of an order' },
  { path: '/redirect', what: '302 to https://evil.example/ (the tool re-checks every hop)' },
];

const json = (status: number, body: unknown): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** Deterministic pseudo-temperature so the same city always gives the same answer. */
function temperatureOf(city: string): number {
  let n = 0;
  for (const ch of city.toLowerCase()) n = (n * 31 + ch.charCodeAt(0)) % 997;
  return (n % 35) - 5;
}

/**
 * The `fetchImpl` of the playground's tool registry. The fetch tool has already checked the URL
 * against the policy and the agent before it calls this; answering only {@link DEMO_HOST} here, and
 * refusing everything else, keeps the playground offline even if the policy allowed another host.
 */
export const demoFetch: typeof fetch = async (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (init?.signal?.aborted) throw new DOMException('aborted', 'AbortError');
  if (url.hostname !== DEMO_HOST) {
    throw new TypeError(`playground: only ${DEMO_HOST} is answered, locally; nothing goes to the network`);
  }
  const method = init?.method ?? 'GET';
  if (url.pathname === '/weather' && method === 'GET') {
    const city = url.searchParams.get('city') ?? 'Oslo';
    return json(200, { city, celsius: temperatureOf(city), conditions: ['sunny', 'cloudy', 'rain'][city.length % 3] });
  }
  const order = /^\/orders\/(\d{6})$/.exec(url.pathname);
  if (order && method === 'GET') return json(200, { id: order[1], status: 'shipped', eta: 'Friday' });
  if (url.pathname === '/redirect') return new Response(null, { status: 302, headers: { location: 'https://evil.example/' } });
  return json(404, { error: `no route ${method} ${url.pathname}` });
};

/** One email the playground "sent" (kept in memory; nothing is sent anywhere). */
export interface OutboxEntry {
  id: string;
  to: string;
  subject: string;
  body: string;
  user: string | undefined;
  at: number;
}

/** Creates the approval-gated email tool writing to `outbox`; `onSent` runs after each send. */
export function createEmailTool(outbox: OutboxEntry[], onSent: () => void): Tool<{ to: string; subject: string; body: string }> {
  return defineTool<{ to: string; subject: string; body: string }>({
    name: 'sendEmail',
    description: 'Sends an email. A person approves every call; the playground only puts it in its outbox.',
    permission: Permission.SEND_EMAIL,
    params: {
      type: 'object',
      properties: {
        to: { type: 'string', pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$', maxLength: 254 },
        subject: { type: 'string', minLength: 1, maxLength: 200 },
        body: { type: 'string', maxLength: 10_000 },
      },
      required: ['to', 'subject', 'body'],
      additionalProperties: false,
    },
    requiresApproval: true,
    handler: async ({ to, subject, body }, ctx) => {
      const entry: OutboxEntry = { id: crypto.randomUUID().slice(0, 8), to, subject, body, user: ctx.user, at: Date.now() };
      outbox.unshift(entry);
      onSent();
      return { sent: true, id: entry.id, to };
    },
  });
}

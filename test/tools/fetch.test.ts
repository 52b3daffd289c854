/**
 * The fetch tool. Real platform fetch against the test server's own origin (allowed domain
 * `localhost:<port>`); never the internet. Redirects and streams that a static server cannot produce
 * come from an injected `fetchImpl` that wraps the real one.
 */
import { describe, expect, test } from 'vitest';
import { Permission, definePermissionPolicy } from '../../src/tools/permissions.js';
import { createToolRegistry } from '../../src/tools/registry.js';
import { outcomes, probe, makePolicy } from './helpers.js';

const origin = location.origin; // http://localhost:<vitest port>
const host = location.host;
const HELLO = `${origin}/test/tools/fixtures/hello.txt`;
const BIG = `${origin}/test/tools/fixtures/big.txt`;

// The test server is plain http on localhost: the default policy (https only) must allow loopback http.
const policyFor = (network: { maxResponseBytes?: number; timeoutMs?: number } = {}) =>
  makePolicy({ allowedOperations: { networkOperations: true }, network: { allowedDomains: [host], allowHttp: 'loopback', ...network } });
const agent = definePermissionPolicy({ agent: 'analyst', permissions: Permission.STANDARD, allowedDomains: [host] });

/** A fetch that records every request and answers from `route` first, the real network otherwise. */
function recordingFetch(route: (url: string, init: RequestInit) => Response | Promise<Response> | undefined = () => undefined) {
  const calls: { url: string; init: RequestInit }[] = [];
  const impl = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = String(input);
    calls.push({ url, init });
    return (await route(url, init)) ?? fetch(input, init);
  };
  return { impl: impl as typeof fetch, calls };
}

const redirect = (status: number, location: string) => new Response(null, { status, headers: { location } });

describe('fetch tool', () => {
  test('fetches an allowed URL with the platform fetch and returns status, headers and text', async () => {
    const registry = createToolRegistry({ policy: policyFor() });
    const { ctx, events } = probe(agent);
    const result = await registry.invoke('fetch', { url: HELLO }, ctx);
    expect(result).toMatchObject({ status: 200, statusText: 'OK', url: HELLO, body: 'hello from the fixture\n' });
    expect((result as { headers: Record<string, string> }).headers['content-type']).toMatch(/^text\/plain/);
    expect(outcomes(events)).toEqual([['ok', 'low']]);
  });

  test('a 404 is a result, not a failure', async () => {
    const registry = createToolRegistry({ policy: policyFor() });
    await expect(registry.invoke('fetch', { url: `${origin}/test/tools/fixtures/none.txt` }, probe(agent).ctx)).resolves.toMatchObject({ status: 404 });
  });

  test('sends no cookies, no referrer, and never lets the browser follow redirects', async () => {
    const { impl, calls } = recordingFetch();
    const registry = createToolRegistry({ policy: policyFor(), fetchImpl: impl });
    await registry.invoke('fetch', { url: HELLO, headers: { accept: 'text/plain' } }, probe(agent).ctx);
    expect(calls[0]!.init).toMatchObject({ method: 'GET', credentials: 'omit', redirect: 'manual', referrerPolicy: 'no-referrer', cache: 'no-store', mode: 'cors', headers: { accept: 'text/plain' } });
  });

  test.each([
    [`http://127.0.0.1:${location.port}/test/tools/fixtures/hello.txt`, 'url.host-not-allowed'], // same server, other host name
    [`http://localhost:${Number(location.port) + 1}/`, 'url.port-not-allowed'],
    [`http://${host}@evil.example/`, 'url.userinfo'],
    ['http://0x7f.1/', 'url.ip-notation'],
    ['http://2130706433/', 'url.ip-notation'],
    ['http://[::ffff:127.0.0.1]/', 'url.ip-notation'],
    [`http://localhost.:${location.port}/`, 'url.trailing-dot'],
    ['javascript:alert(1)', 'url.scheme'],
    ['data:text/plain,hi', 'url.scheme'],
    ['file:///etc/passwd', 'url.scheme'],
    [`blob:${origin}/00000000-0000-4000-8000-000000000000`, 'url.scheme'],
  ])('denies %j with %s before any request is made', async (url, rule) => {
    const { impl, calls } = recordingFetch();
    const registry = createToolRegistry({ policy: policyFor(), fetchImpl: impl });
    const { ctx, events } = probe(agent);
    await expect(registry.invoke('fetch', { url }, ctx)).rejects.toMatchObject({ code: 'TOOL_DENIED', details: { rule } });
    expect(calls).toHaveLength(0);
    expect(outcomes(events)).toEqual([['denied', 'high']]);
  });

  test('network.allowHttp: never (the default) denies plain http with url.insecure-scheme before any request; loopback allows loopback http', async () => {
    const { impl, calls } = recordingFetch();
    const strict = makePolicy({ allowedOperations: { networkOperations: true }, network: { allowedDomains: [host] } });
    expect(strict.network.allowHttp).toBe('never');
    const { ctx, events } = probe(agent);
    await expect(createToolRegistry({ policy: strict, fetchImpl: impl }).invoke('fetch', { url: HELLO }, ctx)).rejects.toMatchObject({ code: 'TOOL_DENIED', details: { rule: 'url.insecure-scheme', by: 'policy' } });
    expect(calls).toHaveLength(0);
    expect(outcomes(events)).toEqual([['denied', 'medium']]);
    expect(policyFor().network.allowHttp).toBe('loopback');
    await expect(createToolRegistry({ policy: policyFor() }).invoke('fetch', { url: HELLO }, probe(agent).ctx)).resolves.toMatchObject({ status: 200 });
  });

  test('an agent with allowHttp: never is refused http even where the sandbox policy allows it', async () => {
    const httpsOnly = definePermissionPolicy({ agent: 'tls', permissions: Permission.NETWORK_ACCESS, allowedDomains: [host], allowHttp: 'never' });
    await expect(createToolRegistry({ policy: policyFor() }).invoke('fetch', { url: HELLO }, probe(httpsOnly).ctx)).rejects.toMatchObject({ code: 'TOOL_DENIED', details: { rule: 'url.insecure-scheme', by: 'agent' } });
    expect(() => definePermissionPolicy({ agent: 'x', permissions: 1, allowHttp: 'sometimes' as never })).toThrow(expect.objectContaining({ code: 'INVALID_POLICY', message: expect.stringContaining("Expected `allowHttp` to be one of 'never', 'loopback', 'always', got `\"sometimes\"`") }));
  });

  test('the presets say which schemes they allow', async () => {
    const { PRESETS } = await import('../../src/policy.js');
    expect([PRESETS.webApi.network.allowHttp, PRESETS.trustedEnvironment.network.allowHttp, PRESETS.development.network.allowHttp]).toEqual(['never', 'loopback', 'always']);
  });

  test('the agent domain list and the policy domain list must both allow the host', async () => {
    const registry = createToolRegistry({ policy: policyFor() });
    const elsewhere = definePermissionPolicy({ agent: 'elsewhere', permissions: Permission.NETWORK_ACCESS, allowedDomains: ['api.example.com'] });
    await expect(registry.invoke('fetch', { url: HELLO }, probe(elsewhere).ctx)).rejects.toMatchObject({ code: 'TOOL_DENIED', details: { by: 'agent', rule: 'url.host-not-allowed' } });
    const noNet = definePermissionPolicy({ agent: 'offline', permissions: Permission.READONLY, allowedDomains: [host] });
    await expect(registry.invoke('fetch', { url: HELLO }, probe(noNet).ctx)).rejects.toMatchObject({ code: 'TOOL_DENIED', details: { rule: 'permission.missing' } });
  });

  describe('redirects', () => {
    test('follows a redirect to an allowed URL, re-checking the hop', async () => {
      const { impl, calls } = recordingFetch((url) => (url.endsWith('/start') ? redirect(302, '/test/tools/fixtures/hello.txt') : undefined));
      const registry = createToolRegistry({ policy: policyFor(), fetchImpl: impl });
      await expect(registry.invoke('fetch', { url: `${origin}/start` }, probe(agent).ctx)).resolves.toMatchObject({ status: 200, url: HELLO, body: 'hello from the fixture\n' });
      expect(calls.map((c) => c.url)).toEqual([`${origin}/start`, HELLO]);
    });

    test.each([
      ['https://evil.example/steal', 'url.host-not-allowed'],
      ['http://0x7f.1/', 'url.ip-notation'],
      [`http://${host}@evil.example/`, 'url.userinfo'],
      ['javascript:alert(1)', 'url.scheme'],
      ['file:///etc/passwd', 'url.scheme'],
    ])('denies a redirect to %j with %s and never requests it', async (target, rule) => {
      const { impl, calls } = recordingFetch((url) => (url.endsWith('/start') ? redirect(307, target) : undefined));
      const registry = createToolRegistry({ policy: policyFor(), fetchImpl: impl });
      await expect(registry.invoke('fetch', { url: `${origin}/start` }, probe(agent).ctx)).rejects.toMatchObject({ code: 'TOOL_DENIED', details: { rule } });
      expect(calls).toHaveLength(1);
    });

    test('denies a redirect chain that leaves the allowed domains on a later hop', async () => {
      const { impl, calls } = recordingFetch((url) =>
        url.endsWith('/a') ? redirect(301, '/b') : url.endsWith('/b') ? redirect(302, 'https://evil.example/') : undefined,
      );
      const registry = createToolRegistry({ policy: policyFor(), fetchImpl: impl });
      await expect(registry.invoke('fetch', { url: `${origin}/a` }, probe(agent).ctx)).rejects.toMatchObject({ code: 'TOOL_DENIED', details: { rule: 'url.host-not-allowed' } });
      expect(calls.map((c) => new URL(c.url).pathname)).toEqual(['/a', '/b']);
    });

    test('stops after maxRedirects hops', async () => {
      const { impl, calls } = recordingFetch(() => redirect(302, '/loop'));
      const registry = createToolRegistry({ policy: policyFor(), fetchImpl: impl, maxRedirects: 3 });
      await expect(registry.invoke('fetch', { url: `${origin}/loop` }, probe(agent).ctx)).rejects.toMatchObject({ code: 'TOOL_FAILED', details: { reason: 'too-many-redirects' } });
      expect(calls).toHaveLength(4);
    });

    test('303 turns a POST into a GET without body; 307 keeps both', async () => {
      const { impl, calls } = recordingFetch((url) => (url.endsWith('/303') ? redirect(303, '/test/tools/fixtures/hello.txt') : url.endsWith('/307') ? redirect(307, '/echo') : url.endsWith('/echo') ? new Response('echo') : undefined));
      const registry = createToolRegistry({ policy: policyFor(), fetchImpl: impl });
      await registry.invoke('fetch', { url: `${origin}/303`, method: 'POST', body: 'data' }, probe(agent).ctx);
      expect([calls[1]!.init.method, calls[1]!.init.body]).toEqual(['GET', undefined]);
      await registry.invoke('fetch', { url: `${origin}/307`, method: 'POST', body: 'data' }, probe(agent).ctx);
      expect([calls[3]!.init.method, calls[3]!.init.body]).toEqual(['POST', 'data']);
    });
  });

  describe('response size cap', () => {
    test('a declared Content-Length over the cap fails before reading', async () => {
      const registry = createToolRegistry({ policy: policyFor({ maxResponseBytes: 1000 }) });
      await expect(registry.invoke('fetch', { url: BIG }, probe(agent).ctx)).rejects.toMatchObject({ code: 'TOOL_FAILED', details: { reason: 'too-large', limit: 1000 } });
    });

    test('a body at the cap is returned whole', async () => {
      const registry = createToolRegistry({ policy: policyFor({ maxResponseBytes: 2048 }) });
      await expect(registry.invoke('fetch', { url: BIG }, probe(agent).ctx)).resolves.toMatchObject({ status: 200 });
    });

    test('an endless body without Content-Length is cut off while streaming, and the stream is cancelled', async () => {
      let pulls = 0;
      let cancelled = false;
      const endless = () =>
        new Response(
          new ReadableStream<Uint8Array>({
            pull(controller) {
              pulls++;
              controller.enqueue(new Uint8Array(100).fill(120));
            },
            cancel() {
              cancelled = true;
            },
          }),
        );
      const { impl } = recordingFetch(endless);
      const registry = createToolRegistry({ policy: policyFor({ maxResponseBytes: 1000 }), fetchImpl: impl });
      await expect(registry.invoke('fetch', { url: `${origin}/endless` }, probe(agent).ctx)).rejects.toMatchObject({ code: 'TOOL_FAILED', details: { reason: 'too-large' } });
      expect(cancelled).toBe(true);
      expect(pulls).toBeLessThan(20);
    });

    test('multi-byte characters split across chunks decode correctly', async () => {
      const bytes = new TextEncoder().encode('héllo wörld');
      const split = () =>
        new Response(
          new ReadableStream<Uint8Array>({
            start(controller) {
              controller.enqueue(bytes.slice(0, 2)); // ends inside é
              controller.enqueue(bytes.slice(2));
              controller.close();
            },
          }),
        );
      const registry = createToolRegistry({ policy: policyFor(), fetchImpl: recordingFetch(split).impl });
      await expect(registry.invoke('fetch', { url: `${origin}/split` }, probe(agent).ctx)).resolves.toMatchObject({ body: 'héllo wörld' });
    });
  });

  test('times out a request that never answers', async () => {
    const hang = (_url: string, init: RequestInit) =>
      new Promise<Response>((_, reject) => init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    const registry = createToolRegistry({ policy: policyFor({ timeoutMs: 30 }), fetchImpl: recordingFetch(hang).impl });
    await expect(registry.invoke('fetch', { url: `${origin}/hang` }, probe(agent).ctx)).rejects.toMatchObject({ code: 'TOOL_FAILED', details: { reason: 'timeout' } });
  });

  test('aborting the run aborts the request with ABORTED', async () => {
    const hang = (_url: string, init: RequestInit) =>
      new Promise<Response>((_, reject) => init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    const registry = createToolRegistry({ policy: policyFor(), fetchImpl: recordingFetch(hang).impl });
    const { ctx, controller } = probe(agent);
    const pending = registry.invoke('fetch', { url: `${origin}/hang` }, ctx);
    setTimeout(() => controller.abort(), 0);
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
  });

  test('a network error is TOOL_FAILED', async () => {
    const registry = createToolRegistry({ policy: policyFor(), fetchImpl: recordingFetch(() => Promise.reject(new TypeError('Failed to fetch'))).impl });
    await expect(registry.invoke('fetch', { url: HELLO }, probe(agent).ctx)).rejects.toMatchObject({ code: 'TOOL_FAILED', details: { reason: 'network' } });
  });

  test.each([
    [{ url: HELLO, body: 'x' }, 'args.body'],
    [{ url: HELLO, method: 'HEAD', body: 'x' }, 'args.body'],
    [{ url: HELLO, method: 'CONNECT' }, 'args.method'],
    [{ url: 42 }, 'args.url'],
    [{}, 'args'],
  ])('rejects the arguments %j naming `%s`', async (args, field) => {
    const registry = createToolRegistry({ policy: policyFor() });
    await expect(registry.invoke('fetch', args, probe(agent).ctx)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field });
  });
});

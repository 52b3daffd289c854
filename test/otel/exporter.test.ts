/**
 * quickcage/otel without a collector: the mapping of audit events to OTLP log records (encoded by
 * OpenTelemetry's JSON serializer and read back by the receiver's validator), and the exporter's
 * input checks. Delivery, retries, reloads and the outbox cap run against a real receiver in
 * test/e2e/otel.spec.ts.
 */
import { describe, expect, test } from 'vitest';
import type { AuditEvent } from '../../src/audit/index.js';
import { isSandboxError } from '../../src/errors.js';
import { OTEL_SEVERITY, createOtlpExporter, encodeLogsRequest, toOtlpRecord } from '../../src/otel/index.js';
import { validateLogsRequest } from './validate-otlp.mjs';

const event = (over: Partial<AuditEvent> = {}): AuditEvent => ({
  seq: 7, id: '6f1c1f55-0000-4000-8000-000000000007', time: 1_767_225_600_123, type: 'sandbox_violation', severity: 'high',
  count: 1, rank: 7, user: 'alice@example.com', tool: 'fetch', runId: 'run-1', codeHash: 'c'.repeat(64),
  details: { code: 'TOOL_DENIED', nested: { list: [1, 'two', true], ratio: 0.5 } }, prevHash: '0'.repeat(64), hash: 'a'.repeat(64), ...over,
});
const source = { resource: { 'service.name': 'app', 'deployment.environment.name': 'test' }, scope: { name: 'quickcage', version: '0.1.0' } };
const decode = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes));
const attrs = (list: Array<{ key: string; value: Record<string, unknown> }>) => Object.fromEntries(list.map((kv) => [kv.key, kv.value]));

describe('OTLP mapping', () => {
  test('an audit event becomes one log record with event.name, log.record.uid, severity and the user', () => {
    const body = decode(encodeLogsRequest([toOtlpRecord(event(), 'plain', 1_767_225_600_200)], source));
    expect(validateLogsRequest(body).problems).toEqual([]);
    const [resourceLogs] = body.resourceLogs;
    expect(attrs(resourceLogs.resource.attributes)).toEqual({ 'service.name': { stringValue: 'app' }, 'deployment.environment.name': { stringValue: 'test' } });
    const [record] = resourceLogs.scopeLogs[0].logRecords;
    expect(record).toMatchObject({
      timeUnixNano: '1767225600123000000', observedTimeUnixNano: '1767225600200000000',
      severityNumber: 17, severityText: 'high', eventName: 'quickcage.sandbox_violation',
    });
    expect(attrs(record.attributes)).toMatchObject({
      'event.name': { stringValue: 'quickcage.sandbox_violation' },
      'log.record.uid': { stringValue: '6f1c1f55-0000-4000-8000-000000000007' },
      'user.id': { stringValue: 'alice@example.com' },
      'quickcage.tool': { stringValue: 'fetch' },
      'quickcage.run_id': { stringValue: 'run-1' },
      'quickcage.seq': { intValue: 7 },
    });
    expect(record.body.kvlistValue.values.find((kv: { key: string }) => kv.key === 'code').value).toEqual({ stringValue: 'TOOL_DENIED' });
  });

  test('an observe-mode check is flagged quickcage.observed; an ordinary event is not', () => {
    expect(toOtlpRecord(event({ details: { observed: true, outcome: 'observed' } }), 'plain', 0).attributes['quickcage.observed']).toBe(true);
    expect(toOtlpRecord(event(), 'plain', 0).attributes['quickcage.observed']).toBeUndefined();
  });

  test('severities map to the OpenTelemetry ranges INFO, WARN, ERROR, FATAL', () => {
    expect(OTEL_SEVERITY).toEqual({ low: 9, medium: 13, high: 17, critical: 21 });
  });

  test('the user id can be omitted or replaced by what the app computes', () => {
    const omitted = toOtlpRecord(event(), 'omit', 0);
    expect(omitted.attributes['user.id']).toBeUndefined();
    const hashed = toOtlpRecord(event(), (id) => `h:${id.length}`, 0);
    expect(hashed.attributes['user.id']).toBe('h:17');
  });

  test('an event without details has an empty body, still valid OTLP', () => {
    const { details: _details, ...bare } = event();
    const body = decode(encodeLogsRequest([toOtlpRecord(bare as AuditEvent, 'plain', 1_767_225_600_200)], source));
    expect(validateLogsRequest(body).problems).toEqual([]);
  });
});

describe('createOtlpExporter input checks', () => {
  const rejects = (options: unknown, field: string) => {
    try {
      createOtlpExporter(options as never);
    } catch (error) {
      expect(isSandboxError(error) && error.code).toBe('INVALID_ARGUMENT');
      expect((error as { field?: string }).field ?? (error as Error).message).toContain(field);
      return;
    }
    throw new Error(`accepted ${JSON.stringify(options)}`);
  };

  test.each([
    [{}, 'options.url'],
    [{ url: 'ftp://collector.example/v1/logs' }, 'options.url'],
    [{ url: 'https://user:secret@collector.example/v1/logs' }, 'options.url'],
    [{ url: '/v1/logs' }, 'options.url'],
    [{ url: 'https://c.example/v1/logs', batchSize: 0 }, 'options.batchSize'],
    [{ url: 'https://c.example/v1/logs', maxOutbox: 1.5 }, 'options.maxOutbox'],
    [{ url: 'https://c.example/v1/logs', retry: { initialMs: 1000, maxMs: 10 } }, 'options.retry.maxMs'],
    [{ url: 'https://c.example/v1/logs', user: 'md5' }, 'options.user'],
    [{ url: 'https://c.example/v1/logs', resource: { n: Number.NaN } }, 'options.resource.n'],
    [{ url: 'https://c.example/v1/logs', headers: { 'bad header': 'x' } }, 'options.headers.bad header'],
    [{ url: 'https://c.example/v1/logs', collector: 'x' }, 'options.collector'],
    [{ url: 'https://c.example/v1/logs', log: {} }, 'options.log'],
  ])('rejects %j naming %s', (options, field) => rejects(options, field));

  test('accepts a plain https collector (near miss of the rejections) and releases it on dispose', async () => {
    const exporter = createOtlpExporter({ url: 'https://collector.example/v1/logs', indexedDB: null, lifecycle: false, user: 'sha256' });
    await exporter.ready;
    expect(exporter.storage).toBe('memory');
    await exporter.dispose();
    expect(() => exporter.enqueue([])).toThrow(/disposed/);
  });
});

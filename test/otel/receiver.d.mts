/** Types of receiver.mjs (the local OTLP/HTTP logs receiver), for test/e2e/otel.spec.ts. */
export interface ReceivedRecord {
  uid: string;
  eventName: string;
  severityNumber: number;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
}
export interface ReceiverState {
  mode: 'up' | 'failing';
  received: Map<string, number>;
  records: ReceivedRecord[];
  problems: string[];
  requests: { ok: number; failed: number; invalid: number; preflight: number };
  contentTypes: Set<string | undefined>;
}
export interface Receiver {
  url: string;
  state: ReceiverState;
  setMode(mode: 'up' | 'failing'): void;
  close(): Promise<void>;
  reopen(): Promise<void>;
}
export function startReceiver(port?: number): Promise<Receiver>;
export { validateLogsRequest } from './validate-otlp.mjs';

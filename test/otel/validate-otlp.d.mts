/** Types of validate-otlp.mjs. */
import type { ReceivedRecord } from './receiver.mjs';
export function validateLogsRequest(body: unknown): { problems: string[]; records: ReceivedRecord[] };

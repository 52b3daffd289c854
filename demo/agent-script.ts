/**
 * The offline agent: a scripted "model" that replays one multi-step task deterministically, so the
 * Agent tab works with no network. It reads each typed result as a real model would and reacts:
 * read a file, call the fetch tool, send an email (a person approves or denies it), write a report
 * with code the validator rejects, fix it, and answer from what actually happened.
 */
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { ModelResult } from '../src/agent/index.js';
import { DEMO_HOST } from './host.js';
import type { AgentModel, ModelTurn } from './agent-loop.js';

/** The task the script performs (shown as the user's message). */
export const SCRIPTED_TASK = 'Summarise our orders, check order 123456 and the weather in Oslo, email Ada the summary, and save a report.';

/** The programs, in order; the tests and the docs refer to them by step. */
export const SCRIPT_PROGRAMS = {
  readFile: `const csv = await tools.readFile({ path: '/workspace/orders.csv' });
const rows = csv.trim().split('\\n').slice(1).map((line) => line.split(','));
({ orders: rows.length, total: rows.reduce((sum, r) => sum + Number(r[2]), 0) })`,
  fetch: `const [order, weather] = await Promise.all([
  tools.fetch({ url: 'https://${DEMO_HOST}/orders/123456' }),
  tools.fetch({ url: 'https://${DEMO_HOST}/weather?city=Oslo' }),
]);
({ order: JSON.parse(order.body), weather: JSON.parse(weather.body) })`,
  email: (summary: string) => `await tools.sendEmail({
  to: 'ada@example.com',
  subject: 'Orders and order 123456',
  body: ${JSON.stringify(summary)},
})`,
  rejected: `const line = new Function('o', 'return "- " + o.id + ": " + o.status');
await tools.writeFile({ path: '/workspace/report.md', content: '# Report\\n' + line({ id: '123456', status: 'shipped' }) })`,
  fixed: (summary: string) => `const line = (o) => '- ' + o.id + ': ' + o.status;
await tools.writeFile({ path: '/workspace/report.md', content: '# Report\\n' + line({ id: '123456', status: 'shipped' }) + '\\n' + ${JSON.stringify(summary)} + '\\n' })`,
};

let callCounter = 0;
const call = (code: string) => ({ id: `script_${++callCounter}`, type: 'function' as const, function: { name: 'run_code', arguments: JSON.stringify({ code }) } });

/** Results the model has read so far, parsed. */
function results(messages: readonly ChatCompletionMessageParam[]): ModelResult[] {
  return messages.filter((m) => m.role === 'tool').map((m) => JSON.parse(String(m.content)) as ModelResult);
}

interface Facts {
  orders?: number;
  total?: number;
  status?: string;
  eta?: string;
  celsius?: number;
}

/** Streams `text` word by word through `onText`, yielding between words like a network stream would. */
async function stream(text: string, onText: (delta: string) => void, signal: AbortSignal): Promise<void> {
  for (const piece of text.match(/\S+\s*/g) ?? []) {
    signal.throwIfAborted();
    onText(piece);
    await new Promise((resolve) => setTimeout(resolve, 8));
  }
}

/** The scripted model. */
export function createScriptedModel(): AgentModel {
  return {
    label: 'scripted agent (offline)',
    async next(messages, _tools, onText, signal) {
      const seen = results(messages);
      const last = seen.at(-1);
      const facts: Facts = {};
      const first = seen[0];
      if (first?.ok) Object.assign(facts, first.value as Facts);
      const fetched = seen[1];
      if (fetched?.ok) {
        const v = fetched.value as { order: { status: string; eta: string }; weather: { celsius: number } };
        Object.assign(facts, { status: v.order.status, eta: v.order.eta, celsius: v.weather.celsius });
      }
      const summary = `${facts.orders} orders, ${facts.total?.toFixed(2)} EUR in total. Order 123456 is ${facts.status} (ETA ${facts.eta}). Oslo: ${facts.celsius} °C.`;
      const say = async (text: string, code?: string): Promise<ModelTurn> => {
        await stream(text, onText, signal);
        return { content: text, toolCalls: code === undefined ? [] : [call(code)] };
      };
      // Stages 0-2 must succeed for the task to make sense; stage 3 expects the rejection.
      const stage = seen.length;
      if (last !== undefined && !last.ok && stage !== 3 && stage !== 4) {
        return say(`I have to stop: ${last.error.code}. ${last.error.message}`);
      }
      switch (stage) {
        case 0:
          return say('First I read the orders file and add it up.', SCRIPT_PROGRAMS.readFile);
        case 1:
          return say('Now order 123456 and the weather in Oslo, from the demo API, with the fetch tool.', SCRIPT_PROGRAMS.fetch);
        case 2:
          return say('Emailing Ada the summary. This tool needs your approval.', SCRIPT_PROGRAMS.email(summary));
        case 3:
          return say(last?.ok ? 'Sent. Now I save a report.' : 'You denied the email, so I will not send it. Now I save a report.', SCRIPT_PROGRAMS.rejected);
        case 4:
          if (last?.ok || last?.error.code !== 'VALIDATION_REJECTED') return say(`Unexpected result: ${JSON.stringify(last)}`);
          return say(`The sandbox rejected my program (${last.error.code}: ${last.error.message}). Rewriting it without \`new Function\`.`, SCRIPT_PROGRAMS.fixed(summary));
        default: {
          const emailed = seen[2]?.ok ? 'I emailed Ada the summary' : 'I did not email Ada: the approval was denied';
          return say(`Done. ${summary} ${emailed}, and saved the report to /workspace/report.md.`);
        }
      }
    },
  };
}

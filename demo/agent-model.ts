/**
 * "Connect a model": any OpenAI-compatible chat-completions endpoint (a local Ollama or LM Studio
 * server, or a hosted API), through the `openai` SDK with streaming. The key lives in this object
 * only: never written to storage, sent only to the base URL the person typed.
 */
import OpenAI from 'openai';
import type { AgentModel } from './agent-loop.js';

/** Connection settings, from the form. */
export interface ModelSettings {
  baseURL: string;
  model: string;
  /** Optional: local servers need none. */
  apiKey: string;
}

/** The system message for connected models. */
export const SYSTEM_PROMPT = [
  'You are an agent in the quickcage playground.',
  'To act, call the run_code tool with a short JavaScript program; it runs in a sandbox and may call the host API declared in the tool description.',
  'Return JSON data from programs, read the result, and when a result says ok: false follow its hint.',
  'When the task is done, answer in plain text.',
].join(' ');

/**
 * Checks the settings: an http(s) base URL and a model name.
 * @throws {Error} naming the field.
 */
export function checkSettings(settings: ModelSettings): ModelSettings {
  let url: URL;
  try {
    url = new URL(settings.baseURL.trim());
  } catch {
    throw new Error(`Base URL: expected an http(s) URL such as http://127.0.0.1:11434/v1, got "${settings.baseURL}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`Base URL: expected http: or https:, got ${url.protocol}`);
  if (settings.model.trim() === '') throw new Error('Model: enter the model name the server knows (for Ollama, e.g. qwen2.5-coder)');
  return { baseURL: url.href.replace(/\/$/, ''), model: settings.model.trim(), apiKey: settings.apiKey };
}

/** A connected model. */
export function createConnectedModel(settings: ModelSettings): AgentModel {
  const { baseURL, model, apiKey } = checkSettings(settings);
  // The SDK refuses to run in a browser unless told: here the person supplies their own key for
  // their own endpoint, which is exactly the case the flag exists for.
  const client = new OpenAI({ baseURL, apiKey: apiKey === '' ? 'not-needed' : apiKey, dangerouslyAllowBrowser: true, maxRetries: 0 });
  return {
    label: `${model} at ${new URL(baseURL).host}`,
    async next(messages, tools, onText, signal) {
      const stream = client.chat.completions.stream(
        { model, messages: [{ role: 'system', content: SYSTEM_PROMPT }, ...messages], tools },
        { signal },
      );
      stream.on('content', (delta) => onText(delta));
      const completion = await stream.finalChatCompletion();
      const message = completion.choices[0]?.message;
      return {
        content: message?.content ?? '',
        toolCalls: (message?.tool_calls ?? []).filter((c) => c.type === 'function'),
      };
    },
  };
}

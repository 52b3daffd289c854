/**
 * The playground's agent loop, in the OpenAI chat format: ask the model, show its text as it streams,
 * run each of its code-tool calls in the sandbox (an approval pauses right here, inside the call,
 * until the person decides), append the typed results, and go again until it answers in text.
 * The model is either the offline script (agent-script.ts) or a connected endpoint (agent-model.ts).
 */
import type { ChatCompletionMessageParam, ChatCompletionMessageToolCall, ChatCompletionTool } from 'openai/resources/chat/completions';
import type { CodeTool } from '../src/agent/index.js';
import { runOpenAIToolCalls, toOpenAITool } from '../src/agent/openai.js';

/** One model turn: its text and the tool calls it made. */
export interface ModelTurn {
  content: string;
  toolCalls: ChatCompletionMessageToolCall[];
}

/** What the loop needs of a model. */
export interface AgentModel {
  readonly label: string;
  /** The next turn; calls `onText` with each piece of text as it arrives. */
  next(messages: readonly ChatCompletionMessageParam[], tools: ChatCompletionTool[], onText: (delta: string) => void, signal: AbortSignal): Promise<ModelTurn>;
}

/** What the loop reports to the page (steps themselves come from the code tool's `onStep`). */
export interface LoopEvents {
  turnStarted(): void;
  text(delta: string): void;
  turnEnded(turn: ModelTurn): void;
}

/** Why the loop stopped. */
export type LoopEnd = 'answered' | 'max-rounds';

/**
 * Runs the loop on `messages` (mutated: the conversation grows) until the model answers without tool
 * calls, or `maxRounds` turns. Rejects when the model fails or `signal` aborts.
 */
export async function runAgentLoop(options: {
  model: AgentModel;
  codeTool: CodeTool;
  messages: ChatCompletionMessageParam[];
  events: LoopEvents;
  signal: AbortSignal;
  maxRounds?: number;
}): Promise<LoopEnd> {
  const { model, codeTool, messages, events, signal, maxRounds = 8 } = options;
  const tools = [toOpenAITool(codeTool)];
  for (let round = 0; round < maxRounds; round++) {
    signal.throwIfAborted();
    events.turnStarted();
    const turn = await model.next(messages, tools, (delta) => events.text(delta), signal);
    events.turnEnded(turn);
    messages.push({ role: 'assistant', content: turn.content === '' ? null : turn.content, ...(turn.toolCalls.length > 0 ? { tool_calls: turn.toolCalls } : {}) });
    if (turn.toolCalls.length === 0) return 'answered';
    messages.push(...(await runOpenAIToolCalls(codeTool, turn.toolCalls, { signal })));
  }
  return 'max-rounds';
}

/**
 * The benches' instant model: answers at once, so every microsecond measured
 * is the runtime's. Planner: dispatches tasks 1..tasks one at a time, then
 * finishes. Actor: `steps` calls of one tool (update_progress by default),
 * then its report.
 */
import type { ChatModel, ChatRequest, ChatResponse } from '../../contracts/llm.js';
import { PLANNER_SCHEMA_NAME } from '../../src/aime/planner.js';
import type { ModelSet } from '../../src/runtime/models.js';

const USAGE = { promptTokens: 1, completionTokens: 1, totalTokens: 2 };
const PROGRESS = { name: 'update_progress', arguments: '{"status":"in_progress","message":"step"}' };

export interface InstantOptions {
  steps: number;
  tasks?: number;
  /** The tool the actor calls each step. */
  tool?: { name: string; arguments: string };
}

export class InstantModel implements ChatModel {
  readonly id = 'instant';
  constructor(private readonly o: InstantOptions) {}

  async complete(req: ChatRequest): Promise<ChatResponse> {
    const tasks = this.o.tasks ?? 1;
    if (req.responseFormat?.name === PLANNER_SCHEMA_NAME) {
      const done = (req.messages[1]!.content.match(/^- \[x\]/gm) ?? []).length;
      const list = Array.from({ length: tasks }, (_, i) => ({ id: String(i + 1), title: `T${i + 1}`, status: 'pending', criteria: '', children: [] }));
      const action = done < tasks ? { type: 'dispatch', taskIds: [String(done + 1)] } : { type: 'finish', answer: 'ok' };
      return this.reply(JSON.stringify({ rationale: 'next', tasks: list, action }));
    }
    const made = req.messages.filter((m) => m.role === 'assistant').length;
    if (made < this.o.steps) return { ...this.reply(''), toolCalls: [{ id: `c${made}`, ...(this.o.tool ?? PROGRESS) }] };
    return this.reply('{"status":"completed","summary":"done","references":[]}');
  }

  private reply(content: string): ChatResponse {
    return { content, toolCalls: [], usage: USAGE, finishReason: 'stop', model: this.id };
  }
}

/** Every role on one instant model. */
export function instantModels(o: InstantOptions): ModelSet {
  const m = new InstantModel(o);
  return { planner: m, actorFor: () => m, reflection: m, chat: m, describe: () => ({ provider: 'bench', model: 'instant', offline: false }) };
}

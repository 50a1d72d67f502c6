/**
 * Shared pieces of the team tests: agent and team builders, a model that
 * answers by function and records what it saw, and a gate that holds model
 * calls to measure how many run at once without any timing.
 */
import { z } from 'zod';
import type { ChatModel, ChatRequest, ChatResponse, ToolCall } from '../../contracts/llm.js';
import type { AgentTools } from '../../src/teams/effects.js';
import type { AgentDef, TeamDef, WorkflowNode } from '../../contracts/teams/types.js';
import type { Tool } from '../../src/tools/types.js';

export const USAGE = { promptTokens: 3, completionTokens: 2, totalTokens: 5 };

export function agent(name: string, instruction: string, extra: Partial<AgentDef> = {}): AgentDef {
  return { name, instruction, role: 'actor', generation: {}, tools: [], max_steps: 5, ...extra };
}

export const step = (agentName: string): WorkflowNode => ({ type: 'agent', agent: agentName });
export const seq = (...steps: WorkflowNode[]): WorkflowNode => ({ type: 'sequential', steps });
export const par = (...steps: WorkflowNode[]): WorkflowNode => ({ type: 'parallel', steps });

/** generator -> critic: the critic reads {draft}. */
export function generatorCritic(extra: Partial<TeamDef> = {}): TeamDef {
  return {
    agents: {
      generator: agent('generator', 'Write a draft for the request.', { output_key: 'draft', generation: { temperature: 0.7 } }),
      critic: agent('critic', 'Review this draft: {draft}', { output_key: 'review' }),
    },
    workflow: seq(step('generator'), step('critic')),
    primary: 'generator',
    components: { generator: ['instruction'], critic: [] },
    share_session: true,
    ...extra,
  };
}

export const systemOf = (r: ChatRequest) => r.messages.find((m) => m.role === 'system')?.content ?? '';
export const userOf = (r: ChatRequest) => r.messages.find((m) => m.role === 'user')?.content ?? '';

export type Reply = string | { content?: string; toolCalls?: ToolCall[]; usage?: ChatResponse['usage'] };

/** A ChatModel answering with fn(request); records requests. */
export class FnModel implements ChatModel {
  readonly requests: ChatRequest[] = [];
  constructor(
    private readonly fn: (req: ChatRequest, index: number) => Reply | Promise<Reply>,
    readonly id = 'fn',
  ) {}
  async complete(req: ChatRequest): Promise<ChatResponse> {
    const index = this.requests.length;
    this.requests.push(req);
    const r = await this.fn(req, index);
    const reply = typeof r === 'string' ? { content: r } : r;
    return {
      content: reply.content ?? '',
      toolCalls: reply.toolCalls ?? [],
      usage: reply.usage ?? USAGE,
      finishReason: reply.toolCalls?.length ? 'tool_calls' : 'stop',
      model: this.id,
    };
  }
}

/** Replies by which agent is asking: the first system-prompt fragment that matches picks the reply. */
export function byAgent(replies: Record<string, (req: ChatRequest) => Reply>): FnModel {
  return new FnModel((req) => {
    const system = systemOf(req);
    for (const [fragment, reply] of Object.entries(replies)) if (system.includes(fragment)) return reply(req);
    throw new Error(`no scripted reply for system prompt: ${system.slice(0, 80)}`);
  });
}

/**
 * Holds every call until `width` calls wait (or every call still to come
 * waits), then lets them all go: the most calls ever in flight is then
 * exactly the system's concurrency, with no timers involved.
 */
export class GateModel implements ChatModel {
  readonly id = 'gate';
  inFlight = 0;
  maxInFlight = 0;
  private waiting: (() => void)[] = [];
  private finished = 0;
  constructor(
    private readonly width: number,
    private readonly total: number,
    private readonly reply: (req: ChatRequest) => string = () => 'ok',
  ) {}
  async complete(req: ChatRequest): Promise<ChatResponse> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      if (this.waiting.length >= Math.min(this.width, this.total - this.finished)) {
        const go = this.waiting;
        this.waiting = [];
        for (const g of go) g();
      }
    });
    this.inFlight--;
    this.finished++;
    return { content: this.reply(req), toolCalls: [], usage: USAGE, finishReason: 'stop', model: 'gate' };
  }
}

/** A bundle with one harmless tool, `note(text)`, that answers `noted: <text>`. */
export function noteTools(): AgentTools {
  const note: Tool<{ text: string }> = {
    name: 'note',
    description: 'Write a note.',
    parameters: z.object({ text: z.string() }),
    sideEffect: false,
    run: async ({ text }) => ({ ok: true, output: `noted: ${text}` }),
  };
  return { bundles: new Map([['notes', { name: 'notes', description: 'notes', tools: [note] }]]), workspace: process.cwd() };
}

/** Deep-freezes a value: any later mutation throws (the test modules are strict). */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

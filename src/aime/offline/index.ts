/**
 * The embedded offline model: a deterministic, rule-based ChatModel that
 * understands the prompts GEPA-AIME itself writes (planner, actors,
 * reflection, chat). It needs no server, calls the real tools through native
 * tool calls, and says plainly that it is not a language model.
 */
import { estimateUsage } from '../../llm/scripted.js';
import type { ChatModel, ChatRequest, ChatResponse } from '../../../contracts/llm.js';
import { PLANNER_SCHEMA_NAME } from '../planner.js';
import { nextMove, readActorPrompt } from './actorPolicy.js';
import { decide, OFFLINE_NOTICE, readPlannerPrompt } from './plannerPolicy.js';
import { reflect } from './reflection.js';
import { isTeamAgentRequest, offlineTeamAgent } from './teamAgent.js';
import { GENERATOR_SCHEMA_NAME, RUBRIC_SCHEMA_NAME, VERDICT_SCHEMA_NAME } from '../../../contracts/judge.js';
import { offlineGoals } from './generator.js';
import { offlineRubric, offlineVerdict } from './judge.js';
import { lessonTerms } from './lessons.js';

export const OFFLINE_MODEL_NAME = 'gepa-aime-offline';

/** The embedded offline model: deterministic rules that understand GEPA-AIME's own prompts and call the real tools. Not a language model; every report it produces says so. */
export class OfflineModel implements ChatModel {
  readonly id = `offline:${OFFLINE_MODEL_NAME}`;

  async complete(request: ChatRequest): Promise<ChatResponse> {
    const prompt = request.messages.map((m) => m.content).join('\n');
    const lastUser = [...request.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
    const firstUser = request.messages.find((m) => m.role === 'user')?.content ?? '';

    if (isTeamAgentRequest(request)) return this.respond(prompt, offlineTeamAgent(request));
    if (request.responseFormat?.name === PLANNER_SCHEMA_NAME) {
      const system = request.messages.find((m) => m.role === 'system')?.content ?? '';
      return this.respond(prompt, JSON.stringify(decide(readPlannerPrompt(firstUser), lessonTerms(system))));
    }
    if (request.responseFormat?.name === VERDICT_SCHEMA_NAME) return this.respond(prompt, offlineVerdict(firstUser));
    if (request.responseFormat?.name === RUBRIC_SCHEMA_NAME) return this.respond(prompt, offlineRubric(firstUser));
    if (request.responseFormat?.name === GENERATOR_SCHEMA_NAME) return this.respond(prompt, offlineGoals(firstUser));
    if (request.tools?.length) {
      const move = nextMove(
        readActorPrompt(
          request.messages,
          request.tools.map((t) => t.name),
        ),
      );
      if ('report' in move) return this.respond(prompt, JSON.stringify(move.report));
      const step = request.messages.filter((m) => m.role === 'assistant').length;
      const toolCalls = move.calls.map((c, i) => ({ id: `offline_${step}_${i}`, name: c.name, arguments: JSON.stringify(c.args) }));
      return this.respond(prompt, '', toolCalls);
    }
    if (request.purpose?.includes('reflection')) return this.respond(prompt, reflect(lastUser));
    return this.respond(prompt, chatReply(lastUser));
  }

  private respond(prompt: string, content: string, toolCalls: ChatResponse['toolCalls'] = []): ChatResponse {
    return {
      content,
      toolCalls,
      usage: estimateUsage(prompt, content + toolCalls.map((c) => c.arguments).join('')),
      finishReason: toolCalls.length ? 'tool_calls' : 'stop',
      model: OFFLINE_MODEL_NAME,
    };
  }
}

function chatReply(text: string): string {
  const said = text.trim().replace(/\s+/g, ' ').slice(0, 200);
  return [
    `You said: "${said}".`,
    'I am the embedded offline model: I cannot hold a conversation, but I can run goals on this workspace with real tools.',
    'Type /goal <what you want done>, or point GEPA-AIME at a vLLM or OpenAI-compatible server (see config/model_config.yaml) for real chat.',
    OFFLINE_NOTICE,
  ].join('\n');
}

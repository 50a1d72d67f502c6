/**
 * A server handler that plays GEPA-AIME's planner and actor over the wire,
 * for end-to-end runs against the fake vLLM: the planner dispatches task 1,
 * then finishes once it has a report; the actor lists the workspace with
 * `list_dir`, then reports. `firstActorCall` lets a test make the actor's
 * first tool call malformed or name an unknown tool.
 */
import type { ServerReply, ServerToolCall, SeenRequest } from './vllmServer.js';
import { purposeOf } from './vllmServer.js';

export const PLAN = [{ id: '1', title: 'List the workspace', status: 'pending', criteria: 'the files at the root are named', children: [] }];

export function agentHandler(opts: { firstActorCall?: ServerToolCall } = {}) {
  return (req: SeenRequest): ServerReply => {
    const messages: { role: string; content: string | null }[] = req.body.messages ?? [];
    if (purposeOf(req) === 'planner') {
      const user = messages.find((m) => m.role === 'user')?.content ?? '';
      const reported = user.includes('"taskId":"1"');
      return {
        content: JSON.stringify(
          reported
            ? { rationale: 'Task 1 reported.', tasks: PLAN, action: { type: 'finish', answer: 'The workspace was listed.' } }
            : { rationale: 'One step suffices.', tasks: PLAN, action: { type: 'dispatch', taskIds: ['1'] } },
        ),
      };
    }
    if (purposeOf(req) === 'actor') {
      const observations = messages.filter((m) => m.role === 'tool').map((m) => m.content ?? '');
      if (observations.length === 0) return { content: 'Let me look.', toolCalls: [opts.firstActorCall ?? { name: 'list_dir', arguments: { path: '.' } }] };
      const last = observations[observations.length - 1]!;
      if (/not valid JSON|unknown tool/.test(last)) return { toolCalls: [{ name: 'list_dir', arguments: { path: '.' } }] };
      return { content: JSON.stringify({ status: 'completed', summary: `Listed: ${last.replace(/\s+/g, ' ').slice(0, 200)}`, references: [] }) };
    }
    return { content: 'ok' };
  };
}

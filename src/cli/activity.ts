/**
 * What the run is doing right now, for the status line and --verbose logs:
 * which model call is in flight (planner thinking, actor N step k), which
 * tool an actor asked for, and retries with their reason and wait. It only
 * observes the models; it never changes a request or a response.
 */
import type { ChatModel, ChatRequest, ModelError } from '../../contracts/llm.js';

export type ActivityEvent =
  | { kind: 'model-start'; who: string; at: number }
  | { kind: 'model-end'; who: string; at: number; ms: number; tools: string[]; error?: string }
  | { kind: 'retry'; who: string; at: number; attempt: number; of: number; reason: string; delayMs: number };

/** "planner", "actor 2 step 3", "chat": who is asking, from the request's purpose and call id. */
export function whoIsAsking(request: Pick<ChatRequest, 'purpose' | 'callId'>): string {
  const actor = /^actor:([^@#]+)(?:@[^#]*)?#(\d+)/.exec(request.callId ?? '');
  if (actor) return `actor ${actor[1]} step ${Number(actor[2]) + 1}`;
  if (request.purpose === 'planner') return 'planner';
  return request.purpose ?? 'model';
}

/** The short reason of a model error: the text after the "where" prefix the provider puts first. */
export function shortReason(error: Pick<ModelError, 'message'>): string {
  const text = error.message.replace(/\s+/g, ' ').trim();
  // The provider starts with where it was talking to: `vllm model "m" at http://…: ` or `… GET http://…: `.
  const reason = text.replace(/^[\s\S]*?\b(?:at|GET) https?:\/\/\S+: /, '').replace(/\s*\(gave up after \d+ attempts\)$/, '');
  return reason.length > 80 ? `${reason.slice(0, 79)}…` : reason;
}

export class Activity {
  private readonly listeners = new Set<(event: ActivityEvent) => void>();
  /** The caller of the retry hook is the provider, which does not say which call retries: the latest in flight does. */
  private readonly inFlight: string[] = [];

  constructor(
    private readonly maxRetries: number,
    private readonly now: () => number = Date.now,
  ) {}

  on(listener: (event: ActivityEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The provider's onRetry hook. */
  readonly onRetry = (info: { attempt: number; delayMs: number; error: ModelError }): void => {
    const who = this.inFlight[this.inFlight.length - 1] ?? 'model';
    this.emit({ kind: 'retry', who, at: this.now(), attempt: info.attempt, of: this.maxRetries, reason: shortReason(info.error), delayMs: info.delayMs });
  };

  wrap(model: ChatModel): ChatModel {
    return {
      id: model.id,
      complete: async (request) => {
        const who = whoIsAsking(request);
        const start = this.now();
        this.inFlight.push(who);
        this.emit({ kind: 'model-start', who, at: start });
        try {
          const response = await model.complete(request);
          // Tool names come from the model: shown as text, and short.
          const tools = response.toolCalls.map((c) => (c.name.length > 40 ? `${c.name.slice(0, 39)}…` : c.name));
          this.emit({ kind: 'model-end', who, at: this.now(), ms: this.now() - start, tools });
          return response;
        } catch (err) {
          this.emit({ kind: 'model-end', who, at: this.now(), ms: this.now() - start, tools: [], error: shortReason(err as ModelError) });
          throw err;
        } finally {
          this.inFlight.splice(this.inFlight.lastIndexOf(who), 1);
        }
      },
    };
  }

  private emit(event: ActivityEvent): void {
    for (const l of this.listeners) l(event);
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** What the status line shows, given the latest event and the time now (so waits tick). */
export function describeActivity(event: ActivityEvent, now: number): string {
  switch (event.kind) {
    case 'model-start': {
      const doing = event.who === 'planner' ? 'planner thinking' : event.who;
      return `${doing}: waiting for the model for ${seconds(now - event.at)}`;
    }
    case 'model-end':
      if (event.error) return `${event.who}: the model failed: ${event.error}`;
      if (event.tools.length) return `${event.who}: calling tool ${event.tools.join(', ')}`;
      return `${event.who}: the model answered in ${seconds(event.ms)}`;
    case 'retry': {
      const left = Math.max(0, event.delayMs - (now - event.at));
      return `${event.who}: retry ${event.attempt}/${event.of} after "${event.reason}" in ${seconds(left)}`;
    }
  }
}

/** The same as a log line for --verbose (no ticking: said once, when it happens). */
export function logLine(event: ActivityEvent): string {
  switch (event.kind) {
    case 'model-start':
      return event.who === 'planner' ? 'planner: thinking (waiting for the model)' : `${event.who}: waiting for the model`;
    case 'model-end':
      if (event.error) return `${event.who}: the model failed after ${seconds(event.ms)}: ${event.error}`;
      return `${event.who}: the model answered in ${seconds(event.ms)}${event.tools.length ? `; calling tool ${event.tools.join(', ')}` : ''}`;
    case 'retry':
      return `${event.who}: retry ${event.attempt}/${event.of} after "${event.reason}" in ${seconds(event.delayMs)}`;
  }
}

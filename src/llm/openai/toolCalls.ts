/**
 * Tool calls in OpenAI wire format, streamed and not. In a stream each call
 * arrives as fragments in `delta.tool_calls[]`, keyed by `index`: the id and
 * name first, then the arguments text in pieces. Arguments are kept as raw
 * text: the runtime turns broken JSON into an observation for the model.
 */
import type { ToolCall } from '../../../contracts/llm.js';

interface Partial {
  id: string;
  name: string;
  args: string[];
}

export class ToolCallAssembler {
  private readonly calls = new Map<number, Partial>();

  /** Merge one chunk's `delta.tool_calls` (anything else is ignored, never thrown on). */
  add(deltas: unknown): void {
    if (!Array.isArray(deltas)) return;
    deltas.forEach((delta: unknown, position) => {
      if (!isObject(delta)) return;
      // Servers always send index; fall back to the array position if one does not.
      const index = typeof delta.index === 'number' && Number.isInteger(delta.index) ? delta.index : position;
      let call = this.calls.get(index);
      if (!call) {
        call = { id: '', name: '', args: [] };
        this.calls.set(index, call);
      }
      if (typeof delta.id === 'string' && delta.id && !call.id) call.id = delta.id;
      const fn = isObject(delta.function) ? delta.function : undefined;
      if (fn && typeof fn.name === 'string' && fn.name) {
        // Some servers repeat the name on every fragment; a different piece is a continuation.
        if (call.name !== fn.name) call.name += fn.name;
      }
      if (fn && typeof fn.arguments === 'string') call.args.push(fn.arguments);
    });
  }

  get size(): number {
    return this.calls.size;
  }

  /** The calls in index order; a call the server sent without an id gets a stable one. */
  result(): ToolCall[] {
    return [...this.calls.entries()].sort(([a], [b]) => a - b).map(([index, c]) => ({ id: c.id || `call_${index}`, name: c.name, arguments: c.args.join('') }));
  }
}

/** `message.tool_calls` of a non-streamed reply. Arguments given as an object (some servers) are serialised. */
export function toolCallsFromMessage(value: unknown): ToolCall[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((raw: unknown, index): ToolCall[] => {
    if (!isObject(raw) || !isObject(raw.function)) return [];
    const args = raw.function.arguments;
    return [
      {
        id: typeof raw.id === 'string' && raw.id ? raw.id : `call_${index}`,
        name: typeof raw.function.name === 'string' ? raw.function.name : '',
        arguments: typeof args === 'string' ? args : args === undefined ? '' : JSON.stringify(args),
      },
    ];
  });
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

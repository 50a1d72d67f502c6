/**
 * An incremental Server-Sent Events decoder. Bytes arrive in arbitrary
 * chunks: a chunk may end inside a UTF-8 character, a `data:` line or a CRLF
 * pair, so text is decoded with `stream: true` and only complete lines are
 * interpreted. It never throws on content; the one error it raises is a
 * ModelError('protocol') when a line or event grows past a size cap, which
 * keeps a broken server from filling memory.
 */
import { ModelError } from '../../../contracts/llm.js';

export interface SseEvent {
  /** The `event:` field; "message" when absent, as the SSE spec says. */
  event: string;
  /** The `data:` lines of the event joined with "\n". */
  data: string;
}

/** Bigger than any sane chunk of a chat stream; a protection, not a limit anyone should meet. */
export const MAX_SSE_EVENT_CHARS = 16 * 1024 * 1024;

export class SseDecoder {
  // fatal:false: invalid UTF-8 becomes U+FFFD instead of throwing.
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });
  private buffer = '';
  private data: string[] = [];
  private dataChars = 0;
  private eventName = '';
  private ended = false;

  /** Feed bytes; returns the events completed by them (possibly none). */
  push(chunk: Uint8Array): SseEvent[] {
    if (this.ended) return [];
    this.buffer += this.decoder.decode(chunk, { stream: true });
    return this.drain(false);
  }

  /** End of input: flush the decoder and dispatch a last event that lacked its blank line. */
  end(): SseEvent[] {
    if (this.ended) return [];
    this.buffer += this.decoder.decode();
    const events = this.drain(true);
    if (this.buffer.length) events.push(...this.line(this.buffer));
    this.buffer = '';
    const last = this.dispatch();
    if (last) events.push(last);
    this.ended = true;
    return events;
  }

  private drain(final: boolean): SseEvent[] {
    const events: SseEvent[] = [];
    let start = 0;
    for (;;) {
      const lf = this.buffer.indexOf('\n', start);
      const cr = this.buffer.indexOf('\r', start);
      if (lf < 0 && cr < 0) break;
      const end = lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
      let next = end + 1;
      if (this.buffer[end] === '\r') {
        // A CR at the very end may be the first half of a CRLF split across chunks.
        if (end === this.buffer.length - 1 && !final) break;
        if (this.buffer[end + 1] === '\n') next = end + 2;
      }
      events.push(...this.line(this.buffer.slice(start, end)));
      start = next;
    }
    this.buffer = this.buffer.slice(start);
    if (this.buffer.length > MAX_SSE_EVENT_CHARS) throw tooBig();
    return events;
  }

  private line(line: string): SseEvent[] {
    if (line === '') {
      const event = this.dispatch();
      return event ? [event] : [];
    }
    if (line.startsWith(':')) return []; // comment / keep-alive
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      this.dataChars += value.length + 1;
      if (this.dataChars > MAX_SSE_EVENT_CHARS) throw tooBig();
      this.data.push(value);
    } else if (field === 'event') {
      this.eventName = value;
    }
    // id and retry are irrelevant to a single request/response stream.
    return [];
  }

  private dispatch(): SseEvent | null {
    const hadData = this.data.length > 0;
    const event = { event: this.eventName || 'message', data: this.data.join('\n') };
    this.data = [];
    this.dataChars = 0;
    this.eventName = '';
    return hadData ? event : null;
  }
}

function tooBig(): ModelError {
  return new ModelError(`the server sent a stream event larger than ${MAX_SSE_EVENT_CHARS} characters; not an OpenAI-compatible stream`, 'protocol');
}

/** Decode a whole byte stream given as chunks (tests, replays). */
export function decodeSse(chunks: Iterable<Uint8Array>): SseEvent[] {
  const decoder = new SseDecoder();
  const events: SseEvent[] = [];
  for (const chunk of chunks) events.push(...decoder.push(chunk));
  events.push(...decoder.end());
  return events;
}

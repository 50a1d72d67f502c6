import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSse, SseDecoder, MAX_SSE_EVENT_CHARS } from '../../src/llm/openai/sse.js';
import { StreamReader } from '../../src/llm/openai/responses.js';
import { ModelError } from '../../contracts/llm.js';

const enc = (s: string) => new TextEncoder().encode(s);

/** Split bytes at the given cut points. */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(bytes.slice(prev, p));
    prev = p;
  }
  out.push(bytes.slice(prev));
  return out;
}

describe('SseDecoder', () => {
  it('decodes data events, joins multi-line data, skips comments and reads event names', () => {
    const events = decodeSse([enc(': keep-alive\n\ndata: {"a":1}\n\nevent: ping\ndata: one\ndata: two\n\n')]);
    expect(events).toEqual([
      { event: 'message', data: '{"a":1}' },
      { event: 'ping', data: 'one\ntwo' },
    ]);
  });

  it('accepts CRLF and bare CR line endings, and a CRLF split across chunks', () => {
    expect(decodeSse([enc('data: a\r\n\r\ndata: b\r\rdata: c\r'), enc('\n\r\n')])).toEqual([
      { event: 'message', data: 'a' },
      { event: 'message', data: 'b' },
      { event: 'message', data: 'c' },
    ]);
  });

  it('reassembles a UTF-8 character split across chunks', () => {
    const bytes = enc('data: {"content":"h€llo 😀"}\n\n');
    const euro = bytes.indexOf(0xe2);
    const chunks = [bytes.slice(0, euro + 1), bytes.slice(euro + 1, euro + 2), bytes.slice(euro + 2)];
    expect(decodeSse(chunks)).toEqual([{ event: 'message', data: '{"content":"h€llo 😀"}' }]);
  });

  it('reassembles a data: line split in the middle of the field name', () => {
    const decoder = new SseDecoder();
    expect(decoder.push(enc('da'))).toEqual([]);
    expect(decoder.push(enc('ta: [DO'))).toEqual([]);
    expect(decoder.push(enc('NE]\n'))).toEqual([]);
    expect(decoder.push(enc('\n'))).toEqual([{ event: 'message', data: '[DONE]' }]);
  });

  it('dispatches a final event that lacks its blank line at the end', () => {
    expect(decodeSse([enc('data: last')])).toEqual([{ event: 'message', data: 'last' }]);
  });

  it('refuses an unbounded line with a protocol ModelError', () => {
    const decoder = new SseDecoder();
    const big = enc('x'.repeat(1024 * 1024));
    let error: unknown;
    try {
      for (let i = 0; i <= MAX_SSE_EVENT_CHARS / big.length; i++) decoder.push(big);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).kind).toBe('protocol');
  });

  it('property: any split of a valid stream into chunks decodes to the same events', () => {
    const payload = fc.string({ unit: 'binary', maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, ' '));
    const stream = fc.array(fc.tuple(fc.constantFrom('\n', '\r\n', '\r'), fc.array(payload, { minLength: 1, maxLength: 3 })), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 12 }), (events, cuts) => {
        const text = events.map(([eol, lines]) => lines.map((l) => `data: ${l}${eol}`).join('') + eol).join('');
        const bytes = enc(text);
        const whole = decodeSse([bytes]);
        expect(whole).toHaveLength(events.length);
        expect(decodeSse(split(bytes, cuts))).toEqual(whole);
        // One byte at a time, the harshest split.
        expect(decodeSse([...bytes].map((b) => Uint8Array.of(b)))).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });

  it('property: arbitrary bytes never throw anything but a ModelError (decoder and chat stream reader)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), fc.boolean(), (chunks, prefixData) => {
        const reader = new StreamReader('chat', 'test');
        try {
          if (prefixData) reader.push(enc('data: '));
          for (const c of chunks) reader.push(c);
          reader.finish({ model: 'm', prompt: '' });
        } catch (err) {
          expect(err).toBeInstanceOf(ModelError);
        }
        decodeSse(chunks); // the decoder alone never throws on small input
      }),
      { numRuns: 500 },
    );
  });

  it('property: arbitrary JSON-ish chunk payloads never throw anything but a ModelError', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 5 }), (values) => {
        const reader = new StreamReader('chat', 'test');
        try {
          for (const v of values) reader.push(enc(`data: ${JSON.stringify(v)}\n\n`));
          reader.push(enc('data: [DONE]\n\n'));
          reader.finish({ model: 'm', prompt: '' });
        } catch (err) {
          expect(err).toBeInstanceOf(ModelError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

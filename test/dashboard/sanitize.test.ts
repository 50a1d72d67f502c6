/**
 * The sanitiser every record passes through before it leaves the process:
 * secrets redacted by field name and by shape, long text trimmed, anything
 * exotic turned into JSON without throwing.
 */
import { describe, expect, it } from 'vitest';
import { createActor, createMachine } from 'xstate';
import { REDACTED, sanitize, sanitizeString } from '../../src/runtime/sanitize.js';

describe('sanitize', () => {
  it('redacts secret-looking fields whatever their type, and keeps token counts', () => {
    const out = sanitize({
      apiKey: 'abc',
      api_key: 'abc',
      headers: { Authorization: 'Bearer abcdefghijkl', 'x-other': 'ok' },
      password: 12345,
      client_secret: { nested: 'x' },
      accessToken: 'tok',
      token: 'tok',
      usage: { promptTokens: 3, completionTokens: 2, totalTokens: 5 },
      maxTokens: 100,
      emptyKey: { api_key: '' },
    });
    expect(out).toEqual({
      apiKey: REDACTED,
      api_key: REDACTED,
      headers: { Authorization: REDACTED, 'x-other': 'ok' },
      password: REDACTED,
      client_secret: REDACTED,
      accessToken: REDACTED,
      token: REDACTED,
      usage: { promptTokens: 3, completionTokens: 2, totalTokens: 5 },
      maxTokens: 100,
      emptyKey: { api_key: '' },
    });
  });

  it('redacts credentials inside free text', () => {
    const key = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123';
    expect(sanitizeString(`use ${key} please`)).toBe(`use ${REDACTED} please`);
    expect(sanitizeString('Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig')).toBe(`Authorization: ${REDACTED}`);
    expect(sanitizeString('ghp_abcdefghijklmnopqrstuvwxyz0123456789 and AKIAABCDEFGHIJKLMNOP')).toBe(`${REDACTED} and ${REDACTED}`);
    expect(sanitizeString('a sketch of sk-8 and task-management-overview-document are fine')).toBe(
      'a sketch of sk-8 and task-management-overview-document are fine',
    );
    // A key straddling the cut is still removed, not half shown.
    const long = `${'x'.repeat(389)} ${key}${'y'.repeat(100)}`;
    const cut = sanitizeString(long, 400);
    expect(cut).not.toContain('sk-proj');
    expect(cut).toMatch(/… \[528 chars\]$/);
  });

  it('trims long strings, long arrays, wide objects and deep nesting', () => {
    const prompt = 'p'.repeat(5000);
    const out = sanitize(
      { prompt, list: Array.from({ length: 50 }, (_, i) => i), wide: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, i])) },
      { maxItems: 5, maxKeys: 10 },
    ) as Record<string, unknown>;
    expect(out['prompt']).toBe(`${'p'.repeat(400)}… [5000 chars]`);
    expect(out['list']).toEqual([0, 1, 2, 3, 4, '[… 45 more]']);
    expect(Object.keys(out['wide'] as object)).toHaveLength(11);
    expect((out['wide'] as Record<string, unknown>)['…']).toBe('50 more keys');
    const deep = sanitize({ a: { b: { c: { d: { e: { f: 1 } } } } }, arr: [[[[[[1]]]]]] });
    expect(deep).toEqual({ a: { b: { c: { d: { e: '{…}' } } } }, arr: [[[['[… 1 items]']]]] });
  });

  it('bounds the work on one payload', () => {
    const huge = Array.from({ length: 100 }, () => ({ a: Array.from({ length: 100 }, () => ({ b: 1 })) }));
    const text = JSON.stringify(sanitize(huge, { maxItems: 1000, maxNodes: 50 }));
    expect((text.match(/"b"/g) ?? []).length).toBeLessThan(50);
  });

  it('turns cycles, actor refs, dates, errors, maps, sets, bigints and functions into JSON, never throwing', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic['self'] = cyclic;
    const actor = createActor(createMachine({ id: 'm' }), { systemId: 'progress' });
    const throwing = {
      get bad() {
        throw new Error('no');
      },
    };
    const out = sanitize({
      cyclic,
      actor,
      when: new Date('2026-01-02T03:04:05Z'),
      err: new TypeError('broken'),
      map: new Map([['a', 1]]),
      set: new Set([1, 2]),
      big: 10n,
      fn: () => 1,
      nan: Number.NaN,
      throwing,
    });
    expect(out).toEqual({
      cyclic: { name: 'loop', self: '[circular]' },
      actor: { $actor: 'progress' },
      when: '2026-01-02T03:04:05.000Z',
      err: { name: 'TypeError', message: 'broken' },
      map: { a: 1 },
      set: [1, 2],
      big: '10',
      nan: 'NaN',
      throwing: '[unserialisable]',
    });
    // Shared (non-cyclic) references are copied, not flagged.
    const shared = { x: 1 };
    expect(sanitize({ a: shared, b: shared })).toEqual({ a: { x: 1 }, b: { x: 1 } });
    expect(() => JSON.stringify(out)).not.toThrow();
  });
});

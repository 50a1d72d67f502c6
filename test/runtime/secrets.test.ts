import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sanitize } from '../../src/runtime/sanitize.js';
import { MIN_SECRET_CHARS, redactSecrets, registerSecret } from '../../src/util/secrets.js';

describe('secrets redacted by value', () => {
  registerSecret('tok_live_7Hq2p9ZrX'); // not a pattern anyone would guess
  registerSecret('EMPTY'); // shorter than MIN_SECRET_CHARS: a dummy key, not redacted by value

  it('replaces a registered value wherever it appears, JSON-escaped too', () => {
    expect(redactSecrets('401 Incorrect API key provided: tok_live_7Hq2p9ZrX.')).toBe('401 Incorrect API key provided: [redacted].');
    expect(redactSecrets(JSON.stringify({ msg: 'key=tok_live_7Hq2p9ZrX' }))).toBe('{"msg":"key=[redacted]"}');
    expect(sanitize({ error: 'echo tok_live_7Hq2p9ZrX' })).toEqual({ error: 'echo [redacted]' });
    expect(redactSecrets('EMPTY results')).toBe('EMPTY results');
    expect(MIN_SECRET_CHARS).toBe(8);
  });

  it('the pattern covers unknown keys, short ones included', () => {
    expect(redactSecrets('key sk-abcdefghijklmn here')).toBe('key [redacted] here'); // sk- + 14
    expect(redactSecrets('sk-12345678')).toBe('[redacted]');
    expect(redactSecrets('Authorization: Bearer abcdefgh123')).toBe('Authorization: [redacted]');
    expect(redactSecrets('a task-list of sk-ills')).toBe('a task-list of sk-ills');
  });

  it('no registered secret survives, whatever surrounds it (property)', () => {
    const secret = 'Zq81-secret-Vv02';
    registerSecret(secret);
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(redactSecrets(`${a}${secret}${b}`)).not.toContain(secret);
      }),
    );
  });
});

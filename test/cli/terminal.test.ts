import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { safeText } from '../../src/cli/terminal.js';

describe('terminal output of untrusted text', () => {
  it('removes escape sequences and bidi overrides, keeps newlines and tabs', () => {
    expect(safeText('ok\x1b[2J\x1b]0;pwned\x07 done\n\tnext\u202e')).toBe('ok[2J]0;pwned done\n\tnext');
  });
  it('never lets a control character through', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => !/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(safeText(s))));
  });
});

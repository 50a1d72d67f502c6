import { describe, expect, it } from 'vitest';
import { AppError } from '../../contracts/errors.js';
import { ModelError } from '../../contracts/llm.js';
import { describeError, UsageError } from '../../src/cli/common.js';
import { ConfigError } from '../../src/config/index.js';
import { GepaRunError } from '../../src/gepa/optimize.js';
import { SandboxError } from '../../src/tools/sandbox.js';

describe('error categories', () => {
  it('name each error by its class and map usage and input to exit 2, the rest to 1', () => {
    const usage = new UsageError('bad flag');
    const input = new ConfigError({ file: 'f.yaml', expected: 'a number', found: 'a string' });
    const run = new SandboxError('outside');
    expect(usage).toBeInstanceOf(AppError);
    expect([usage.name, usage.category]).toEqual(['UsageError', 'usage']);
    expect(input.category).toBe('input');
    expect(describeError(usage).code).toBe(2);
    expect(describeError(input).code).toBe(2);
    expect(describeError(run)).toEqual({ message: 'outside', code: 1 });
    expect(describeError(new Error('plain'))).toEqual({ message: 'plain', code: 1 });
  });

  it('a model error is bad input only when the model cannot be built', () => {
    expect(describeError(new ModelError('no replay file', 'config')).code).toBe(2);
    expect(describeError(new ModelError('refused', 'network')).code).toBe(1);
  });

  it('a failed optimize run is a run failure', () => {
    expect(new GepaRunError('boom', null).category).toBe('run');
  });
});

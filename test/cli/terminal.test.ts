import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Activity, describeActivity, logLine, shortReason, whoIsAsking } from '../../src/cli/activity.js';
import { colourEnabled, isInteractive, safeText } from '../../src/cli/terminal.js';
import { ModelError } from '../../contracts/llm.js';
import { reply, ScriptedModel } from '../../src/llm/scripted.js';

describe('terminal output of untrusted text', () => {
  it('removes escape sequences and bidi overrides, keeps newlines and tabs', () => {
    expect(safeText('ok\x1b[2J\x1b]0;pwned\x07 done\n\tnext\u202e')).toBe('ok[2J]0;pwned done\n\tnext');
  });
  it('never lets a control character through', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => !/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(safeText(s))));
  });
});

describe('colour and redrawing conventions', () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };
  it('follow NO_COLOR, FORCE_COLOR, TERM=dumb and whether the stream is a terminal', () => {
    expect(colourEnabled(tty, {})).toBe(true);
    expect(colourEnabled(pipe, {})).toBe(false);
    expect(colourEnabled(tty, { NO_COLOR: '1' })).toBe(false);
    expect(colourEnabled(tty, { NO_COLOR: '' })).toBe(true); // set but empty means unset
    expect(colourEnabled(pipe, { FORCE_COLOR: '1' })).toBe(true);
    expect(colourEnabled(tty, { FORCE_COLOR: '0' })).toBe(false);
    expect(colourEnabled(tty, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(true); // forcing wins
    expect(colourEnabled(tty, { TERM: 'dumb' })).toBe(false);
    expect(isInteractive(tty, { TERM: 'dumb' })).toBe(false);
    expect(isInteractive(pipe, {})).toBe(false);
    expect(colourEnabled(pipe, { CI: 'true' })).toBe(false); // unlike picocolors
  });
});

describe('activity: what the status line says', () => {
  it('names who is asking from the call id and purpose', () => {
    expect(whoIsAsking({ purpose: 'planner', callId: 'planner#3' })).toBe('planner');
    expect(whoIsAsking({ purpose: 'actor', callId: 'actor:2.1@4#0' })).toBe('actor 2.1 step 1');
    expect(whoIsAsking({ purpose: 'chat' })).toBe('chat');
  });

  it('keeps the reason of a provider error without where it was talking to', () => {
    expect(
      shortReason(
        new ModelError(
          'vllm model "m" at http://127.0.0.1:9/v1/chat/completions: connection refused (is the server running?) (gave up after 5 attempts)',
          'network',
        ),
      ),
    ).toBe('connection refused (is the server running?)');
    expect(shortReason(new ModelError('openai GET http://x/health: HTTP 500: boom', 'http'))).toBe('HTTP 500: boom');
  });

  it('reports a model call, the tools it asked for, and ticking waits and retries', async () => {
    let now = 1000;
    const activity = new Activity(4, () => now);
    const events: ReturnType<typeof describeActivity>[] = [];
    activity.on((e) => events.push(describeActivity(e, now)));
    const model = activity.wrap(new ScriptedModel([reply.toolCall('list_dir', { path: '.' })]));
    const pending = model.complete({ messages: [], purpose: 'actor', callId: 'actor:1@1#1' });
    expect(events).toEqual(['actor 1 step 2: waiting for the model for 0.0 s']);
    activity.onRetry({ attempt: 2, delayMs: 1400, error: new ModelError('x at http://h/v1: connection refused', 'network') });
    expect(events[1]).toBe('actor 1 step 2: retry 2/4 after "connection refused" in 1.4 s');
    now += 500;
    await pending;
    expect(events[2]).toBe('actor 1 step 2: calling tool list_dir');
    expect(logLine({ kind: 'model-start', who: 'planner', at: 0 })).toBe('planner: thinking (waiting for the model)');
    expect(describeActivity({ kind: 'model-start', who: 'planner', at: 0 }, 3200)).toBe('planner thinking: waiting for the model for 3.2 s');
    expect(describeActivity({ kind: 'retry', who: 'planner', at: 0, attempt: 1, of: 4, reason: 'r', delayMs: 2000 }, 600)).toBe(
      'planner: retry 1/4 after "r" in 1.4 s',
    );
  });
});

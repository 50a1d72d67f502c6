import { describe, expect, it } from 'vitest';
import { createActor, createMachine } from 'xstate';
import { EventRecorder, type RunEventRecord } from '../../src/runtime/eventLog.js';

describe('the run event log', () => {
  it('redacts secrets in payloads, cuts long text, and names promise results without copying them', () => {
    const records: RunEventRecord[] = [];
    const recorder = new EventRecorder(0, () => 5);
    const actor = createActor(createMachine({ on: { '*': {} } }), { inspect: (ev) => records.push(...recorder.fromInspection(ev)) }).start();
    actor.send({ type: 'PROGRESS.UPDATE', message: 'use sk-abcdefghijklmnopqrstuvwx please', api_key: 'k', long: 'x'.repeat(1000) } as any);
    actor.send({ type: 'xstate.done.actor.think', output: { huge: 'y'.repeat(1000) } } as any);
    const update = records.find((r) => r.type === 'PROGRESS.UPDATE')!;
    expect(update.data).toMatchObject({ message: 'use [redacted] please', api_key: '[redacted]' });
    expect(String((update.data as any).long)).toMatch(/^x{300}… \[1000 chars\]$/);
    const done = records.find((r) => r.type === 'xstate.done.actor.think')!;
    expect(done.data).toBeUndefined();
  });
});

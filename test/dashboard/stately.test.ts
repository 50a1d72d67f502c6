/**
 * `--inspect stately`: the bridge's observer is what the actor system is
 * given, and what it produces is Stately's event format, sanitised. Tests
 * have no internet, so stately.ai itself is never reached here.
 */
import { describe, expect, it } from 'vitest';
import type { StatelyInspectionEvent } from '@statelyai/inspect';
import { createStatelyBridge, sanitizeStatelyEvent } from '../../src/runtime/stately.js';
import { recordScriptedRun, SECRET } from './support.js';

describe('the Stately inspector bridge', () => {
  it("is wired into the actor system and turns a run into Stately's events", async () => {
    const bridge = createStatelyBridge();
    let observed = 0;
    const all: Record<string, unknown>[] = [];
    bridge.subscribe((b) => all.push(...b.lines.map((l) => JSON.parse(l) as Record<string, unknown>)));
    const done = new Promise<void>((resolve) => {
      bridge.subscribe(() => {
        if (all.some((e) => e['type'] === '@xstate.snapshot' && (e['snapshot'] as { status?: string }).status === 'done' && e['sessionId'] === rootSession()))
          resolve();
      });
    });
    const rootSession = () => all.find((e) => e['type'] === '@xstate.actor' && e['name'] === 'workflow')?.['sessionId'];
    await recordScriptedRun({
      observe: (ev) => {
        observed++;
        bridge.inspect(ev);
      },
    });
    await done;
    expect(observed).toBeGreaterThan(0);

    const names = all.filter((e) => e['type'] === '@xstate.actor').map((e) => e['name']);
    expect(names).toEqual(expect.arrayContaining(['workflow', 'planner', 'progress', 'actor:1']));
    const workflow = all.find((e) => e['type'] === '@xstate.actor' && e['name'] === 'workflow')!;
    expect(workflow).toMatchObject({ _version: expect.any(String), sessionId: expect.any(String) });
    expect(JSON.parse(workflow['definition'] as string)).toMatchObject({ id: 'workflow' });
    expect(all.some((e) => e['type'] === '@xstate.event' && (e['event'] as { type: string }).type === 'PROGRESS.UPDATE')).toBe(true);
    expect(JSON.stringify(all)).not.toContain(SECRET);
    expect(bridge.replay().lines).toHaveLength(all.length);
  });

  it('sanitises contexts and events but keeps the machine definition whole', () => {
    const definition = JSON.stringify({ id: 'm', states: { a: {} }, description: 'd'.repeat(1000) });
    const ev = {
      type: '@xstate.actor',
      name: 'm',
      sessionId: 'x:0',
      createdAt: '0',
      _version: '0.7.2',
      rootId: 'x:0',
      id: 'i',
      parentId: undefined,
      definition,
      snapshot: { status: 'active', context: { apiKey: 'k', prompt: 'p'.repeat(2000), note: `uses ${SECRET}` } },
    } as StatelyInspectionEvent;
    const out = sanitizeStatelyEvent(ev);
    expect(out['definition']).toBe(definition);
    expect(out['snapshot']).toEqual({
      status: 'active',
      context: { apiKey: '[redacted]', prompt: `${'p'.repeat(400)}… [2000 chars]`, note: 'uses [redacted]' },
    });
    const event = sanitizeStatelyEvent({
      type: '@xstate.event',
      event: { type: 'X', headers: { authorization: 'Bearer abcdefghijk' } },
      sourceId: undefined,
      sessionId: 's',
      createdAt: '0',
      _version: 'v',
      rootId: 'r',
      id: 'i',
    } as StatelyInspectionEvent);
    expect(event['event']).toEqual({ type: 'X', headers: { authorization: '[redacted]' } });
  });
});

/**
 * The inspection stream: what a real run (scripted model, real machines and
 * tools) turns into, record by record; statechart definitions; the facts of
 * the well-known actors; the replay buffer a late joiner reads; and that the
 * stream never breaks a run.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assign, createActor, fromPromise, setup } from 'xstate';
import { workflowMachine } from '../../machines/workflow.js';
import type { ActorRecord, EventRecord, InspectRecord, MicrostepRecord, SnapshotRecord } from '../../src/runtime/inspection.js';
import { InspectionStream } from '../../src/runtime/inspection.js';
import { MARKDOWN_INTERVAL_MS, TaskFactsTracker, type TaskFact } from '../../src/runtime/taskFacts.js';
import type { TaskItem } from '../../contracts/aime/taskList.js';
import { describeLogic } from '../../src/runtime/machineDefinition.js';
import { RecordBuffer } from '../../src/runtime/recordBuffer.js';
import { parseJsonl } from '../../src/util/jsonl.js';
import { tempDir } from '../support/runtime.js';
import { recordScriptedRun, SECRET } from './support.js';

const ofKind = <K extends InspectRecord['kind']>(records: InspectRecord[], kind: K) =>
  records.filter((r) => r.kind === kind) as Extract<InspectRecord, { kind: K }>[];

describe('the inspection stream of a real run', () => {
  it('records the run: actors with their statecharts, events, state changes, task list and microsteps', async () => {
    let rawSnapshots = 0;
    const { stream, report, file, errors } = await recordScriptedRun({ observe: (ev) => void (ev.type === '@xstate.snapshot' && rawSnapshots++) });
    expect(report.status).toBe('completed');
    expect(errors).toEqual([]);

    const text = await fs.readFile(file, 'utf8');
    const { records, tornTail } = parseJsonl<InspectRecord>(text, file);
    expect(tornTail).toBe(false);
    // The file is exactly what a late joiner is replayed.
    expect(stream.replay().lines).toEqual(text.trimEnd().split('\n'));
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i));
    for (const r of records) expect(JSON.parse(JSON.stringify(r))).toEqual(r);

    expect(records[0]).toMatchObject({ kind: 'run', phase: 'start', runId: 'run-scripted-1', goal: 'write out.txt' });
    expect(records.at(-1)).toMatchObject({ kind: 'run', phase: 'end', status: 'completed' });

    const actors = ofKind(records, 'actor');
    const byId = new Map(actors.map((a) => [a.id, a]));
    expect(byId.get('workflow')).toMatchObject({ parent: null, name: 'workflow' });
    for (const id of ['planner', 'progress', 'actor:1']) expect(byId.get(id)).toMatchObject({ parent: 'workflow', name: id });
    const wf = byId.get('workflow')!.definition!;
    expect(wf.id).toBe('workflow');
    expect(wf.root.children.map((c) => c.key)).toEqual(expect.arrayContaining(['running', 'done', 'failed', 'cancelled']));
    expect(byId.get('actor:1')!.definition!.root.children.map((c) => c.key)).toEqual(expect.arrayContaining(['reasoning', 'acting']));
    // Invoked promises (the model calls, tool runs) are actors too, without a statechart.
    const promise = actors.find((a: ActorRecord) => a.name === 'planStep')!;
    expect(promise.definition).toBeNull();
    expect(promise.parent).toBe('planner');

    const events = ofKind(records, 'event');
    const update = events.find((e: EventRecord) => e.type === 'PROGRESS.UPDATE' && e.from === 'actor:1')!;
    expect(update).toMatchObject({ to: 'progress', payload: { taskId: '1', status: 'in_progress', message: 'writing with key [redacted]' } });
    const plan = events.find((e) => e.type === 'PLANNER.PLAN')!;
    expect(plan).toMatchObject({ from: 'workflow', to: 'planner' });
    // The planner prompt is long: it is cut, with its length.
    expect((plan.payload as { plannerPrompt: string }).plannerPrompt).toMatch(/… \[\d+ chars\]$/);
    expect(events.some((e) => e.type === 'xstate.init')).toBe(false);
    expect(text).not.toContain(SECRET);

    const snapshots = ofKind(records, 'snapshot');
    // The task list: whole when its shape changes, else the changed tasks; folded, it ends as the report's.
    const progress = snapshots.filter((s: SnapshotRecord) => s.actor === 'progress' && s.facts);
    expect(progress[0]!.facts!.tasks).toEqual([expect.objectContaining({ id: '1', title: 'Write out.txt', depth: 0 })]);
    expect(progress.some((s) => s.facts!.taskPatch)).toBe(true);
    let tasks: TaskFact[] = [];
    let markdown = '';
    for (const s of progress) {
      if (s.facts!.tasks) tasks = s.facts!.tasks;
      for (const patch of s.facts!.taskPatch ?? []) tasks = tasks.map((t) => (t.id === patch.id ? patch : t));
      markdown = s.facts!.markdown ?? markdown;
    }
    expect(tasks).toEqual([{ id: '1', title: 'Write out.txt', status: 'completed', criteria: 'Write out.txt is done', depth: 0, note: 'wrote the file' }]);
    expect(markdown).toBe(report.ledger.markdown);
    const lastWorkflow = snapshots.filter((s) => s.actor === 'workflow').at(-1)!;
    expect(lastWorkflow).toMatchObject({ value: 'done', status: 'done', facts: { runStatus: 'completed', iteration: 2 } });
    expect(lastWorkflow.facts!.usage!.totalTokens).toBeGreaterThan(0);
    expect(snapshots.some((s) => s.actor === 'actor:1' && s.facts?.step === 2)).toBe(true);
    // Workflow state changes are there in order, and context-only updates are not repeated.
    const states = snapshots.filter((s) => s.actor === 'workflow').map((s) => JSON.stringify(s.value));
    expect(new Set(states).size).toBeGreaterThan(3);
    expect(snapshots.length).toBeLessThan(rawSnapshots);

    const steps = ofKind(records, 'microstep');
    const wfSteps = steps.filter((m: MicrostepRecord) => m.actor === 'workflow');
    expect(wfSteps.some((m) => m.transitions.some((t) => t.source === 'workflow.running.planning' && t.targets.length > 0))).toBe(true);
  });
});

describe('statechart definitions', () => {
  it('describes a machine as JSON: keys, types, initial states, transitions with guards, invokes', () => {
    const def = describeLogic(workflowMachine)!;
    expect(describeLogic(workflowMachine)).toBe(def);
    const running = def.root.children.find((c) => c.key === 'running')!;
    expect(running).toMatchObject({ id: 'workflow.running', type: 'compound', initial: ['workflow.running.initializing'] });
    expect(running.transitions).toEqual(expect.arrayContaining([{ event: 'WORKFLOW.CANCEL', targets: ['workflow.cancelled'] }]));
    expect(running.transitions.some((t) => t.event.startsWith('xstate.after.') && t.guard === 'hasDeadline')).toBe(true);
    expect(running.children.find((c) => c.key === 'initializing')!.invokes).toEqual(['initialize']);
    expect(def.root.children.find((c) => c.key === 'done')!.type).toBe('final');
    expect(JSON.parse(JSON.stringify(def))).toEqual(def);
  });

  it('gives null for logic that is not a state machine', () => {
    expect(describeLogic(fromPromise(async () => 1))).toBeNull();
    expect(describeLogic(null)).toBeNull();
    expect(describeLogic({ root: { id: 1 } })).toBeNull();
  });
});

describe('facts of well-known actors', () => {
  it("shows the optimizer's GEPA metrics, checked field by field", async () => {
    const optimizer = setup({ types: { context: {} as { metrics: unknown }, events: {} as { type: 'SET'; metrics: unknown } } }).createMachine({
      context: { metrics: null },
      on: { SET: { actions: assign(({ event }) => ({ metrics: event.metrics })) } },
    });
    const stream = new InspectionStream();
    const actor = createActor(optimizer, { systemId: 'optimizer', inspect: stream.inspect }).start();
    stream.flush();
    const good = {
      composite: 0.5,
      timeline: [
        { at: 0, composite: 0.25 },
        { at: 1, composite: 'x' },
        { at: 2, composite: 0.5 },
      ],
      candidates: [{ id: 'seed', score: 0.5, active: true }, { id: 'c1', score: null, active: false }, { nope: true }],
    };
    // Metrics change in bursts: within one batch only the latest goes out.
    actor.send({ type: 'SET', metrics: { composite: 0.1, timeline: [], candidates: [] } });
    actor.send({ type: 'SET', metrics: good });
    stream.flush();
    actor.send({ type: 'SET', metrics: 'garbage' });
    stream.flush();
    const snaps = stream
      .replay()
      .lines.map((l) => JSON.parse(l) as InspectRecord)
      .filter((r): r is SnapshotRecord => r.kind === 'snapshot' && r.facts !== undefined);
    expect(snaps.map((s) => s.facts?.metrics)).toEqual([
      { composite: null, timeline: [], candidates: [] },
      {
        composite: 0.5,
        timeline: [
          { at: 0, composite: 0.25 },
          { at: 2, composite: 0.5 },
        ],
        candidates: [
          { id: 'seed', score: 0.5, active: true },
          { id: 'c1', score: null, active: false },
        ],
      },
      { composite: null, timeline: [], candidates: [] },
    ]);
  });
});

describe('the task list as changes', () => {
  const item = (id: string, status: TaskItem['status'] = 'pending', children: TaskItem[] = []): TaskItem => ({
    id,
    title: `T${id}`,
    status,
    criteria: '',
    children,
  });

  it('sends the whole list when its shape changes, else only the changed tasks; Markdown at most once a second', () => {
    const tracker = new TaskFactsTracker();
    const a = [item('1'), item('2', 'pending', [item('2.1')])];
    const first = tracker.update(a, 1, 0)!;
    expect(first.tasks!.map((t) => [t.id, t.depth])).toEqual([
      ['1', 0],
      ['2', 0],
      ['2.1', 1],
    ]);
    expect(first.markdown).toContain('- [ ] 1. T1');
    expect(tracker.update(a, 1, 10)).toBeNull(); // same list: nothing

    // One task changes (the progress manager copies it and its ancestors, shares the rest).
    const b = [a[0]!, { ...a[1]!, children: [{ ...a[1]!.children[0]!, status: 'completed' as const }] }];
    const second = tracker.update(b, 2, 20)!;
    expect(second.tasks).toBeUndefined();
    expect(second.taskPatch!.map((t) => [t.id, t.status])).toEqual([
      ['2', 'pending'],
      ['2.1', 'completed'],
    ]);
    expect(second.markdown).toBeUndefined(); // sent 20 ms ago
    expect(tracker.dueAt).toBe(MARKDOWN_INTERVAL_MS);
    expect(tracker.markdownDue(500, false)).toBeNull();
    expect(tracker.markdownDue(MARKDOWN_INTERVAL_MS, false)!.markdown).toContain('- [x] 2.1. T2.1');
    expect(tracker.dueAt).toBeNull();

    // A new task: the whole list again, with its Markdown.
    const third = tracker.update([...b, item('3')], 3, MARKDOWN_INTERVAL_MS + 10)!;
    expect(third.tasks!.map((t) => t.id)).toEqual(['1', '2', '2.1', '3']);
    expect(third.markdown).toContain('- [ ] 3. T3');
    expect(third.revision).toBe(3);
  });
});

describe('robustness and the replay buffer', () => {
  it('never throws into the run: a broken event is reported once and the stream goes on', () => {
    const errors: string[] = [];
    const stream = new InspectionStream({ onError: (m) => errors.push(m) });
    const bad = { type: '@xstate.snapshot', actorRef: { sessionId: 'x:1' }, snapshot: null, event: { type: 'E' }, rootId: 'x:0' };
    expect(() => stream.inspect(bad as never)).not.toThrow();
    expect(() => stream.inspect(bad as never)).not.toThrow();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/inspection stream/);
  });

  it('reports an unwritable file once, and still serves live listeners', async () => {
    const dir = await tempDir();
    await fs.writeFile(path.join(dir, 'blocker'), 'a file where a directory should be');
    const errors: string[] = [];
    const stream = new InspectionStream({ file: path.join(dir, 'blocker', 'runs', 'r', 'inspect.jsonl'), onError: (m) => errors.push(m) });
    stream.begin({ runId: 'r', goal: 'g' });
    stream.end({ runId: 'r', status: 'completed' });
    await stream.close();
    expect(errors).toEqual([expect.stringMatching(/cannot write .*inspect\.jsonl/)]);
    expect(stream.replay().lines.map((l) => JSON.parse(l).kind)).toEqual(['run', 'run']);
  });

  it('replays everything after a sequence number, then follows with batches', () => {
    const buffer = new RecordBuffer();
    const batches: { lines: string[]; lastSeq: number }[] = [];
    buffer.subscribe((b) => batches.push(b));
    for (let i = 0; i < 5; i++) buffer.push({ n: i });
    expect(buffer.replay().lines).toEqual([]); // not flushed yet: delivered by the coming batch
    buffer.flush();
    expect(batches).toEqual([{ lines: ['{"n":0}', '{"n":1}', '{"n":2}', '{"n":3}', '{"n":4}'], lastSeq: 4 }]);
    expect(buffer.replay(2)).toEqual({ lines: ['{"n":3}', '{"n":4}'], lastSeq: 4, dropped: 0 });
    expect(buffer.replay(4)).toEqual({ lines: [], lastSeq: 4, dropped: 0 });
  });

  it('drops the oldest records past its memory budget, keeping pinned ones, and says how many', () => {
    const buffer = new RecordBuffer({ maxBytes: 200, pin: (r) => (r as { kind: string }).kind === 'actor' });
    buffer.push({ kind: 'actor', id: 'workflow' });
    for (let i = 0; i < 40; i++) buffer.push({ kind: 'event', i });
    buffer.flush();
    const replay = buffer.replay();
    expect(replay.dropped).toBeGreaterThan(0);
    expect(replay.lines[0]).toBe('{"kind":"actor","id":"workflow"}');
    expect(replay.lines.at(-1)).toBe('{"kind":"event","i":39}');
    expect(replay.lines.join('').length).toBeLessThanOrEqual(200);
    expect(replay.lines.length + replay.dropped).toBe(41);
  });
});

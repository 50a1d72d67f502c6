/**
 * Model-based test of the GEPA statechart: xstate/graph walks the machine
 * (emits silenced) with the outcomes its promise actors can have, generated
 * from each state's own request, and every shortest path is replayed on a
 * real actor whose evaluate / reflect / persist / checkStop calls the test
 * settles by hand. Along each path the real actor must follow the graph, ask
 * for exactly what the graph's context says it will, and keep the run-state
 * invariants (metric calls = paid evaluations, frontier = per-instance max).
 */
import { describe, expect, it } from 'vitest';
import { createActor, type AnyEventObject } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import { gepaMachine, type CheckStopInput, type GepaMachineInput, type PersistInput } from '../../machines/gepa.js';
import type { ReflectOutput, ReflectRequest } from '../../contracts/gepa/iteration.js';
import { resolveSettings, algorithmSettings } from '../../src/gepa/settings.js';
import { addCandidate, applyEvaluation, createRunState, type EvalOutput, type EvalRequest } from '../../contracts/gepa/state.js';
import { hashCandidate } from '../../contracts/gepa/hash.js';
import type { GepaRunState, StopReason } from '../../contracts/gepa/types.js';
import { deferredLogic, flush, silenced, type Pending } from '../support/deferred.js';

const EVALUATE_IDS = ['evaluateSeed', 'evaluateParent', 'evaluateChild', 'evaluateMerge', 'validate'];
const STATE_INVOKES: Record<string, string> = {
  evaluatingSeed: 'evaluateSeed',
  evaluatingParent: 'evaluateParent',
  evaluatingChild: 'evaluateChild',
  evaluatingMerge: 'evaluateMerge',
  validating: 'validate',
  reflecting: 'reflect',
  checking: 'checkStop',
  persisting: 'persist',
};

function freshRun(over: Parameters<typeof resolveSettings>[0] = {}): GepaRunState {
  return createRunState({
    seedCandidate: { a: 'A0', b: 'B0' },
    settings: algorithmSettings(resolveSettings({ minibatch_size: 1, ...over })),
    exampleIds: { train: ['t0', 't1'], val: ['v0', 'v1'] },
  });
}

/** Three validated candidates: two siblings that improved different components, and a merge due. */
function mergeReadyRun(): GepaRunState {
  let run = freshRun({ use_merge: true, max_merge_invocations: 1 });
  const add = (components: Record<string, string>, parents: number[], scores: number[]) => {
    run = applyEvaluation(run, {
      split: 'val',
      hash: hashCandidate(components),
      entries: scores.map((score, index) => ({ index, record: { score, output: null } })),
    });
    run = addCandidate(run, { components, parents, origin: parents.length ? 'reflective' : 'seed', foundAtMetricCalls: run.metricCalls }).run;
  };
  add({ a: 'A0', b: 'B0' }, [], [0, 0]);
  add({ a: 'A1', b: 'B0' }, [0], [1, 0]);
  add({ a: 'A0', b: 'B2' }, [0], [0, 1]);
  return { ...run, iteration: 2, merge: { ...run.merge, due: 1, lastIterFoundNew: true } };
}

/** Every outcome each state's actor may have, built from what the state asks for. */
function events(snap: any): AnyEventObject[] {
  const c = snap.context;
  const id = STATE_INVOKES[snap.value as string];
  // A stop request can arrive at any time; offering it in two states keeps the graph small.
  const out: AnyEventObject[] = ['evaluatingParent', 'reflecting'].includes(snap.value) ? [{ type: 'GEPA.STOP' }] : [];
  if (!id) return out;
  const done = (output: unknown) => ({ type: `xstate.done.actor.${id}`, output });
  const error = { type: `xstate.error.actor.${id}`, error: new Error(`${id} broke`) };
  if (EVALUATE_IDS.includes(id)) {
    const p: EvalRequest = c.pending;
    for (const score of [0, 1]) {
      out.push(
        done({ split: p.split, hash: p.hash, entries: p.indices.map((index) => ({ index, record: { score, output: `s${score}`, trajectory: { score } } })) }),
      );
    }
    out.push(error);
  } else if (id === 'reflect') {
    // A new text; a text that turns the parent into another known candidate; nothing; a failure.
    const parentId: number = c.work.parents[0];
    const parent = c.run.candidates[parentId].components;
    const [comp] = c.work.components as string[];
    const twin = (c.run as GepaRunState).candidates.find(
      (k) => k.id !== parentId && k.components[comp!] !== parent[comp!] && Object.keys(parent).every((n) => n === comp || k.components[n] === parent[n]),
    );
    const known = twin ? [done({ texts: { [comp!]: twin.components[comp!] } })] : [];
    out.push(done({ texts: { [comp!]: `${comp}-it${c.run.iteration}` } }), ...known, done({ texts: {} }), error);
  } else if (id === 'checkStop') {
    out.push(done(null), done('stop_file'), error);
  } else {
    out.push(done(undefined), error);
  }
  return out;
}

/**
 * The whole context: states that differ in anything (PRNG state included)
 * must not be merged, or a path could splice one state's event onto
 * another's future.
 */
const serializeState = (s: any) => JSON.stringify([s.value, s.status, s.context]);

/** Iterations that cost nothing repeat with a fresh PRNG state forever; one of them is enough. */
const stopWhen = (s: any) => s.context.run.idle >= 1;

function sut(input: GepaMachineInput) {
  const evaluate = deferredLogic<EvalOutput, EvalRequest>();
  const reflect = deferredLogic<ReflectOutput, ReflectRequest>();
  const persist = deferredLogic<void, PersistInput>();
  const checkStop = deferredLogic<StopReason | null, CheckStopInput>();
  const machine = gepaMachine.provide({ actors: { evaluate: evaluate.logic, reflect: reflect.logic, persist: persist.logic, checkStop: checkStop.logic } });
  const emitted: AnyEventObject[] = [];
  const actor = createActor(machine, { input });
  actor.on('*', (e) => void emitted.push(e));
  actor.start();
  const byId = (id: string) => (EVALUATE_IDS.includes(id) ? evaluate : id === 'reflect' ? reflect : id === 'persist' ? persist : checkStop);
  return { actor, emitted, byId, persist };
}

function checkInvariants(run: GepaRunState): void {
  const paid = Object.values(run.cache).reduce((n, forCandidate) => n + Object.keys(forCandidate).length, 0);
  expect(run.metricCalls).toBe(paid);
  for (const c of run.candidates) expect(c.valScores).toEqual(run.exampleIds.val.map((id) => run.cache[c.hash]![id]!.score));
  run.frontier.best.forEach((best, i) => expect(best).toBe(Math.max(...run.candidates.map((c) => c.valScores[i]!))));
}

async function replay(input: GepaMachineInput, path: { steps: { event: AnyEventObject; state: any }[] }) {
  const s = sut(input);
  let persisted = 0;
  let prev: any = s.actor.getSnapshot();
  for (const step of path.steps) {
    const { type } = step.event;
    if (type === 'xstate.init') continue;
    if (type === 'GEPA.STOP') {
      s.actor.send({ type: 'GEPA.STOP' });
    } else {
      const id = type.split('.').at(-1)!;
      const pending = s.byId(id).next() as Pending<unknown, unknown>;
      // The actor was asked exactly what the state said it would ask.
      if (EVALUATE_IDS.includes(id)) expect(pending.input).toEqual(prev.context.pending);
      if (id === 'persist') expect((pending.input as PersistInput).record).toEqual(prev.context.record);
      if (type.startsWith('xstate.done')) pending.resolve((step.event as any).output);
      else pending.reject((step.event as any).error);
      if (id === 'persist' && type.startsWith('xstate.done')) persisted++;
    }
    await flush();
    const snap = s.actor.getSnapshot() as any;
    expect(snap.value).toEqual(step.state.value);
    expect(snap.context.run).toEqual(step.state.context.run);
    expect(snap.context.stopReason).toBe(step.state.context.stopReason);
    checkInvariants(snap.context.run);
    prev = snap;
  }
  // One GEPA.ITERATION per saved iteration, after it was saved.
  expect(s.emitted.filter((e) => e.type === 'GEPA.ITERATION')).toHaveLength(persisted);
  return s;
}

function traverse(input: GepaMachineInput) {
  const machine = gepaMachine.provide({ actions: silenced(['announceIteration']) });
  return getShortestPaths(machine, { input, events, serializeState, stopWhen } as any) as unknown as {
    steps: { event: AnyEventObject; state: any }[];
    state: any;
  }[];
}

const stable = (paths: { state: any }[]) => new Set(paths.map((p) => p.state.value as string));

describe('GEPA statechart, model-based', () => {
  const reflectiveInput: GepaMachineInput = { run: freshRun({ chain_length: 1 }), limits: { maxMetricCalls: 6, targetScore: null, maxReflectionFailures: 5 } };
  const reflective = traverse(reflectiveInput);
  const mergeInput: GepaMachineInput = { run: mergeReadyRun(), limits: { maxMetricCalls: 10, targetScore: null, maxReflectionFailures: 5 } };
  const merge = traverse(mergeInput);
  const chainInput: GepaMachineInput = { run: freshRun({ chain_length: 2 }), limits: { maxMetricCalls: 8, targetScore: null, maxReflectionFailures: 5 } };
  const chained = traverse(chainInput);

  it('chains an accepted child into another step before validating it, and validates a chain that stops', () => {
    // Validated after two accepted steps, and after one accepted step whose successor failed in any way.
    const validatedAt = new Set(chained.filter((p) => p.state.value === 'validating').map((p) => p.state.context.work?.chain));
    expect(validatedAt).toEqual(new Set([1]));
    const stepsBeforeValidation = chained
      .filter((p) => p.state.value === 'validating')
      .map((p) => p.steps.map((s) => s.state.value).filter((v) => v === 'evaluatingChild').length);
    expect(new Set(stepsBeforeValidation)).toEqual(new Set([1, 2]));
    // The validated candidate is the chain's last accepted child, never a rejected one.
    for (const p of chained.filter((q) => q.state.value === 'validating')) expect(p.state.context.work.child).toBeTruthy();
  });

  it.each(chained.slice(0, 60).map((p) => [p.steps.map((s) => s.event.type.replace('xstate.', '')).join(' > ') || '(start)', p] as const))(
    'replays chain path %s on a real actor',
    async (_name, path) => {
      const s = await replay(chainInput, path);
      s.actor.stop();
    },
  );

  it('reaches every state that waits on an effect, and both final states', () => {
    for (const state of ['evaluatingSeed', 'checking', 'evaluatingParent', 'reflecting', 'evaluatingChild', 'validating', 'persisting', 'done', 'failed']) {
      expect(stable(reflective)).toContain(state);
    }
    expect(stable(merge)).toContain('evaluatingMerge');
    const outcomes = new Set(reflective.map((p) => p.state.context.work?.outcome).filter(Boolean));
    for (const o of ['seed', 'skipped_perfect', 'no_change', 'rejected', 'accepted', 'reflection_failed']) expect(outcomes).toContain(o);
    const mergeOutcomes = new Set(merge.map((p) => p.state.context.work?.outcome));
    for (const o of ['merge_rejected', 'accepted', 'duplicate']) expect(mergeOutcomes).toContain(o);
    const reasons = new Set(reflective.map((p) => p.state.context.stopReason));
    for (const r of ['max_metric_calls', 'stop_file', 'stop_requested']) expect(reasons).toContain(r);
  });

  it.each(reflective.map((p) => [p.steps.map((s) => s.event.type.replace('xstate.', '')).join(' > ') || '(start)', p] as const))(
    'replays %s on a real actor',
    async (_name, path) => {
      const s = await replay(reflectiveInput, path);
      s.actor.stop();
    },
  );

  it.each(merge.map((p) => [p.steps.map((s) => s.event.type.replace('xstate.', '')).join(' > ') || '(start)', p] as const))(
    'replays merge path %s on a real actor',
    async (_name, path) => {
      const s = await replay(mergeInput, path);
      s.actor.stop();
    },
  );

  it('commits an accepted merge with both parents and the combined components', async () => {
    const path = merge.find((p) => p.state.value === 'persisting' && p.state.context.work?.kind === 'merge' && p.state.context.work?.outcome === 'accepted');
    expect(path).toBeDefined();
    const s = await replay(mergeInput, path!);
    const run = (s.actor.getSnapshot() as any).context.run as GepaRunState;
    expect(run.candidates[3]).toMatchObject({ parents: [1, 2], origin: 'merge', components: { a: 'A1', b: 'B2' } });
    expect(run.merge).toMatchObject({ due: 0, tested: 1, triplets: [[1, 2, 0]] });
    s.actor.stop();
  });
});

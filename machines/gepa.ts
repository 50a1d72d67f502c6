/**
 * The GEPA optimisation loop (arXiv 2507.19457, Algorithm 1) as a statechart.
 *
 *   initializing -> startingSeed -> evaluatingSeed -> updatingFrontier -> persisting -> checking
 *   checking -> planning -> selecting -> sampling -> evaluatingParent -> judgingParent
 *     judgingParent -> persisting                     (parent perfect on the minibatch: skip)
 *     judgingParent -> reflecting -> persisting       (no change, a known candidate, or reflection failed)
 *     judgingParent -> reflecting -> evaluatingChild -> judgingChild
 *       judgingChild -> sampling -> evaluatingParent ...                (strict improvement, chain not full: mutate the child again)
 *       judgingChild -> validating -> updatingFrontier -> persisting   (strict improvement, or the chain ends: validate its last child)
 *       judgingChild -> persisting                                      (rejected)
 *   planning -> merging -> evaluatingMerge -> judgingMerge -> validating | persisting
 *   persisting -> checking -> done     (budget, target, time, stop file, GEPA.STOP, reflection failures, converged, no progress)
 *   evaluating* -> done                 (the request does not fit the budget left: nothing is evaluated)
 *
 * The whole search state is `context.run`: plain JSON, persisted after every
 * iteration, so a run can be resumed from it. Every random draw uses the PRNG
 * state kept there. Effects (evaluation, reflection, persistence, the stop
 * probe) are promise actors provided by name; the machine itself does no I/O.
 */
import { and, assign, emit, fromPromise, setup } from 'xstate';
import type { GepaEmitted, GepaInbound } from './gepaEvents.js';
import {
  applyProposal,
  beginIteration,
  canExtendChain,
  chainPending,
  endChain,
  extendChain,
  childImproved,
  chooseComponents,
  commitChild,
  iterationRecord,
  mergeAccepted,
  mergeScheduled,
  parentPerfect,
  recordChildScores,
  recordParentScores,
  reflectRequest,
  sampleStep,
  seedWork,
  selectParentStep,
  startMerge,
  parentOf,
  type IterationWork,
  type ReflectOutput,
  type ReflectRequest,
} from '../contracts/gepa/iteration.js';
import { converged, finishIteration, stalled } from '../contracts/gepa/stopping.js';
import { applyEvaluation, bestValScore, evalRequest, seedsPending, valIndices, type EvalOutput, type EvalRequest } from '../contracts/gepa/state.js';
import type { GepaRunState, IterationRecord, StopReason } from '../contracts/gepa/types.js';
import { errorMessage } from '../contracts/errors.js';

export interface GepaLimits {
  /** A hard cap: no evaluation starts that could take the run past it. */
  maxMetricCalls: number;
  targetScore: number | null;
  /** Stop with `reflection_failed` after this many failed reflections in a row. */
  maxReflectionFailures: number;
  /** Stop with `max_reflection_tokens` once the reflection model has used this many tokens; null = no cap. */
  maxReflectionTokens?: number | null;
}

export interface GepaMachineInput {
  run: GepaRunState;
  limits: GepaLimits;
}

export interface GepaContext {
  run: GepaRunState;
  limits: GepaLimits;
  /** The iteration in progress. */
  work: IterationWork | null;
  /** The evaluation the current evaluating* state asks for. */
  pending: EvalRequest | null;
  /** The record of the iteration being persisted / last persisted. */
  record: IterationRecord | null;
  /** Evaluations since the last save, in the order they were paid: persisting appends them. */
  unsaved: EvalOutput[];
  stopRequested: boolean;
  stopReason: StopReason | null;
  error: string | null;
}

export interface PersistInput {
  run: GepaRunState;
  record: IterationRecord;
  /** New evaluations since the last save, in order. */
  evaluations: EvalOutput[];
}

export interface CheckStopInput {
  run: GepaRunState;
}

export interface GepaOutput {
  status: 'done' | 'failed';
  stopReason: StopReason | null;
  error: string | null;
  run: GepaRunState;
}

const notProvided = (name: string) => async (): Promise<never> => {
  throw new Error(`${name} is not provided: the runtime must supply it (see src/gepa/optimize.ts)`);
};

export interface EvalPick {
  split: 'train' | 'val';
  indices: number[];
  /** Evaluate the work's child (true) or its parent. */
  child: boolean;
}

/**
 * Every evaluating state first checks that its request fits the budget left.
 * If not, nothing is evaluated and the run ends; the cut iteration is not
 * saved, so a resume with a larger budget redoes it as an uninterrupted run would.
 */
const overBudget = {
  guard: 'overBudget',
  target: 'done',
  actions: { type: 'stopWith', params: 'max_metric_calls' },
} as const;

/**
 * The five evaluating states differ only in what they evaluate and where they go next:
 * ask the adapter through `evaluate`, fold the scores in, and fail the run on an error.
 */
function evaluating(spec: {
  id: string;
  /** What the request covers, from the context. */
  request: (context: GepaContext) => EvalPick;
  /** The next state once the scores are in. */
  then: 'updatingFrontier' | 'judgingMerge' | 'judgingParent' | 'judgingChild';
  /** Also keep the minibatch scores as the parent's or the child's. */
  record?: 'recordParentScores' | 'recordChildScores';
  /** Cut by the budget before it starts (the seed's validation never is: the runtime refuses such a budget). */
  cut: boolean;
  /** For the failure message: "<what> failed: …". */
  what: string;
  description: string;
}) {
  return {
    description: spec.description,
    entry: { type: 'requestEval' as const, params: ({ context }: { context: GepaContext }) => spec.request(context) },
    ...(spec.cut ? { always: overBudget } : {}),
    invoke: {
      id: spec.id,
      src: 'evaluate' as const,
      input: ({ context }: { context: GepaContext }) => context.pending!,
      onDone: {
        target: spec.then,
        actions: [
          { type: 'applyEval' as const, params: ({ event }: { event: { output: EvalOutput } }) => event.output },
          ...(spec.record ? [spec.record] : []),
        ],
      },
      onError: {
        target: 'failed' as const,
        actions: { type: 'fail' as const, params: ({ event }: { event: { error: unknown } }) => `${spec.what} failed: ${errorMessage(event.error)}` },
      },
    },
  };
}

export const gepaMachine = setup({
  types: {
    context: {} as GepaContext,
    events: {} as GepaInbound,
    input: {} as GepaMachineInput,
    output: {} as GepaOutput,
    emitted: {} as GepaEmitted,
  },
  actors: {
    evaluate: fromPromise<EvalOutput, EvalRequest>(notProvided('evaluate')),
    reflect: fromPromise<ReflectOutput, ReflectRequest>(notProvided('reflect')),
    persist: fromPromise<void, PersistInput>(notProvided('persist')),
    checkStop: fromPromise<StopReason | null, CheckStopInput>(notProvided('checkStop')),
  },
  guards: {
    seedsPending: ({ context }) => seedsPending(context.run),
    stopRequested: ({ context }) => context.stopRequested,
    budgetExhausted: ({ context }) => context.run.metricCalls >= context.limits.maxMetricCalls,
    overBudget: ({ context }) => context.run.metricCalls + (context.pending?.indices.length ?? 0) > context.limits.maxMetricCalls,
    reflectionBroken: ({ context }) => context.run.reflectionFailures >= context.limits.maxReflectionFailures,
    reflectionBudgetSpent: ({ context }) => context.limits.maxReflectionTokens != null && context.run.reflectionTokens >= context.limits.maxReflectionTokens,
    targetReached: ({ context }) => context.limits.targetScore !== null && bestValScore(context.run) >= context.limits.targetScore,
    converged: ({ context }) => converged(context.run),
    stalled: ({ context }) => stalled(context.run),
    mergeScheduled: ({ context }) => mergeScheduled(context.run),
    hasWork: ({ context }) => context.work !== null,
    parentPerfect: ({ context }) => parentPerfect(context.run, context.work!),
    childImproved: ({ context }) => childImproved(context.work!),
    canExtendChain: ({ context }) => canExtendChain(context.run, context.work!),
    chainPending: ({ context }) => chainPending(context.work!),
    mergeAccepted: ({ context }) => mergeAccepted(context.work!),
  },
  actions: {
    announceIteration: emit(({ context }) => ({ type: 'GEPA.ITERATION' as const, record: context.record! })),
    setOutcome: assign(({ context }, outcome: NonNullable<IterationWork['outcome']>) => ({ work: { ...context.work!, outcome } })),
    /** Entry of every evaluating state: what to evaluate, minus what the cache already holds. */
    requestEval: assign(({ context }, p: EvalPick) => {
      const candidate = p.child ? context.work!.child! : parentOf(context.run, context.work!);
      // Traces are asked for only where reflection can read them: train examples.
      return { pending: evalRequest(context.run, p.split, candidate, p.indices) };
    }),
    applyEval: assign(({ context }, output: EvalOutput) => ({
      run: applyEvaluation(context.run, output),
      pending: null,
      unsaved: output.entries.length ? [...context.unsaved, output] : context.unsaved,
    })),
    recordParentScores: assign(({ context }) => ({ work: recordParentScores(context.run, context.work!) })),
    recordChildScores: assign(({ context }) => ({ work: recordChildScores(context.run, context.work!) })),
    applyProposal: assign(({ context }, out: ReflectOutput) => ({
      work: applyProposal(context.run, context.work!, out),
      run: { ...context.run, reflectionFailures: 0, reflectionTokens: context.run.reflectionTokens + (out.tokens ?? 0) },
    })),
    reflectionFailed: assign(({ context }, error: string) => ({
      work: { ...context.work!, outcome: 'reflection_failed' as const, error },
      run: { ...context.run, reflectionFailures: context.run.reflectionFailures + 1 },
    })),
    extendChain: assign(({ context }) => ({ work: extendChain(context.work!) })),
    endChain: assign(({ context }) => ({ work: endChain(context.work!) })),
    fail: assign((_, message: string) => ({ error: message })),
    stopWith: assign((_, reason: StopReason) => ({ stopReason: reason })),
  },
}).createMachine({
  id: 'gepa',
  context: ({ input }) => ({
    run: input.run,
    limits: input.limits,
    work: null,
    pending: null,
    record: null,
    unsaved: [],
    stopRequested: false,
    stopReason: null,
    error: null,
  }),
  on: {
    'GEPA.STOP': { actions: assign({ stopRequested: true }) },
  },
  initial: 'initializing',
  states: {
    initializing: {
      description: 'Seed candidates still to score go first; else the search checks its stop conditions.',
      always: [{ guard: 'seedsPending', target: 'startingSeed' }, { target: 'checking' }],
    },
    startingSeed: {
      description: 'The next seed candidate becomes the work of this step.',
      entry: assign(({ context }) => ({ work: seedWork(context.run) })),
      always: 'evaluatingSeed',
    },
    evaluatingSeed: evaluating({
      id: 'evaluateSeed',
      request: (context) => ({ split: 'val', indices: valIndices(context.run), child: true }),
      then: 'updatingFrontier',
      cut: false,
      what: 'evaluating the seed candidate',
      description: 'A seed candidate is scored on the whole validation set.',
    }),
    checking: {
      description: 'Stop file, time, budget, target score, broken or spent reflection, convergence: any one ends the run.',
      invoke: {
        id: 'checkStop',
        src: 'checkStop',
        input: ({ context }) => ({ run: context.run }),
        onDone: [
          // Stop file or wall-clock limit, as probed by the runtime.
          { guard: ({ event }) => event.output !== null, target: 'done', actions: { type: 'stopWith', params: ({ event }) => event.output! } },
          { guard: 'stopRequested', target: 'done', actions: { type: 'stopWith', params: 'stop_requested' as const } },
          { guard: 'budgetExhausted', target: 'done', actions: { type: 'stopWith', params: 'max_metric_calls' as const } },
          { guard: 'targetReached', target: 'done', actions: { type: 'stopWith', params: 'target_score' as const } },
          { guard: 'reflectionBroken', target: 'done', actions: { type: 'stopWith', params: 'reflection_failed' as const } },
          { guard: 'reflectionBudgetSpent', target: 'done', actions: { type: 'stopWith', params: 'max_reflection_tokens' as const } },
          { guard: 'converged', target: 'done', actions: { type: 'stopWith', params: 'converged' as const } },
          { guard: 'stalled', target: 'done', actions: { type: 'stopWith', params: 'no_progress' as const } },
          // Several seed candidates: each is validated into the pool before the search starts.
          { guard: 'seedsPending', target: 'startingSeed' },
          { target: 'planning' },
        ],
        onError: {
          target: 'failed',
          actions: { type: 'fail', params: ({ event }) => `checking the stop conditions failed: ${errorMessage(event.error)}` },
        },
      },
    },
    planning: {
      description: 'A new iteration begins: a merge when one is scheduled, else a reflective mutation.',
      entry: assign(({ context }) => ({ run: beginIteration(context.run), work: null, record: null })),
      always: [{ guard: 'mergeScheduled', target: 'merging' }, { target: 'selecting' }],
    },
    merging: {
      description: 'Pick two candidates with a common ancestor whose merge is new.',
      entry: assign(({ context }) => startMerge(context.run)),
      // No mergeable pair: this iteration does a reflective mutation instead.
      always: [{ guard: 'hasWork', target: 'evaluatingMerge' }, { target: 'selecting' }],
    },
    evaluatingMerge: evaluating({
      id: 'evaluateMerge',
      request: (context) => ({ split: 'val', indices: context.work!.batch, child: true }),
      then: 'judgingMerge',
      record: 'recordChildScores',
      cut: true,
      what: 'evaluating a merged candidate',
      description: 'A merge of two candidates is scored on a validation subsample.',
    }),
    judgingMerge: {
      description: 'The merge joins the pool only if it beats both parents on the subsample.',
      always: [
        { guard: 'mergeAccepted', target: 'validating' },
        { target: 'persisting', actions: { type: 'setOutcome', params: 'merge_rejected' } },
      ],
    },
    selecting: {
      description: 'Choose the parent from the Pareto frontier (or by the configured strategy).',
      entry: assign(({ context }) => selectParentStep(context.run)),
      always: 'sampling',
    },
    sampling: {
      description: 'Draw the next minibatch of training examples.',
      entry: assign(({ context }) => sampleStep(context.run, context.work!)),
      always: 'evaluatingParent',
    },
    evaluatingParent: evaluating({
      id: 'evaluateParent',
      request: (context) => ({ split: 'train', indices: context.work!.batch, child: false }),
      then: 'judgingParent',
      record: 'recordParentScores',
      cut: true,
      what: 'evaluating the parent on the minibatch',
      description: 'The parent is scored on the minibatch, with traces for reflection.',
    }),
    judgingParent: {
      description: 'A parent already perfect on the minibatch is not mutated.',
      always: [
        // A chain whose working parent is already perfect here ends: validate it.
        { guard: and(['parentPerfect', 'chainPending']), target: 'validating', actions: 'endChain' },
        { guard: 'parentPerfect', target: 'persisting', actions: { type: 'setOutcome', params: 'skipped_perfect' } },
        { target: 'reflecting' },
      ],
    },
    reflecting: {
      description: 'The reflection model reads the traces and feedback and proposes new component texts.',
      entry: assign(({ context }) => chooseComponents(context.run, context.work!)),
      invoke: {
        id: 'reflect',
        src: 'reflect',
        input: ({ context }) => reflectRequest(context.run, context.work!),
        onDone: [
          {
            // Nothing changed, or the child is already in the pool: nothing to evaluate (a chain validates what it has).
            guard: ({ context, event }) => applyProposal(context.run, context.work!, event.output).outcome !== null && chainPending(context.work!),
            target: 'validating',
            actions: [{ type: 'applyProposal', params: ({ event }) => event.output }, 'endChain'],
          },
          {
            guard: ({ context, event }) => applyProposal(context.run, context.work!, event.output).outcome !== null,
            target: 'persisting',
            actions: { type: 'applyProposal', params: ({ event }) => event.output },
          },
          { target: 'evaluatingChild', actions: { type: 'applyProposal', params: ({ event }) => event.output } },
        ],
        // A failed reflection costs the iteration, not the run (as in the reference); a chain validates what it has.
        onError: [
          {
            guard: 'chainPending',
            target: 'validating',
            actions: [{ type: 'reflectionFailed', params: ({ event }) => errorMessage(event.error) }, 'endChain'],
          },
          { target: 'persisting', actions: { type: 'reflectionFailed', params: ({ event }) => errorMessage(event.error) } },
        ],
      },
    },
    evaluatingChild: evaluating({
      id: 'evaluateChild',
      request: (context) => ({ split: 'train', indices: context.work!.batch, child: true }),
      then: 'judgingChild',
      record: 'recordChildScores',
      cut: true,
      what: 'evaluating the child on the minibatch',
      description: 'The proposed child is scored on the same minibatch.',
    }),
    judgingChild: {
      description: 'A child that beats its parent on the minibatch is chained or validated; otherwise rejected.',
      always: [
        // Accepted on its minibatch: mutate it again on the next minibatch before paying a validation.
        { guard: and(['childImproved', 'canExtendChain']), target: 'sampling', actions: 'extendChain' },
        { guard: 'childImproved', target: 'validating' },
        { guard: 'chainPending', target: 'validating', actions: 'endChain' },
        { target: 'persisting', actions: { type: 'setOutcome', params: 'rejected' } },
      ],
    },
    validating: evaluating({
      id: 'validate',
      request: (context) => ({ split: 'val', indices: valIndices(context.run), child: true }),
      then: 'updatingFrontier',
      cut: true,
      what: 'validating a candidate',
      description: 'An accepted child is scored on the whole validation set before it joins the pool.',
    }),
    updatingFrontier: {
      description: 'The validated candidate joins the pool and the Pareto frontier.',
      entry: assign(({ context }) => commitChild(context.run, context.work!)),
      always: 'persisting',
    },
    persisting: {
      description: 'The iteration is appended to the run directory and announced.',
      entry: assign(({ context }) => {
        const run = finishIteration(context.run, context.work!);
        return { run, record: iterationRecord(run, context.work!) };
      }),
      invoke: {
        id: 'persist',
        src: 'persist',
        input: ({ context }) => ({ run: context.run, record: context.record!, evaluations: context.unsaved }),
        onDone: { target: 'checking', actions: ['announceIteration', assign({ unsaved: [] })] },
        onError: {
          target: 'failed',
          actions: { type: 'fail', params: ({ event }) => `saving the run state failed: ${errorMessage(event.error)}` },
        },
      },
    },
    done: { type: 'final', description: 'The search stopped; the stop reason says why.' },
    failed: { type: 'final', description: 'An effect failed; the error says which.' },
  },
  output: ({ context }) => ({
    status: context.error ? 'failed' : 'done',
    stopReason: context.stopReason,
    error: context.error,
    run: context.run,
  }),
});

/**
 * The ReAct loop, shared by the AIME dynamic actor (machines/actor.ts) and the
 * agents of a team (machines/teamAgent.ts):
 *
 *   reasoning (one model call) -> acting (its tool calls) -> observing -> reasoning ...
 *
 * until the model answers (a reply without tool calls), or the step limit,
 * or a broken effect ends it. `reactStates` builds these three states; the
 * machine that uses it names where an answer and a failure go, and implements
 * the loop's named actions over its own context (the action names are the
 * loop's vocabulary, below).
 *
 * The step-limit rule (one rule for both): the limit counts model calls.
 * A reply without tool calls always ends the loop, even on the last allowed
 * call. When the last allowed call still asks for tools, they are not run (no
 * model call would read their results): the loop ends at once with a "step
 * limit" failure. So a loop makes at most `maxSteps` model calls (at least
 * one: a limit below 1 counts as 1) and always ends.
 */

/** What the loop does after a model reply, given the model calls made so far (this one included). */
export type ReactMove = 'answer' | 'act' | 'stepLimit';

export function reactMove(callsMade: number, maxSteps: number, wantsTools: boolean): ReactMove {
  if (!wantsTools) return 'answer';
  return callsMade >= Math.max(1, maxSteps) ? 'stepLimit' : 'act';
}

/** Guard implementation: the call just made (not yet counted in `callsBefore`) was the last one allowed. */
export function isLastAllowedCall(callsBefore: number, maxSteps: number): boolean {
  return reactMove(callsBefore + 1, maxSteps, true) === 'stepLimit';
}

/*
 * The loop's vocabulary: actions and guards every machine that uses `reactStates` names in its setup()
 * (its setup() types check each name and its params).
 * - guards: `answered` (params: the reply) a reply without tool calls; `stepLimitReached` (see `isLastAllowedCall`)
 * - actions: `recordCall` (params: the reply) counts the call, keeps its message, usage and tool calls;
 *   `recordAnswer` (params: the reply); `recordObservations` (params: the tool outcomes);
 *   `failStepLimit`; `failModelCall` and `failTools` (params: the error)
 */
/** Names a machine passes in: its targets and extra actions (each a string literal type, checked by its setup()). */
export interface ReactNames {
  target: string;
  modelSrc: string;
  toolsSrc: string;
  replyAction: string;
  observedAction: string;
  rejectGuard: string;
  rejectAction: string;
}

export interface ReactOptions<TContext, TModelIn, TToolsIn, N extends ReactNames> {
  /** The provided model-call actor and its input. */
  model: { src: N['modelSrc']; input: (args: { context: TContext }) => TModelIn };
  /** The provided tool-execution actor and its input. */
  tools: { src: N['toolsSrc']; input: (args: { context: TContext }) => TToolsIn };
  /** Where an answer goes, and where every failure (model call, tools, step limit, a rejected answer) goes. */
  answered: N['target'];
  failed: N['target'];
  /** More named actions taking the reply, run with recordCall on every reply (e.g. report usage upwards). */
  onReply?: N['replyAction'][];
  /** More named actions taking the tool outcomes, run with recordObservations. */
  onObserved?: N['observedAction'][];
  /** A guard that rejects an answer (e.g. it breaks the output schema) and the action that records why; both take the reply. */
  rejectAnswer?: { guard: N['rejectGuard']; action: N['rejectAction'] };
}

type Reply<R> = { event: { output: R } };
type Failure = { event: { error: unknown } };
/** One `{ type, params }` per action name (distributed, so each name is checked against its own params). */
type Named<TName, TParams> = TName extends unknown ? { type: TName; params: TParams } : never;

function named<TName, TParams>(names: TName[] | undefined, params: TParams): Named<TName, TParams>[] {
  return (names ?? []).map((type) => ({ type, params }) as Named<TName, TParams>);
}

/**
 * The reasoning, acting and observing states of the loop, for a machine's `states`:
 * `reactStates<Reply, ToolOutcomes>()({ ... })` (the first call fixes what the two effects return; the rest is inferred).
 */
export function reactStates<TReply, TOutcomes>() {
  return <
    TContext,
    TModelIn,
    TToolsIn,
    const TTarget extends string,
    const TModelSrc extends string,
    const TToolsSrc extends string,
    const TReplyAction extends string = never,
    const TObservedAction extends string = never,
    const TRejectGuard extends string = never,
    const TRejectAction extends string = never,
  >(
    o: ReactOptions<TContext, TModelIn, TToolsIn, Names<TTarget, TModelSrc, TToolsSrc, TReplyAction, TObservedAction, TRejectGuard, TRejectAction>>,
  ) =>
    loop<TReply, TOutcomes, TContext, TModelIn, TToolsIn, Names<TTarget, TModelSrc, TToolsSrc, TReplyAction, TObservedAction, TRejectGuard, TRejectAction>>(o);
}

type Names<T extends string, M extends string, U extends string, R extends string, O extends string, G extends string, A extends string> = {
  target: T;
  modelSrc: M;
  toolsSrc: U;
  replyAction: R;
  observedAction: O;
  rejectGuard: G;
  rejectAction: A;
};

function loop<TReply, TOutcomes, TContext, TModelIn, TToolsIn, N extends ReactNames>(o: ReactOptions<TContext, TModelIn, TToolsIn, N>) {
  const reply = ({ event }: Reply<TReply>) => event.output;
  const outcomes = ({ event }: Reply<TOutcomes>) => event.output;
  const error = ({ event }: Failure) => event.error;
  const call = [{ type: 'recordCall' as const, params: reply }, ...named(o.onReply, reply)];
  const rejected = o.rejectAnswer
    ? [{ guard: { type: o.rejectAnswer.guard, params: reply }, target: o.failed, actions: [...call, { type: o.rejectAnswer.action, params: reply }] }]
    : [];
  return {
    reasoning: {
      description: 'Thought: one model call decides the next move, an answer or tool calls; the step limit counts these calls.',
      invoke: {
        id: o.model.src,
        src: o.model.src,
        input: o.model.input,
        onDone: [
          ...rejected,
          { guard: { type: 'answered' as const, params: reply }, target: o.answered, actions: [...call, { type: 'recordAnswer' as const, params: reply }] },
          // The last allowed call still asks for tools: they are not run, nothing would read their results.
          { guard: 'stepLimitReached' as const, target: o.failed, actions: [...call, 'failStepLimit' as const] },
          { target: 'acting', actions: call },
        ],
        onError: { target: o.failed, actions: { type: 'failModelCall' as const, params: error } },
      },
    },
    acting: {
      description: 'Action: the requested tools run (their errors come back as observations).',
      invoke: {
        id: o.tools.src,
        src: o.tools.src,
        input: o.tools.input,
        onDone: {
          target: 'observing',
          actions: [{ type: 'recordObservations' as const, params: outcomes }, ...named(o.onObserved, outcomes)],
        },
        // Tools report their own failures as observations; reaching here means the runtime broke.
        onError: { target: o.failed, actions: { type: 'failTools' as const, params: error } },
      },
    },
    observing: {
      description: 'Observation: the tool results joined the conversation; the next model call reads them.',
      always: { target: 'reasoning' },
    },
  };
}

/**
 * Gives the team statecharts their effects and ties the workflow kinds
 * together. Kinds nest inside each other (a loop in a sequence in a loop), so
 * each provided machine needs the others: XState's provide() copies its
 * implementations, so the three provided machines are made first, then handed
 * each other in their (fresh, per-provide) implementation maps.
 */
import { fromPromise, type AnyActorLogic, type AnyStateMachine } from 'xstate';
import { teamAgentMachine, type AgentToolOutcome, type CallModelInput, type CallModelResult, type AgentToolsInput } from '../../machines/teamAgent.js';
import { teamLoopMachine } from '../../machines/teamLoop.js';
import { teamParallelMachine } from '../../machines/teamParallel.js';
import { teamRunMachine } from '../../machines/teamRun.js';
import { teamSequentialMachine } from '../../machines/teamSequential.js';
import { callAgentModel, runAgentTools, type AgentEnv } from './effects.js';

/** `signal` is XState's: aborted when the agent's actor stops (a cancelled run), so the call stops too. */
export interface AgentEffects {
  callModel(input: CallModelInput, signal: AbortSignal): Promise<CallModelResult>;
  runTools(input: AgentToolsInput, signal: AbortSignal): Promise<AgentToolOutcome[]>;
}

export function effectsFor(env: Omit<AgentEnv, 'signal'>): AgentEffects {
  return {
    callModel: (input, signal) => callAgentModel({ ...env, signal }, input),
    runTools: (input, signal) => runAgentTools({ ...env, signal }, input),
  };
}

/** The agent statechart with its effects. */
export function provideAgent(effects: AgentEffects) {
  return teamAgentMachine.provide({
    actors: {
      callModel: fromPromise<CallModelResult, CallModelInput>(({ input, signal }) => effects.callModel(input, signal)),
      runTools: fromPromise<AgentToolOutcome[], AgentToolsInput>(({ input, signal }) => effects.runTools(input, signal)),
    },
  });
}

function tie(machines: AnyStateMachine[], actors: Record<string, AnyActorLogic>): void {
  for (const m of machines) Object.assign(m.implementations.actors as Record<string, AnyActorLogic>, actors);
}

// Building a machine is a good part of a run's cost (state node trees): one set per effects object.
const provided = new WeakMap<AgentEffects, ReturnType<typeof buildTeam>>();

/** The root statechart of a team run, every node kind wired, agents given `effects`. */
export function provideTeam(effects: AgentEffects) {
  let machine = provided.get(effects);
  if (!machine) provided.set(effects, (machine = buildTeam(effects)));
  return machine;
}

function buildTeam(effects: AgentEffects) {
  const agent = provideAgent(effects);
  const sequential = teamSequentialMachine.provide({ actors: { agent } });
  const loop = teamLoopMachine.provide({ actors: { agent } });
  const parallel = teamParallelMachine.provide({ actors: { agent } });
  const root = teamRunMachine.provide({ actors: { agent } });
  tie([sequential, loop, parallel, root], { sequential, loop, parallel });
  return root;
}

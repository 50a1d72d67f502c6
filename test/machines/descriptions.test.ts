/** Every state says what it is for, and the dashboard's statechart JSON carries it. */
import { describe, expect, it } from 'vitest';
import { actorMachine } from '../../machines/actor.js';
import { gepaMachine } from '../../machines/gepa.js';
import { optimizerMachine } from '../../machines/optimizer.js';
import { teamAgentMachine } from '../../machines/teamAgent.js';
import { teamLoopMachine } from '../../machines/teamLoop.js';
import { teamParallelMachine } from '../../machines/teamParallel.js';
import { teamRunMachine } from '../../machines/teamRun.js';
import { teamSequentialMachine } from '../../machines/teamSequential.js';
import { plannerMachine } from '../../machines/planner.js';
import { progressMachine } from '../../machines/progress.js';
import { workflowMachine } from '../../machines/workflow.js';
import { describeLogic, type StateNodeJson } from '../../src/runtime/machineDefinition.js';

const MACHINES = {
  workflow: workflowMachine,
  planner: plannerMachine,
  progress: progressMachine,
  actor: actorMachine,
  gepa: gepaMachine,
  optimizer: optimizerMachine,
  teamAgent: teamAgentMachine,
  teamLoop: teamLoopMachine,
  teamParallel: teamParallelMachine,
  teamRun: teamRunMachine,
  teamSequential: teamSequentialMachine,
};

function undescribed(node: StateNodeJson, isRoot = true): string[] {
  const own = !isRoot && !node.description ? [node.id] : [];
  return [...own, ...node.children.flatMap((c) => undescribed(c, false))];
}

describe('statechart descriptions', () => {
  for (const [name, machine] of Object.entries(MACHINES)) {
    it(`${name}: every state has a description in the drawn definition`, () => {
      const def = describeLogic(machine);
      expect(def).not.toBeNull();
      expect(undescribed(def!.root)).toEqual([]);
    });
  }
});

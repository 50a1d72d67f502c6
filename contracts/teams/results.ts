/**
 * Pure arithmetic on node results, shared by the workflow statecharts:
 * folding a finished step into a running result, joining parallel branches,
 * and the loop's exit condition.
 */
import type { ExitCondition, NodeResult, TeamState } from './types.js';

export const EMPTY_RESULT: NodeResult = Object.freeze({ output: '', writes: {}, traces: [], error: null }) as NodeResult;

/** A step finished after the ones folded into `acc`: its output is now the latest, its writes win. */
export function foldStep(acc: NodeResult, step: NodeResult): NodeResult {
  return {
    output: step.output,
    writes: { ...acc.writes, ...step.writes },
    traces: [...acc.traces, ...step.traces],
    error: step.error,
  };
}

/**
 * Branches ran from the same state and did not see each other. They are
 * joined in branch order, whatever order they finished in: a later branch's
 * write of the same key wins, outputs are joined by blank lines.
 */
export function joinBranches(results: readonly NodeResult[]): NodeResult {
  const failed = results.find((r) => r.error !== null);
  return {
    output: results
      .map((r) => r.output)
      .filter((o) => o !== '')
      .join('\n\n'),
    writes: Object.assign({}, ...results.map((r) => r.writes)) as TeamState,
    traces: results.flatMap((r) => r.traces),
    error: failed?.error ?? null,
  };
}

/** A child actor crashed (a bug, not a model failure): its parent fails with this. */
export function crashResult(childId: string, error: unknown): NodeResult {
  const message = error instanceof Error ? error.message : String(error);
  return { output: '', writes: {}, traces: [], error: `internal error in ${childId}: ${message}` };
}

/** Whether a loop stops after a step that produced `step`, with `state` the shared state after it. */
export function exitConditionMet(until: ExitCondition | undefined, state: TeamState, step: NodeResult): boolean {
  if (!until) return false;
  if ('agent' in until) {
    const last = [...step.traces].reverse().find((t) => t.agent === until.agent && t.error === null);
    return last !== undefined && last.output.includes(until.contains);
  }
  const value = state[until.key];
  if (value === undefined) return false;
  return 'equals' in until ? value.trim() === until.equals.trim() : value.includes(until.contains);
}

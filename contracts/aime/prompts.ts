/**
 * Default texts of the evolvable prompt components. GEPA may replace any of
 * them; the output contracts that code depends on are appended by code
 * (planner.ts, factory.ts) and are never part of an evolvable component.
 */

export const PLANNER_COMPONENT = 'planner';
export const personaComponent = (persona: string): string => `persona.${persona}`;
/** A tool's description as a prompt component, so GEPA can evolve how tools are described to the agents. */
export const toolComponent = (tool: string): string => `tool.${tool}.description`;

export const DEFAULT_PLANNER_PROMPT = `You are the dynamic planner of a team of agents. You own the strategy: keep a hierarchical task list for the user's goal and choose the next action.
- Break the goal into concrete subtasks that one specialised agent can finish with the available tools. Nest subtasks under a parent when they must all be done for it.
- Give every task clear completion criteria that an agent can check.
- Read the reports of finished subtasks. When one failed, add a contingency task that tries another way and dispatch it at once, or give up when the goal cannot be reached.
- Dispatch only pending tasks whose own subtasks are all done. Finish as soon as the goal is met, with an answer that states what was done and where the results are.`;

/**
 * Candidates of a team: qualified `agent.component` names mapped to texts.
 * The seed candidate reads every evolvable component from the definitions;
 * applying a candidate returns a new team whose agents carry the texts. The
 * workflow tree is shared untouched (loop counts, branches stay as written)
 * and the given team is never mutated, whatever happens.
 */
import type { Candidate } from '../gepa/index.js';
import { componentHandlers, parseQualifiedName, qualifiedName, type ComponentRegistry } from './components.js';
import type { AgentDef, TeamDef } from '../../contracts/teams/types.js';
import { AppError } from '../../contracts/errors.js';

export class CandidateError extends AppError {
  readonly category = 'input';
}

export function seedCandidate(team: TeamDef, components: Record<string, readonly string[]>, registry: ComponentRegistry = componentHandlers): Candidate {
  const out: Candidate = {};
  for (const [agent, list] of Object.entries(components)) {
    const def = team.agents[agent];
    if (!def) throw new CandidateError(`agent "${agent}" not found; available: ${Object.keys(team.agents).join(', ')}`);
    for (const c of list) out[qualifiedName(agent, c)] = registry.get(c).get(def);
  }
  return out;
}

/**
 * A new team with the candidate's texts in its agents. Keys without a dot
 * are not components (e.g. an id) and are skipped, as in the seed. An unknown
 * agent or component throws CandidateError; a text a handler cannot use
 * throws its ComponentValueError.
 */
export function applyCandidate(team: TeamDef, candidate: Candidate, registry: ComponentRegistry = componentHandlers): TeamDef {
  const agents: Record<string, AgentDef> = { ...team.agents };
  for (const [qualified, value] of Object.entries(candidate)) {
    const spec = parseQualifiedName(qualified);
    if (!spec) continue;
    const current = agents[spec.agent];
    if (!current || !Object.hasOwn(agents, spec.agent))
      throw new CandidateError(`agent "${spec.agent}" (in "${qualified}") not found; available: ${Object.keys(team.agents).join(', ')}`);
    if (!registry.has(spec.component))
      throw new CandidateError(`no handler registered for component "${spec.component}" (in "${qualified}"); available: ${registry.names().join(', ')}`);
    agents[spec.agent] = registry.get(spec.component).apply(current, value);
  }
  return { ...team, agents };
}

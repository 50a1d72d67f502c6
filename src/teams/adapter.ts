/**
 * The GEPA adapter for agent teams (the seed's MultiAgentAdapter, in our
 * design). Candidates name components `agent.component`; each evaluation runs
 * the team with the candidate applied to a copy of its definitions and scores
 * the primary agent's output. Construction fails fast on a mapping or team
 * that cannot work. An example that fails scores 0 with an error trajectory
 * and the batch goes on; only a cancellation propagates.
 */
import { isJudgeError } from '../judge/judge.js';
import type { Candidate, EvaluateOptions, EvaluationBatch, GepaAdapter, ReflectiveDataset } from '../gepa/index.js';
import type { ChatModel } from '../../contracts/llm.js';
import { errorMessage, AppError } from '../../contracts/errors.js';
import { applyCandidate, CandidateError, seedCandidate } from './candidate.js';
import { componentHandlers, type ComponentRegistry } from './components.js';
import { checkTeamTools, type AgentEnv } from './effects.js';
import { mapLimit } from './pool.js';
import { buildTrial, proposeTeamTexts } from './reflective.js';
import { runTeam, TeamRunCancelled } from './runner.js';
import { exactMatch } from './scorer.js';
import { toScoreResult, type ScoreMetadata, type ScoreResult, type Scorer, type TeamScorerArgs } from '../gepa/scorer.js';
import type { TeamExample } from '../../contracts/teams/types.js';
import { agentTrajectories, totalUsage, type TeamTrajectory } from './trajectory.js';
import type { TeamDef } from '../../contracts/teams/types.js';
import { effectsFor, type AgentEffects } from './wiring.js';

export const DEFAULT_TEAM_CONCURRENCY = 5;

export class TeamAdapterError extends AppError {
  readonly category = 'input';
}

/** Options of `createTeamAdapter`: the team, models, scorer, concurrency. */
export interface TeamAdapterOptions extends AgentEnv {
  team: TeamDef;
  /** Default: the team's `primary`. */
  primary?: string;
  /** agent -> components that evolve ([] = frozen). Default: the team's `components`. */
  components?: Record<string, string[]>;
  /** Default: exact match against `expected`. */
  scorer?: Scorer<TeamScorerArgs> | null;
  /** Default: the team's share_session. */
  shareSession?: boolean;
  /** Writes the new texts (GEPA's reflection step). */
  reflectionModel: ChatModel;
  /** GEPA reflection template (<curr_param>, <side_info>); null = the built-in one. */
  reflectionTemplate?: string | null;
  /** Examples of one batch evaluated at once (default 5). */
  maxConcurrency?: number;
  registry?: ComponentRegistry;
  /** Replaces the model/tool effects (tests, benchmarks). */
  effects?: AgentEffects;
}

/** EvaluationBatch plus what the seed keeps beside it: the scorer's metadata and the inputs. */
export interface TeamEvaluationBatch extends EvaluationBatch<string, TeamTrajectory> {
  metadata: (ScoreMetadata | null)[];
  inputs: string[];
}

/** The GEPA adapter for an agent team: components are `agent.component`. */
export interface TeamAdapter extends GepaAdapter<TeamExample, string, TeamTrajectory> {
  readonly team: TeamDef;
  readonly primary: string;
  readonly components: Record<string, string[]>;
  /** The texts of every evolvable component as the team defines them. */
  seedCandidate(): Candidate;
  evaluate(batch: TeamExample[], candidate: Candidate, captureTraces: boolean, options?: EvaluateOptions): Promise<TeamEvaluationBatch>;
  makeReflectiveDataset(candidate: Candidate, evalBatch: EvaluationBatch<string, TeamTrajectory>, components: string[]): ReflectiveDataset;
  proposeNewTexts(candidate: Candidate, dataset: ReflectiveDataset, components: string[]): Promise<Record<string, string>>;
}

/** The seed's fail-fast checks, in its order. */
export function checkTeamAdapter(
  team: TeamDef,
  primary: string | undefined,
  components: Record<string, string[]> | undefined,
  hasScorer: boolean,
  registry: ComponentRegistry,
): { primary: string; components: Record<string, string[]> } {
  const names = Object.keys(team.agents);
  if (!names.length) throw new TeamAdapterError('the team has no agents');
  if (primary === undefined) throw new TeamAdapterError(`no primary agent: name the agent whose output is scored (primary: one of ${names.join(', ')})`);
  if (!Object.hasOwn(team.agents, primary)) throw new TeamAdapterError(`primary agent "${primary}" not found; it must be one of ${names.join(', ')}`);
  if (!hasScorer && !team.agents[primary]!.output_schema) {
    throw new TeamAdapterError(
      `no scorer and the primary agent "${primary}" has no output_schema: give a scorer module (scorer: / --scorer), or an output_schema to the primary agent`,
    );
  }
  if (!components)
    throw new TeamAdapterError(
      `no components mapping: say which components evolve per agent, e.g. components: {${names.map((n) => `${n}: [instruction]`).join(', ')}} ([] = frozen)`,
    );
  for (const agent of Object.keys(components)) {
    if (!Object.hasOwn(team.agents, agent))
      throw new TeamAdapterError(`agent "${agent}" in the components mapping not found; available: ${[...names].sort().join(', ')}`);
  }
  const missing = names.filter((n) => !Object.hasOwn(components, n));
  if (missing.length)
    throw new TeamAdapterError(
      `agents ${missing.map((m) => `"${m}"`).join(', ')} missing from the components mapping: every agent needs an entry ([] = frozen)`,
    );
  for (const list of Object.values(components)) {
    for (const c of list)
      if (!registry.has(c)) throw new TeamAdapterError(`no handler registered for component "${c}"; available: ${registry.names().join(', ')}`);
  }
  return { primary, components };
}

/** Builds the GEPA adapter of an agent team; a bad component mapping throws at once. */
export function createTeamAdapter(o: TeamAdapterOptions): TeamAdapter {
  const registry = o.registry ?? componentHandlers;
  const scorer = o.scorer ?? null;
  const { primary, components } = checkTeamAdapter(o.team, o.primary ?? o.team.primary, o.components ?? o.team.components, scorer !== null, registry);
  if (!o.reflectionModel) throw new TeamAdapterError('a reflection model is required: it writes the new component texts');
  const team = o.team;
  const shareSession = o.shareSession ?? team.share_session;
  const limit = Math.max(1, o.maxConcurrency ?? DEFAULT_TEAM_CONCURRENCY);
  const outputKey = team.agents[primary]!.output_key;
  if (!o.effects) checkTeamTools(team, o.tools);
  // One set of effects for the adapter's life, so every run reuses the same wired statecharts.
  const effects = o.effects ?? effectsFor({ models: o.models, ...(o.tools ? { tools: o.tools } : {}) });

  const score = async (example: TeamExample, output: string): Promise<ScoreResult> =>
    scorer ? toScoreResult(await scorer(example.input, output, example.expected, example), 'the scorer') : exactMatch(output, example.expected);

  const errorTrajectory = (example: TeamExample, error: string, partial?: Pick<TeamTrajectory, 'agents' | 'state'>): TeamTrajectory => ({
    input: example.input,
    output: '',
    teamOutput: '',
    expected: example.expected ?? null,
    score: 0,
    metadata: null,
    agents: partial?.agents ?? {},
    state: partial?.state ?? {},
    totalUsage: partial ? totalUsage(partial.agents) : null,
    error,
  });

  async function evaluateOne(applied: TeamDef, example: TeamExample, signal: AbortSignal | undefined): Promise<TeamTrajectory> {
    // As in the seed: an empty input runs nothing and its output is empty.
    if (!example.input) {
      const r = await score(example, '');
      return {
        input: '',
        output: '',
        teamOutput: '',
        expected: example.expected ?? null,
        score: r.score,
        metadata: r.metadata,
        agents: {},
        state: {},
        totalUsage: null,
        error: null,
      };
    }
    const run = await runTeam({
      team: applied,
      input: example.input,
      shareSession,
      models: o.models,
      ...(o.tools ? { tools: o.tools } : {}),
      effects,
      ...(signal ? { signal } : {}),
    });
    if (signal?.aborted) throw new TeamRunCancelled();
    const agents = agentTrajectories(run.traces);
    if (run.error) return errorTrajectory(example, run.error, { agents, state: run.state });
    // The primary's output: from state by its output_key, else the team's final output.
    const output = outputKey !== undefined && Object.hasOwn(run.state, outputKey) ? run.state[outputKey]! : run.output;
    const r = await score(example, output);
    return {
      input: example.input,
      output,
      teamOutput: run.output,
      expected: example.expected ?? null,
      score: r.score,
      metadata: r.metadata,
      agents,
      state: run.state,
      totalUsage: totalUsage(agents),
      error: null,
    };
  }

  return {
    team,
    primary,
    components,
    seedCandidate: () => seedCandidate(team, components, registry),

    async evaluate(batch, candidate, captureTraces, options) {
      if (!batch.length) return { outputs: [], scores: [], trajectories: null, metadata: [], inputs: [] };
      const signal = options?.signal;
      let applied: TeamDef | null = null;
      let applyError: string | null = null;
      try {
        applied = applyCandidate(team, candidate, registry);
      } catch (err) {
        if (err instanceof CandidateError) throw new TeamAdapterError(err.message);
        applyError = `the candidate cannot be applied: ${errorMessage(err)}`; // e.g. YAML the reflection model broke
      }
      const results = await mapLimit(batch, limit, async (example) => {
        if (applyError !== null) return errorTrajectory(example, applyError);
        try {
          return await evaluateOne(applied!, example, signal);
        } catch (err) {
          // A judge failure fails the evaluation; it is never scored 0 (see src/judge).
          if (signal?.aborted || err instanceof TeamRunCancelled || isJudgeError(err)) throw err;
          return errorTrajectory(example, errorMessage(err));
        }
      });
      return {
        outputs: results.map((t) => t.output),
        scores: results.map((t) => t.score),
        trajectories: captureTraces ? results : null,
        metadata: results.map((t) => t.metadata),
        inputs: results.map((t) => t.input),
      };
    },

    makeReflectiveDataset(candidate, evalBatch, requested) {
      const b = evalBatch as Partial<TeamEvaluationBatch> & EvaluationBatch<string, TeamTrajectory>;
      const dataset: ReflectiveDataset = {};
      for (const component of requested) {
        dataset[component] = evalBatch.scores.map((s, i) => {
          const trajectory = evalBatch.trajectories?.[i] ?? null;
          return buildTrial({
            input: b.inputs?.[i] ?? trajectory?.input ?? '',
            output: evalBatch.outputs[i] ?? '',
            score: s,
            metadata: b.metadata?.[i] ?? trajectory?.metadata ?? null,
            trajectory,
            component,
            componentValue: candidate[component] ?? '',
          }) as unknown as Record<string, unknown>;
        });
      }
      return dataset;
    },

    proposeNewTexts(candidate, dataset, requested) {
      return proposeTeamTexts({
        model: o.reflectionModel,
        candidate,
        dataset,
        components: requested,
        registry,
        agents: team.agents,
        template: o.reflectionTemplate ?? null,
        ...(o.signal ? { signal: o.signal } : {}),
      });
    },
  };
}

/**
 * The team file (a team of agents as YAML), as a zod schema in the style
 * of src/config: every message is the plain-English "expected" text, unknown
 * keys are errors, and rules across keys (names that must exist) are checks
 * run on the raw value so all problems are reported at once, each located.
 *
 *   agents:                     name -> settings
 *     writer:
 *       instruction: "..."      {key} reads shared state; {key?} is empty when missing
 *       role: actor             model_config role: actor | planner | reflection
 *       model: NAME             model name on that role's provider
 *       output_key: draft       where the reply goes in shared state
 *       output_schema: {...}    JSON Schema (mapping, or JSON/YAML text)
 *       generation: {temperature, top_p, max_tokens, seed}
 *       tools: [filesystem]     tool bundles: the agent becomes a short ReAct loop
 *       max_steps: 5            model calls allowed with tools
 *   workflow:                   an agent name, or {type: sequential|parallel, steps: [...]},
 *     type: loop                or {type: loop, max_iterations, until, steps}; nestable
 *     max_iterations: 3
 *     until: {agent: editor, contains: APPROVED}   | {key: k, equals: v} | {key: k, contains: v}
 *     steps: [writer, editor]
 *   primary: writer             the agent whose output is scored (optimize)
 *   components:                 agent -> components that evolve; [] = frozen (optimize)
 *     writer: [instruction]
 *     editor: []
 *   share_session: true
 *   scorer: scorer.mjs          relative to this file
 */
import { z } from 'zod';
import { flag, int, isPlainObject, list, mapping, name, num, oneOf, text } from '../config/fields.js';
import { AGENT_ROLES } from '../../contracts/teams/types.js';

export const STATE_KEY_EXPECTED = "a state key of letters, digits and '_' (not starting with a digit)";
const STATE_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const stateKey = () => z.string({ error: STATE_KEY_EXPECTED }).regex(STATE_KEY, { error: STATE_KEY_EXPECTED });

export const generationSchema = mapping(
  {
    temperature: num('a number from 0 to 2', { gte: 0, lte: 2 }).optional(),
    top_p: num('a number greater than 0 and at most 1', { gt: 0, lte: 1 }).optional(),
    max_tokens: int('an integer >= 1', { gte: 1 }).optional(),
    seed: int('an integer').optional(),
  },
  'a mapping of generation settings (temperature, top_p, max_tokens, seed)',
);

const SCHEMA_EXPECTED = 'a JSON Schema mapping, or text that parses to one';

const agentSchema = mapping(
  {
    instruction: text('the instruction text (a non-empty string)'),
    description: z.string({ error: 'a string' }).optional(),
    role: oneOf(AGENT_ROLES).default('actor'),
    model: text('a model name').optional(),
    output_key: stateKey().optional(),
    output_schema: z.union([z.record(z.string(), z.unknown()), z.string()], { error: SCHEMA_EXPECTED }).optional(),
    generation: generationSchema.prefault(() => ({})),
    tools: list(name(), 'a list of tool bundle names').default(() => []),
    max_steps: int('an integer >= 1', { gte: 1 }).default(5),
  },
  'a mapping of agent settings (instruction, output_key, ...)',
);

const exitSchema = mapping(
  {
    key: stateKey().optional(),
    agent: name().optional(),
    equals: z.string({ error: 'a string' }).optional(),
    contains: text('a non-empty string').optional(),
  },
  'a mapping: {agent: NAME, contains: TEXT}, {key: KEY, equals: TEXT} or {key: KEY, contains: TEXT}',
);

const STEPS_EXPECTED = 'a non-empty list of steps (agent names or nested workflows)';
const NODE_EXPECTED = 'an agent name, or a mapping with type: sequential, parallel or loop';

export type RawNode =
  | string
  | { type: 'agent'; agent: string }
  | { type: 'sequential' | 'parallel'; steps: RawNode[] }
  | { type: 'loop'; max_iterations: number; until?: z.output<typeof exitSchema>; steps: RawNode[] };

const steps = (): z.ZodType<RawNode[]> => list(workflowNodeSchema, STEPS_EXPECTED).min(1, { error: STEPS_EXPECTED });

/**
 * A bare agent name is shorthand for {type: agent, agent: NAME}; turning it
 * into the mapping first (rather than a union of string | mapping) keeps
 * zod's errors at the exact step that is wrong instead of "no union member
 * matched" at the top of the workflow.
 */
export const workflowNodeSchema: z.ZodType<RawNode> = z.lazy(() =>
  z.preprocess(
    (v) => (typeof v === 'string' ? { type: 'agent', agent: v } : v),
    z.discriminatedUnion(
      'type',
      [
        mapping({ type: z.literal('agent'), agent: name() }, 'a mapping {type: agent, agent: NAME}'),
        mapping({ type: z.literal('sequential'), steps: steps() }, 'a mapping {type: sequential, steps: [...]}'),
        mapping({ type: z.literal('parallel'), steps: steps() }, 'a mapping {type: parallel, steps: [...]}'),
        mapping(
          { type: z.literal('loop'), max_iterations: int('an integer >= 1', { gte: 1 }), until: exitSchema.optional(), steps: steps() },
          'a mapping {type: loop, max_iterations: N, until: {...}, steps: [...]}',
        ),
      ],
      { error: NODE_EXPECTED },
    ),
  ),
) as z.ZodType<RawNode>;

export const teamFileSchema = mapping(
  {
    name: z.string({ error: 'a string' }).optional(),
    description: z.string({ error: 'a string' }).optional(),
    agents: z
      .record(name(), agentSchema, { error: 'a mapping of agent name to its settings' })
      .refine((a) => isPlainObject(a) && Object.keys(a).length > 0, { error: 'at least one agent' }),
    workflow: workflowNodeSchema.optional(),
    primary: name().optional(),
    components: z
      .record(name(), list(text('a component name'), 'a list of component names ([] = frozen)'), {
        error: 'a mapping of agent name to a list of component names',
      })
      .optional(),
    share_session: flag().default(true),
    scorer: text('a module path (relative to this file)').optional(),
  },
  'a mapping with agents, workflow, primary, components, share_session and scorer',
);

export type TeamFile = z.output<typeof teamFileSchema>;
export type RawAgent = z.output<typeof agentSchema>;
export type RawExit = z.output<typeof exitSchema>;

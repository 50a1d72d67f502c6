/**
 * The payloads on the queues, as zod schemas: a worker validates every job it
 * takes, and a job that does not parse is failed with the reason (never
 * retried, never a crash). `traceparent` (W3C trace context, optional) lets a
 * worker's spans join the coordinator's trace.
 */
import { z } from 'zod';

const traceparent = z.string().max(256).optional();
const tracestate = z.string().max(512).optional();
const text = z.string().max(1_000_000);

/** A scoring module (metric or scorer) on the worker's machine, with the content hash the coordinator saw. */
const moduleRefSchema = z.object({ path: z.string().min(1).max(4096), hash: z.string().max(64) });
export type ModuleRef = z.output<typeof moduleRefSchema>;

/** Model names (per role) the coordinator asked for; the endpoints are the worker's own. */
const roleModelsSchema = z.object({ planner: z.string().max(500).optional(), actor: z.string().max(500).optional() }).strict();
export type RoleModels = z.output<typeof roleModelsSchema>;

/** The LLM judge as the scorer: the worker builds its own from its config (roles.judge with this model name) and checks its identity is this. */
const judgeRefSchema = z.object({ identity: z.string().min(1).max(4000), model: z.string().max(500).optional() }).strict();
export type JudgeRef = z.output<typeof judgeRefSchema>;

/** How a worker builds the adapter that evaluates a chunk: the default (prompt) adapter, a team's, or the AIME runtime's. */
export const adapterSpecSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('prompt'),
    /** The candidate's one component: the task model's system prompt. */
    component: z.string().min(1).max(200),
    /** The task model name (roles.actor) the coordinator asked for; the endpoint is the worker's own. */
    taskModel: z.string().max(500).optional(),
    metric: moduleRefSchema.optional(),
    judge: judgeRefSchema.optional(),
  }),
  z.object({
    kind: z.literal('team'),
    /** The team file's text as the coordinator read it; the worker parses and validates it again. */
    team: z.string().min(1).max(1_000_000),
    /** The team file's name, for messages only. */
    teamName: z.string().min(1).max(200),
    models: roleModelsSchema,
    /** The scorer (--scorer, else the team's own); none: exact match, or the primary's output schema. */
    scorer: moduleRefSchema.optional(),
    judge: judgeRefSchema.optional(),
  }),
  z.object({
    kind: z.literal('aime'),
    models: roleModelsSchema,
    scorer: moduleRefSchema.optional(),
    judge: judgeRefSchema.optional(),
  }),
]);
export type AdapterSpec = z.output<typeof adapterSpecSchema>;

export const defaultExampleSchema = z.object({ input: text, answer: text, additional_context: z.record(z.string(), z.string()).default({}) }).loose();

/** A team or goal example; a goal's `workspace` must be relative (the worker resolves it inside its own --workspace). */
export const teamExampleSchema = z.object({ input: text, expected: text.optional() }).loose();
export const goalExampleSchema = teamExampleSchema.extend({ workspace: z.string().min(1).max(4096).optional(), workspace_copy: z.boolean().optional() });

export const evalChunkSchema = z.object({
  kind: z.literal('gepa.eval'),
  adapter: adapterSpecSchema,
  /** Cache namespace: a content hash of what, besides the candidate and example, decides a score. */
  namespace: z.string().min(1).max(64),
  candidate: z.record(z.string(), text),
  candidateHash: z.string().min(1).max(64),
  split: z.enum(['train', 'val']),
  /** `key` is the example's content hash, the cache field. */
  examples: z
    .array(z.object({ index: z.number().int().min(0), key: z.string().min(1).max(64), example: z.unknown() }))
    .min(1)
    .max(10_000),
  traceparent,
  tracestate,
});
export type EvalChunkJob = z.output<typeof evalChunkSchema>;

export const evalRecordSchema = z.object({
  score: z.number(),
  output: z.unknown(),
  trajectory: z.unknown().optional(),
  objectiveScores: z.record(z.string(), z.number()).optional(),
});

export interface EvalChunkResult {
  entries: { index: number; record: z.output<typeof evalRecordSchema> }[];
  /** Examples this attempt evaluated (paid for) / found in the shared cache. */
  evaluated: number;
  cached: number;
  worker: string;
}

export const batchSchema = z.object({
  kind: z.literal('gepa.batch'),
  candidateHash: z.string().max(64),
  split: z.enum(['train', 'val']),
  size: z.number().int().min(1),
  traceparent,
  tracestate,
});
export type BatchJob = z.output<typeof batchSchema>;

export const goalLimitsSchema = z
  .object({
    maxIterations: z.number().int().min(1).optional(),
    maxParallelActors: z.number().int().min(1).optional(),
    maxActorSteps: z.number().int().min(1).optional(),
    tokenBudget: z.number().int().min(1).nullable().optional(),
    deadlineMs: z.number().int().min(1).nullable().optional(),
  })
  .strict();

export const goalJobSchema = z.object({
  kind: z.literal('goal'),
  goal: z.string().min(1).max(20_000),
  limits: goalLimitsSchema.default({}),
  submittedAt: z.string().max(64),
  traceparent,
  tracestate,
});
export type GoalJob = z.output<typeof goalJobSchema>;

/** The progress a goal job reports while it runs: what `run --redis` draws. */
export interface GoalProgress {
  runId: string;
  /** The task list as Markdown (as `runs`' reports show it). */
  markdown: string;
  tasks: unknown;
  status: string;
}

/** The reason a payload was refused, one line naming the field. */
export function payloadProblem(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(payload)'}: ${i.message}`)
    .join('; ');
}

/**
 * Run state read back from disk is validated before it is trusted: run.json,
 * snapshot.json and journal.jsonl go through zod schemas here, and a problem
 * is a RunStateError that names the file, the line (JSONL) and the key, never
 * a raw TypeError later on. Deep nesting is refused before any schema walks it.
 */
import { z } from 'zod';
import { formatKeyPath, renderValue, type PathSegment } from '../config/errors.js';
import { expectedText, valueAt } from '../config/validate.js';
import { nestingDepth } from '../tools/invoke.js';
import { AppError } from '../../contracts/errors.js';

/** Bad run state: exit 2 (bad input), with the file and key. */
export class RunStateError extends AppError {
  readonly category = 'input';
}

/** Bad input to a run (empty goal, missing workspace, a tool name clash, no such run): nothing ran. */
export class RunInputError extends AppError {
  readonly category = 'usage';
}

/** Ids the run store makes look like `20261201T121303Z-a1b2c3`; any id must at least be one plain path segment (runStore.ts checks them). */
export const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/** State files nest a few dozen levels at most; deeper is hostile (and would overflow a recursive walk). */
export const MAX_STATE_DEPTH = 200;

/** Depth of a parsed JSON value, iteratively (never overflows), stopping once past `limit`. */
export function depthOf(value: unknown, limit = MAX_STATE_DEPTH): number {
  return nestingDepth(value, limit);
}

const str = z.string();
const int = z.number().int();
const usage = z.looseObject({ promptTokens: z.number(), completionTokens: z.number(), totalTokens: z.number() });

export const workflowLimitsSchema = z.object({
  maxIterations: int.min(1),
  maxActorSteps: int.min(1),
  maxParallelActors: int.min(1),
  tokenBudget: int.min(1).nullable(),
  deadlineMs: z.number().positive().nullable(),
});

export const runMetaSchema = z.object({
  version: z.literal(1),
  runId: z.string().regex(RUN_ID_PATTERN),
  goal: z.string().min(1).max(20_000),
  workspace: z.string().refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), 'an absolute path'),
  tracesDir: z.string(),
  configDir: z.string(),
  model: z.object({ provider: str, model: str, api_base: str }),
  limits: workflowLimitsSchema,
  learn: z.boolean(),
  startedAt: z.iso.datetime(),
  /** W3C traceparent of the run's root span when it started with telemetry on: a resume continues this trace. */
  traceparent: z
    .string()
    .regex(/^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/, 'a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>)')
    .optional(),
});

/** What resume needs to rebuild a run: written once at the start as run.json. */
export type RunMeta = z.output<typeof runMetaSchema>;

interface TaskShape {
  id: string;
  title: string;
  status: string;
  criteria: string;
  children: TaskShape[];
}
const task: z.ZodType<TaskShape> = z.looseObject({
  id: str,
  title: str,
  status: str,
  criteria: str,
  get children() {
    return z.array(task);
  },
});
const report = z.looseObject({ taskId: str, status: z.enum(['completed', 'failed']), summary: str, references: z.array(str) });

/** The workflow's context as the runtime reads it back (fields the code iterates or indexes are typed). */
const workflowContext = z.looseObject({
  goal: str,
  limits: workflowLimitsSchema,
  prompts: z.record(str, str),
  iteration: int.min(0),
  tasks: z.array(task),
  history: z.array(report),
  plannerLog: z.array(z.looseObject({ iteration: z.number() })),
  decision: z.looseObject({}).nullable(),
  inFlight: z.array(str),
  actorRuns: z.array(z.looseObject({ taskId: str, iteration: z.number(), steps: z.array(z.looseObject({})), usage })),
  usage,
  status: z.enum(['running', 'completed', 'failed', 'cancelled']),
  outcome: z.enum(['completed', 'failed']).nullable(),
  answer: str,
  reason: str,
  observed: z.boolean(),
  personaOf: z.record(str, str),
});

const childSnapshot: z.ZodType<unknown> = z.looseObject({
  snapshot: z.looseObject({
    status: z.enum(['active', 'done', 'error', 'stopped']),
    context: z.looseObject({}).optional(),
    get children() {
      return z.record(str, childSnapshot).optional();
    },
  }),
  src: str,
});

const message = z.looseObject({
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  content: str.nullable(),
  toolCalls: z.array(toolCallShape()).optional(),
});
function toolCallShape() {
  return z.looseObject({ id: str, name: str, arguments: str });
}
/** The contexts of the children the runtime restores, by systemId (actors: `actor:<taskId>`). */
const childContexts: Array<[(key: string) => boolean, z.ZodType]> = [
  [(k) => k === 'progress', z.looseObject({ tasks: z.array(task), revision: z.number() })],
  [
    // Online learning's state lives in the optimizer child; the report reads its armId and what it settled.
    (k) => k === 'optimizer',
    z.looseObject({
      runId: str,
      armId: str,
      settings: z.looseObject({}),
      state: z.looseObject({
        candidates: z.array(z.looseObject({ id: str, components: z.record(str, str), goalScores: z.array(z.number()) })),
        activeId: str,
        outcomes: z.array(z.looseObject({})),
        timeline: z.array(z.number()),
      }),
      settled: z.looseObject({ armId: str, change: str.nullable() }).nullable(),
    }),
  ],
  [
    (k) => k === 'planner',
    z.looseObject({ request: z.looseObject({}).nullable(), retry: z.looseObject({ raw: str, errors: z.array(str) }).nullable(), usage }),
  ],
  [
    (k) => k.startsWith('actor:'),
    z.looseObject({
      spec: z.looseObject({ taskId: str, dispatchId: str, tools: z.array(z.looseObject({ name: str })) }),
      messages: z.array(message),
      steps: z.array(z.looseObject({})),
      stepCount: int.min(0),
      thought: str,
      pendingCalls: z.array(toolCallShape()),
      usage,
      report: report.nullable(),
    }),
  ],
];

const children = z.record(str, childSnapshot).superRefine((kids, ctx) => {
  for (const [key, child] of Object.entries(kids)) {
    const schema = childContexts.find(([match]) => match(key))?.[1];
    const context = (child as { snapshot?: { context?: unknown } }).snapshot?.context;
    if (!schema || context === undefined) continue;
    const parsed = schema.safeParse(context);
    if (parsed.success) continue;
    const issue = pickIssue(parsed.error.issues);
    ctx.addIssue({ code: 'custom', message: expectedOf(issue), path: [key, 'snapshot', 'context', ...issue.path], input: context });
  }
});

export const snapshotSchema = z.looseObject({
  status: z.enum(['active', 'done', 'error', 'stopped']),
  value: z.union([str, z.record(str, z.unknown())]),
  context: workflowContext,
  children,
});

const toolCall = z.object({ id: str, name: str, arguments: str });
const chatResponse = z.looseObject({
  content: str,
  toolCalls: z.array(toolCall),
  reasoning: str.optional(),
  usage,
  finishReason: str,
  model: str,
});
/** A journaled approval decision is reused on resume: only what the gate can produce passes. */
const approvalOutcome = z.looseObject({
  policy: z.enum(['auto', 'ask', 'deny']),
  decision: z.enum(['approved', 'denied']),
  by: z.enum(['policy', 'user', 'always', 'yes', 'dashboard', 'api', 'no-terminal', 'journal']),
  reason: str.optional(),
});
const toolResult = z.looseObject({ ok: z.boolean(), output: str, references: z.array(str).optional() });

export const journalRecordSchema = z.discriminatedUnion('kind', [
  z.looseObject({ kind: z.literal('model'), key: str, purpose: str.optional(), response: chatResponse }),
  z.looseObject({ kind: z.literal('tool-start'), key: str, sideEffect: z.boolean() }),
  z.looseObject({ kind: z.literal('tool-done'), key: str, result: toolResult }),
  z.looseObject({ kind: z.literal('approval-pending'), key: str, tool: str }),
  z.looseObject({ kind: z.literal('approval'), key: str, tool: str, outcome: approvalOutcome, always: z.boolean().optional() }),
]);

/** `value` (returned as it is, nothing stripped) checked against `schema`; the first problem as "where: key: expected …, found …". */
export function checkState<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  if (depthOf(value) > MAX_STATE_DEPTH) throw new RunStateError(`${where}: nested deeper than ${MAX_STATE_DEPTH} levels; this is not a file the runtime wrote`);
  const parsed = schema.safeParse(value);
  if (parsed.success) return value as z.output<S>;
  throw new RunStateError(
    `${where}: ${describeIssue(parsed.error.issues, value)}; this is not a file this version of the runtime wrote (changed by hand, by something else, or by an older version), so it is not used`,
  );
}

/** The issue zod found, located: "key.path: expected X, found Y". */
export function describeIssue(issues: readonly z.core.$ZodIssue[], value: unknown): string {
  const deepest = pickIssue(issues);
  const path = deepest.path.filter((p): p is PathSegment => typeof p !== 'symbol');
  const key = path.length ? formatKeyPath(path) : '(the whole file)';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problems)` : '';
  return `${key}: expected ${expectedOf(deepest)}, found ${renderValue(valueAt(value, path))}${more}`;
}

function pickIssue(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue {
  let best = issues[0]!;
  for (const i of issues) {
    // A union reports its branches' issues nested: the most specific is the most useful.
    if (i.code === 'invalid_union' && i.errors.length) {
      const inner = i.errors.flat().map((e) => ({ ...e, path: [...i.path, ...e.path] }) as z.core.$ZodIssue);
      if (inner.length) best = pickIssue(inner);
    } else if (i.path.length > best.path.length) best = i;
  }
  return best;
}

function expectedOf(iss: z.core.$ZodIssue): string {
  return expectedText(iss, (i) => (i.code === 'invalid_union' ? 'one of the known record kinds' : (i.message ?? 'a valid value')));
}

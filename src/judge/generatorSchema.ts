/**
 * The task generator's contract (used by src/data and by the offline model):
 * the prompt that asks for new goals like the seeds, and the zod schema of
 * the reply. It lives beside the judge because a generated goal's criteria
 * are a judge's rubric.
 */
import { z } from 'zod';
import type { ChatMessage } from '../../contracts/llm.js';

import { GENERATOR_SCHEMA_NAME } from '../../contracts/judge.js';

export { GENERATOR_SCHEMA_NAME };
export const DIFFICULTIES = ['easy', 'medium', 'hard'] as const;

export const generatedGoalSchema = z.strictObject({
  goal: z.string().trim().min(8).max(600),
  criteria: z.array(z.string().trim().min(1).max(400)).min(1).max(8),
  difficulty: z.enum(DIFFICULTIES),
  tools: z.array(z.string().max(60)).max(10),
});
export type GeneratedGoal = z.output<typeof generatedGoalSchema>;

/** An empty list means the generator has nothing new to offer: generation stops there. */
export const generatorReplySchema = z.strictObject({ goals: z.array(generatedGoalSchema).max(50) });

export const GENERATOR_PROMPT = `You write new goals for a team of agents that works in a software workspace with file tools (list_dir, read_file, search_files, write_file) and sometimes web_search.
- Write goals like the seed goals but new: vary the difficulty (easy, medium, hard) and the tools needed.
- Each goal comes with completion criteria a checker can settle from the workspace and the answer. Prefer these plain forms:
  file PATH exists | file PATH contains "TEXT" | answer contains "TEXT" | run completed
- Ground goals in the workspace files listed; do not repeat a seed or an earlier goal.`;

const MAX_SEEDS_SHOWN = 30;

export interface GeneratorRequestInput {
  seeds: string[];
  files: string[];
  count: number;
  round: number;
  avoid: string[];
}

export function buildGeneratorMessages(i: GeneratorRequestInput): ChatMessage[] {
  const user = [
    // Bounded: a long seed file shows its first goals; near-duplicates are still checked against all of them.
    `# Seed goals\n${i.seeds
      .slice(0, MAX_SEEDS_SHOWN)
      .map((s) => `- ${s.replace(/\s+/g, ' ').slice(0, 300)}`)
      .join('\n')}`,
    `# Workspace files\n${i.files.length ? i.files.join('\n') : '(empty)'}`,
    `# Count\n${i.count}`,
    `# Round\n${i.round}`,
    `# Already proposed\n${i.avoid.length ? i.avoid.map((s) => `- ${s.replace(/\s+/g, ' ')}`).join('\n') : '(none)'}`,
  ].join('\n\n');
  return [
    {
      role: 'system',
      content: `${GENERATOR_PROMPT}\n\nReply with one JSON object and nothing else: {"goals": [{"goal": string, "criteria": [string...], "difficulty": "easy"|"medium"|"hard", "tools": [string...]}...]}`,
    },
    { role: 'user', content: user },
  ];
}

function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema) as Record<string, unknown>;
  return rest;
}

export const generatorResponseFormat = () => ({ name: GENERATOR_SCHEMA_NAME, schema: jsonSchemaOf(generatorReplySchema), strict: true });

/**
 * The judge's structured output, validated with zod and sent to the model as
 * JSON Schema (response_format). One schema is both the contract and the check.
 */
import { z } from 'zod';

import { RUBRIC_SCHEMA_NAME, VERDICT_SCHEMA_NAME } from '../../contracts/judge.js';

export { RUBRIC_SCHEMA_NAME, VERDICT_SCHEMA_NAME };

export const verdictSchema = z.strictObject({
  score: z.number().min(0).max(1),
  /** What was missing (or, at 1, why nothing was). */
  feedback: z.string().trim().min(1).max(4000),
  /** Per criterion, in rubric order: met, not met, or null when the evidence cannot tell. */
  criteria: z
    .array(
      z.strictObject({
        criterion: z.number().int().min(1),
        met: z.boolean().nullable(),
        note: z.string().max(1000),
      }),
    )
    .max(50),
});
export type Verdict = z.output<typeof verdictSchema>;

export const rubricReplySchema = z.strictObject({
  criteria: z.array(z.string().trim().min(1).max(400)).min(1).max(12),
});

function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema) as Record<string, unknown>;
  return rest;
}

export const verdictResponseFormat = () => ({ name: VERDICT_SCHEMA_NAME, schema: jsonSchemaOf(verdictSchema), strict: true });
export const rubricResponseFormat = () => ({ name: RUBRIC_SCHEMA_NAME, schema: jsonSchemaOf(rubricReplySchema), strict: true });

/** Parse and validate a reply; the errors are phrased for a re-ask. */
export function parseReply<T>(schema: z.ZodType<T>, raw: string): { ok: true; value: T } | { ok: false; errors: string[] } {
  const text = raw.trim().replace(/^```(?:json)?\s*\n?([\s\S]*?)\n?```$/, '$1');
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end < start) return { ok: false, errors: ['the reply holds no JSON object'] };
  let value: unknown;
  try {
    value = JSON.parse(text.slice(start, end + 1));
  } catch (err) {
    return { ok: false, errors: [`the reply is not valid JSON (${(err as Error).message})`] };
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) return { ok: false, errors: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`) };
  return { ok: true, value: parsed.data };
}

/**
 * An agent's output schema: a JSON Schema object, given in YAML as a mapping
 * or as text (JSON or YAML) that parses to one. The schema goes to the model
 * as structured output and the reply is checked against it on return.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { extractJsonObject } from '../util/jsonText.js';
import { errorMessage, AppError } from '../../contracts/errors.js';

export class OutputSchemaError extends AppError {
  readonly category = 'input';
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

const compiled = new WeakMap<Record<string, unknown>, z.ZodType>();

/** Throws OutputSchemaError when zod cannot turn it into a validator. */
export function compileSchema(schema: Record<string, unknown>): z.ZodType {
  let validator = compiled.get(schema);
  if (!validator) {
    try {
      validator = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
    } catch (err) {
      throw new OutputSchemaError(`not a usable JSON Schema: ${errorMessage(err)}`);
    }
    compiled.set(schema, validator);
  }
  return validator;
}

/** Schema text (JSON, or YAML) to a schema object; '' means "no schema". */
export function parseSchemaText(text: string): Record<string, unknown> | undefined {
  if (!text.trim()) return undefined;
  let value: unknown;
  try {
    value = parseYaml(text, { schema: 'core' }) as unknown; // JSON is YAML
  } catch (err) {
    throw new OutputSchemaError(`the output schema does not parse as JSON or YAML: ${errorMessage(err).split('\n')[0]}`);
  }
  if (!isObject(value)) throw new OutputSchemaError('the output schema must be a JSON Schema object, e.g. {"type": "object", "properties": {...}}');
  compileSchema(value);
  return value;
}

export function schemaText(schema: Record<string, unknown> | undefined): string {
  return schema ? JSON.stringify(schema, null, 2) : '';
}

/** The reply as canonical JSON text when it matches, else why not. */
export function checkOutput(schema: Record<string, unknown>, reply: string): { ok: true; text: string } | { ok: false; reason: string } {
  const extracted = extractJsonObject(reply);
  if (!('value' in extracted)) return { ok: false, reason: `the reply does not match the output schema: ${extracted.error}` };
  const parsed = compileSchema(schema).safeParse(extracted.value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    return { ok: false, reason: `the reply does not match the output schema: ${issues}` };
  }
  return { ok: true, text: JSON.stringify(extracted.value) };
}

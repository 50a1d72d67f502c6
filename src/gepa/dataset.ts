/**
 * Data sets for the default adapter, in the reference package's default shape:
 * `{input, answer, additional_context}`, one JSON object per line (.jsonl) or
 * a JSON array (.json). Problems name the file and the line (or item), and a
 * broken line is an error wherever it is: silently training on part of a file
 * would be worse than stopping.
 */
import fsp from 'node:fs/promises';
import { jsonSyntaxError } from '../config/jsonSyntax.js';
import { AppError } from '../../contracts/errors.js';

/** One example of the default adapter's data sets. */
export interface DefaultExample {
  input: string;
  answer: string;
  additional_context: Record<string, string>;
  /** Other fields are kept for custom metrics. */
  [key: string]: unknown;
}

/** A data set that cannot be read: the message names the file and line. */
export class DatasetError extends AppError {
  readonly category = 'input';
  constructor(
    readonly file: string,
    readonly where: string | null,
    reason: string,
  ) {
    super(`${file}${where ? `:${where}` : ''}: ${reason}`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const scalar = (v: unknown): v is string | number | boolean => ['string', 'number', 'boolean'].includes(typeof v);

/** Why a record is not an example, or null when it is one. */
function problem(v: unknown): string | null {
  if (!isObject(v)) return `expected an object like {"input": ..., "answer": ...}, found ${Array.isArray(v) ? 'an array' : JSON.stringify(v)}`;
  if (typeof v['input'] !== 'string') return `"input" must be a string${'input' in v ? `, found ${JSON.stringify(v['input'])}` : ' (it is missing)'}`;
  if (!scalar(v['answer'])) return `"answer" must be a string${'answer' in v ? `, found ${JSON.stringify(v['answer'])}` : ' (it is missing)'}`;
  const ctx = v['additional_context'];
  if (ctx !== undefined && ctx !== null && !isObject(ctx)) return `"additional_context" must be an object of strings, found ${JSON.stringify(ctx)}`;
  return null;
}

function toExample(v: Record<string, unknown>): DefaultExample {
  const ctx = isObject(v['additional_context']) ? v['additional_context'] : {};
  return {
    ...v,
    input: v['input'] as string,
    answer: String(v['answer']),
    additional_context: Object.fromEntries(Object.entries(ctx).map(([k, x]) => [k, typeof x === 'string' ? x : JSON.stringify(x)])),
  };
}

export function parseJsonlDataset(text: string, file: string): DefaultExample[] {
  const out: DefaultExample[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new DatasetError(file, String(i + 1), `not a JSON record (${(err as Error).message})`);
    }
    const why = problem(value);
    if (why) throw new DatasetError(file, String(i + 1), why);
    out.push(toExample(value as Record<string, unknown>));
  });
  return out;
}

export function parseJsonDataset(text: string, file: string): DefaultExample[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const at = jsonSyntaxError(text);
    const line = at ? text.slice(0, at.offset).split('\n').length : null;
    throw new DatasetError(file, line === null ? null : String(line), `not valid JSON (${at?.message ?? (err as Error).message})`);
  }
  if (!Array.isArray(value)) throw new DatasetError(file, null, 'a .json data set must be an array of examples');
  return value.map((v, i) => {
    const why = problem(v);
    if (why) throw new DatasetError(file, null, `example ${i + 1}: ${why}`);
    return toExample(v as Record<string, unknown>);
  });
}

/** Parses JSONL text as a data set; `file` names it in errors. */
export function parseDataset(text: string, file: string): DefaultExample[] {
  const examples = file.toLowerCase().endsWith('.json') ? parseJsonDataset(text, file) : parseJsonlDataset(text, file);
  if (!examples.length) throw new DatasetError(file, null, 'the data set has no examples');
  return examples;
}

/** A data set file's text; a file that cannot be read is a DatasetError naming it. */
export async function readDatasetText(file: string): Promise<string> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DatasetError(file, null, code === 'ENOENT' ? 'no such file' : `cannot read it (${(err as Error).message})`);
  }
}

/** Reads a JSONL data set of `{input, answer, additional_context}`; a broken line throws a DatasetError naming the file and line. */
export async function loadDataset(file: string): Promise<DefaultExample[]> {
  return parseDataset(await readDatasetText(file), file);
}

/**
 * Data sets of team and goal examples: one JSON object per line,
 * `{"input": "...", "expected": "..."}` (expected optional; other fields are
 * kept for scorers). A .json file may hold an array instead. Problems name
 * the file and the line, like the default adapter's data sets.
 */
import { DatasetError } from '../gepa/index.js';
import { readDatasetText } from '../gepa/dataset.js';
import type { TeamExample } from '../../contracts/teams/types.js';

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function problem(v: unknown): string | null {
  if (!isObject(v)) return `expected an object like {"input": "...", "expected": "..."}, found ${Array.isArray(v) ? 'an array' : JSON.stringify(v)}`;
  if (typeof v['input'] !== 'string') return `"input" must be a string${'input' in v ? `, found ${JSON.stringify(v['input'])}` : ' (it is missing)'}`;
  const e = v['expected'];
  if (e !== undefined && e !== null && !['string', 'number', 'boolean'].includes(typeof e)) return `"expected" must be a string, found ${JSON.stringify(e)}`;
  return null;
}

function toExample(v: Record<string, unknown>): TeamExample {
  const { expected, ...rest } = v;
  return { ...rest, input: v['input'] as string, ...(expected !== undefined && expected !== null ? { expected: String(expected) } : {}) };
}

export function parseTeamDataset(text: string, file: string): TeamExample[] {
  let items: { value: unknown; where: string | null }[];
  if (file.toLowerCase().endsWith('.json')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new DatasetError(file, null, `not valid JSON (${(err as Error).message})`);
    }
    if (!Array.isArray(value)) throw new DatasetError(file, null, 'a .json data set must be an array of examples');
    items = value.map((v, i) => ({ value: v, where: `example ${i + 1}` }));
  } else {
    items = [];
    text.split('\n').forEach((line, i) => {
      if (!line.trim()) return;
      try {
        items.push({ value: JSON.parse(line), where: String(i + 1) });
      } catch (err) {
        throw new DatasetError(file, String(i + 1), `not a JSON record (${(err as Error).message})`);
      }
    });
  }
  const out = items.map(({ value, where }) => {
    const why = problem(value);
    if (why) throw new DatasetError(file, where, why);
    return toExample(value as Record<string, unknown>);
  });
  if (!out.length) throw new DatasetError(file, null, 'the data set has no examples');
  return out;
}

export async function loadTeamDataset(file: string): Promise<TeamExample[]> {
  return parseTeamDataset(await readDatasetText(file), file);
}

/**
 * Runs a zod schema over parsed config and turns every zod issue into a located
 * ConfigIssue (key path as written, line, expected, found). All issues are reported at once.
 */
import type { z } from 'zod';
import { ConfigError, formatKeyPath, renderValue, type IssueInit, type PathSegment } from './errors.js';
import { isPlainObject } from './fields.js';
import type { Located } from './source.js';

/** A problem found by code rather than by the schema (cross-key rules). */
export interface CheckIssue {
  path: PathSegment[];
  expected: string;
  /** Defaults to a rendering of the value at `path`. */
  found?: string;
}

export interface ValidateOptions {
  /**
   * Top-level keys whose value came from outside the file (env var, CLI flag) mapped to a
   * label such as `$GEPA_AIME_PROVIDER`; their issues name the label instead of a line.
   */
  origins?: Readonly<Record<string, string>>;
  /**
   * Cross-key rules. zod skips refinements while any other issue exists; these run on the
   * raw input every time, so the user sees all problems in one go. Must be defensive.
   */
  checks?: (raw: unknown) => CheckIssue[];
}

/** Past this many, issues are only counted (each costs a line lookup). */
const MAX_COLLECTED_ISSUES = 200;

export function validate<S extends z.ZodType>(schema: S, raw: unknown, at: Located, opts: ValidateOptions = {}): z.output<S> {
  const result = schema.safeParse(raw, { error: (iss) => expectedText(iss) });
  const extra = opts.checks?.(raw) ?? [];
  if (result.success && extra.length === 0) return result.data;

  const issues: IssueInit[] = [];
  let dropped = 0;
  const add = (path: PathSegment[], expected: string, found: string, text?: string) => {
    if (issues.length >= MAX_COLLECTED_ISSUES) return void dropped++;

    const label = typeof path[0] === 'string' && opts.origins ? opts.origins[path[0]] : undefined;
    const line = label ? undefined : at.lineOf(path);
    const issue: IssueInit = { file: at.file, keyPath: formatKeyPath(path), expected, found: label ? `${found} from ${label}` : found };
    if (line !== undefined) issue.line = line;
    if (text !== undefined) issue.text = label ? `${text} (from ${label})` : text;
    issues.push(issue);
  };

  for (const iss of result.success ? [] : result.error.issues) {
    const path = iss.path.filter((p): p is PathSegment => typeof p !== 'symbol');
    if (iss.code === 'unrecognized_keys') {
      const known = knownKeysAt(schema, path);
      for (const key of iss.keys) {
        const hint = closest(key, known);
        const allowed = known.length ? `; allowed keys: ${known.join(', ')}` : '';
        add(
          [...path, key],
          `one of the keys ${known.join(', ')}`,
          `unknown key ${JSON.stringify(key)}`,
          `unknown key${hint ? ` (did you mean "${hint}"?)` : ''}${allowed}`,
        );
      }
    } else if (iss.code === 'invalid_key') {
      add(path, iss.issues[0]?.message ?? 'a valid key', `the key ${JSON.stringify(String(path[path.length - 1]))}`);
    } else {
      add(path, iss.message, foundAt(raw, path));
    }
  }
  for (const c of extra) add(c.path, c.expected, c.found ?? foundAt(raw, c.path));

  // One key can fail a type check and a cross-key rule; say it once.
  const seen = new Set<string>();
  const unique = issues.filter((i) => {
    const id = `${i.keyPath}\u0000${i.expected}`;
    return seen.has(id) ? false : (seen.add(id), true);
  });
  throw new ConfigError(unique, dropped);
}

/** The raw value at `path`, own properties only (a key named "constructor" is just a key). */
export function valueAt(raw: unknown, path: readonly PathSegment[]): unknown {
  let cur = raw;
  for (const seg of path) {
    if (Array.isArray(cur) && typeof seg === 'number') cur = cur[seg];
    else if (isPlainObject(cur) && Object.hasOwn(cur, seg)) cur = cur[seg];
    else return undefined;
  }
  return cur;
}

function foundAt(raw: unknown, path: readonly PathSegment[]): string {
  const value = valueAt(raw, path);
  const last = path[path.length - 1];
  // Never echo secrets into logs.
  if (typeof value === 'string' && typeof last === 'string' && /api_key$/.test(last)) return 'a string (hidden)';
  return renderValue(value);
}

type AnyIssue = z.core.$ZodRawIssue | z.core.$ZodIssue;

/** What an issue expected, in words (for issues whose schema set no message of its own); `other` answers the codes not listed. */
export function expectedText<I extends AnyIssue>(iss: I, other: (iss: I) => string = () => 'a valid value'): string {
  switch (iss.code) {
    case 'invalid_type':
      return (
        (
          {
            object: 'a mapping',
            record: 'a mapping',
            array: 'a list',
            string: 'a string',
            number: 'a number',
            boolean: 'true or false',
            int: 'an integer',
          } as Record<string, string>
        )[iss.expected] ?? `a ${iss.expected}`
      );
    case 'invalid_value':
      return `one of ${iss.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return `at least ${String(iss.minimum)}`;
    case 'too_big':
      return `at most ${String(iss.maximum)}`;
    case 'invalid_format':
      return `a ${iss.format}`;
    default:
      return other(iss);
  }
}

interface Def {
  type: string;
  shape?: Record<string, { _zod: { def: Def } }>;
  innerType?: { _zod: { def: Def } };
  valueType?: { _zod: { def: Def } };
  element?: { _zod: { def: Def } };
  in?: { _zod: { def: Def } };
}

/** The keys an object schema allows at `path`, by walking the schema alongside the data. */
function knownKeysAt(schema: z.ZodType, path: readonly PathSegment[]): string[] {
  let def = (schema as unknown as { _zod: { def: Def } })._zod.def;
  const unwrap = () => {
    for (let guard = 0; guard < 20; guard++) {
      const next = def.innerType ?? def.in;
      if (def.type === 'object' || def.type === 'record' || def.type === 'array' || !next) return;
      def = next._zod.def;
    }
  };
  for (const seg of path) {
    unwrap();
    const next = def.type === 'object' ? def.shape?.[String(seg)] : def.type === 'record' ? def.valueType : def.type === 'array' ? def.element : undefined;
    if (!next) return [];
    def = next._zod.def;
  }
  unwrap();
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

/** A known key within a small edit distance of a typo, for "did you mean". */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDist = Math.max(1, Math.floor(key.length / 3)) + 1;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase(), bestDist);
    if (d < bestDist) [best, bestDist] = [k, d];
  }
  return best;
}

function editDistance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) >= cap || a.length > 64 || b.length > 64) return cap;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The one error type the config loaders let escape. Each problem is an issue that says
 * where (file, key path, line) and what (expected / found), so a user can fix the file
 * without reading our code.
 */
import { AppError } from '../../contracts/errors.js';

export type PathSegment = string | number;

export interface ConfigIssue {
  /** The file as the caller named it (or a label such as "command line"). */
  file: string;
  /** e.g. `roles.planner.temperature`, `default_bundles[1]`; '' for the whole file. */
  keyPath: string;
  /** 1-based line in the source, when it could be found. */
  line?: number;
  /** 1-based column, for syntax errors. */
  column?: number;
  expected: string;
  found: string;
  /** One rendered line: `file:line: keyPath: expected …, found …`. */
  message: string;
}

export interface IssueInit {
  file: string;
  keyPath?: string;
  line?: number;
  column?: number;
  expected: string;
  found: string;
  /** Replaces "expected …, found …" when that reads badly (missing file, syntax error). */
  text?: string;
}

/** Past this many, problems are counted rather than listed, to keep the message readable. */
export const MAX_LISTED_ISSUES = 50;

/** Bad config or team file: the message names the file, line, key path, what was expected and what was found. */
export class ConfigError extends AppError {
  readonly category = 'input';
  override name = 'ConfigError';
  readonly file: string;
  readonly keyPath: string;
  readonly line?: number;
  readonly expected: string;
  readonly found: string;
  /** The problems found (at most MAX_LISTED_ISSUES), sorted by file then line; the fields above repeat the first. */
  readonly issues: readonly ConfigIssue[];
  /** Further problems found but not listed, to keep the message readable. */
  readonly omitted: number;

  constructor(init: IssueInit | readonly (IssueInit | ConfigIssue)[], omitted = 0) {
    const list = (Array.isArray(init) ? init : [init]) as readonly (IssueInit | ConfigIssue)[];
    const all = sortIssues(list.map(toIssue));
    if (all.length === 0) throw new TypeError('ConfigError needs at least one issue');
    const issues = all.slice(0, MAX_LISTED_ISSUES);
    omitted = Math.max(0, omitted) + all.length - issues.length;
    const more = omitted > 0 ? `\n  … and ${plural(omitted, 'more problem')}` : '';
    super(
      issues.length === 1 && omitted === 0
        ? issues[0]!.message
        : `${plural(issues.length + omitted, 'problem')} in the configuration:\n${issues.map((i) => `  ${i.message}`).join('\n')}${more}`,
    );
    const first = issues[0]!;
    this.file = first.file;
    this.keyPath = first.keyPath;
    if (first.line !== undefined) this.line = first.line;
    this.expected = first.expected;
    this.found = first.found;
    this.issues = issues;
    this.omitted = omitted;
  }

  /** Several errors (e.g. one per file) as one, so the user sees everything at once. */
  static merge(errors: readonly ConfigError[]): ConfigError {
    return new ConfigError(
      errors.flatMap((e) => e.issues),
      errors.reduce((n, e) => n + e.omitted, 0),
    );
  }
}

function toIssue(i: IssueInit | ConfigIssue): ConfigIssue {
  if ('message' in i) return i;
  const keyPath = i.keyPath ?? '';
  const where = i.line === undefined ? i.file : `${i.file}:${i.line}${i.column !== undefined ? `:${i.column}` : ''}`;
  const what = i.text ?? `expected ${i.expected}, found ${i.found}`;
  const issue: ConfigIssue = {
    file: i.file,
    keyPath,
    expected: i.expected,
    found: i.found,
    message: `${where}: ${keyPath ? `${keyPath}: ` : ''}${what}`,
  };
  if (i.line !== undefined) issue.line = i.line;
  if (i.column !== undefined) issue.column = i.column;
  return issue;
}

// Sorted so the message reads top to bottom like the file; stable for equal positions.
function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  const fileOrder = new Map<string, number>();
  for (const i of issues) if (!fileOrder.has(i.file)) fileOrder.set(i.file, fileOrder.size);
  return issues
    .map((issue, index) => ({ issue, index }))
    .sort((a, b) => fileOrder.get(a.issue.file)! - fileOrder.get(b.issue.file)! || (a.issue.line ?? Infinity) - (b.issue.line ?? Infinity) || a.index - b.index)
    .map((x) => x.issue);
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `roles.personas.writer.temperature`, `default_bundles[1]`, `extra_params["a.b"]`. */
export function formatKeyPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENT.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

const MAX_SHOWN = 40;

/** Short, one-line rendering of an actual value: `"sixty" (string)`, `3 (number)`, `a list (2 items)`. */
export function renderValue(value: unknown): string {
  if (value === undefined) return 'nothing (key is missing)';
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string': {
      const shown = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN - 1)}…` : value;
      const size = value.length > MAX_SHOWN ? `, ${value.length} chars` : '';
      return `${JSON.stringify(shown)} (string${size})`;
    }
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${String(value)} (${typeof value})`;
    case 'object': {
      if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : `a list (${plural(value.length, 'item')})`;
      const proto = Object.getPrototypeOf(value) as object | null;
      if (proto !== Object.prototype && proto !== null) return `a ${value.constructor?.name ?? 'non-plain'} object`;
      const keys = Object.keys(value);
      if (keys.length === 0) return 'an empty mapping';
      const names = keys.slice(0, 3).map((k) => (IDENT.test(k) ? k : JSON.stringify(k.slice(0, 20))));
      return `a mapping (keys: ${names.join(', ')}${keys.length > 3 ? ', …' : ''})`;
    }
    default:
      return `a ${typeof value}`;
  }
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

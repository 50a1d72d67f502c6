/**
 * The task list as a Markdown checklist: readable by people and models, and
 * parsed back exactly (parseTaskList(renderTaskList(l)) deep-equals l).
 *
 * Syntax, one task per line, two spaces of indentation per nesting level:
 *
 *   - [x] 1. Survey the workspace (done when: every top-level entry is listed)
 *     > listed 12 entries
 *     > second line of the same note
 *     - [ ] 1.1. Read README.md
 *   - [~] 2. Write the summary
 *
 * - Status markers: `[ ]` pending, `[~]` in_progress, `[x]` completed (`[X]`
 *   is accepted), `[!]` failed, `[-]` skipped. `*` and `+` bullets are accepted.
 * - `<id>.` follows the marker; ids look like `1` or `2.1`.
 * - Criteria, when not empty, are the suffix ` (done when: …)` closing at the
 *   line's final `)`. The first unescaped `(done when: ` starts them.
 * - The note, when present, is one `>` line per note line, directly under the
 *   task and indented deeper than it. A bare `>` is an empty note line.
 * - Escapes inside title, criteria and note lines: `\\` backslash, `\n` and
 *   `\r` line breaks, `\t` tab, `\(` a literal `(` (only used for `(done when: `
 *   inside titles), and `\u{HEX}` any code point (used for control characters,
 *   U+2028/U+2029 and whitespace at the start or end of a field, because the
 *   parser trims fields so hand edits and editors stripping spaces are harmless).
 *   An unknown escape is read as a literal backslash, so `C:\path` survives.
 * - Blank lines are ignored; anything else is an error (TaskListParseError).
 */
import type { TaskItem, TaskList, TaskStatus } from '../../contracts/aime/taskList.js';
import { AppError } from '../../contracts/errors.js';

const CRITERIA_OPEN = '(done when: ';
const CRITERIA_GUARD = CRITERIA_OPEN.trimEnd();
const INDENT = '  ';

const MARKER_OF: Record<TaskStatus, string> = {
  pending: ' ',
  in_progress: '~',
  completed: 'x',
  failed: '!',
  skipped: '-',
};
// Maps, not object literals: a marker like "toString" must not hit Object.prototype.
const STATUS_OF = new Map<string, TaskStatus>([
  [' ', 'pending'],
  ['~', 'in_progress'],
  ['x', 'completed'],
  ['X', 'completed'],
  ['!', 'failed'],
  ['-', 'skipped'],
]);
const SIMPLE_ESCAPES = new Map([
  ['\\', '\\'],
  ['n', '\n'],
  ['r', '\r'],
  ['t', '\t'],
  ['(', '('],
]);

/** The only error parseTaskList throws; `line` is 1-based. */
export class TaskListParseError extends AppError {
  readonly category = 'input';
  override readonly name = 'TaskListParseError';
  constructor(
    readonly source: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${source}:${line}: ${reason}`);
  }
}

// ---------------------------------------------------------------- rendering

export function renderTaskList(list: TaskList): string {
  const lines: string[] = [];
  const walk = (items: TaskItem[], depth: number): void => {
    for (const item of items) {
      const pad = INDENT.repeat(depth);
      let line = `${pad}- [${MARKER_OF[item.status] ?? ' '}] ${item.id}.`;
      if (item.title) line += ` ${escapeField(item.title, true)}`;
      if (item.criteria) line += ` ${CRITERIA_OPEN}${escapeField(item.criteria, false)})`;
      lines.push(line);
      if (item.note !== undefined) {
        for (const noteLine of item.note.split('\n')) {
          const escaped = escapeField(noteLine, false);
          lines.push(`${pad}${INDENT}>${escaped ? ` ${escaped}` : ''}`);
        }
      }
      walk(item.children, depth + 1);
    }
  };
  walk(list, 0);
  return lines.join('\n');
}

const WHITESPACE = /\s/; // the same set String.prototype.trim removes

function hexEscape(ch: string): string {
  return `\\u{${ch.codePointAt(0)!.toString(16)}}`;
}

function isControl(cp: number): boolean {
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp === 0x2028 || cp === 0x2029;
}

/** Escapes one field so it stays on one line and survives the parser's trimming. */
function escapeField(text: string, guardCriteria: boolean): string {
  const chars = Array.from(text);
  let lead = 0;
  while (lead < chars.length && WHITESPACE.test(chars[lead]!)) lead++;
  let trail = chars.length;
  while (trail > lead && WHITESPACE.test(chars[trail - 1]!)) trail--;

  let out = '';
  let offset = 0; // code-unit offset of chars[i] in text
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    const edge = i < lead || i >= trail;
    if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += edge ? '\\t' : '\t';
    else if (isControl(ch.codePointAt(0)!) || (edge && WHITESPACE.test(ch))) out += hexEscape(ch);
    // Without the trailing space too: a title ending in "(done when:" meets the criteria's " ".
    else if (guardCriteria && ch === '(' && text.startsWith(CRITERIA_GUARD, offset)) out += '\\(';
    else out += ch;
    offset += ch.length;
  }
  return out;
}

// ------------------------------------------------------------------ parsing

const HEX_ESCAPE = /\{([0-9a-fA-F]{1,6})\}/y;

function unescapeField(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = raw[i + 1];
    const simple = next === undefined ? undefined : SIMPLE_ESCAPES.get(next);
    if (simple !== undefined) {
      out += simple;
      i++;
      continue;
    }
    if (next === 'u') {
      HEX_ESCAPE.lastIndex = i + 2;
      const m = HEX_ESCAPE.exec(raw);
      const cp = m ? parseInt(m[1]!, 16) : NaN;
      if (m && cp <= 0x10ffff) {
        out += String.fromCodePoint(cp);
        i += 1 + m[0].length;
        continue;
      }
    }
    out += '\\'; // unknown escape: a literal backslash
  }
  return out;
}

/** Splits "title (done when: criteria)" at the first unescaped criteria opener. */
function splitCriteria(rest: string): { title: string; criteria?: string } {
  for (let i = 0; i < rest.length; i++) {
    const ch = rest[i];
    if (ch === '\\') i++;
    else if (ch === '(' && rest.startsWith(CRITERIA_OPEN, i)) {
      return { title: rest.slice(0, i), criteria: rest.slice(i + CRITERIA_OPEN.length) };
    }
  }
  return { title: rest };
}

function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

const ITEM_HEAD = /^[-*+] +\[([^\]\n]{0,8})\]/;
const ITEM_ID = /^ +(\d+(?:\.\d+)*)\.(?=\s|$)/;

interface OpenItem {
  item: TaskItem;
  indent: number;
}

export function parseTaskList(text: string, source = '<input>'): TaskList {
  let lineNo = 0;
  try {
    return parseLines(text, source, (n) => (lineNo = n));
  } catch (err) {
    if (err instanceof TaskListParseError) throw err;
    // Safety net: whatever slipped through is still reported as a parse error.
    const why = err instanceof Error ? err.message : 'unknown failure';
    throw new TaskListParseError(source, Math.max(1, lineNo), `could not parse: ${why}`);
  }
}

function parseLines(text: string, source: string, at: (line: number) => void): TaskList {
  const root: TaskList = [];
  const path: OpenItem[] = []; // the ancestors of the next item, by depth
  let last: OpenItem | undefined;
  const lines = text.replace(/^\uFEFF/, '').split('\n');

  for (let n = 0; n < lines.length; n++) {
    const lineNo = n + 1;
    at(lineNo);
    const fail = (reason: string) => new TaskListParseError(source, lineNo, reason);
    const line = lines[n]!.trimEnd();
    if (line.trim() === '') continue;

    let indent = 0;
    while (line[indent] === ' ') indent++;
    const body = line.slice(indent);
    if (WHITESPACE.test(body[0]!)) throw fail(`indent with spaces only, found ${quote(line)}`);

    if (body[0] === '>') {
      if (!last) throw fail('a ">" note line must follow a task line');
      if (indent <= last.indent) throw fail(`a ">" note line must be indented deeper than its task (more than ${last.indent} spaces)`);
      const noteLine = unescapeField(body.slice(1).trim());
      last.item.note = last.item.note === undefined ? noteLine : `${last.item.note}\n${noteLine}`;
      continue;
    }

    const head = ITEM_HEAD.exec(body);
    if (!head) throw fail(`expected "- [ ]" checklist item, found ${quote(body)}`);
    const status = STATUS_OF.get(head[1]!);
    if (!status) throw fail(`unknown status marker ${quote(`[${head[1]}]`)}; use [ ], [~], [x], [!] or [-]`);
    const afterHead = body.slice(head[0].length);
    const idMatch = ITEM_ID.exec(afterHead);
    if (!idMatch) throw fail(`expected a task id such as "1." or "2.1." after "[${head[1]}]", found ${quote(afterHead.trimStart())}`);

    if (indent % INDENT.length !== 0) throw fail(`indentation of ${indent} spaces is not a multiple of ${INDENT.length}`);
    const depth = indent / INDENT.length;
    if (depth > path.length) {
      throw fail(
        path.length === 0
          ? `the first task must not be indented, found ${indent} spaces`
          : `task is indented ${indent} spaces; at most ${path.length * INDENT.length} (one level below the task above) is allowed`,
      );
    }

    const parts = splitCriteria(afterHead.slice(idMatch[0].length));
    let criteria = '';
    if (parts.criteria !== undefined) {
      if (!parts.criteria.endsWith(')')) throw fail(`"${CRITERIA_OPEN.trim()}" must be closed by ")" at the end of the line`);
      criteria = unescapeField(parts.criteria.slice(0, -1).trim());
    }
    const item: TaskItem = { id: idMatch[1]!, title: unescapeField(parts.title.trim()), status, criteria, children: [] };

    path.length = depth;
    (depth === 0 ? root : path[depth - 1]!.item.children).push(item);
    last = { item, indent };
    path.push(last);
  }
  return root;
}

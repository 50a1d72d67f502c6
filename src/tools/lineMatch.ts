/**
 * Finding matching lines with a model-supplied regular expression. A regex
 * like /(a+)+$/ can backtrack for minutes and would freeze the whole runtime,
 * so untrusted patterns run inside a vm script with a timeout, which V8 can
 * interrupt even in the middle of a regex.
 */
import vm from 'node:vm';
import { AppError } from '../../contracts/errors.js';

export interface LineMatch {
  /** 1-based line number. */
  line: number;
  text: string;
  /** Where in the line the match starts (for centring long lines). */
  column: number;
}

export class RegexTimeoutError extends AppError {
  readonly category = 'run';
  constructor(ms: number) {
    super(`the regular expression took longer than ${ms} ms on one file (probably catastrophic backtracking); simplify it or search for plain text`);
  }
}

const SCRIPT = new vm.Script(`
  (() => {
    const out = [];
    const lines = text.split('\\n');
    for (let i = 0; i < lines.length && out.length < limit; i++) {
      const line = lines[i].endsWith('\\r') ? lines[i].slice(0, -1) : lines[i];
      const m = re.exec(line);
      if (m) out.push([i + 1, m.index]);
    }
    return out;
  })()
`);

/**
 * A function returning the lines of a text matching `re` (its `g`/`y` flags
 * must be off), at most `limit`. `timeoutMs` null runs in-process: only for
 * patterns we built ourselves (escaped literals cannot backtrack badly).
 */
export function lineMatcher(re: RegExp, timeoutMs: number | null): (text: string, limit: number) => LineMatch[] {
  // One context per search: creating a V8 context per file would cost more than the search.
  const context = timeoutMs === null ? null : vm.createContext({ text: '', re, limit: 0 });
  return (text, limit) => {
    let raw: [number, number][];
    if (context === null || timeoutMs === null) {
      raw = runPlain(text, re, limit);
    } else {
      context['text'] = text;
      context['limit'] = limit;
      try {
        raw = SCRIPT.runInContext(context, { timeout: timeoutMs }) as [number, number][];
      } catch (err) {
        if ((err as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw new RegexTimeoutError(timeoutMs);
        throw err;
      }
    }
    const lines = text.split('\n');
    return Array.from(raw, ([line, column]) => ({ line, column, text: (lines[line - 1] ?? '').replace(/\r$/, '') }));
  };
}

function runPlain(text: string, re: RegExp, limit: number): [number, number][] {
  const out: [number, number][] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length && out.length < limit; i++) {
    const m = re.exec(lines[i]!.replace(/\r$/, ''));
    if (m) out.push([i + 1, m.index]);
  }
  return out;
}

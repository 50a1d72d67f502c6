/**
 * Terminal output. Model output is untrusted: control characters (ANSI
 * escapes that could rewrite the screen) are removed before anything is shown.
 * Colour and redrawing follow the usual conventions: NO_COLOR turns colour off,
 * FORCE_COLOR turns it on (FORCE_COLOR=0 off), and neither happens when the
 * stream is not a terminal or TERM=dumb.
 */
import { renderTaskList } from '../aime/markdown.js';
import type { TaskList } from '../../contracts/aime/taskList.js';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function safeText(text: string): string {
  return text.replace(CONTROL, '');
}

type Stream = Pick<NodeJS.WriteStream, 'isTTY'> & Partial<Pick<NodeJS.WriteStream, 'columns'>>;

/** A terminal that understands cursor movement: a TTY whose TERM is not "dumb". */
export function isInteractive(stream: Stream, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && env['TERM'] !== 'dumb';
}

export function colourEnabled(stream: Stream, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env['FORCE_COLOR'];
  if (force !== undefined && force !== '') return force !== '0' && force.toLowerCase() !== 'false';
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  return isInteractive(stream, env);
}

const CODES = { green: 32, red: 31, yellow: 33, dim: 2, bold: 1 } as const;
export type Colour = keyof typeof CODES;

export function paint(stream: Stream, colour: Colour, text: string): string {
  return colourEnabled(stream) ? `\x1b[${CODES[colour]}m${text}\x1b[0m` : text;
}

/** The colour of a status word: run statuses and doctor checks. */
export function statusColour(status: string): Colour {
  if (/^(completed|ok|done)$/i.test(status)) return 'green';
  if (/^(failed|fail|error)$/i.test(status)) return 'red';
  if (/^(skip|skipped)$/i.test(status)) return 'dim';
  return 'yellow';
}

/**
 * Redraws the checklist and, under it, one status line (what is happening
 * now) in place on an interactive terminal; prints nothing elsewhere.
 */
export class LiveChecklist {
  private drawnLines = 0;
  private tasks: TaskList = [];
  private statusText = '';

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  get live(): boolean {
    return isInteractive(this.out, this.env);
  }

  draw(tasks: TaskList): void {
    this.tasks = tasks;
    this.redraw();
  }

  status(text: string): void {
    if (text === this.statusText) return;
    this.statusText = text;
    this.redraw();
  }

  private redraw(): void {
    if (!this.live) return;
    const width = Math.max(20, (this.out.columns ?? 100) - 1);
    const fit = (l: string) => (l.length > width ? `${l.slice(0, width - 1)}…` : l);
    const lines = safeText(renderTaskList(this.tasks)).split('\n').filter(Boolean).map(fit);
    if (this.statusText) lines.push(paint(this.out, 'dim', fit(`… ${safeText(this.statusText)}`)));
    let buf = this.drawnLines ? `\x1b[${this.drawnLines}F\x1b[0J` : '';
    buf += lines.join('\n') + (lines.length ? '\n' : '');
    this.out.write(buf);
    this.drawnLines = lines.length;
  }

  /** Erase the status line, keep the checklist, and forget the drawn block so later output is not erased. */
  release(): void {
    if (this.statusText) {
      this.statusText = '';
      this.redraw();
    }
    this.drawnLines = 0;
  }
}

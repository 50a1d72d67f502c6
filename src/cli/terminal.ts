/**
 * Terminal output. Model output is untrusted: control characters (ANSI
 * escapes that could rewrite the screen) are removed before anything is shown.
 */
import { renderTaskList } from '../aime/markdown.js';
import type { TaskList } from '../../contracts/aime/taskList.js';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function safeText(text: string): string {
  return text.replace(CONTROL, '');
}

/** Redraws the checklist in place on a TTY; prints nothing elsewhere. */
export class LiveChecklist {
  private drawnLines = 0;

  constructor(private readonly out: NodeJS.WriteStream) {}

  draw(tasks: TaskList): void {
    if (!this.out.isTTY) return;
    const width = Math.max(20, (this.out.columns ?? 100) - 1);
    const lines = safeText(renderTaskList(tasks))
      .split('\n')
      .filter(Boolean)
      .map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l));
    let buf = this.drawnLines ? `\x1b[${this.drawnLines}F\x1b[0J` : '';
    buf += lines.join('\n') + (lines.length ? '\n' : '');
    this.out.write(buf);
    this.drawnLines = lines.length;
  }

  /** Forget the drawn block so later output is not erased. */
  release(): void {
    this.drawnLines = 0;
  }
}

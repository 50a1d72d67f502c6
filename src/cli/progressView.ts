/**
 * How a command shows a run as it goes: on an interactive terminal the live
 * checklist with a status line under it (what is happening now, with waits
 * that tick); with --verbose the same as log lines on stderr; with --quiet or
 * --json on a pipe, nothing.
 */
import type { TaskList } from '../../contracts/aime/taskList.js';
import { type Activity, describeActivity, logLine, type ActivityEvent } from './activity.js';
import { isInteractive, LiveChecklist, safeText } from './terminal.js';

export interface ViewFlags {
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

export interface ProgressView {
  onTasks?: (tasks: TaskList) => void;
  /** Forget the drawn block (a prompt is printed below it), so the next redraw does not erase the prompt. */
  release?(): void;
  dispose(): void;
}

/** How often a wait's seconds tick on the status line. */
const TICK_MS = 100;

export function startProgressView(activity: Activity, flags: ViewFlags, streams = { out: process.stdout, err: process.stderr }): ProgressView {
  if (flags.quiet) return { dispose() {} };
  if (flags.verbose) {
    const off = activity.on((event) => streams.err.write(`gepa-aime: ${safeText(logLine(event))}\n`));
    return { dispose: off };
  }
  // With --json stdout holds the report: only the status line, and only on a terminal stderr.
  const stream = flags.json ? streams.err : streams.out;
  if (!isInteractive(stream)) return { dispose() {} };
  const view = new LiveChecklist(stream);
  let latest: ActivityEvent | null = null;
  const show = () => latest && view.status(describeActivity(latest, Date.now()));
  const off = activity.on((event) => {
    latest = event;
    show();
  });
  const timer = setInterval(show, TICK_MS);
  timer.unref();
  return {
    ...(flags.json ? {} : { onTasks: (tasks: TaskList) => view.draw(tasks) }),
    release: () => view.release(),
    dispose() {
      clearInterval(timer);
      off();
      view.release();
    },
  };
}

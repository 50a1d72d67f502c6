/**
 * The offline model as planner: reads the planner prompt our own planner
 * module writes (goal, Markdown task list, report lines) and decides like a
 * careful human would: survey first, one task per clause of the goal, write
 * the results to a file, retry a failed task once another way, then finish.
 */
import { parseTaskList } from '../markdown.js';
import type { TaskItem, TaskList } from '../../../contracts/aime/taskList.js';
import { flattenTasks } from '../../../contracts/aime/taskListOps.js';
import type { ActorReport, PlannerDecision } from '../../../contracts/aime/types.js';
import { capitalise, classify, outputFileFor, splitGoal, unsupportedReason, type WorkKind } from './goal.js';

export const OFFLINE_NOTICE = 'Produced by the embedded offline model of GEPA-AIME (deterministic rules, no language model).';

interface PlannerView {
  goal: string;
  tasks: TaskList;
  reports: ActorReport[];
}

export function readPlannerPrompt(userText: string): PlannerView {
  const goal = section(userText, 'Goal').trim();
  const listText = section(userText, 'Task list');
  let tasks: TaskList = [];
  if (!listText.startsWith('(empty')) {
    try {
      tasks = parseTaskList(listText);
    } catch {
      tasks = [];
    }
  }
  const reports: ActorReport[] = [];
  for (const line of section(userText, 'Reports of finished subtasks').split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      reports.push(JSON.parse(line) as ActorReport);
    } catch {
      /* a line cut by the history trim: skip it */
    }
  }
  return { goal, tasks, reports };
}

function section(text: string, heading: string): string {
  const start = text.indexOf(`# ${heading}`);
  if (start < 0) return '';
  const body = text.slice(text.indexOf('\n', start) + 1);
  const next = body.search(/^# /m);
  return (next < 0 ? body : body.slice(0, next)).trim();
}

const CRITERIA: Record<WorkKind, string> = {
  survey: 'the directory tree is listed and the key files are read',
  summarise: 'a summary grounded in the survey is reported',
  propose: 'concrete next steps grounded in what the workspace holds are reported',
  write: 'the file exists in the workspace and holds the results of every other task',
  research: 'search results relevant to the question are reported with their URLs',
  search: 'the workspace is searched for the subject and the findings are reported',
  unsupported: 'none: the offline model cannot do this',
};

function task(id: string, title: string): TaskItem {
  return { id, title, status: 'pending', criteria: CRITERIA[classify(title)], children: [] };
}

/** A task that covers text earlier feedback said was missing (see lessons.ts). */
function lessonTask(term: string): string {
  const cover = `Cover "${term}" in the results`;
  return classify(cover) === 'search' ? `Search the workspace for "${term}"` : cover;
}

export function initialPlan(goal: string, lessons: readonly string[] = []): TaskList {
  const clauses = splitGoal(goal).filter((c) => classify(c) !== 'survey' && classify(c) !== 'write');
  const titles = ['Survey the workspace: list its files and read the key ones', ...clauses.map(capitalise)];
  titles.push(...lessons.filter((t) => !goal.toLowerCase().includes(t)).map(lessonTask));
  titles.push(`Write the results to ${outputFileFor(goal)}`);
  return titles.map((title, i) => task(String(i + 1), title));
}

export function decide(view: PlannerView, lessons: readonly string[] = []): PlannerDecision {
  if (!view.tasks.length) {
    // A goal the rules cannot serve fails at once, saying so, instead of a run that pretends.
    const beyond = splitGoal(view.goal).find((c) => classify(c) === 'unsupported');
    if (beyond)
      return { rationale: "Part of the goal is beyond the offline model's rules.", tasks: [], action: { type: 'fail', reason: unsupportedReason(beyond) } };
    const tasks = initialPlan(view.goal, lessons);
    return {
      rationale: `Split the goal into ${tasks.length} steps: survey the workspace first, then one task per part of the goal, then write the results down.`,
      tasks,
      action: { type: 'dispatch', taskIds: ['1'] },
    };
  }
  const tasks = structuredClone(view.tasks);
  const all = flattenTasks(tasks);
  const failed = all.filter((t) => t.status === 'failed');
  for (const f of failed) {
    const alreadyRetried = all.some((t) => t.title.startsWith(`Retry [${f.id}]`));
    if (alreadyRetried || f.title.startsWith('Retry [')) continue;
    const id = String(Math.max(...tasks.map((t) => Number(t.id.split('.')[0]) || 0)) + 1);
    const retry = task(id, `Retry [${f.id}] another way: ${f.title}`);
    retry.criteria = f.criteria;
    // Contingency before the write-up, so the write-up can include it.
    const writeIndex = tasks.findIndex((t) => t.status === 'pending' && classify(t.title) === 'write');
    tasks.splice(writeIndex < 0 ? tasks.length : writeIndex, 0, retry);
    return {
      rationale: `Task ${f.id} failed (${lastNote(view, f.id)}); adding a contingency task and dispatching it now.`,
      tasks,
      action: { type: 'dispatch', taskIds: [id] },
    };
  }
  const retriesFailed = failed.filter((t) => t.title.startsWith('Retry ['));
  if (retriesFailed.length) {
    const t = retriesFailed[0]!;
    return {
      rationale: 'A task failed twice; the goal cannot be met with the tools at hand.',
      tasks,
      action: { type: 'fail', reason: `${t.title} failed: ${lastNote(view, t.id)}` },
    };
  }
  const next = all.find((t) => t.status === 'pending' && t.children.every((c) => c.status === 'completed' || c.status === 'skipped'));
  if (next) return { rationale: `Next pending task in order: ${next.id}.`, tasks, action: { type: 'dispatch', taskIds: [next.id] } };
  const open = all.filter((t) => t.status === 'in_progress');
  if (open.length)
    return {
      rationale: 'Tasks are still in progress with no pending work; dispatching them again.',
      tasks,
      action: { type: 'dispatch', taskIds: open.map((t) => t.id) },
    };
  return { rationale: 'Every task is completed or accounted for; the goal is met.', tasks, action: { type: 'finish', answer: finalAnswer(view) } };
}

function lastNote(view: PlannerView, id: string): string {
  return (
    [...view.reports]
      .reverse()
      .find((r) => r.taskId === id)
      ?.summary.slice(0, 300) ?? 'no report'
  );
}

/** At most `max` characters, ending at a whole line when one fits, else at a word. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = text.slice(0, max);
  const line = head.lastIndexOf('\n');
  if (line > max / 2) return `${head.slice(0, line)}\n…`;
  const space = head.lastIndexOf(' ');
  return `${space > max / 2 ? head.slice(0, space) : head}…`;
}

function finalAnswer(view: PlannerView): string {
  const done = view.reports.filter((r) => r.status === 'completed');
  const files = [...new Set(done.flatMap((r) => r.references).filter((ref) => !/^https?:/.test(ref)))];
  const lines = done.map((r) => `- [${r.taskId}] ${cut(r.summary, 800)}`);
  return [`Goal: ${view.goal}`, ...lines, files.length ? `Files: ${files.join(', ')}` : '', OFFLINE_NOTICE].filter(Boolean).join('\n');
}

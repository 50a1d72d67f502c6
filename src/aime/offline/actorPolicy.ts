/**
 * The offline model as a dynamic actor. It reads the prompt the actor factory
 * composed (subtask, knowledge with earlier reports) and the observations so
 * far, and either asks for the next tool calls or ends with its report. Every
 * fact it reports comes from a real tool observation.
 */
import type { ActorReport } from '../../../contracts/aime/types.js';
import type { ChatMessage } from '../../../contracts/llm.js';
import { crawlState, evidenceHits, ignoreRules, MARKER, nextCrawlCalls, type Crawl } from './crawl.js';
import { classify, outputFileFor, unsupportedReason } from './goal.js';
import { briefLayout, describeLayout, proposeNextSteps } from './workspaceFacts.js';
import { OFFLINE_NOTICE } from './plannerPolicy.js';

export interface Observation {
  tool: string;
  arguments: Record<string, unknown>;
  output: string;
}

export interface ActorView {
  taskId: string;
  title: string;
  goal: string;
  reports: ActorReport[];
  /** Tool observations per earlier step, oldest first. */
  steps: Observation[][];
  availableTools: Set<string>;
  /** Model calls the actor may make (the prompt's step limit). */
  stepLimit: number;
}

export type ActorMove = { calls: { name: string; args: Record<string, unknown> }[] } | { report: Omit<ActorReport, 'taskId'> };

export function readActorPrompt(messages: ChatMessage[], toolNames: string[]): ActorView {
  const system = messages.find((m) => m.role === 'system')?.content ?? '';
  const user = messages.find((m) => m.role === 'user')?.content ?? '';
  const head = /\[([\d.]+)\] (.*)/.exec(user);
  const goal = /Overall goal of the team: (.*)/.exec(system)?.[1] ?? '';
  const reports: ActorReport[] = [];
  const block = /<reports>\n([\s\S]*?)\n<\/reports>/.exec(system)?.[1] ?? '';
  for (const line of block.split('\n')) {
    try {
      reports.push(JSON.parse(line) as ActorReport);
    } catch {
      /* not a report line */
    }
  }
  const steps: Observation[][] = [];
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    if (m.role !== 'assistant' || !m.toolCalls?.length) continue;
    steps.push(
      m.toolCalls.map((call) => ({
        tool: call.name,
        arguments: safeJson(call.arguments),
        output: messages.find((r) => r.role === 'tool' && r.toolCallId === call.id)?.content ?? '',
      })),
    );
  }
  const stepLimit = Number(/Step limit: (\d+) model calls/.exec(system)?.[1] ?? 10);
  return { taskId: head?.[1] ?? '?', title: head?.[2] ?? '', goal, reports, steps, availableTools: new Set(toolNames), stepLimit };
}

function safeJson(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const progress = (message: string) => ({ name: 'update_progress', args: { status: 'in_progress', message } });

export function nextMove(view: ActorView): ActorMove {
  const kind = classify(view.title);
  const step = view.steps.length;
  if (kind === 'unsupported') return { report: { status: 'failed', summary: unsupportedReason(view.title), references: [] } };
  const needed = TOOLS_FOR[kind].filter((t) => !view.availableTools.has(t));
  if (needed.length) {
    return { report: { status: 'failed', summary: `this subtask needs the tool(s) ${needed.join(', ')}, which this actor was not given`, references: [] } };
  }
  switch (kind) {
    case 'survey':
      return survey(view, step);
    case 'summarise':
      return step === 0 ? { calls: [progress('summarising the survey')] } : summarise(view);
    case 'propose':
      return propose(view, step);
    case 'write':
      return write(view, step);
    case 'research':
      return research(view, step);
    case 'search':
      return search(view, step);
  }
}

const TOOLS_FOR: Record<ReturnType<typeof classify>, string[]> = {
  survey: ['list_dir', 'read_file'],
  summarise: [],
  propose: ['list_dir', 'search_files'],
  write: ['write_file'],
  research: ['web_search'],
  search: ['search_files', 'read_file'],
  unsupported: [],
};

function crawlOf(view: ActorView): Crawl {
  return crawlState(view.steps.flat(), outputFileFor(view.goal));
}

/** The next crawl calls while the crawl is unfinished and within its step budget. */
function crawlCalls(view: ActorView): ActorMove | null {
  // The last allowed model call is the report; the crawl stops before it, and says what it did not list.
  if (view.steps.length >= view.stepLimit - 1) return null;
  const calls = nextCrawlCalls(view.steps.flat(), outputFileFor(view.goal));
  return calls ? { calls } : null;
}

const KEY_FILES = /^(readme(\.\w+)?|package\.json|pyproject\.toml|cargo\.toml|go\.mod|requirements\.txt|setup\.py|makefile|pom\.xml|build\.gradle)$/i;

function survey(view: ActorView, step: number): ActorMove {
  if (step === 0) return { calls: [progress('listing the workspace, one directory level at a time'), ...(nextCrawlCalls([], outputFileFor(view.goal)) ?? [])] };
  const obs = view.steps.flat();
  const crawl = crawlOf(view);
  const next = crawlCalls(view);
  // Right after the root listing, the key files at the root are read too.
  const keys =
    step === 1
      ? rootFiles(view)
          .filter((f) => KEY_FILES.test(f))
          .slice(0, 3)
      : [];
  if (next || keys.length)
    return { calls: [...(next && 'calls' in next ? next.calls : []), ...keys.map((k) => ({ name: 'read_file', args: { path: k, max_bytes: 4000 } }))] };
  const reads = obs.filter((o) => o.tool === 'read_file' && o.arguments['path'] !== '.gitignore' && !/^read_file:/.test(o.output));
  return {
    report: {
      status: 'completed',
      summary: describeLayout(
        crawl,
        reads.map((r) => ({ path: String(r.arguments['path']), text: r.output })),
      ),
      references: reads.map((r) => String(r.arguments['path'])),
    },
  };
}

/** Files at the root, from the root listing (before the .gitignore is known). */
function rootFiles(view: ActorView): string[] {
  return crawlState(
    view.steps.flat().filter((o) => o.tool === 'list_dir'),
    outputFileFor(view.goal),
  ).files.filter((f) => !f.includes('/'));
}

function surveyReport(view: ActorView): ActorReport | undefined {
  return view.reports.find((r) => r.status === 'completed' && /^The workspace holds/.test(r.summary));
}

function summarise(view: ActorView): ActorMove {
  const s = surveyReport(view);
  if (!s) return { report: { status: 'failed', summary: 'there is no survey of the workspace to summarise yet; survey it first', references: [] } };
  // A brief of the survey in other words, not the survey again.
  return { report: { status: 'completed', summary: briefLayout(s.summary), references: s.references } };
}

function propose(view: ActorView, step: number): ActorMove {
  const search = { name: 'search_files', args: { query: MARKER.source, regex: true, case_sensitive: true, max_results: 500 } };
  if (step === 0) return { calls: [progress('looking for gaps and open work'), ...(nextCrawlCalls([], outputFileFor(view.goal)) ?? []), search] };
  const next = crawlCalls(view);
  if (next) return next;
  const crawl = crawlOf(view);
  const todo = view.steps.flat().find((o) => o.tool === 'search_files')?.output ?? '';
  const hits = evidenceHits(todo.split('\n'), ignoreRules(crawl.gitignore, outputFileFor(view.goal)));
  return { report: { status: 'completed', summary: proposeNextSteps(crawl, hits), references: [] } };
}

function write(view: ActorView, step: number): ActorMove {
  const path = /\bto (\S+)$/.exec(view.title)?.[1] ?? outputFileFor(view.goal);
  if (step === 0) {
    const sections = view.reports.filter((r) => r.status === 'completed').map((r) => `## Task ${r.taskId}\n\n${r.summary}\n`);
    const content = [`# ${view.goal || 'Results'}\n`, ...sections, `---\n${OFFLINE_NOTICE}\n`].join('\n');
    return { calls: [progress(`writing ${path}`), { name: 'write_file', args: { path, content, mode: 'overwrite' } }] };
  }
  const written = view.steps.flat().find((o) => o.tool === 'write_file');
  const ok = written !== undefined && !/^write_file:|refus|error|not /i.test(written.output);
  return ok
    ? {
        report: {
          status: 'completed',
          summary: `Wrote the results of ${view.reports.filter((r) => r.status === 'completed').length} tasks to ${path}.`,
          references: [path],
        },
      }
    : { report: { status: 'failed', summary: `could not write ${path}: ${written?.output ?? 'no result'}`, references: [] } };
}

function research(view: ActorView, step: number): ActorMove {
  const query = view.title.replace(/^(research|look up|search the web for|find online)\s*/i, '');
  if (step === 0) return { calls: [{ name: 'web_search', args: { query, max_results: 5 } }] };
  const out = view.steps.flat().find((o) => o.tool === 'web_search')?.output ?? '';
  const urls = [...out.matchAll(/https?:\/\/\S+/g)].map((m) => m[0]);
  return urls.length
    ? { report: { status: 'completed', summary: `Web results for "${query}":\n${out.slice(0, 2000)}`, references: urls } }
    : { report: { status: 'failed', summary: `web search gave nothing usable: ${out.slice(0, 300)}`, references: [] } };
}

const STOP = new Set([
  'the',
  'and',
  'for',
  'with',
  'that',
  'this',
  'from',
  'into',
  'about',
  'find',
  'search',
  'workspace',
  'files',
  'file',
  'all',
  'any',
  'our',
  'its',
]);

function search(view: ActorView, step: number): ActorMove {
  const words =
    view.title
      .toLowerCase()
      .match(/[a-z0-9_]{3,}/g)
      ?.filter((w) => !STOP.has(w)) ?? [];
  const keyword = [...words].sort((a, b) => b.length - a.length)[0] ?? view.title;
  if (step === 0) {
    return {
      calls: [
        progress(`searching the workspace for "${keyword}"`),
        { name: 'read_file', args: { path: '.gitignore', max_bytes: 20000 } },
        { name: 'search_files', args: { query: keyword, max_results: 200 } },
      ],
    };
  }
  const obs = view.steps.flat();
  const out = obs.find((o) => o.tool === 'search_files')?.output ?? '';
  const rules = ignoreRules(crawlState(obs, outputFileFor(view.goal)).gitignore, outputFileFor(view.goal));
  const hits = out.split('\n').filter((l) => /^[^\s:]+:\d+:/.test(l) && !rules.ignores(l.split(':')[0]!));
  const files = [...new Set(hits.map((h) => h.split(':')[0]!))];
  return {
    report: {
      status: 'completed',
      summary: hits.length
        ? `Found "${keyword}" ${hits.length} time(s) in ${files.length} file(s): ${files.slice(0, 10).join(', ')}.\n${hits.slice(0, 10).join('\n')}`
        : `"${keyword}" does not occur in the workspace's text files.`,
      references: files.slice(0, 10),
    },
  };
}

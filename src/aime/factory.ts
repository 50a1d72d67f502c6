/**
 * The actor factory (AIME §4.2). For each subtask it picks a persona and tool
 * bundles and composes the actor's prompt:
 *   Compose(persona, tool descriptions, knowledge, environment, output format).
 * Pure: the environment (clock, OS, workspace) is passed in by the runtime.
 */
import type { ToolSpec } from '../../contracts/llm.js';
import type { ToolBundle } from '../tools/types.js';
import { renderTaskList } from './markdown.js';
import { personaComponent, toolComponent } from '../../contracts/aime/prompts.js';
import type { TaskItem, TaskList } from '../../contracts/aime/taskList.js';
import { findTask } from '../../contracts/aime/taskListOps.js';
import type { ActorReport, ActorSpec, PlannerDecision } from '../../contracts/aime/types.js';

export interface PersonaDefinition {
  description: string;
  prompt: string;
  bundles: string[];
  knowledge?: string[];
  when?: string[];
}

export interface ActorEnvironment {
  os: string;
  time: string;
  workspace: string;
  permissions: string;
}

export interface FactoryResources {
  personas: Record<string, PersonaDefinition>;
  defaultPersona: string;
  bundles: Map<string, ToolBundle>;
  /** The tool specs (name, description, JSON Schema) for a set of bundles, update_progress included. */
  toolSpecsFor(bundleNames: string[]): ToolSpec[];
}

export interface ComposeRequest {
  goal: string;
  tasks: TaskList;
  taskId: string;
  assignment?: NonNullable<PlannerDecision['assignments']>[string];
  prompts: Record<string, string>;
  history: ActorReport[];
  maxSteps: number;
  iteration: number;
  environment: ActorEnvironment;
}

/** Persona: the planner's hint when it names a real one, else the best keyword match, else the default. */
export function choosePersona(task: TaskItem, hint: string | undefined, res: FactoryResources): string {
  if (hint && res.personas[hint]) return hint;
  const text = `${task.title} ${task.criteria}`.toLowerCase();
  let best = res.defaultPersona;
  let bestHits = 0;
  for (const [name, persona] of Object.entries(res.personas)) {
    const hits = (persona.when ?? []).filter((kw) => new RegExp(`\\b${escapeRegExp(kw.toLowerCase())}`).test(text)).length;
    if (hits > bestHits) {
      best = name;
      bestHits = hits;
    }
  }
  return best;
}

/** Bundles: the planner's hint filtered to known bundles, else the persona's own. */
export function chooseBundles(persona: PersonaDefinition, hint: string[] | undefined, res: FactoryResources): string[] {
  const known = (hint ?? []).filter((b) => res.bundles.has(b));
  return known.length ? known : persona.bundles.filter((b) => res.bundles.has(b));
}

export const REPORT_FORMAT = `When the subtask's completion criteria are met (or you are sure they cannot be), stop calling tools and reply with only this JSON object:
{"status": "completed" | "failed", "summary": "what you did and found, concrete and complete", "references": ["files, ids or URLs you produced or used"]}`;

export function composeActor(req: ComposeRequest, res: FactoryResources): ActorSpec {
  const task = findTask(req.tasks, req.taskId);
  if (!task) throw new Error(`the task list has no task "${req.taskId}"`);
  const personaName = choosePersona(task, req.assignment?.persona, res);
  const persona = res.personas[personaName]!;
  const bundles = chooseBundles(persona, req.assignment?.bundles, res);
  // A candidate may rewrite how a tool is described (component tool.<name>.description): in the prompt and in the tool spec alike.
  const described = (name: string, base: string) => req.prompts[toolComponent(name)] ?? base;
  const tools = res.toolSpecsFor(bundles).map((t) => ({ ...t, description: described(t.name, t.description) }));
  const personaText = req.prompts[personaComponent(personaName)] ?? persona.prompt;

  const toolSection = bundles
    .map((name) => {
      const bundle = res.bundles.get(name)!;
      return `## Bundle ${name}: ${bundle.description}\n${bundle.tools.map((t) => `- ${t.name}: ${firstLine(described(t.name, t.description))}`).join('\n')}`;
    })
    .concat([
      '## System tool\n- update_progress(status, message): report progress on your subtask; call it when you start something notable, finish, fail or are blocked.',
    ])
    .join('\n');

  const finished = req.history.filter((r) => r.taskId !== '-');
  const knowledge = [
    ...(persona.knowledge ?? []).map((k) => `- ${k}`),
    `- Overall goal of the team: ${req.goal}`,
    ...(finished.length ? ['- Results of finished subtasks:', '<reports>', ...finished.map((r) => JSON.stringify(r)), '</reports>'] : []),
  ].join('\n');

  const environment = [
    `- Operating system: ${req.environment.os}`,
    `- Current time: ${req.environment.time}`,
    `- Workspace: ${req.environment.workspace} (all file paths are relative to it)`,
    `- Permissions: ${req.environment.permissions}`,
    `- Step limit: ${req.maxSteps} model calls`,
  ].join('\n');

  const systemPrompt = [
    `# Persona\n${personaText}`,
    `# Tools\n${toolSection}`,
    `# Knowledge\n${knowledge}`,
    `# Environment\n${environment}`,
    `# Output format\nWork in steps: think briefly, then call tools; you will see each result. Tool errors are normal observations: read them and adapt.\n${REPORT_FORMAT}`,
  ].join('\n\n');

  const taskPrompt = [
    `# Your subtask\n[${task.id}] ${task.title}`,
    `# Completion criteria\n${task.criteria || 'The subtask as stated is done.'}`,
    `# Where it sits in the plan\n${renderTaskList(req.tasks)}`,
  ].join('\n\n');

  return {
    taskId: task.id,
    dispatchId: `${task.id}@${req.iteration}`,
    title: task.title,
    criteria: task.criteria,
    persona: personaName,
    bundles,
    systemPrompt,
    taskPrompt,
    tools,
    maxSteps: req.maxSteps,
  };
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? '';
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

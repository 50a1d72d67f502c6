/**
 * Reflection for team components. The reflective dataset has, per
 * component, one trial per example: `feedback` (score, the scorer's feedback
 * text, dimension scores and guidance when present) and `trajectory` (input,
 * output, the component's name and current value, tokens, error). New texts
 * come from the reflection model; a component with nothing to learn from, no
 * usable reply, or a text its handler refuses keeps its current value.
 */
import type { ReflectiveDataset, ReflectiveRecord } from '../gepa/index.js';
import { extractInstruction, renderReflectionPrompt } from '../gepa/index.js';
import type { ChatModel } from '../../contracts/llm.js';
import { parseQualifiedName, type ComponentRegistry } from './components.js';
import type { ScoreMetadata } from '../gepa/scorer.js';
import type { TeamTrajectory } from './trajectory.js';
import type { AgentDef } from '../../contracts/teams/types.js';

export interface Trial {
  feedback: { score: number; feedback_text?: string; dimension_scores?: Record<string, number>; actionable_guidance?: string };
  trajectory: { input: string; output: string; component: string; component_value: string; tokens?: number; error?: string };
}

export function buildTrial(o: {
  input: string;
  output: string;
  score: number;
  metadata: ScoreMetadata | null;
  trajectory: TeamTrajectory | null;
  component: string;
  componentValue: string;
}): Trial {
  const m = o.metadata;
  const feedback: Trial['feedback'] = { score: o.score };
  if (typeof m?.feedback === 'string' && m.feedback) feedback.feedback_text = m.feedback;
  if (m?.dimension_scores && typeof m.dimension_scores === 'object') feedback.dimension_scores = m.dimension_scores;
  if (typeof m?.actionable_guidance === 'string' && m.actionable_guidance) feedback.actionable_guidance = m.actionable_guidance;
  const trajectory: Trial['trajectory'] = { input: o.input, output: o.output, component: o.component, component_value: o.componentValue };
  if (o.trajectory?.totalUsage) trajectory.tokens = o.trajectory.totalUsage.totalTokens;
  if (o.trajectory?.error) trajectory.error = o.trajectory.error;
  return { feedback, trajectory };
}

/** A trial as the default reflection prompt shows examples: inputs, outputs, then the feedback in words. */
function forPrompt(t: Trial): ReflectiveRecord {
  const f = t.feedback;
  const r: ReflectiveRecord = {
    Inputs: t.trajectory.input,
    'Generated Outputs': t.trajectory.error ? `(no output: ${t.trajectory.error})` : t.trajectory.output,
    Feedback: f.feedback_text ?? `The output scored ${f.score}.`,
    Score: f.score,
  };
  if (f.dimension_scores) r['Dimension scores'] = f.dimension_scores;
  if (f.actionable_guidance) r['Guidance'] = f.actionable_guidance;
  return r;
}

export interface ProposeOptions {
  model: ChatModel;
  candidate: Record<string, string>;
  dataset: ReflectiveDataset;
  components: readonly string[];
  registry: ComponentRegistry;
  agents: Record<string, AgentDef>;
  template: string | null;
  signal?: AbortSignal;
}

/** One reflection call per component with records; every requested component gets a value back. */
export async function proposeTeamTexts(o: ProposeOptions): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of o.components) {
    const current = o.candidate[name] ?? '';
    out[name] = current;
    const records = (o.dataset[name] ?? []) as unknown as Trial[];
    const spec = parseQualifiedName(name);
    if (!records.length || !spec || !o.registry.has(spec.component)) continue;
    const handler = o.registry.get(spec.component);
    let prompt = renderReflectionPrompt(o.template, current, records.map(forPrompt));
    if (handler.reflectionNote) prompt += `\n\n${handler.reflectionNote}`;
    const reply = await o.model.complete({
      messages: [{ role: 'user', content: prompt }],
      purpose: 'gepa.reflection',
      ...(o.signal ? { signal: o.signal } : {}),
    });
    const text = extractInstruction(reply.content);
    // extractInstruction returns a reply of only empty fences as-is ("```\n```"): that proposes nothing.
    if (!text.replace(/```[^\n]*/g, '').trim()) continue;
    const agent = o.agents[spec.agent];
    if (agent) {
      try {
        handler.apply(agent, text); // a text the handler refuses would only score 0
      } catch {
        continue;
      }
    }
    out[name] = text;
  }
  return out;
}

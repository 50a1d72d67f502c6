/**
 * Loading a team file: read it with src/config's guards (size, alias
 * bombs, nesting), validate it with located errors (file:line: key.path:
 * expected ..., found ...), and turn it into a TeamDef. The only error that
 * escapes is ConfigError.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, type PathSegment } from '../config/errors.js';
import { isPlainObject } from '../config/fields.js';
import { parseSource, readConfigText } from '../config/source.js';
import { validate, valueAt, type CheckIssue } from '../config/validate.js';
import { errorMessage } from '../../contracts/errors.js';
import { componentHandlers, type ComponentRegistry } from './components.js';
import { compileSchema, parseSchemaText } from './outputSchema.js';
import { teamFileSchema, type RawAgent, type RawExit, type RawNode, type TeamFile } from './schema.js';
import type { AgentDef, ExitCondition, TeamDef, WorkflowNode } from '../../contracts/teams/types.js';

export interface LoadedTeam {
  team: TeamDef;
  /** The file as read: `optimize --team` edits it into the --out file. */
  text: string;
  file: string;
}

export interface TeamLoadOptions {
  /** Component names `components:` may use; the shared registry's by default. */
  components?: ComponentRegistry;
}

export function loadTeamFile(file: string, opts: TeamLoadOptions = {}): LoadedTeam {
  const text = readConfigText(file)!;
  return { team: parseTeamText(text, file, opts), text, file };
}

/** Parse and validate team YAML; `file` names it in errors and anchors a relative scorer path. */
export function parseTeamText(text: string, file: string, opts: TeamLoadOptions = {}): TeamDef {
  const src = parseSource(text, file, 'yaml');
  if (!isPlainObject(src.value)) {
    throw new ConfigError({
      file,
      line: src.lineOf([]) ?? 1,
      expected: 'a mapping with agents and workflow',
      found: src.value == null ? 'an empty file' : typeof src.value,
      text: 'a team file must be a mapping with agents: and workflow:',
    });
  }
  const dir = path.dirname(path.resolve(file));
  const registry = opts.components ?? componentHandlers;
  const raw = validate(teamFileSchema, src.value, src, { checks: (v) => teamChecks(v, dir, registry) });
  return toTeam(raw, dir);
}

// ---- cross-key rules, on the raw value (defensive: it may be anything) ----

function walkNodes(
  node: unknown,
  at: PathSegment[],
  visit: (agent: string, at: PathSegment[]) => void,
  visitExit: (exit: unknown, at: PathSegment[]) => void,
): void {
  if (typeof node === 'string') return visit(node, at);
  if (!isPlainObject(node)) return;
  if (node['type'] === 'agent' && typeof node['agent'] === 'string') return visit(node['agent'], [...at, 'agent']);
  if (node['type'] === 'loop' && node['until'] !== undefined) visitExit(node['until'], [...at, 'until']);
  const steps = node['steps'];
  if (Array.isArray(steps)) steps.forEach((s, i) => walkNodes(s, [...at, 'steps', i], visit, visitExit));
}

function teamChecks(v: unknown, dir: string, registry: ComponentRegistry): CheckIssue[] {
  const issues: CheckIssue[] = [];
  const agents = valueAt(v, ['agents']);
  if (!isPlainObject(agents)) return issues;
  const names = Object.keys(agents);
  const known = (n: unknown) => typeof n === 'string' && Object.hasOwn(agents, n);
  const oneOf = `the name of an agent (${names.join(', ')})`;

  const workflow = valueAt(v, ['workflow']);
  if (workflow !== undefined) {
    const used = new Set<string>();
    walkNodes(
      workflow,
      ['workflow'],
      (agent, at) => {
        used.add(agent);
        if (!known(agent)) issues.push({ path: at, expected: oneOf });
      },
      (exit, at) => issues.push(...exitChecks(exit, at, known, oneOf)),
    );
    for (const n of names)
      if (!used.has(n)) issues.push({ path: ['agents', n], expected: 'an agent the workflow uses', found: `"${n}", which no workflow step runs` });
  }

  const primary = valueAt(v, ['primary']);
  if (primary !== undefined && !known(primary)) issues.push({ path: ['primary'], expected: oneOf });

  const components = valueAt(v, ['components']);
  if (isPlainObject(components)) {
    for (const [agent, list] of Object.entries(components)) {
      if (!known(agent)) issues.push({ path: ['components', agent], expected: oneOf, found: `unknown agent "${agent}"` });
      if (Array.isArray(list)) {
        list.forEach((c, i) => {
          if (typeof c === 'string' && !registry.has(c))
            issues.push({ path: ['components', agent, i], expected: `a component (${registry.names().join(', ')})` });
        });
      }
    }
    for (const n of names) {
      if (!Object.hasOwn(components, n))
        issues.push({ path: ['components'], expected: `an entry for every agent ([] = frozen)`, found: `no entry for "${n}"` });
    }
  }

  for (const n of names) {
    const schema = valueAt(agents, [n, 'output_schema']);
    try {
      if (typeof schema === 'string') parseSchemaText(schema);
      else if (isPlainObject(schema)) compileSchema(schema);
    } catch (err) {
      issues.push({ path: ['agents', n, 'output_schema'], expected: 'a usable JSON Schema', found: errorMessage(err) });
    }
  }

  const scorer = valueAt(v, ['scorer']);
  if (typeof scorer === 'string' && scorer && !fs.existsSync(path.resolve(dir, scorer))) {
    issues.push({
      path: ['scorer'],
      expected: 'a scorer module that exists (relative to the team file)',
      found: `no file at ${path.resolve(dir, scorer)}`,
    });
  }
  return issues;
}

function exitChecks(exit: unknown, at: PathSegment[], known: (n: unknown) => boolean, oneOf: string): CheckIssue[] {
  if (!isPlainObject(exit)) return [];
  const has = (k: string) => exit[k] !== undefined;
  const shape = 'exactly one of {agent, contains}, {key, equals} or {key, contains}';
  if (has('agent') === has('key')) return [{ path: at, expected: shape }];
  if (has('agent')) {
    const out: CheckIssue[] = [];
    if (!known(exit['agent'])) out.push({ path: [...at, 'agent'], expected: oneOf });
    if (!has('contains') || has('equals')) out.push({ path: at, expected: `${shape} (an agent's reply is matched with contains)` });
    return out;
  }
  return has('equals') === has('contains') ? [{ path: at, expected: shape }] : [];
}

// ---- normalising ----

function toExit(e: RawExit): ExitCondition {
  if (e.agent !== undefined) return { agent: e.agent, contains: e.contains! };
  return e.equals !== undefined ? { key: e.key!, equals: e.equals } : { key: e.key!, contains: e.contains! };
}

export function toNode(n: RawNode): WorkflowNode {
  if (typeof n === 'string') return { type: 'agent', agent: n };
  switch (n.type) {
    case 'agent':
      return { type: 'agent', agent: n.agent };
    case 'loop':
      return { type: 'loop', max_iterations: n.max_iterations, ...(n.until ? { until: toExit(n.until) } : {}), steps: n.steps.map(toNode) };
    default:
      return { type: n.type, steps: n.steps.map(toNode) };
  }
}

function toAgent(name: string, a: RawAgent): AgentDef {
  const schema = typeof a.output_schema === 'string' ? parseSchemaText(a.output_schema) : a.output_schema;
  const generation = Object.fromEntries(Object.entries(a.generation).filter(([, x]) => x !== undefined));
  return {
    name,
    instruction: a.instruction,
    role: a.role,
    ...(a.model !== undefined ? { model: a.model } : {}),
    ...(a.output_key !== undefined ? { output_key: a.output_key } : {}),
    ...(schema ? { output_schema: schema } : {}),
    generation,
    tools: a.tools,
    max_steps: a.max_steps,
  };
}

function toTeam(raw: TeamFile, dir: string): TeamDef {
  const agents = Object.fromEntries(Object.entries(raw.agents).map(([n, a]) => [n, toAgent(n, a)]));
  // No workflow: the agents in the order written, one after another.
  const workflow: WorkflowNode =
    raw.workflow !== undefined ? toNode(raw.workflow) : { type: 'sequential', steps: Object.keys(agents).map((agent) => ({ type: 'agent', agent })) };
  return {
    ...(raw.name !== undefined ? { name: raw.name } : {}),
    agents,
    workflow,
    ...(raw.primary !== undefined ? { primary: raw.primary } : {}),
    ...(raw.components !== undefined ? { components: raw.components } : {}),
    share_session: raw.share_session,
    ...(raw.scorer !== undefined ? { scorer: path.resolve(dir, raw.scorer) } : {}),
  };
}

/**
 * Evolvable components of an agent, by name. A handler reads a component of
 * an agent definition as text and applies a text to a copy of it: the original
 * is never touched. `instruction`, `output_schema` and `generation_config`
 * (YAML text) are built in; the registry is open, so a system can register a
 * handler for any other part of an agent under a new name.
 */
import { isMap, isScalar, Scalar, parse as parseYaml, stringify as stringifyYaml, type Document } from 'yaml';
import { errorMessage, AppError } from '../../contracts/errors.js';
import { parseSchemaText, schemaText } from './outputSchema.js';
import { generationSchema } from './schema.js';
import type { AgentDef, GenerationSettings } from '../../contracts/teams/types.js';

export class ComponentValueError extends AppError {
  readonly category = 'input';
}

export interface ComponentHandler {
  name: string;
  /** The agent's current value, as the text GEPA evolves. */
  get(agent: AgentDef): string;
  /** A copy of the agent with `value` applied; throws ComponentValueError on a text it cannot use. */
  apply(agent: AgentDef, value: string): AgentDef;
  /** Added to the reflection prompt, so the reflection model answers in the component's form. */
  reflectionNote?: string;
  /** Writes `value` into the team file's YAML document, at the agent's mapping (optimize --out). */
  writeYaml?(doc: Document, agentPath: readonly string[], value: string): void;
}

export class ComponentRegistry {
  private readonly handlers = new Map<string, ComponentHandler>();

  constructor(handlers: readonly ComponentHandler[] = []) {
    for (const h of handlers) this.register(h);
  }

  register(handler: ComponentHandler): this {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(handler.name)) throw new Error(`component handler name "${handler.name}" must be letters, digits and '_'`);
    this.handlers.set(handler.name, handler);
    return this;
  }

  has(name: string): boolean {
    return this.handlers.has(name);
  }

  names(): string[] {
    return [...this.handlers.keys()];
  }

  get(name: string): ComponentHandler {
    const h = this.handlers.get(name);
    if (!h) throw new ComponentValueError(`no handler registered for component "${name}"; available: ${this.names().join(', ')}`);
    return h;
  }

  /** A copy with the same handlers, to add some without touching the shared one. */
  clone(): ComponentRegistry {
    return new ComponentRegistry([...this.handlers.values()]);
  }
}

/** Sets a scalar in place when there is one, so its comments and quoting style stay. */
export function setYamlText(doc: Document, path: readonly string[], value: string): void {
  const node = doc.getIn(path, true);
  const block = value.includes('\n');
  if (isScalar(node)) {
    node.value = value;
    if (block) node.type = Scalar.BLOCK_LITERAL;
    return;
  }
  const scalar = doc.createNode(value) as Scalar;
  if (block) scalar.type = Scalar.BLOCK_LITERAL;
  doc.setIn(path, scalar);
}

function setYamlValue(doc: Document, path: readonly string[], value: unknown): void {
  if (value === undefined) doc.deleteIn(path);
  else doc.setIn(path, doc.createNode(value));
}

export const instructionHandler: ComponentHandler = {
  name: 'instruction',
  get: (agent) => agent.instruction,
  apply: (agent, value) => {
    if (!value.trim()) throw new ComponentValueError(`${agent.name}.instruction: the instruction is empty`);
    return { ...agent, instruction: value };
  },
  writeYaml: (doc, at, value) => setYamlText(doc, [...at, 'instruction'], value),
};

export const outputSchemaHandler: ComponentHandler = {
  name: 'output_schema',
  get: (agent) => schemaText(agent.output_schema),
  apply: (agent, value) => {
    let schema: Record<string, unknown> | undefined;
    try {
      schema = parseSchemaText(value);
    } catch (err) {
      throw new ComponentValueError(`${agent.name}.output_schema: ${errorMessage(err)}`);
    }
    const { output_schema: _old, ...rest } = agent;
    return schema ? { ...rest, output_schema: schema } : rest;
  },
  reflectionNote: "This component is a JSON Schema for the agent's reply. Answer with the complete new JSON Schema (JSON) inside ``` fences.",
  writeYaml: (doc, at, value) => {
    const path = [...at, 'output_schema'];
    const schema = parseSchemaText(value);
    // Keep the file's form: text stays text, a mapping stays a mapping.
    if (schema && isScalar(doc.getIn(path, true))) setYamlText(doc, path, `${JSON.stringify(schema, null, 2)}\n`);
    else setYamlValue(doc, path, schema);
  },
};

const GENERATION_KEYS = ['temperature', 'top_p', 'max_tokens', 'seed'] as const;

export function generationText(g: GenerationSettings): string {
  const ordered = Object.fromEntries(GENERATION_KEYS.filter((k) => g[k] !== undefined).map((k) => [k, g[k]]));
  return Object.keys(ordered).length ? stringifyYaml(ordered) : '{}\n';
}

export function parseGenerationText(text: string, where: string): GenerationSettings {
  let value: unknown;
  try {
    value = parseYaml(text, { schema: 'core' }) as unknown;
  } catch (err) {
    throw new ComponentValueError(`${where}: not valid YAML (${errorMessage(err).split('\n')[0]})`);
  }
  const parsed = generationSchema.safeParse(value ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) =>
      i.code === 'unrecognized_keys' ? `unknown keys ${i.keys.join(', ')}` : `${i.path.join('.') || '(root)'}: expected ${i.message}`,
    );
    throw new ComponentValueError(`${where}: ${issues.join('; ')} (allowed: ${GENERATION_KEYS.join(', ')})`);
  }
  return Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined)) as GenerationSettings;
}

export const generationConfigHandler: ComponentHandler = {
  name: 'generation_config',
  get: (agent) => generationText(agent.generation),
  apply: (agent, value) => ({ ...agent, generation: parseGenerationText(value, `${agent.name}.generation_config`) }),
  reflectionNote: `This component is the agent's generation settings as YAML (keys: ${GENERATION_KEYS.join(', ')}). Answer with the complete new YAML inside \`\`\` fences.`,
  writeYaml: (doc, at, value) => {
    const g = parseGenerationText(value, 'generation_config');
    const path = [...at, 'generation'];
    const node = doc.getIn(path, true);
    if (isMap(node)) {
      // Edit the existing mapping key by key, so its comments stay.
      for (const k of GENERATION_KEYS) {
        if (g[k] === undefined) node.delete(k);
        else node.set(k, g[k]);
      }
      return;
    }
    setYamlValue(doc, path, Object.keys(g).length ? g : undefined);
  },
};

/** The shared registry the adapter and the loader use unless given another. */
export const componentHandlers = new ComponentRegistry([instructionHandler, outputSchemaHandler, generationConfigHandler]);

export function registerComponentHandler(handler: ComponentHandler): void {
  componentHandlers.register(handler);
}

/** `agent.component` (ADR-012 in the seed): the agent is before the first dot. */
export function parseQualifiedName(qualified: string): { agent: string; component: string } | null {
  const dot = qualified.indexOf('.');
  if (dot <= 0 || dot === qualified.length - 1) return null;
  return { agent: qualified.slice(0, dot), component: qualified.slice(dot + 1) };
}

export const qualifiedName = (agent: string, component: string): string => `${agent}.${component}`;

/**
 * A state machine's shape as plain JSON, for drawing: state nodes with their
 * keys, types, initial states, children and outgoing transitions. Derived
 * from the machine logic XState built (`logic.root`), so it always matches
 * what runs; computed once per machine and shared by every actor of it.
 */

export type StateNodeType = 'atomic' | 'compound' | 'parallel' | 'final' | 'history';

export interface TransitionJson {
  /** The event type; `always` for eventless transitions, `xstate.after.*` for delays. */
  event: string;
  /** Target state node ids; empty for a targetless (actions-only) transition. */
  targets: string[];
  guard?: string;
}

export interface StateNodeJson {
  id: string;
  key: string;
  type: StateNodeType;
  /** What the state is for, from the statechart's `description`. */
  description?: string;
  /** Ids of the initial child state(s). */
  initial?: string[];
  transitions: TransitionJson[];
  /** Sources of the actors this state invokes. */
  invokes?: string[];
  children: StateNodeJson[];
}

export interface MachineDefinitionJson {
  id: string;
  root: StateNodeJson;
}

// The subset of XState's StateNode and TransitionDefinition this reads.
interface StateNodeLike {
  id: string;
  key: string;
  type: StateNodeType;
  description?: string | undefined;
  states: Record<string, StateNodeLike>;
  transitions?: Map<string, TransitionLike[]>;
  always?: TransitionLike[];
  initial?: { target: StateNodeLike[] } | undefined;
  invoke?: { src: unknown }[];
}
interface TransitionLike {
  eventType: string;
  target?: StateNodeLike[] | undefined;
  guard?: unknown;
}

const cache = new WeakMap<object, MachineDefinitionJson>();
const jsonCache = new WeakMap<MachineDefinitionJson, string>();

/** The definition as JSON text, serialised once: every actor of a machine shares it. */
export function definitionJson(def: MachineDefinitionJson): string {
  let json = jsonCache.get(def);
  if (json === undefined) {
    json = JSON.stringify(def);
    jsonCache.set(def, json);
  }
  return json;
}

/** The JSON definition of a state machine logic, or null for any other logic (promises, callbacks). */
export function describeLogic(logic: unknown): MachineDefinitionJson | null {
  if (!logic || typeof logic !== 'object') return null;
  const cached = cache.get(logic);
  if (cached) return cached;
  const root = (logic as { root?: unknown }).root;
  if (!isStateNode(root)) return null;
  let def: MachineDefinitionJson;
  try {
    def = { id: root.id, root: describeNode(root) };
  } catch {
    // XState internals changed shape: draw nothing rather than break the run.
    return null;
  }
  cache.set(logic, def);
  return def;
}

function isStateNode(value: unknown): value is StateNodeLike {
  const v = value as Partial<StateNodeLike> | null | undefined;
  return !!v && typeof v === 'object' && typeof v.id === 'string' && typeof v.states === 'object' && typeof v.type === 'string';
}

function describeNode(node: StateNodeLike): StateNodeJson {
  const transitions: TransitionJson[] = [];
  for (const list of node.transitions?.values() ?? []) for (const t of list) transitions.push(describeTransition(t, t.eventType));
  for (const t of node.always ?? []) transitions.push(describeTransition(t, 'always'));
  const out: StateNodeJson = {
    id: node.id,
    key: node.key,
    type: node.type,
    transitions,
    children: Object.values(node.states).map(describeNode),
  };
  const initial = node.type === 'compound' ? node.initial?.target.map((t) => t.id) : undefined;
  if (typeof node.description === 'string' && node.description) out.description = node.description;
  if (initial?.length) out.initial = initial;
  const invokes = (node.invoke ?? []).map((i) => (typeof i.src === 'string' ? i.src : 'inline')).filter(Boolean);
  if (invokes.length) out.invokes = invokes;
  return out;
}

function describeTransition(t: TransitionLike, event: string): TransitionJson {
  const out: TransitionJson = { event, targets: (t.target ?? []).map((n) => n.id) };
  const guard = guardName(t.guard);
  if (guard) out.guard = guard;
  return out;
}

function guardName(guard: unknown): string | undefined {
  if (!guard) return undefined;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && typeof (guard as { type?: unknown }).type === 'string') return (guard as { type: string }).type;
  if (typeof guard === 'function') return guard.name || 'inline';
  return undefined;
}

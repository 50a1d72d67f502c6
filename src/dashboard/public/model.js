// The state of one run as the dashboard sees it, rebuilt from inspection
// records (see src/runtime/inspection.ts). No DOM here: live streaming and
// replay with the time slider both fold records through apply(), so what a
// replay shows at time t is exactly what the live page showed then.

const HISTORY_LIMIT = 60;

export function createModel() {
  return {
    run: null,
    /** id -> { id, name, parent, definition, value, status, label, history, facts, microstep, changed } */
    actors: new Map(),
    events: [],
    tasks: [],
    markdown: '',
    workflow: null,
    metrics: null,
    lastSeq: -1,
    t: 0,
    records: 0,
    // What changed since the views last drew; they clear it.
    dirty: { actors: true, events: true, tasks: true, gepa: true, run: true },
  };
}

export function apply(model, rec) {
  if (!rec || typeof rec !== 'object' || typeof rec.kind !== 'string') return;
  // A resumed stream can repeat a few records; they are numbered, so drop repeats.
  if (typeof rec.seq === 'number') {
    if (rec.seq <= model.lastSeq) return;
    model.lastSeq = rec.seq;
  }
  if (typeof rec.t === 'number') model.t = rec.t;
  model.records++;
  switch (rec.kind) {
    case 'run':
      applyRun(model, rec);
      break;
    case 'actor':
      applyActor(model, rec);
      break;
    case 'event':
      model.events.push(rec);
      model.dirty.events = true;
      break;
    case 'snapshot':
      applySnapshot(model, rec);
      break;
    case 'microstep': {
      const actor = model.actors.get(rec.actor);
      if (actor) {
        actor.microstep = { seq: rec.seq, sources: rec.transitions.map((t) => t.source) };
        actor.changed = true;
        model.dirty.actors = true;
      }
      break;
    }
    default:
      break;
  }
}

function applyRun(model, rec) {
  if (rec.phase === 'start') {
    model.run = { runId: String(rec.runId ?? ''), goal: String(rec.goal ?? ''), startedAt: rec.startedAt ?? null, status: 'running', reason: '' };
  } else if (rec.phase === 'end') {
    model.run = {
      ...(model.run ?? { runId: String(rec.runId ?? ''), goal: '', startedAt: null }),
      status: String(rec.status ?? ''),
      reason: String(rec.reason ?? ''),
    };
  }
  model.dirty.run = true;
}

function applyActor(model, rec) {
  model.actors.set(rec.id, {
    id: rec.id,
    name: String(rec.name ?? rec.id),
    parent: rec.parent ?? null,
    definition: rec.definition ?? null,
    value: undefined,
    status: 'active',
    label: '',
    history: [],
    facts: null,
    microstep: null,
    changed: true,
    since: rec.t,
  });
  model.dirty.actors = true;
}

function applySnapshot(model, rec) {
  let actor = model.actors.get(rec.actor);
  if (!actor) {
    // A record for an actor registered before a replay window: show it anyway.
    applyActor(model, { id: rec.actor, name: rec.actor, parent: null, definition: null, t: rec.t });
    actor = model.actors.get(rec.actor);
  }
  actor.status = String(rec.status ?? actor.status);
  if (rec.value !== undefined) {
    const label = stateLabel(rec.value);
    if (label !== actor.label) {
      actor.history.push({ t: rec.t, label });
      if (actor.history.length > HISTORY_LIMIT) actor.history.shift();
      actor.label = label;
    }
    actor.value = rec.value;
  }
  if (rec.facts) {
    actor.facts = rec.facts;
    if (rec.actor === 'progress') {
      applyTaskFacts(model, rec.facts);
    } else if (rec.actor === 'workflow') {
      model.workflow = rec.facts;
      model.dirty.run = true;
    } else if (rec.actor === 'optimizer' && rec.facts.metrics) {
      model.metrics = rec.facts.metrics;
      model.dirty.gepa = true;
    }
  }
  actor.changed = true;
  model.dirty.actors = true;
}

/** The task list arrives whole when its shape changes, else as the changed tasks (see src/runtime/taskFacts.ts). */
function applyTaskFacts(model, facts) {
  if (Array.isArray(facts.tasks)) {
    model.tasks = facts.tasks;
  } else if (Array.isArray(facts.taskPatch)) {
    const changed = new Map(facts.taskPatch.map((t) => [t.id, t]));
    model.tasks = model.tasks.map((t) => changed.get(t.id) ?? t);
  }
  if (typeof facts.markdown === 'string') model.markdown = facts.markdown;
  model.dirty.tasks = true;
}

/** "running.planning"; parallel regions joined with ", ". */
export function stateLabel(value) {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'object') return String(value);
  return Object.entries(value)
    .map(([key, sub]) => {
      const rest = stateLabel(sub);
      return rest ? `${key}.${rest}` : key;
    })
    .join(', ');
}

/** Ids of the definition's state nodes active for a state value (the root included). */
export function activeIds(root, value) {
  const ids = new Set();
  if (!root) return ids;
  const walk = (node, v) => {
    ids.add(node.id);
    if (v === null || v === undefined) return;
    const byKey = new Map(node.children.map((c) => [c.key, c]));
    if (typeof v !== 'object') {
      const child = byKey.get(String(v));
      if (child) walk(child, undefined);
      return;
    }
    for (const [key, sub] of Object.entries(v)) {
      const child = byKey.get(key);
      if (child) walk(child, sub);
    }
  };
  walk(root, value);
  return ids;
}

/** A model of the first `count` records. */
export function modelAt(records, count) {
  const model = createModel();
  const n = Math.min(count, records.length);
  for (let i = 0; i < n; i++) apply(model, records[i]);
  return model;
}

/** Machine actors (those with a statechart) as a forest: each under its nearest machine ancestor. */
export function actorForest(model) {
  const machines = [...model.actors.values()].filter((a) => a.definition);
  const isMachine = new Set(machines.map((a) => a.id));
  const children = new Map();
  const roots = [];
  for (const a of machines) {
    let p = a.parent;
    const seen = new Set();
    while (p && !isMachine.has(p) && !seen.has(p)) {
      seen.add(p);
      p = model.actors.get(p)?.parent ?? null;
    }
    if (p && isMachine.has(p)) {
      if (!children.has(p)) children.set(p, []);
      children.get(p).push(a);
    } else {
      roots.push(a);
    }
  }
  return { roots, children };
}

/** Display name of an actor id in the event log ("outside" for events from outside the system). */
export function actorName(model, id) {
  if (id === null || id === undefined) return 'outside';
  const a = model.actors.get(id);
  if (!a) return String(id);
  if (a.definition || !a.parent) return a.name;
  const parent = model.actors.get(a.parent);
  return `${parent ? parent.name : a.parent}/${a.name}`;
}

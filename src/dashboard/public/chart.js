// Draws a statechart definition (src/runtime/machineDefinition.ts) as nested
// boxes: compound states contain their children, parallel regions sit side
// by side, final states have a double border, each state lists the events it
// takes. highlight() marks the active states and flashes the ones a
// microstep just left.
import { el } from './dom.js';
import { activeIds } from './model.js';

const nodesOf = new WeakMap();

export function buildChart(def) {
  const index = new Map();
  const root = el('div', { class: 'chart', 'data-machine': def.id });
  root.append(el('div', { class: 'chart-title' }, def.id));
  const body = el('div', { class: 'state-children' });
  for (const child of def.root.children) body.append(drawNode(child, def, def.root, index));
  root.append(body);
  const rootTransitions = transitionList(def.root, def);
  if (rootTransitions) root.append(rootTransitions);
  index.set(def.root.id, root);
  nodesOf.set(root, index);
  return root;
}

function drawNode(node, def, parent, index) {
  const isInitial = Array.isArray(parent.initial) && parent.initial.includes(node.id);
  const box = el('div', {
    class: `state type-${node.type}${isInitial ? ' initial' : ''}`,
    'data-node-id': node.id,
    'data-state': node.key,
    ...(node.description ? { title: node.description } : {}),
  });
  const head = el('div', { class: 'state-head' }, el('span', { class: 'state-key' }, node.key));
  if (node.invokes && node.invokes.length) head.append(el('span', { class: 'state-invokes', title: 'invokes' }, `⇢ ${node.invokes.join(', ')}`));
  box.append(head);
  if (node.description) box.append(el('div', { class: 'state-description' }, node.description));
  const transitions = transitionList(node, def);
  if (transitions) box.append(transitions);
  if (node.children.length) {
    const children = el('div', { class: `state-children${node.type === 'parallel' ? ' parallel' : ''}` });
    for (const child of node.children) children.append(drawNode(child, def, node, index));
    box.append(children);
  }
  index.set(node.id, box);
  return box;
}

/** Transitions that change state, one per line; events handled in place are listed on one line to save room. */
function transitionList(node, def) {
  const moving = node.transitions.filter((t) => t.targets.length);
  const inPlace = [...new Set(node.transitions.filter((t) => !t.targets.length && t.event !== 'always').map((t) => eventLabel(t.event)))];
  if (!moving.length && !inPlace.length) return null;
  const list = el('ul', { class: 'transitions' });
  for (const t of moving) {
    const targets = t.targets.map((id) => shortId(id, def)).join(', ');
    list.append(el('li', { class: 'transition' }, `${eventLabel(t.event)}${t.guard ? ` [${t.guard}]` : ''} → ${targets}`));
  }
  if (inPlace.length) list.append(el('li', { class: 'transition internal', title: 'handled without a state change' }, `⟲ ${inPlace.join(', ')}`));
  return list;
}

function shortId(id, def) {
  return id.startsWith(`${def.id}.`) ? id.slice(def.id.length + 1) : id;
}

export function eventLabel(type) {
  if (type.startsWith('xstate.after.')) return `after ${type.slice('xstate.after.'.length).split('.')[0]}`;
  if (type.startsWith('xstate.done.actor.')) return 'done';
  if (type.startsWith('xstate.error.actor.')) return 'error';
  if (type.startsWith('xstate.done.state.')) return 'done (state)';
  return type;
}

/** Marks active states; flashes the states a new microstep fired from. */
export function highlight(chart, def, value, status, microstep) {
  const index = nodesOf.get(chart);
  if (!index) return;
  const active = activeIds(def.root, value);
  for (const [id, node] of index) {
    if (node === chart) continue;
    node.classList.toggle('active', active.has(id));
  }
  chart.classList.toggle('stopped', status !== 'active');
  if (!microstep) return;
  const seen = chart.dataset.microstep;
  chart.dataset.microstep = String(microstep.seq);
  // Flash only steps taken while the chart is on screen, not on its first drawing or a jump back in time.
  if (seen !== undefined && Number(seen) < microstep.seq) {
    for (const id of microstep.sources) {
      const node = index.get(id);
      if (!node || node === chart) continue;
      node.classList.remove('fired');
      // Restart the CSS animation: reading layout between remove and add is what restarts it.
      void node.offsetWidth;
      node.classList.add('fired');
    }
  }
}

// The actors panel: the tree of actors, and the statechart of each one picked
// in it with its active state lit and the states it went through.
import { buildChart, highlight } from './chart.js';
import { clear, el, formatMs } from './dom.js';
import { actorForest } from './model.js';

/**
 * The actor tree on the left; on the right, the statechart of each actor
 * picked in the tree (the workflow's to begin with), its active state lit,
 * with the states it went through.
 */
export class ActorTree {
  constructor(tree, cards) {
    this.tree = tree;
    this.cards = cards;
    this.items = new Map();
    this.open = new Set(['workflow']);
    this.shape = '';
    this.model = null;
  }

  render(model) {
    if (!model.dirty.actors && model === this.model) return;
    const fresh = model !== this.model;
    this.model = model;
    model.dirty.actors = false;
    const { roots, children } = actorForest(model);
    const all = [];
    const collect = (list) => {
      for (const a of list) {
        all.push(a);
        collect(children.get(a.id) ?? []);
      }
    };
    collect(roots);
    for (const [id, item] of this.items) {
      if (!model.actors.get(id)?.definition) {
        item.li.remove();
        item.card.remove();
        this.items.delete(id);
      }
    }
    for (const a of all) if (!this.items.has(a.id)) this.items.set(a.id, this.createItem(a));
    const shape = all.map((a) => `${a.id}<${a.parent}`).join('|');
    if (shape !== this.shape) {
      this.shape = shape;
      const place = (list, ul) => {
        for (const a of list) {
          const item = this.items.get(a.id);
          ul.append(item.li);
          place(children.get(a.id) ?? [], item.childList);
        }
      };
      place(roots, this.tree);
      // Cards follow the tree's order.
      for (const a of all) this.cards.append(this.items.get(a.id).card);
    }
    for (const a of all) {
      if (!a.changed && !fresh) continue;
      a.changed = false;
      this.update(this.items.get(a.id), a);
    }
    this.tree.dataset.count = String(all.length);
  }

  createItem(actor) {
    const stateEl = el('span', { class: 'actor-state' });
    const statusEl = el('span', { class: 'actor-status' });
    const toggle = el(
      'button',
      { type: 'button', class: 'actor-toggle', 'aria-pressed': 'false', title: 'show or hide its statechart' },
      el('span', { class: 'actor-name' }, actor.name),
      stateEl,
      statusEl,
    );
    const childList = el('ul', { class: 'actor-children' });
    const li = el('li', { class: 'actor', 'data-actor': actor.id }, toggle, childList);
    const cardState = el('span', { class: 'actor-state' });
    const chartHolder = el('div', { class: 'chart-holder' });
    const history = el('ol', { class: 'state-history' });
    const card = el(
      'section',
      { class: 'actor-card', 'data-actor': actor.id },
      el('h3', {}, el('span', { class: 'actor-name' }, actor.name), cardState),
      chartHolder,
      el('div', { class: 'history-title' }, 'states entered'),
      history,
    );
    const item = { li, toggle, stateEl, statusEl, card, cardState, chartHolder, history, childList, chart: null, actor };
    toggle.addEventListener('click', () => {
      if (this.open.has(actor.id)) this.open.delete(actor.id);
      else this.open.add(actor.id);
      this.update(item, item.actor);
    });
    return item;
  }

  update(item, actor) {
    item.actor = actor;
    const open = this.open.has(actor.id);
    item.stateEl.textContent = actor.label;
    item.statusEl.textContent = actor.status === 'active' || actor.status === actor.label ? '' : actor.status;
    item.li.dataset.status = actor.status;
    item.li.dataset.state = actor.label;
    item.toggle.setAttribute('aria-pressed', String(open));
    item.card.hidden = !open;
    if (!open) return;
    item.cardState.textContent = actor.label;
    if (!item.chart || item.chart.dataset.machine !== actor.definition.id) {
      clear(item.chartHolder);
      item.chart = buildChart(actor.definition);
      item.chartHolder.append(item.chart);
    }
    highlight(item.chart, actor.definition, actor.value, actor.status, actor.microstep);
    clear(item.history);
    for (const h of actor.history) item.history.append(el('li', {}, el('span', { class: 'history-t' }, formatMs(h.t)), ' ', h.label));
  }
}

// The dashboard's panels. Each draws from a model (model.js) and redraws
// only what the model marked dirty, so a busy run costs one small DOM update
// per animation frame. All data goes in as text (dom.js), never as markup.
import { buildChart, eventLabel, highlight } from './chart.js';
import { brief, clear, el, formatMs, svg } from './dom.js';
import { actorForest, actorName } from './model.js';

const STATUS_MARK = { pending: '[ ]', in_progress: '[~]', completed: '[x]', failed: '[!]', skipped: '[-]' };

/** The run's name, goal, status and counters. */
export class RunHeader {
  constructor(root) {
    this.root = root;
  }

  render(model) {
    if (!model.dirty.run) return;
    model.dirty.run = false;
    const run = model.run;
    const wf = model.workflow;
    this.root.querySelector('#run-id').textContent = run ? run.runId : '';
    this.root.querySelector('#run-goal').textContent = run ? run.goal : '';
    const status = run ? (run.status === 'running' && wf && wf.runStatus ? wf.runStatus : run.status) : 'no run';
    const statusEl = this.root.querySelector('#run-status');
    statusEl.textContent = status;
    statusEl.dataset.status = status;
    this.root.querySelector('#run-reason').textContent = run && run.reason ? run.reason : '';
    const counters = [];
    if (wf && typeof wf.iteration === 'number') counters.push(`iteration ${wf.iteration}`);
    if (wf && wf.usage) counters.push(`${wf.usage.totalTokens} tokens`);
    if (wf && Array.isArray(wf.inFlight) && wf.inFlight.length) counters.push(`running: ${wf.inFlight.join(', ')}`);
    this.root.querySelector('#run-counters').textContent = counters.join(' · ');
  }
}

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
    const toggle = el('button', { type: 'button', class: 'actor-toggle', 'aria-pressed': 'false', title: 'show or hide its statechart' }, el('span', { class: 'actor-name' }, actor.name), stateEl, statusEl);
    const childList = el('ul', { class: 'actor-children' });
    const li = el('li', { class: 'actor', 'data-actor': actor.id }, toggle, childList);
    const cardState = el('span', { class: 'actor-state' });
    const chartHolder = el('div', { class: 'chart-holder' });
    const history = el('ol', { class: 'state-history' });
    const card = el('section', { class: 'actor-card', 'data-actor': actor.id }, el('h3', {}, el('span', { class: 'actor-name' }, actor.name), cardState), chartHolder, el('div', { class: 'history-title' }, 'states entered'), history);
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

/** The event log between actors, filterable by text, actor and type. Shows the newest MAX_ROWS matches. */
export class EventLog {
  static MAX_ROWS = 1000;

  constructor(tbody, controls) {
    this.tbody = tbody;
    this.controls = controls;
    this.model = null;
    this.shown = 0;
    this.knownActors = new Set();
    this.knownTypes = new Set();
    const refilter = () => {
      this.shown = 0;
      clear(this.tbody);
      if (this.model) {
        this.model.dirty.events = true;
        this.render(this.model);
      }
    };
    controls.text.addEventListener('input', refilter);
    controls.actor.addEventListener('change', refilter);
    controls.type.addEventListener('change', refilter);
  }

  render(model) {
    if (model !== this.model) {
      this.model = model;
      this.shown = 0;
      clear(this.tbody);
      this.knownActors.clear();
      this.knownTypes.clear();
      resetOptions(this.controls.actor);
      resetOptions(this.controls.type);
    }
    if (!model.dirty.events) return;
    model.dirty.events = false;
    const events = model.events;
    const text = this.controls.text.value.trim().toLowerCase();
    const actor = this.controls.actor.value;
    const type = this.controls.type.value;
    // On a refilter only the newest rows can show, so start no earlier than needed.
    const start = this.shown === 0 ? firstWorthScanning(events, text, actor, type, model) : this.shown;
    const frag = document.createDocumentFragment();
    let added = 0;
    for (let i = start; i < events.length; i++) {
      const e = events[i];
      const from = actorName(model, e.from);
      const to = actorName(model, e.to);
      this.learn(from, to, e.type);
      if (!matches(e, from, to, text, actor, type)) continue;
      const payload = brief(e.payload);
      frag.append(
        el(
          'tr',
          { 'data-type': e.type },
          el('td', { class: 't' }, formatMs(e.t)),
          el('td', { class: 'from' }, from),
          el('td', { class: 'to' }, to),
          el('td', { class: 'type' }, e.type),
          el('td', { class: 'payload', title: brief(e.payload, 4000) }, payload),
        ),
      );
      added++;
    }
    for (let i = this.shown; i < start; i++) this.learn(actorName(model, events[i].from), actorName(model, events[i].to), events[i].type);
    this.shown = events.length;
    const scroller = this.tbody.closest('.scroll');
    const atBottom = !scroller || scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 40;
    this.tbody.append(frag);
    while (this.tbody.childElementCount > EventLog.MAX_ROWS) this.tbody.firstElementChild.remove();
    if (scroller && atBottom && added) scroller.scrollTop = scroller.scrollHeight;
    this.controls.count.textContent = `${events.length} events`;
  }

  learn(from, to, type) {
    for (const name of [from, to]) {
      if (!this.knownActors.has(name)) {
        this.knownActors.add(name);
        this.controls.actor.append(el('option', { value: name }, name));
      }
    }
    if (!this.knownTypes.has(type)) {
      this.knownTypes.add(type);
      this.controls.type.append(el('option', { value: type }, eventLabel(type) === type ? type : `${type}`));
    }
  }
}

function resetOptions(select) {
  while (select.options.length > 1) select.remove(1);
}

function matches(e, from, to, text, actor, type) {
  if (actor && from !== actor && to !== actor) return false;
  if (type && e.type !== type) return false;
  if (text) {
    const hay = `${from} ${to} ${e.type} ${brief(e.payload, 2000)}`.toLowerCase();
    if (!hay.includes(text)) return false;
  }
  return true;
}

/** Index to start a fresh scan from: far enough back to fill the table, no further (plus learning all names). */
function firstWorthScanning(events, text, actor, type, model) {
  if (!text && !actor && !type) return Math.max(0, events.length - EventLog.MAX_ROWS);
  let found = 0;
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    if (matches(e, actorName(model, e.from), actorName(model, e.to), text, actor, type) && ++found >= EventLog.MAX_ROWS) return i;
  }
  return 0;
}

/** The progress manager's task list, in order, with status, criteria and latest note. */
export class Checklist {
  constructor(list, markdown, count) {
    this.list = list;
    this.markdown = markdown;
    this.count = count;
  }

  render(model) {
    if (!model.dirty.tasks) return;
    model.dirty.tasks = false;
    clear(this.list);
    for (const t of model.tasks) {
      const li = el(
        'li',
        { class: 'task', 'data-status': t.status, 'data-task-id': t.id },
        el('span', { class: 'mark' }, STATUS_MARK[t.status] ?? '[?]'),
        ' ',
        el('span', { class: 'task-id' }, `${t.id}.`),
        ' ',
        el('span', { class: 'task-title' }, t.title),
        t.criteria ? el('div', { class: 'task-criteria' }, `done when: ${t.criteria}`) : null,
        t.note ? el('div', { class: 'task-note' }, t.note) : null,
      );
      li.style.setProperty('--depth', String(Number(t.depth) || 0));
      this.list.append(li);
    }
    if (!model.tasks.length) this.list.append(el('li', { class: 'empty' }, 'no tasks yet'));
    this.markdown.textContent = model.markdown;
    const done = model.tasks.filter((t) => t.status === 'completed').length;
    this.count.textContent = model.tasks.length ? `${done}/${model.tasks.length} done` : '';
  }
}

/** GEPA: the composite score over time and the candidates with their scores. */
export class GepaPanel {
  constructor(root) {
    this.root = root;
    this.history = null;
    this.drawn = null;
  }

  setHistory(history) {
    this.history = history;
    this.drawn = null;
  }

  render(model) {
    const live = model.metrics;
    const source = live && (live.timeline.length || live.candidates.length || live.composite !== null) ? live : this.history;
    if (!model.dirty.gepa && source === this.drawn) return;
    model.dirty.gepa = false;
    this.drawn = source;
    const chart = this.root.querySelector('#gepa-chart');
    const table = this.root.querySelector('#gepa-candidates');
    const note = this.root.querySelector('#gepa-note');
    clear(chart);
    clear(table);
    const timeline = source ? source.timeline.filter((p) => Number.isFinite(Number(p.composite))) : [];
    const candidates = source ? source.candidates : [];
    if (!timeline.length && !candidates.length) {
      note.textContent = 'no GEPA data yet';
      this.root.dataset.empty = 'true';
      return;
    }
    this.root.dataset.empty = 'false';
    const composite = source.composite ?? (timeline.length ? timeline[timeline.length - 1].composite : null);
    note.textContent = `${source === live ? 'live optimizer' : 'gepa_history.jsonl'} · composite ${fmtScore(composite)}${source.tornTail ? ' · last history line was torn (skipped)' : ''}`;
    if (timeline.length) drawTimeline(chart, timeline.map((p) => Number(p.composite)));
    for (const c of candidates) {
      table.append(el('tr', { 'data-active': c.active ? 'true' : 'false' }, el('td', {}, c.id), el('td', { class: 'num' }, fmtScore(c.score)), el('td', {}, c.active ? 'active' : '')));
    }
  }
}

function fmtScore(v) {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(3) : '—';
}

function drawTimeline(host, values) {
  const w = 320;
  const h = 110;
  const pad = 8;
  const lo = Math.min(0, ...values);
  const hi = Math.max(1, ...values);
  const x = (i) => pad + (values.length < 2 ? (w - 2 * pad) / 2 : (i * (w - 2 * pad)) / (values.length - 1));
  const y = (v) => h - pad - ((v - lo) / (hi - lo || 1)) * (h - 2 * pad);
  const root = svg('svg', { viewBox: `0 0 ${w} ${h}`, class: 'timeline', role: 'img', 'aria-label': 'composite score over time' });
  root.append(svg('line', { x1: pad, y1: y(lo), x2: w - pad, y2: y(lo), class: 'axis' }));
  root.append(svg('line', { x1: pad, y1: y(hi), x2: w - pad, y2: y(hi), class: 'axis' }));
  root.append(svg('polyline', { points: values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' '), class: 'line' }));
  const last = values.length - 1;
  root.append(svg('circle', { cx: x(last), cy: y(values[last]), r: 3, class: 'dot' }));
  host.append(root);
}

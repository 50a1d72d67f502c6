// The event log between actors, filterable by text, actor and type. Payloads
// are shown as one line of JSON text, the whole of it in a tooltip.
import { eventLabel } from './chart.js';
import { brief, clear, el, formatMs } from './dom.js';
import { actorName } from './model.js';

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
    for (let i = this.shown; i < start; i++) this.learn(actorName(model, events[i].from), actorName(model, events[i].to), events[i].type);
    const matching = [];
    for (let i = start; i < events.length; i++) {
      const e = events[i];
      const from = actorName(model, e.from);
      const to = actorName(model, e.to);
      this.learn(from, to, e.type);
      if (matches(e, from, to, text, actor, type)) matching.push([e, from, to]);
    }
    // A burst can bring thousands of events at once: build rows only for those that will stay.
    const frag = document.createDocumentFragment();
    for (const [e, from, to] of matching.slice(-EventLog.MAX_ROWS)) {
      frag.append(
        el(
          'tr',
          { 'data-type': e.type },
          el('td', { class: 't' }, formatMs(e.t)),
          el('td', { class: 'from' }, from),
          el('td', { class: 'to' }, to),
          el('td', { class: 'type' }, e.type),
          el('td', { class: 'payload', title: brief(e.payload, 4000) }, brief(e.payload)),
        ),
      );
    }
    const added = matching.length;
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

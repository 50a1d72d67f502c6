// The dashboard page: follows the live run over Server-Sent Events (the
// server replays what happened before the page opened), lists past runs and
// replays their inspect.jsonl with a time slider. Both paths fold the same
// records through model.js; one module per panel draws the result.
import { el, formatMs } from './dom.js';
import { apply, createModel, modelAt } from './model.js';
import { ActorTree } from './actorTree.js';
import { ApprovalsPanel } from './approvals.js';
import { Checklist } from './checklist.js';
import { EventLog } from './eventLog.js';
import { GepaPanel } from './gepaPanel.js';
import { RunHeader } from './runHeader.js';

const $ = (sel) => document.querySelector(sel);

const views = {
  header: new RunHeader($('#run')),
  tree: new ActorTree($('#actor-tree'), $('#actor-cards')),
  events: new EventLog($('#event-rows'), { text: $('#filter-text'), actor: $('#filter-actor'), type: $('#filter-type'), count: $('#event-count') }),
  checklist: new Checklist($('#checklist'), $('#markdown'), $('#task-count')),
  gepa: new GepaPanel($('#gepa')),
};

const state = {
  live: null, // { runId, records, ended }
  view: { key: null, records: [], cursor: null, model: createModel() },
  playing: null,
};

// ---- drawing ---------------------------------------------------------------

// Records are applied as they arrive; drawing happens at most every RENDER_MS, so a busy run
// costs the browser a few redraws a second, not one per batch.
const RENDER_MS = 150;
let frame = 0;
let lastRender = 0;
function scheduleRender() {
  if (frame) return;
  const wait = Math.max(0, lastRender + RENDER_MS - performance.now());
  frame = setTimeout(() => requestAnimationFrame(render), wait);
}

function render() {
  frame = 0;
  lastRender = performance.now();
  const { model, records, cursor } = state.view;
  views.header.render(model);
  views.tree.render(model);
  views.events.render(model);
  views.checklist.render(model);
  views.gepa.render(model);
  const slider = $('#slider');
  slider.max = String(records.length);
  slider.value = String(cursor ?? records.length);
  const at = cursor ?? records.length;
  const t = at > 0 ? records[at - 1].t : 0;
  $('#slider-label').textContent = `${formatMs(t)} · ${at}/${records.length} records`;
  $('#record-count').textContent = `${model.records} records`;
  $('#record-count').dataset.records = String(model.records);
  $('#follow').hidden = !(state.view.key === 'live' && cursor !== null);
}

function setConnection(text) {
  const c = $('#connection');
  c.textContent = text;
  c.dataset.state = text;
}

// ---- what is shown ---------------------------------------------------------

function show(key, records, cursor = null) {
  stopPlaying();
  state.view = { key, records, cursor, model: modelAt(records, cursor ?? records.length) };
  scheduleRender();
}

function seek(cursor) {
  const v = state.view;
  const target = Math.max(0, Math.min(cursor, v.records.length));
  const applied = v.cursor ?? v.records.length;
  if (target >= applied) {
    for (let i = applied; i < target; i++) apply(v.model, v.records[i]);
  } else {
    v.model = modelAt(v.records, target);
  }
  // At the end of the live run the view follows new records again.
  v.cursor = v.key === 'live' && target === v.records.length ? null : target;
  scheduleRender();
}

function stopPlaying() {
  if (state.playing) clearInterval(state.playing);
  state.playing = null;
  $('#play').textContent = 'play';
}

function togglePlay() {
  if (state.playing) return stopPlaying();
  const v = state.view;
  if ((v.cursor ?? v.records.length) >= v.records.length) seek(0);
  const speed = Number($('#speed').value) || 1;
  const tick = 50;
  $('#play').textContent = 'pause';
  state.playing = setInterval(() => {
    const view = state.view;
    const at = view.cursor ?? view.records.length;
    if (at >= view.records.length) return stopPlaying();
    const until = (at > 0 ? view.records[at - 1].t : view.records[0].t) + tick * speed;
    let next = at;
    while (next < view.records.length && view.records[next].t <= until) next++;
    seek(Math.max(next, at + 1));
  }, tick);
}

// ---- the live run ----------------------------------------------------------

function followLive(runId) {
  state.live = { runId, records: [], ended: false };
  show('live', state.live.records);
  const source = new EventSource('/api/live');
  source.onopen = () => setConnection(state.live.ended ? 'run ended' : 'live');
  source.onerror = () => setConnection(state.live.ended ? 'run ended (server gone)' : 'reconnecting…');
  source.addEventListener('gap', (m) => {
    const { dropped } = JSON.parse(m.data);
    $('#notice').textContent = `${dropped} early records were dropped from memory; inspect.jsonl has them all.`;
  });
  source.onmessage = (m) => {
    const batch = JSON.parse(m.data);
    const live = state.live;
    const last = live.records.length ? live.records[live.records.length - 1].seq : -1;
    for (const rec of batch) {
      if (typeof rec.seq === 'number' && rec.seq <= last) continue;
      live.records.push(rec);
      if (state.view.key === 'live' && state.view.cursor === null) apply(state.view.model, rec);
      if (rec.kind === 'run' && rec.phase === 'end') {
        live.ended = true;
        setConnection('run ended');
        void loadRuns();
        void loadGepaHistory();
      }
    }
    scheduleRender();
  };
}

// ---- past runs -------------------------------------------------------------

async function loadRuns() {
  const res = await fetch('/api/runs');
  if (!res.ok) return;
  const { runs, live } = await res.json();
  const select = $('#run-select');
  const selected = select.value;
  while (select.options.length) select.remove(0);
  if (live) select.append(el('option', { value: 'live' }, `live: ${live}`));
  for (const r of runs) {
    if (r.runId === live) continue;
    const label = `${r.runId}${r.status ? ` · ${r.status}` : ''}${r.goal ? ` · ${r.goal.slice(0, 60)}` : ''}${r.replayable ? '' : ' (no inspect.jsonl)'}`;
    select.append(el('option', { value: r.runId, disabled: r.replayable ? null : 'disabled' }, label));
  }
  if (!select.options.length) select.append(el('option', { value: '' }, 'no runs recorded yet'));
  if ([...select.options].some((o) => o.value === selected)) select.value = selected;
}

async function openRun(runId) {
  if (runId === 'live') {
    if (state.live) show('live', state.live.records);
    setConnection(state.live && state.live.ended ? 'run ended' : 'live');
    return;
  }
  if (!runId) return;
  setConnection('loading…');
  const res = await fetch(`/api/runs/${encodeURIComponent(runId)}/inspect`);
  const body = await res.json();
  if (!res.ok) {
    $('#notice').textContent = body.error || `cannot load ${runId}`;
    setConnection('replay');
    return;
  }
  $('#notice').textContent = body.tornTail ? 'The last line of inspect.jsonl was torn (the run crashed or is still writing); it was skipped.' : '';
  show(runId, body.records);
  setConnection('replay');
}

async function loadGepaHistory() {
  const res = await fetch('/api/gepa');
  if (!res.ok) return;
  views.gepa.setHistory(await res.json());
  scheduleRender();
}

// ---- wiring ----------------------------------------------------------------

$('#slider').addEventListener('input', (e) => {
  stopPlaying();
  seek(Number(e.target.value));
});
$('#play').addEventListener('click', togglePlay);
$('#follow').addEventListener('click', () => seek(state.view.records.length));
$('#run-select').addEventListener('change', (e) => void openRun(e.target.value));

async function start() {
  const info = await (await fetch('/api/info')).json();
  if (info.mode === 'live') followLive(info.runId);
  if (info.approvals) new ApprovalsPanel($('#approvals'), info.approvals.token).start();
  else setConnection('past runs');
  await Promise.all([loadRuns(), loadGepaHistory()]);
  if (info.mode !== 'live') {
    const first = [...$('#run-select').options].find((o) => o.value && !o.disabled);
    if (first) {
      $('#run-select').value = first.value;
      await openRun(first.value);
    }
  }
  scheduleRender();
}

start().catch((err) => {
  $('#notice').textContent = `dashboard error: ${err && err.message ? err.message : err}`;
});

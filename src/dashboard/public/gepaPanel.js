// GEPA metrics: the composite score over time (an SVG line drawn from numbers
// only) and the candidates with their scores.
import { clear, el, svg } from './dom.js';

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
    if (timeline.length)
      drawTimeline(
        chart,
        timeline.map((p) => Number(p.composite)),
      );
    for (const c of candidates) {
      table.append(
        el(
          'tr',
          { 'data-active': c.active ? 'true' : 'false' },
          el('td', {}, c.id),
          el('td', { class: 'num' }, fmtScore(c.score)),
          el('td', {}, c.active ? 'active' : ''),
        ),
      );
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

// The checklist: the progress manager's task list in order, and its Markdown form.
import { clear, el } from './dom.js';

const STATUS_MARK = { pending: '[ ]', in_progress: '[~]', completed: '[x]', failed: '[!]', skipped: '[-]' };

/** The progress manager's task list, in order, with status, criteria and latest note. Redraws only tasks that changed. */
export class Checklist {
  constructor(list, markdown, count) {
    this.list = list;
    this.markdown = markdown;
    this.count = count;
    this.items = new Map();
    this.order = '';
  }

  render(model) {
    if (!model.dirty.tasks) return;
    model.dirty.tasks = false;
    const order = model.tasks.map((t) => t.id).join('\n');
    if (order !== this.order) {
      this.order = order;
      clear(this.list);
      const seen = new Set();
      for (const t of model.tasks) {
        seen.add(t.id);
        let item = this.items.get(t.id);
        if (!item) {
          item = { li: el('li', { class: 'task', 'data-task-id': t.id }), task: null };
          this.items.set(t.id, item);
        }
        this.list.append(item.li);
      }
      for (const id of [...this.items.keys()]) if (!seen.has(id)) this.items.delete(id);
      if (!model.tasks.length) this.list.append(el('li', { class: 'empty' }, 'no tasks yet'));
    }
    for (const t of model.tasks) {
      const item = this.items.get(t.id);
      if (item.task === t) continue;
      item.task = t;
      drawTask(item.li, t);
    }
    this.markdown.textContent = model.markdown;
    const done = model.tasks.filter((t) => t.status === 'completed').length;
    this.count.textContent = model.tasks.length ? `${done}/${model.tasks.length} done` : '';
  }
}

function drawTask(li, t) {
  clear(li);
  li.dataset.status = t.status;
  li.style.setProperty('--depth', String(Number(t.depth) || 0));
  li.append(
    el('span', { class: 'mark' }, STATUS_MARK[t.status] ?? '[?]'),
    ' ',
    el('span', { class: 'task-id' }, `${t.id}.`),
    ' ',
    el('span', { class: 'task-title' }, t.title),
  );
  if (t.criteria) li.append(el('div', { class: 'task-criteria' }, `done when: ${t.criteria}`));
  if (t.note) li.append(el('div', { class: 'task-note' }, t.note));
}

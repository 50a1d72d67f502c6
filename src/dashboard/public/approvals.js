// Pending approvals of the live run: each waiting tool call with Approve and
// Deny. The arguments are model output: shown as text only. Answers go back
// as JSON with the run's token (from /api/info), so only this page can send them.
import { clear, el } from './dom.js';

const POLL_MS = 1000;

export class ApprovalsPanel {
  constructor(root, token) {
    this.root = root;
    this.list = root.querySelector('#approval-list');
    this.token = token;
    this.shown = '';
    root.hidden = false;
  }

  start() {
    const tick = async () => {
      try {
        const res = await fetch('/api/approvals', { cache: 'no-store' });
        if (res.ok) this.render((await res.json()).pending);
      } catch {
        // The run ended and the server went away: nothing to approve any more.
      }
      this.timer = setTimeout(tick, POLL_MS);
    };
    void tick();
  }

  render(pending) {
    const key = JSON.stringify(pending.map((p) => p.key));
    if (key === this.shown) return;
    this.shown = key;
    clear(this.list);
    this.root.dataset.count = String(pending.length);
    if (!pending.length) {
      this.list.append(el('li', { class: 'empty' }, 'nothing waiting for approval'));
      return;
    }
    for (const p of pending) {
      const approve = el('button', { type: 'button', class: 'approve', 'data-answer': 'yes' }, 'Approve');
      const deny = el('button', { type: 'button', class: 'deny', 'data-answer': 'no' }, 'Deny');
      const item = el(
        'li',
        { class: 'approval', 'data-key': p.key, 'data-tool': p.tool },
        el('div', { class: 'approval-head' }, el('strong', {}, p.tool), ` task ${p.taskId} · `, el('span', { class: 'muted' }, p.source)),
        el('pre', { class: 'approval-args' }, p.arguments),
        el('div', { class: 'approval-buttons' }, approve, deny),
      );
      for (const button of [approve, deny]) button.addEventListener('click', () => void this.answer(p.key, button.dataset.answer, item));
      this.list.append(item);
    }
  }

  async answer(key, answer, item) {
    for (const b of item.querySelectorAll('button')) b.disabled = true;
    const res = await fetch(`/api/approvals/${encodeURIComponent(key)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ answer, token: this.token }),
    });
    const body = await res.json().catch(() => ({}));
    item.dataset.answered = res.ok ? answer : 'failed';
    if (!res.ok) item.append(el('div', { class: 'reason' }, body.error || `refused (${res.status})`));
  }
}

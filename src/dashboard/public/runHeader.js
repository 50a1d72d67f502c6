// The header: the run's id, goal, status and counters. Text only.
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

/**
 * The dashboard page in headless Chromium (Debian's chromium, driven by
 * playwright-core): a live run on the offline model with --viz, and past runs
 * replayed with the time slider. Model output and task titles holding markup
 * must show as text and never run. Waits poll the DOM; nothing sleeps.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createMachine } from 'xstate';
import { describeLogic } from '../../src/runtime/machineDefinition.js';
import { startCli } from '../support/cli.js';
import { tempDir } from '../support/runtime.js';
import { CHROMIUM, CHROMIUM_ARGS, chromiumMissing, recordScriptedRun, RESULTS_DIR, SECRET, watchOutput, XSS } from './support.js';

const POLL = { timeout: 20_000, interval: 50 };
let browser: Browser;

beforeAll(async () => {
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  await fs.mkdir(RESULTS_DIR, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
});

/** A page that records dialogs, script errors and console errors (CSP violations land there). */
async function openPage(url: string): Promise<{ page: Page; dialogs: string[]; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(url);
  return { page, dialogs, errors };
}

const actorIds = (page: Page) => page.locator('#actor-tree li.actor').evaluateAll((els) => els.map((e) => e.getAttribute('data-actor')));
const workflowState = (page: Page) => page.locator('li.actor[data-actor="workflow"]').getAttribute('data-state');

async function assertNoMarkupRan(page: Page, dialogs: string[]) {
  expect(await page.evaluate('document.images.length')).toBe(0);
  expect(await page.locator('#checklist img, #event-rows img, header img').count()).toBe(0);
  expect(dialogs).toEqual([]);
}

describe('the dashboard in a browser', () => {
  it('follows a live --viz run: checklist, actor tree, state changes, events; markup in a task title stays text', async () => {
    const goal = `Summarise the repository layout and describe ${XSS} in the README`;
    const ws = await tempDir('gepa-aime-ws-');
    await fs.writeFile(path.join(ws, 'README.md'), '# Sample\n\nA sample project.\n');
    const { child, done } = startCli(['run', goal, '--workspace', ws, '--traces', await tempDir(), '--viz', '--port', '0']);
    const out = watchOutput(child);
    try {
      const [, url] = await out.waitFor('stderr', /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)\n/);
      const { page, dialogs, errors } = await openPage(url!);

      // The checklist fills in, in order, with the title holding markup shown as literal text.
      await expect.poll(() => page.locator('#checklist li.task').count(), POLL).toBe(4);
      await expect.poll(() => page.locator('#checklist li.task[data-status="completed"]').count(), POLL).toBe(4);
      const titles = await page.locator('#checklist .task-title').allTextContents();
      expect(titles[0]).toMatch(/^Survey the workspace/);
      expect(titles[2]).toBe(`Describe ${XSS} in the README`);
      expect(await page.locator('#run-goal').textContent()).toBe(goal);

      // The actor tree: the workflow with its collaborators and one actor per subtask under it.
      await expect
        .poll(() => actorIds(page), POLL)
        .toEqual(expect.arrayContaining(['workflow', 'planner', 'progress', 'actor:1', 'actor:2', 'actor:3', 'actor:4']));
      expect(await page.locator('li.actor[data-actor="workflow"] > .actor-children > li.actor[data-actor="actor:1"]').count()).toBe(1);

      // State changes: the workflow's statechart is drawn, moved through many states, and has its active state lit.
      await expect.poll(() => workflowState(page), POLL).toBe('done');
      const entered = await page.locator('.actor-card[data-actor="workflow"] .state-history li').allTextContents();
      expect(entered.length).toBeGreaterThan(3);
      expect(entered[0]).toMatch(/running\.initializing$/);
      expect(entered.some((s) => /running\.planning$/.test(s))).toBe(true);
      expect(await page.locator('.actor-card[data-actor="workflow"] .chart .state[data-node-id="workflow.done"]').getAttribute('class')).toContain('active');
      expect(await page.locator('.actor-card[data-actor="workflow"] .chart .state.active').count()).toBe(1);
      // Any actor's statechart opens from the tree: a subtask's actor ended in its final state.
      expect(await page.locator('.actor-card[data-actor="actor:2"]').isVisible()).toBe(false);
      await page.click('li.actor[data-actor="actor:2"] > .actor-toggle');
      await expect
        .poll(
          () => page.locator('.actor-card[data-actor="actor:2"] .chart .state.active').evaluateAll((els) => els.map((e) => e.getAttribute('data-state'))),
          POLL,
        )
        .toEqual(['done']);

      // The event log, filtered by type and by actor.
      await expect.poll(() => page.locator('#event-rows tr').count(), POLL).toBeGreaterThan(20);
      await page.selectOption('#filter-type', 'PROGRESS.UPDATE');
      await expect
        .poll(() => page.locator('#event-rows tr').evaluateAll((rows) => [...new Set(rows.map((r) => r.getAttribute('data-type')))]), POLL)
        .toEqual(['PROGRESS.UPDATE']);
      await page.selectOption('#filter-type', '');
      await page.selectOption('#filter-actor', 'planner');
      await expect
        .poll(
          () =>
            page
              .locator('#event-rows tr')
              .evaluateAll((rows) => rows.every((r) => [r.children[1]!.textContent, r.children[2]!.textContent].includes('planner'))),
          POLL,
        )
        .toBe(true);
      await page.selectOption('#filter-actor', '');
      await page.fill('#filter-text', 'onerror');
      await expect.poll(() => page.locator('#event-rows tr').count(), POLL).toBeGreaterThan(0);
      expect((await page.locator('#event-rows td.payload').allTextContents()).join('')).toContain('<img src=x onerror=alert(1)>');
      await page.fill('#filter-text', '');

      // Scrubbing back in time shows an earlier state; "back to live" returns to the end.
      await page.locator('#slider').fill('12');
      await expect.poll(() => workflowState(page), POLL).not.toBe('done');
      expect(await page.locator('#follow').isVisible()).toBe(true);
      await page.click('#follow');
      await expect.poll(() => workflowState(page), POLL).toBe('done');

      await assertNoMarkupRan(page, dialogs);
      expect(errors).toEqual([]);
      await page.screenshot({ path: path.join(RESULTS_DIR, 'dashboard.png'), fullPage: true });

      await out.waitFor('stderr', /still serving this run/);
      await page.close();
      child.kill('SIGINT');
      expect((await done).code).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);

  it('replays a past run from its inspect.jsonl with the time slider, markup and secrets kept out', async () => {
    const recorded = await recordScriptedRun({ title: `Write ${XSS} to out.txt` });
    const traces = await tempDir();
    await fs.cp(path.join(recorded.traces, 'runs'), path.join(traces, 'runs'), { recursive: true });
    await fs.mkdir(path.join(traces, 'runs', '20200101T000000Z-old000'), { recursive: true });
    await fs.writeFile(
      path.join(traces, 'gepa_history.jsonl'),
      `${JSON.stringify({ kind: 'candidate', ts: '2026-01-01T00:00:00Z', id: 'seed', score: 0.5 })}\n` +
        `${JSON.stringify({ kind: 'outcome', ts: '2026-01-01T00:00:01Z', candidateId: 'seed', score: 0.2, composite: 0.2 })}\n` +
        `${JSON.stringify({ kind: 'outcome', ts: '2026-01-01T00:00:02Z', candidateId: 'seed', score: 0.8, composite: 0.6 })}\n{"kind":"outc`,
    );
    const { child, done } = startCli(['dashboard', '--port', '0', '--traces', traces]);
    const out = watchOutput(child);
    try {
      const [, url] = await out.waitFor('stdout', /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/);
      const { page, dialogs, errors } = await openPage(url!);

      // The past runs are listed; the one without inspect.jsonl cannot be picked. The newest replayable one opens at its end.
      await expect.poll(() => page.locator('#run-select option').count(), POLL).toBe(2);
      expect(await page.locator('#run-select option[value="20200101T000000Z-old000"]').isDisabled()).toBe(true);
      expect(await page.locator('#run-select').inputValue()).toBe(recorded.runId);
      await expect.poll(() => page.locator('#checklist .task-title').allTextContents(), POLL).toEqual([`Write ${XSS} to out.txt`]);
      expect(await workflowState(page)).toBe('done');

      // Back to the start: nothing yet. Play: the run unfolds again to the same end.
      await page.locator('#slider').fill('0');
      await expect.poll(() => page.locator('#actor-tree li.actor').count(), POLL).toBe(0);
      expect(await page.locator('#checklist li.empty').count()).toBe(1);
      await page.locator('#slider').fill('25');
      await expect.poll(() => page.locator('#actor-tree li.actor').count(), POLL).toBeGreaterThan(0);
      const midway = await workflowState(page);
      expect(midway).not.toBe('done');
      await page.click('#play');
      await expect.poll(() => workflowState(page), POLL).toBe('done');
      await expect.poll(() => page.locator('#checklist li.task[data-status="completed"]').count(), POLL).toBe(1);
      const total = await page.locator('#slider').getAttribute('max');
      expect(await page.locator('#slider').inputValue()).toBe(total);

      // The secret in the actor's progress message was redacted before it was recorded.
      await page.selectOption('#filter-type', 'PROGRESS.UPDATE');
      await expect
        .poll(() => page.locator('#event-rows td.payload').allTextContents(), POLL)
        .toEqual(expect.arrayContaining([expect.stringContaining('[redacted]')]));
      expect(await page.content()).not.toContain(SECRET);

      // GEPA metrics: from the replayed optimizer, or else from gepa_history.jsonl.
      await expect.poll(() => page.locator('#gepa').getAttribute('data-empty'), POLL).toBe('false');
      expect(await page.locator('#gepa-candidates tr').count()).toBeGreaterThan(0);

      await assertNoMarkupRan(page, dialogs);
      expect(errors).toEqual([]);
      await page.screenshot({ path: path.join(RESULTS_DIR, 'dashboard-replay.png'), fullPage: true });
      await page.close();
      child.kill('SIGINT');
      expect((await done).code).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);

  it("passes a run's events into Stately's inspector frame (stately.ai stood in for, as tests have no internet)", async () => {
    const ws = await tempDir('gepa-aime-ws-');
    await fs.writeFile(path.join(ws, 'README.md'), '# Sample\n');
    const { child, done } = startCli([
      'run',
      'Summarise the repository layout',
      '--workspace',
      ws,
      '--traces',
      await tempDir(),
      '--inspect',
      'stately',
      '--port',
      '0',
    ]);
    const out = watchOutput(child);
    try {
      const [, url] = await out.waitFor('stderr', /Stately inspector: (http:\/\/127\.0\.0\.1:\d+\/stately) \(needs internet/);
      await out.waitFor('stderr', /still serving this run/);
      const page = await browser.newPage();
      // What Stately's inspector does on load: tell its parent it is connected, then take events by postMessage.
      await page.route('https://stately.ai/**', (route) =>
        route.fulfill({
          contentType: 'text/html',
          body: "<script>window.received = []; addEventListener('message', (e) => window.received.push(e.data)); parent.postMessage({ type: '@statelyai.connected' }, '*');</script>",
        }),
      );
      await page.goto(url!);
      await expect.poll(() => page.locator('#stately-status').textContent(), POLL).toBe('connected to Stately');
      const frame = page.frames().find((f) => f.url().startsWith('https://stately.ai/'))!;
      const received = () => frame.evaluate('window.received') as Promise<{ type: string; name?: string; _version?: string }[]>;
      await expect.poll(async () => (await received()).some((e) => e.type === '@xstate.actor' && e.name === 'workflow'), POLL).toBe(true);
      expect((await received()).every((e) => typeof e._version === 'string')).toBe(true);
      await page.close();
      child.kill('SIGINT');
      expect((await done).code).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);

  it('says "no GEPA data yet" without an optimizer or history, and shows a torn history as such', async () => {
    const traces = await tempDir();
    const runDir = path.join(traces, 'runs', '20260101T000000Z-plain0');
    await fs.mkdir(runDir, { recursive: true });
    const definition = describeLogic(createMachine({ id: 'tiny', initial: 'a', states: { a: { on: { GO: 'b' } }, b: { type: 'final' } } }));
    const records = [
      { seq: 0, t: 0, kind: 'run', phase: 'start', runId: 'plain', goal: `A goal with ${XSS}` },
      { seq: 1, t: 1, kind: 'actor', id: 'workflow', name: 'workflow', parent: null, definition },
      { seq: 2, t: 2, kind: 'snapshot', actor: 'workflow', value: 'a', status: 'active' },
      { seq: 3, t: 3, kind: 'event', from: null, to: 'workflow', type: 'GO', payload: { note: XSS } },
      { seq: 4, t: 3, kind: 'microstep', actor: 'workflow', event: 'GO', transitions: [{ event: 'GO', source: 'tiny.a', targets: ['tiny.b'] }] },
      { seq: 5, t: 4, kind: 'snapshot', actor: 'workflow', value: 'b', status: 'done' },
    ];
    await fs.writeFile(path.join(runDir, 'inspect.jsonl'), `${records.map((r) => JSON.stringify(r)).join('\n')}\n{"seq":6,"kind":"ru`);
    const { child, done } = startCli(['dashboard', '--port', '0', '--traces', traces]);
    const out = watchOutput(child);
    try {
      const [, url] = await out.waitFor('stdout', /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/);
      const { page, dialogs, errors } = await openPage(url!);
      await expect.poll(() => workflowState(page), POLL).toBe('b');
      expect(await page.locator('#gepa-note').textContent()).toBe('no GEPA data yet');
      expect(await page.locator('#notice').textContent()).toMatch(/last line of inspect\.jsonl was torn/);
      expect(await page.locator('#run-goal').textContent()).toBe(`A goal with ${XSS}`);
      expect(await page.locator('#event-rows td.from').allTextContents()).toEqual(['outside']);
      expect(await page.locator('.chart .state[data-node-id="tiny.b"]').getAttribute('class')).toContain('active');
      await assertNoMarkupRan(page, dialogs);
      expect(errors).toEqual([]);
      await page.close();
      child.kill('SIGINT');
      expect((await done).code).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});

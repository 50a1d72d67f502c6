/**
 * Pending approvals on the live dashboard, in headless Chromium: a `run
 * --viz` without a terminal whose actor calls server-memory's
 * create_entities (policy ask) twice; the page lists each call with its
 * arguments as text, Approve lets the first run, Deny refuses the second.
 * Answers from anywhere but the page itself (no or another Origin, no token,
 * a form body) are refused.
 */
import http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { startCli } from '../support/cli.js';
import { mcpConfig, observations, SERVER_MEMORY, teamScript } from '../support/mcp.js';
import { ensureBuilt } from '../support/providerCli.js';
import { tempDir } from '../support/runtime.js';
import { startVllmServer, type VllmServer } from '../support/vllmServer.js';
import { CHROMIUM, CHROMIUM_ARGS, chromiumMissing, RESULTS_DIR, watchOutput, XSS } from './support.js';

const POLL = { timeout: 20_000, interval: 50 };
let browser: Browser;
let server: VllmServer;

beforeAll(async () => {
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  ensureBuilt();
  [browser, server] = await Promise.all([chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }), startVllmServer()]);
  await fs.mkdir(RESULTS_DIR, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  server?.close();
});

function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'Content-Length': Buffer.byteLength(body), ...headers } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('approvals on the dashboard', () => {
  it('lists pending calls; Approve runs one, Deny refuses the other; only the page may answer', async () => {
    const ws = await tempDir();
    const traces = await tempDir();
    const config = mcpConfig(server.apiBase, {
      mcp_servers: { memory: { command: process.execPath, args: [SERVER_MEMORY], env: { MEMORY_FILE_PATH: '${workspace}/memory.jsonl' } } },
    });
    const create = (name: string) => ({ name: 'create_entities', arguments: { entities: [{ name, entityType: 'thing', observations: ['x'] }] } });
    server.handler = teamScript(['mcp:memory'], [[create(`Approved ${XSS}`)], [create('Denied')]]);
    const { child, done } = startCli(['run', 'remember things', '--config', config, '--workspace', ws, '--traces', traces, '--viz', '--port', '0', '--json']);
    const out = watchOutput(child);
    try {
      const [, url] = await out.waitFor('stderr', /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)\n/);
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const dialogs: string[] = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      await page.goto(url!);
      const first = page.locator('li.approval[data-tool="create_entities"]').first();
      await first.waitFor(POLL);
      // Model-written arguments are text: the markup is visible, not rendered.
      expect(await first.locator('.approval-args').textContent()).toContain(`Approved ${XSS}`);
      expect(await page.locator('#approvals img').count()).toBe(0);
      await page.screenshot({ path: path.join(RESULTS_DIR, 'dashboard-approvals.png') });

      // Only the page may answer: the same request without its origin, token or JSON body is refused.
      const key = (await first.getAttribute('data-key'))!;
      const info = (await (await fetch(`${url}api/info`)).json()) as { approvals: { token: string } };
      const target = `${url}api/approvals/${encodeURIComponent(key)}`;
      const origin = url!.replace(/\/$/, '');
      const good = JSON.stringify({ answer: 'yes', token: info.approvals.token });
      expect((await post(target, good, { 'Content-Type': 'application/json' })).status).toBe(403);
      expect((await post(target, good, { 'Content-Type': 'application/json', Origin: 'http://evil.example' })).status).toBe(403);
      expect((await post(target, JSON.stringify({ answer: 'yes', token: 'guess' }), { 'Content-Type': 'application/json', Origin: origin })).status).toBe(403);
      expect(
        (await post(target, `answer=yes&token=${info.approvals.token}`, { 'Content-Type': 'application/x-www-form-urlencoded', Origin: origin })).status,
      ).toBe(403);
      expect((await post(target, good, { 'Content-Type': 'application/json', Origin: origin, Host: 'evil.example' })).status).toBe(403);
      // Still pending after all that.
      expect(await page.locator(`li.approval[data-key="${key}"]`).count()).toBe(1);

      await first.locator('button.approve').click();
      const second = page.locator('li.approval[data-tool="create_entities"]:not([data-key="' + key + '"])');
      await second.waitFor(POLL);
      expect(await second.locator('.approval-args').textContent()).toContain('Denied');
      await second.locator('button.deny').click();

      const [, json] = await out.waitFor('stdout', /^(\{[\s\S]*\})\n$/m);
      const report = JSON.parse(json!);
      const obs = observations(report);
      expect(obs.map((o) => o.ok)).toEqual([true, false]);
      expect(obs[1]!.observation).toMatch(/denied \(the dashboard user said no\)/);
      await expect.poll(() => page.locator('#approval-list li.empty').count(), POLL).toBe(1);
      expect(dialogs).toEqual([]);
      const journal = (await fs.readFile(path.join(traces, 'runs', report.runId, 'journal.jsonl'), 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
      expect(journal.filter((r) => r.kind === 'approval').map((r) => [r.outcome.decision, r.outcome.by])).toEqual([
        ['approved', 'dashboard'],
        ['denied', 'dashboard'],
      ]);
      await page.close();
    } finally {
      child.kill('SIGINT');
      await done;
    }
  });
});

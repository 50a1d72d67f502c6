/**
 * The example data set for `optimize --seed-prompt` is valid and runs: a fake
 * vLLM task model that answers only when the system prompt carries the
 * example's hint, and a reflection model that copies the hints it is shown
 * into the instruction, so the score must rise above the seed's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureBuilt, runTimed as runCli, tempDirSync } from '../support/providerCli.js';
import { REPO_ROOT } from '../support/runtime.js';
import { startVllmServer, type SeenRequest, type VllmServer } from '../support/vllmServer.js';

const DATA = path.join(REPO_ROOT, 'examples', 'seed-prompt');
let server: VllmServer;
let work: string;
beforeAll(() => ensureBuilt());
beforeEach(async () => {
  server = await startVllmServer({ models: ['m'] });
  work = tempDirSync('gepa-seed-example-');
});
afterEach(async () => {
  await server.close();
  fs.rmSync(work, { recursive: true, force: true });
});

const rows = (file: string) =>
  fs
    .readFileSync(path.join(DATA, file), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { input: string; answer: string; additional_context: Record<string, string> });
const text = (req: SeenRequest, role: string): string => req.body.messages?.find((m: { role: string }) => m.role === role)?.content ?? '';

describe('examples/seed-prompt', () => {
  it('is {input, answer, additional_context of strings}, and optimizing on it improves the score', async () => {
    const all = [...rows('capitals.train.jsonl'), ...rows('capitals.val.jsonl')];
    for (const r of all) {
      expect(typeof r.input).toBe('string');
      expect(typeof r.answer).toBe('string');
      expect(Object.values(r.additional_context).every((v) => typeof v === 'string')).toBe(true);
    }
    const byQuestion = new Map(all.map((r) => [r.input, r]));
    server.handler = (req) => {
      const user = text(req, 'user');
      if (user.startsWith('I gave an assistant')) {
        const current = /```\n([\s\S]*?)\n```/.exec(user)?.[1] ?? '';
        const answers = [...user.matchAll(/answer is "?([^".\n]+)"?/gi)].map((m) => m[1]!.trim());
        return { content: `\`\`\`\n${[current, ...answers.map((a) => `Known: ${a}.`)].join(' ')}\n\`\`\`` };
      }
      const row = byQuestion.get(user);
      return { content: row && text(req, 'system').includes(row.answer) ? row.answer : 'I do not know.' };
    };
    const r = await runCli([
      'optimize',
      '--train',
      path.join(DATA, 'capitals.train.jsonl'),
      '--val',
      path.join(DATA, 'capitals.train.jsonl'),
      '--seed-prompt',
      'Answer with the name of the capital city only.',
      '--provider',
      'vllm',
      '--api-base',
      server.apiBase,
      '--model',
      'm',
      '--max-metric-calls',
      '40',
      '--seed',
      '0',
      '--minibatch-size',
      '2',
      '--run-dir',
      path.join(work, 'run'),
      '--json',
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.candidates[0].val_score).toBe(0);
    expect(out.best_val_score).toBeGreaterThan(0);
  });
});

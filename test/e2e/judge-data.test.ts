/**
 * End to end, through the built CLI: `data generate` makes a small data set
 * from seed goals, `optimize --aime --judge` evolves the AIME prompts against
 * the judge and the validation score rises, `judge check` prints agreement on
 * a labelled file. Offline, and with the judge and the generator behind the
 * fake vLLM (HTTP, faults included: a judge that keeps failing fails the run,
 * it never scores 0).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { offlineGoals } from '../../src/aime/offline/generator.js';
import { offlineRubric, offlineVerdict } from '../../src/aime/offline/judge.js';
import { reflect } from '../../src/aime/offline/reflection.js';
import { runCli } from '../support/cli.js';
import { ensureBuilt, tempDirSync } from '../support/providerCli.js';
import { REPO_ROOT } from '../support/runtime.js';
import { fault, startVllmServer, type SeenRequest, type VllmServer } from '../support/vllmServer.js';

let work: string;
beforeAll(() => ensureBuilt());
beforeEach(() => {
  work = tempDirSync('gepa-judge-e2e-');
  const ws = path.join(work, 'ws');
  fs.mkdirSync(path.join(ws, 'src'), { recursive: true });
  fs.writeFileSync(path.join(ws, 'README.md'), '# Demo project\n\nA tiny parser demo.\n');
  fs.writeFileSync(path.join(ws, 'src', 'parser.ts'), 'export function parse(s) { return s; } // TODO: handle errors\n');
  fs.writeFileSync(path.join(ws, 'src', 'lexer.ts'), 'export const lexer = 1;\n');
  fs.writeFileSync(
    path.join(work, 'seeds.jsonl'),
    ['Survey the workspace and write the layout to notes/layout.md', 'Find every TODO in the workspace and write them to notes/todos.md']
      .map((input) => JSON.stringify({ input }))
      .join('\n') + '\n',
  );
});
afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

const lines = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

async function generate(extra: string[] = []) {
  const r = await runCli(['data', 'generate', '--from', 'seeds.jsonl', '--workspace', 'ws', '--count', '8', '--out', 'data/goals.jsonl', '--json', ...extra], {
    cwd: work,
  });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

describe('offline', () => {
  it('data generate -> optimize --aime --judge: the validation score rises; judge check prints agreement', async () => {
    const g = await generate(['--provider', 'offline']);
    expect(g.kept).toBe(8);
    expect(g.survival).toBeGreaterThan(0.5);
    expect(g.survival).toBeLessThan(1);
    expect(g.dropped.some((d: { reason: string }) => d.reason.startsWith('near-duplicate'))).toBe(true);
    const train = lines(path.join(work, 'data', 'goals.train.jsonl'));
    const val = lines(path.join(work, 'data', 'goals.val.jsonl'));
    expect(train.length + val.length).toBe(8);
    expect(val[0]).toMatchObject({ workspace: '../ws', workspace_copy: true, rubric: expect.any(Array) });
    expect(lines(path.join(work, 'data', 'goals.jsonl')).filter((r) => r.split === 'val')).toHaveLength(val.length);

    const r = await runCli(
      [
        'optimize',
        '--aime',
        '--judge',
        '--train',
        'data/goals.train.jsonl',
        '--val',
        'data/goals.val.jsonl',
        '--provider',
        'offline',
        '--max-metric-calls',
        '40',
        '--minibatch-size',
        '3',
        '--seed',
        '1',
        '--json',
      ],
      { cwd: work },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    const seedScore = result.candidates[0].val_score;
    expect(seedScore).toBeLessThan(1);
    expect(result.best_val_score).toBeGreaterThan(seedScore);
    expect(result.best_candidate.planner).toContain('does not contain "next steps"');
    expect(result.judge.identity).toMatch(/^judge:offline:gepa-aime-offline\|prompt:[0-9a-f]{16}\|/);
    // Verdicts are cached and the judge's exchanges journaled in traces/judge.
    const verdicts = lines(path.join(work, 'traces', 'judge', 'verdicts.jsonl'));
    expect(verdicts.length).toBeGreaterThan(0);
    expect(verdicts.length).toBeLessThan(result.metric_calls);
    expect(lines(path.join(work, 'traces', 'judge', 'journal.jsonl')).every((j) => j.kind === 'model' && j.purpose === 'judge')).toBe(true);

    // Calibration on a labelled set: two right, one mislabelled on purpose.
    const labelled = [
      { input: 'Write notes', answer: 'Wrote notes/a.md', rubric: ['answer contains "notes/a.md"', 'run completed'], label: 1 },
      {
        input: 'Write notes',
        answer: 'I could not',
        status: 'failed',
        rubric: ['answer contains "notes/a.md"', 'run completed'],
        label: 0,
      },
      { input: 'Write notes', answer: 'nothing', rubric: ['answer contains "notes/a.md"'], label: 1 },
    ];
    fs.writeFileSync(path.join(work, 'labelled.jsonl'), labelled.map((x) => JSON.stringify(x)).join('\n') + '\n');
    const c = await runCli(['judge', 'check', '--data', 'labelled.jsonl', '--provider', 'offline'], { cwd: work });
    expect(c.code).toBe(0);
    expect(c.stdout).toContain('examples: 3, accuracy within ±0.2: 0.667 (2/3), Spearman rho: 0.5, mean |error|: 0.333');
    expect(c.stdout).toMatch(/DIFFERS {2}Write notes\n\s+Missing: the answer does not contain "notes\/a.md"/);
    const strict = await runCli(['judge', 'check', '--data', 'labelled.jsonl', '--provider', 'offline', '--min-accuracy', '0.9'], {
      cwd: work,
    });
    expect(strict.code).toBe(1);
    expect(strict.stderr).toBe("gepa-aime: the judge's accuracy 0.667 is below --min-accuracy 0.9\n");
  });

  it('run --judge: the verdict is printed and kept in judge.json, and judged outcomes drive online learning', async () => {
    const goal = 'Document the workspace layout for a new contributor in docs/onb.md';
    const args = [
      'run',
      goal,
      '--workspace',
      'ws',
      '--provider',
      'offline',
      '--json',
      '--judge',
      '--rubric',
      'file docs/onb.md exists',
      'file docs/onb.md contains "next steps"',
    ];
    const scores: number[] = [];
    const changes: (string | null)[] = [];
    const arms: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await runCli(args, { cwd: work });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const report = JSON.parse(r.stdout);
      scores.push(report.judge.score);
      changes.push(report.learning.change);
      arms.push(report.learning.candidateId);
      expect(JSON.parse(fs.readFileSync(path.join(report.paths.runDir, 'judge.json'), 'utf8'))).toMatchObject({
        score: report.judge.score,
        rubric: ['file docs/onb.md exists', 'file docs/onb.md contains "next steps"'],
      });
      fs.rmSync(path.join(work, 'ws', 'docs'), { recursive: true, force: true });
    }
    const history = lines(path.join(work, 'traces', 'gepa_history.jsonl'));
    const judged = history.filter((h) => h.kind === 'outcome' && h.feedback.startsWith('The judge scored the goal'));
    expect(judged.map((h) => h.score)).toEqual(scores);
    expect(judged[0].feedback).toBe('The judge scored the goal 0.5: Missing: docs/onb.md does not contain "next steps".');
    // The third run's optimizer mutated on the judged outcomes: the lesson is a challenger (issue 12: never live
    // unproven). The fourth run plays it when its run id assigns it to the trial's challenger share, and then,
    // with the lesson in its planner prompt, meets the rubric; playing the champion it scores as before.
    expect(changes[2]).toMatch(/^new challenger /);
    expect(scores.slice(0, 3)).toEqual([0.5, 0.5, 0.5]);
    expect(scores[3]).toBe(arms[3] === 'seed' ? 0.5 : 1);
  });

  it('optimize --team --judge: the team is scored by the judge, with the rubric the judge wrote and froze per goal', async () => {
    const ex = path.join(REPO_ROOT, 'examples', 'teams');
    const r = await runCli(
      [
        'optimize',
        '--team',
        path.join(ex, 'generator-critic.yaml'),
        '--train',
        path.join(ex, 'generator-critic.train.jsonl'),
        '--val',
        path.join(ex, 'generator-critic.val.jsonl'),
        '--out',
        'best.yaml',
        '--max-metric-calls',
        '10',
        '--provider',
        'offline',
        '--judge',
        '--json',
      ],
      { cwd: work },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).judge.identity).toMatch(/^judge:offline:/);
    const rubrics = lines(path.join(work, 'traces', 'judge', 'rubrics.jsonl'));
    expect(rubrics.length).toBeGreaterThan(0);
    expect(new Set(rubrics.map((x) => x.goalKey)).size).toBe(rubrics.length);
  });

  it("judge check on the benchmark's hand-labelled set gives the figures the README records", async () => {
    const r = await runCli(['judge', 'check', '--data', path.join(REPO_ROOT, 'bench', 'data', 'judge-labelled.jsonl'), '--provider', 'offline', '--json'], {
      cwd: work,
    });
    expect(r.code).toBe(0);
    const c = JSON.parse(r.stdout);
    expect([c.n, c.accuracy, Math.round(c.spearman * 1000) / 1000, Math.round(c.meanAbsError * 1000) / 1000]).toEqual([16, 15 / 16, 0.85, 0.063]);
  });

  it('bad input is exit 2 with file and line', async () => {
    fs.writeFileSync(path.join(work, 'bad.jsonl'), '{"input": "g", "answer": "a", "label": 1}\n\n{"input": "g", "answer": "a", "label": 7}\n');
    const r = await runCli(['judge', 'check', '--data', 'bad.jsonl', '--provider', 'offline'], { cwd: work });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^gepa-aime: bad\.jsonl:3: label: /);
    const g = await runCli(['data', 'generate', '--from', 'seeds.jsonl', '--workspace', 'nope', '--count', '2', '--out', 'o.jsonl', '--provider', 'offline'], {
      cwd: work,
    });
    expect(g.code).toBe(2);
    expect(g.stderr).toBe('gepa-aime: --workspace nope: not a directory\n');
    const both = await runCli(
      ['optimize', '--aime', '--judge', '--scorer', 'x.mjs', '--train', 'seeds.jsonl', '--val', 'seeds.jsonl', '--provider', 'offline'],
      { cwd: work },
    );
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--judge is the scorer');
  });
});

describe('the judge and the generator behind the fake vLLM', () => {
  let server: VllmServer;
  beforeEach(async () => {
    server = await startVllmServer({ models: ['judge-m', 'gen-m'] });
  });
  afterEach(async () => server.close());

  const user = (req: SeenRequest) => req.body.messages?.find((m: { role: string }) => m.role === 'user')?.content ?? '';
  /** A deterministic model server: the judge and generator follow the same plain rules as the offline model, over HTTP. */
  function rulesServer(): void {
    server.handler = (req) => {
      const format = req.body.response_format?.json_schema?.name;
      if (format === 'judge_verdict') return { content: offlineVerdict(user(req)) };
      if (format === 'judge_rubric') return { content: offlineRubric(user(req)) };
      if (format === 'generated_goals') return { content: offlineGoals(user(req)) };
      if (user(req).startsWith('I gave an assistant')) return { content: reflect(user(req)) };
      return { content: 'ok' };
    };
  }

  function config(): string {
    const dir = path.join(work, 'config');
    fs.cpSync(path.join(REPO_ROOT, 'config'), dir, { recursive: true });
    const file = path.join(dir, 'model_config.yaml');
    const text = fs
      .readFileSync(file, 'utf8')
      .replace(/^max_retries: .*$/m, 'max_retries: 1')
      .replace(/^ {2}reflection: \{\}$/m, `  reflection: {provider: vllm, api_base: "${server.apiBase}", model: gen-m}`)
      .replace(/^ {2}judge: \{\}.*$/m, `  judge: {provider: vllm, api_base: "${server.apiBase}", model: judge-m}`);
    fs.writeFileSync(file, text);
    return dir;
  }

  it('generate and optimize with the judge over HTTP: structured output, temperature 0 and seed 0 sent, faults retried, a bad reply re-asked, the score rises', async () => {
    rulesServer();
    const rules = server.handler;
    let judgeCalls = 0;
    // The first judge call meets a 500 (the provider retries it), the second gets prose (the judge re-asks).
    server.handler = (req) => {
      if (req.body.model !== 'judge-m') return rules(req);
      judgeCalls++;
      if (judgeCalls === 1) return fault.status(500, 'warming up');
      if (judgeCalls === 2) return { content: 'Looks fine to me.' };
      return rules(req);
    };
    const cfg = config();
    const g = await generate(['--config', cfg]);
    expect(g.kept).toBe(8);
    const judgeReqs = server.requests.filter((r) => r.body.model === 'judge-m');
    expect(judgeReqs.length).toBe(g.verified + 2);
    expect(judgeReqs[2]!.body.messages.at(-1).content).toMatch(/^Your reply did not match the required JSON schema:\n- the reply holds no JSON object/);
    expect(judgeReqs[0]!.body).toMatchObject({
      temperature: 0,
      seed: 0,
      response_format: { type: 'json_schema', json_schema: { name: 'judge_verdict', strict: true } },
    });
    expect(server.requests.some((r) => r.body.model === 'gen-m' && r.body.response_format?.json_schema?.name === 'generated_goals')).toBe(true);

    const r = await runCli(
      [
        'optimize',
        '--aime',
        '--judge',
        '--config',
        cfg,
        '--train',
        'data/goals.train.jsonl',
        '--val',
        'data/goals.val.jsonl',
        '--max-metric-calls',
        '40',
        '--minibatch-size',
        '3',
        '--seed',
        '1',
        '--json',
      ],
      { cwd: work },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.best_val_score).toBeGreaterThan(result.candidates[0].val_score);
    expect(result.judge.identity).toMatch(/^judge:vllm:judge-m\|/);
  });

  it('failure rule: a judge server that keeps failing fails the optimisation (exit 1, a clear reason), it never scores 0', async () => {
    rulesServer();
    const cfg = config();
    await generate(['--config', cfg]);
    server.handler = (req) => (req.body.model === 'judge-m' ? fault.status(500, 'judge down') : { content: 'ok' });
    const optimizeJudged = (...extra: string[]) =>
      runCli(
        [
          'optimize',
          '--aime',
          '--judge',
          '--config',
          cfg,
          '--train',
          'data/goals.train.jsonl',
          '--val',
          'data/goals.val.jsonl',
          '--max-metric-calls',
          '10',
          '--json',
          '--run-dir',
          'run',
          ...extra,
        ],
        { cwd: work },
      );
    const r = await optimizeJudged();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the judge model failed: .*500/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    // No score was recorded for an evaluation the judge could not make (the seed's first one failed).
    const stateFile = path.join(work, 'run', 'state.json');
    if (fs.existsSync(stateFile)) expect(fs.readFileSync(stateFile, 'utf8')).not.toMatch(/"score":0[,}]/);
    // Once the judge is back, the same command (resumed) finishes: the failure was retried, not scored.
    rulesServer();
    const again = await optimizeJudged(...(fs.existsSync(stateFile) ? ['--resume'] : []));
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    const verdictsFile = path.join(work, 'traces', 'judge', 'verdicts.jsonl');
    expect(fs.existsSync(verdictsFile) ? fs.readFileSync(verdictsFile, 'utf8') : '').not.toContain('judge down');
  });

  it('judge optimize: the judge prompt is a GEPA component; agreement with the labels rises and the best prompt is written', async () => {
    const sys = (req: SeenRequest) => req.body.messages?.find((m: { role: string }) => m.role === 'system')?.content ?? '';
    server.handler = (req) => {
      const format = req.body.response_format?.json_schema?.name;
      if (format === 'judge_verdict') {
        const v = JSON.parse(offlineVerdict(user(req)));
        // This judge model follows one instruction: leniency towards partial work.
        return { content: JSON.stringify(sys(req).includes('Give half credit') && v.score === 0 ? { ...v, score: 0.5 } : v) };
      }
      const u = user(req);
      if (u.startsWith('I gave an assistant')) {
        const current = /```\n([\s\S]*?)\n```/.exec(u)?.[1] ?? '';
        return { content: '```\n' + current + (u.includes('too strict') ? '\nGive half credit to partial work.' : '') + '\n```' };
      }
      return { content: 'ok' };
    };
    const cfg = config();
    const rows = ['a', 'b', 'c', 'd'].map((x) => ({
      input: `Write ${x}`,
      answer: `partial ${x}`,
      rubric: [`answer contains "done ${x}"`],
      label: 0.5,
    }));
    fs.writeFileSync(path.join(work, 'labels.jsonl'), rows.map((x) => JSON.stringify(x)).join('\n') + '\n');
    const r = await runCli(
      [
        'judge',
        'optimize',
        '--config',
        cfg,
        '--train',
        'labels.jsonl',
        '--val',
        'labels.jsonl',
        '--out',
        'best-judge.txt',
        '--max-metric-calls',
        '16',
        '--json',
      ],
      { cwd: work },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.candidates[0].val_score).toBe(0.5);
    expect(result.best_val_score).toBe(1);
    expect(fs.readFileSync(path.join(work, 'best-judge.txt'), 'utf8')).toContain('Give half credit to partial work.');
    const check = await runCli(['judge', 'check', '--config', cfg, '--data', 'labels.jsonl', '--judge-prompt', 'best-judge.txt'], {
      cwd: work,
    });
    expect(check.stdout).toContain('accuracy within ±0.2: 1 (4/4)');
  });
});

/**
 * End to end, on a real redis-server and two worker processes: `optimize
 * --team --redis` and `optimize --aime --redis` choose what a local run with
 * the same seed chooses (the workers rebuild the team / AIME adapter from the
 * job, the traces come back, and reflection on the coordinator reads them as
 * it does locally), each metric call is paid once, and what a job may name
 * (a scorer module, a goal's workspace) is confined.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashCandidate } from '../../contracts/gepa/hash.js';
import { runCli } from '../support/cli.js';
import { ensureBuilt } from '../support/providerCli.js';
import { choices, content, queueFixture, type QueueFixture } from '../support/queueFixture.js';
import { startWorkerProcess } from '../support/queueWorkers.js';
import { REPO_ROOT } from '../support/runtime.js';
import type { SeenRequest } from '../support/vllmServer.js';

const EXAMPLES = path.join(REPO_ROOT, 'examples', 'teams');
let fx: QueueFixture;

const isTeamReflection = (req: SeenRequest) => content(req, 'user').startsWith('I gave an assistant');

beforeAll(() => ensureBuilt());
beforeEach(async () => {
  // A writer that ends with a full stop only once its instruction says so; an editor that always agrees.
  fx = await queueFixture({
    handler: (req) => {
      if (isTeamReflection(req)) return { content: '```\nDraft a title. Always end with a full stop.\n```', delayMs: 5 };
      const sys = content(req, 'system');
      const prompt = content(req, 'user');
      if (sys.startsWith('Draft a title')) return { content: sys.includes('full stop') ? `${prompt}.` : prompt, delayMs: 20 };
      return { content: 'LGTM', delayMs: 20 };
    },
  });
});
afterEach(async () => fx.close());

const TEAM =
  'agents:\n  writer: {instruction: Draft a title., output_key: title}\n  editor: {instruction: "Judge {title}", output_key: notes}\nworkflow: {type: loop, max_iterations: 2, until: {key: notes, equals: LGTM}, steps: [writer, editor]}\nprimary: writer\ncomponents: {writer: [instruction], editor: []}\n';

function teamArgs(out: string, extra: string[] = []): string[] {
  const team = path.join(fx.work, 'loop.yaml');
  fs.writeFileSync(team, TEAM);
  const data = fx.jsonl(
    'titles.jsonl',
    ['Rivers', 'Hills', 'Lakes', 'Woods'].map((t) => ({ input: t, expected: `${t}.` })),
  );
  return [
    'optimize',
    '--team',
    team,
    '--train',
    data,
    '--val',
    data,
    '--out',
    out,
    '--provider',
    'vllm',
    '--api-base',
    fx.server.apiBase,
    '--model',
    'task-m',
    '--reflection-model',
    'refl-m',
    '--max-metric-calls',
    '16',
    '--seed',
    '4',
    '--minibatch-size',
    '2',
    '--scorer',
    path.join(EXAMPLES, 'exact-match-scorer.mjs'),
    '--json',
    ...extra,
  ];
}

const teamCalls = () => fx.server.requests.filter((r) => !isTeamReflection(r)).length;

describe('optimize --team --redis', { timeout: 120_000 }, () => {
  it('two workers choose what a local run chooses, write the same team, and pay each team run once', async () => {
    const localOut = path.join(fx.work, 'local.yaml');
    const local = await runCli(teamArgs(localOut));
    expect(local.code, local.stderr).toBe(0);
    const expected = choices(JSON.parse(local.stdout));
    expect(expected.candidates.length).toBeGreaterThan(1); // reflection read the traces and proposed
    expect(expected.best_val_score).toBe(1);
    const localCalls = teamCalls();

    // The scorer is a module the job names: the workers load it only from their --metrics-dir.
    await fx.startWorkers(2, ['--metrics-dir', EXAMPLES]);
    const distOut = path.join(fx.work, 'dist.yaml');
    const dist = await runCli(teamArgs(distOut, ['--redis', fx.redis!.url, '--chunk-size', '2']));
    expect(dist.code, dist.stderr).toBe(0);
    expect(choices(JSON.parse(dist.stdout))).toEqual(expected);
    expect(fs.readFileSync(distOut, 'utf8')).toBe(fs.readFileSync(localOut, 'utf8'));
    expect(teamCalls() - localCalls).toBe(localCalls);
    const stopped = await Promise.all(fx.workers.map((w) => w.stop()));
    for (const r of stopped) expect(Number(/stopped \((\d+) completed/.exec(r.stderr)?.[1] ?? '0')).toBeGreaterThan(0);
    fx.workers = [];
  });

  it('a worker without the scorer in its --metrics-dir fails the run with the reason, exit 1', async () => {
    await fx.startWorkers(1);
    const r = await runCli(teamArgs(path.join(fx.work, 'x.yaml'), ['--redis', fx.redis!.url]));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/loads no scorer modules \(the job asks for .*exact-match-scorer\.mjs\); start it with --metrics-dir DIR/);
  });
});

describe('optimize --aime --redis', { timeout: 120_000 }, () => {
  const aimeArgs = (goals: string, extra: string[] = []) => [
    'optimize',
    '--aime',
    '--train',
    goals,
    '--val',
    goals,
    '--provider',
    'offline',
    '--max-metric-calls',
    '8',
    '--seed',
    '2',
    '--json',
    ...extra,
  ];

  it('two workers (each with its own offline model) choose what a local run chooses', async () => {
    const goals = fx.jsonl('goals.jsonl', [
      { input: 'List the files in the workspace', expected: 'no such words here' },
      { input: 'Summarise the repository layout' },
      { input: 'Write a short note about testing' },
    ]);
    const local = await runCli(aimeArgs(goals), { cwd: fx.work });
    expect(local.code, local.stderr).toBe(0);
    const expected = choices(JSON.parse(local.stdout));
    expect(Object.keys(expected.best_candidate)).toEqual(expect.arrayContaining(['planner', 'persona.generalist']));

    const workerArgs = ['--redis', fx.redis!.url, '--provider', 'offline', '--workspace', fx.work, '--traces', path.join(fx.work, 'worker-traces')];
    fx.workers.push(...(await Promise.all([startWorkerProcess(workerArgs, { cwd: fx.work }), startWorkerProcess(workerArgs, { cwd: fx.work })])));
    const dist = await runCli(aimeArgs(goals, ['--redis', fx.redis!.url]), { cwd: fx.work });
    expect(dist.code, dist.stderr).toBe(0);
    expect(choices(JSON.parse(dist.stdout))).toEqual(expected);
    // The runs were recorded on the workers, one run directory per metric call.
    expect(fs.readdirSync(path.join(fx.work, 'worker-traces', 'runs')).length).toBe(expected.metric_calls);
  });

  it("a goal's workspace must stay inside the workers' --workspace: the coordinator refuses an absolute one, exit 2", async () => {
    const goals = fx.jsonl('abs.jsonl', [{ input: 'List the files', workspace: '/etc' }]);
    const r = await runCli(aimeArgs(goals, ['--redis', fx.redis!.url]), { cwd: fx.work });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/abs\.jsonl: example 1: workspace "\/etc" must be a relative path inside the workers' --workspace with --redis/);
  });
});

describe('team and AIME job payloads', { timeout: 60_000 }, () => {
  it('a team that does not validate, or a goal workspace outside the worker, fails the job with the reason; the worker goes on', async () => {
    const [worker] = await fx.startWorkers(1, ['--metrics-dir', EXAMPLES]);
    const connection = new Redis(fx.redis!.url, { maxRetriesPerRequest: null });
    const queue = new Queue('gepa-aime-eval', { connection, prefix: 'gepa-aime' });
    const eventsConnection = connection.duplicate();
    const events = new QueueEvents('gepa-aime-eval', { connection: eventsConnection, prefix: 'gepa-aime' });
    const candidate = { 'writer.instruction': 'x' };
    const chunk = (adapter: unknown, example: unknown) => ({
      kind: 'gepa.eval',
      adapter,
      namespace: 'n',
      candidate,
      candidateHash: hashCandidate(candidate),
      split: 'train',
      examples: [{ index: 0, key: 'k', example }],
    });
    try {
      await events.waitUntilReady();
      const badTeam = await queue.add(
        'eval',
        chunk({ kind: 'team', team: 'agents: {writer: {instruction: 3}}\n', teamName: 't.yaml', models: {} }, { input: 'a' }),
        {
          attempts: 3,
        },
      );
      await expect(badTeam.waitUntilFinished(events)).rejects.toThrow(/^invalid gepa\.eval payload: adapter\.team: t\.yaml:1: agents\.writer\.instruction/);
      const climbing = await queue.add('eval', chunk({ kind: 'aime', models: {} }, { input: 'List the files', workspace: '../elsewhere' }), { attempts: 3 });
      await expect(climbing.waitUntilFinished(events)).rejects.toThrow(
        /^invalid gepa\.eval payload: examples\.0\.example\.workspace: "\.\.\/elsewhere" is not a relative path inside the worker's workspace/,
      );
      for (const job of [badTeam, climbing]) expect((await queue.getJob(job.id!))!.attemptsMade).toBe(1); // never retried
    } finally {
      await events.close();
      await queue.close();
      connection.disconnect();
      eventsConnection.disconnect();
    }
    // The same worker goes on: a whole distributed team run finishes on it.
    const r = await runCli(teamArgs(path.join(fx.work, 'after.yaml'), ['--redis', fx.redis!.url]));
    expect(r.code, r.stderr).toBe(0);
    expect(worker!.stderr()).toMatch(/job \S+ \(gepa-aime-eval\) failed: invalid gepa\.eval payload: adapter\.team/);
  });
});

describe('optimize --judge --redis', { timeout: 120_000 }, () => {
  it("a worker whose judge differs from the coordinator's fails the run with both identities, exit 1", async () => {
    await fx.startWorkers(1); // its judge is a vLLM endpoint, the coordinator's the offline model
    const goals = fx.jsonl('goals.jsonl', [{ input: 'List the files in the workspace' }]);
    const r = await runCli(['optimize', '--aime', '--train', goals, '--val', goals, '--provider', 'offline', '--judge', '--redis', fx.redis!.url], {
      cwd: fx.work,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /the judge on worker \S+ \(judge:vllm:gepa-aime-offline\|.*\) differs from the coordinator's \(judge:offline:.*\): give the worker the same roles\.judge and gepa\.judge settings/,
    );
  });

  it("the workers build their own judge, check it is the coordinator's, and score as a local run does", async () => {
    const args = (out: string, extra: string[] = []) => [
      'optimize',
      '--team',
      path.join(EXAMPLES, 'generator-critic.yaml'),
      '--train',
      path.join(EXAMPLES, 'generator-critic.train.jsonl'),
      '--val',
      path.join(EXAMPLES, 'generator-critic.val.jsonl'),
      '--out',
      out,
      '--provider',
      'offline',
      '--max-metric-calls',
      '12',
      '--seed',
      '1',
      '--judge',
      '--json',
      ...extra,
    ];
    const local = await runCli(args(path.join(fx.work, 'local.yaml')), { cwd: fx.work });
    expect(local.code, local.stderr).toBe(0);
    const localOut = JSON.parse(local.stdout);
    // Each worker keeps its judge's verdicts and rubrics under its own --traces.
    for (const n of [1, 2])
      fx.workers.push(
        await startWorkerProcess(['--redis', fx.redis!.url, '--provider', 'offline', '--traces', path.join(fx.work, `worker${n}`)], { cwd: fx.work }),
      );
    const dist = await runCli(args(path.join(fx.work, 'dist.yaml'), ['--redis', fx.redis!.url]), { cwd: fx.work });
    expect(dist.code, dist.stderr).toBe(0);
    const distOut = JSON.parse(dist.stdout);
    expect(choices(distOut)).toEqual(choices(localOut));
    expect(distOut.judge.identity).toBe(localOut.judge.identity);
    const verdicts = [1, 2].map((n) => path.join(fx.work, `worker${n}`, 'judge', 'verdicts.jsonl')).filter((f) => fs.existsSync(f));
    expect(verdicts.length).toBeGreaterThan(0); // the judging happened on the workers
  });
});

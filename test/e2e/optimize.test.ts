/**
 * End to end: `gepa-aime optimize` as a child process, in its three modes:
 * a system prompt against the fake vLLM (and offline), an agent team written
 * to --out, and the AIME runtime's own prompts on a tiny goal set.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { ensureBuilt, tempDirSync as tempDir } from '../support/providerCli.js';
import { REPO_ROOT } from '../support/runtime.js';
import { startVllmServer, type SeenRequest, type VllmServer } from '../support/vllmServer.js';
import { answerWord, content, isReflection, reflectKeys, WORDS, wordExample as example } from '../support/queueFixture.js';

const EXAMPLES = path.join(REPO_ROOT, 'examples', 'teams');
let server: VllmServer;
let work: string;

beforeAll(() => ensureBuilt());
beforeEach(async () => {
  server = await startVllmServer({ models: ['task-m', 'refl-m'] });
  work = tempDir('gepa-optimize-e2e-');
});
afterEach(async () => {
  await server.close();
  fs.rmSync(work, { recursive: true, force: true });
});

function jsonl(name: string, rows: unknown[]): string {
  const file = path.join(work, name);
  fs.writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return file;
}

/** Task model: answers word:<w> only when the system prompt holds KEY:<w>. Reflection: writes the keys its prompt mentions into the new instruction. */
function keywordServer(): void {
  server.handler = (req) => ({ content: isReflection(req) ? reflectKeys(req) : answerWord(req) });
}

const GEPA_FLAGS = (runDir: string) => ['--max-metric-calls', '40', '--seed', '1', '--run-dir', runDir, '--minibatch-size', '2', '--max-concurrency', '2'];

describe('optimize --seed-prompt (the default adapter)', () => {
  it('against the fake vLLM: --json prints one object with the result keys, task and reflection models as named', async () => {
    keywordServer();
    const train = jsonl('train.jsonl', WORDS.map(example));
    const val = jsonl('val.jsonl', WORDS.slice(0, 4).map(example));
    const runDir = path.join(work, 'run');
    // The same run each time; only the task model and --resume change.
    const wordRun = (taskModel: string, ...extra: string[]) => [
      'optimize',
      '--train',
      train,
      '--val',
      val,
      '--seed-prompt',
      'Answer the word question.',
      '--provider',
      'vllm',
      '--api-base',
      server.apiBase,
      '--task-model',
      taskModel,
      '--reflection-model',
      'refl-m',
      '--json',
      ...GEPA_FLAGS(runDir),
      ...extra,
    ];
    const r = await runCli(wordRun('task-m'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout); // the whole of stdout is one JSON object
    for (const key of ['best_candidate', 'best_val_score', 'metric_calls', 'wall_s', 'candidates']) expect(out).toHaveProperty(key);
    expect(Object.keys(out.best_candidate)).toEqual(['system_prompt']);
    expect(out.best_val_score).toBeGreaterThan(out.candidates[0].val_score);
    expect(out.metric_calls).toBeLessThanOrEqual(40 + 4);
    expect(typeof out.wall_s).toBe('number');
    for (const c of out.candidates)
      expect(Object.keys(c)).toEqual(expect.arrayContaining(['id', 'components', 'val_score', 'parents', 'found_at_metric_calls']));
    expect(out.candidates.length).toBeGreaterThan(1);
    // Reflection went to the reflection model, everything else to the task model.
    const models = (pred: (q: SeenRequest) => boolean) => [...new Set(server.requests.filter(pred).map((q) => q.body.model))];
    expect(models((q) => content(q, 'user').startsWith('I gave an assistant'))).toEqual(['refl-m']);
    expect(models((q) => !content(q, 'user').startsWith('I gave an assistant'))).toEqual(['task-m']);
    expect(fs.existsSync(path.join(runDir, 'state.json'))).toBe(true);

    // The same run dir again: refused without --resume, continued with it.
    const again = await runCli(wordRun('task-m'));
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds a GEPA run/);
    const resumed = await runCli(wordRun('task-m', '--resume'));
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout).best_val_score).toBe(out.best_val_score);

    // Resuming with another task model would mix scores: refused, naming what changed.
    const changed = await runCli(wordRun('refl-m', '--resume'));
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(/task model roles changed \(run: .*"task-m".*now: .*"refl-m"/);
  });

  it('--test scores the chosen candidate on held-out data and --events streams the run as JSON Lines', async () => {
    keywordServer();
    const train = jsonl('train.jsonl', WORDS.map(example));
    const val = jsonl('val.jsonl', WORDS.slice(0, 4).map(example));
    const test = jsonl('test.jsonl', WORDS.slice(0, 2).map(example));
    const events = path.join(work, 'events.jsonl');
    const r = await runCli([
      'optimize',
      '--train',
      train,
      '--val',
      val,
      '--test',
      test,
      '--events',
      events,
      '--seed-prompt',
      'Answer.',
      '--provider',
      'vllm',
      '--api-base',
      server.apiBase,
      '--task-model',
      'task-m',
      '--reflection-model',
      'refl-m',
      '--json',
      ...GEPA_FLAGS(path.join(work, 'run2')),
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.test_metric_calls).toBe(2);
    expect(typeof out.test_score).toBe('number');
    expect(out.metric_calls).toBeLessThanOrEqual(40);
    const lines = fs
      .readFileSync(events, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0].type).toBe('start');
    expect(lines.at(-1)).toMatchObject({ type: 'done', best_val_score: out.best_val_score, test_score: out.test_score });
    expect(lines.some((l) => l.type === 'acceptance')).toBe(true);
  });

  it('stops with reflection_failed and exit 1 when the reflection model keeps failing', async () => {
    keywordServer();
    const train = jsonl('train.jsonl', WORDS.map(example));
    const val = jsonl('val.jsonl', WORDS.slice(0, 4).map(example));
    const r = await runCli([
      'optimize',
      '--train',
      train,
      '--val',
      val,
      '--seed-prompt',
      'Answer.',
      '--provider',
      'vllm',
      '--api-base',
      server.apiBase,
      '--task-model',
      'task-m',
      '--reflection-model',
      'no-such-model',
      '--json',
      '--max-metric-calls',
      '200',
      '--seed',
      '1',
    ]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).stop_reason).toBe('reflection_failed');
    expect(r.stderr).toMatch(/5 reflections in a row failed/);
  });

  it('runs with --provider offline and no server at all', async () => {
    const train = jsonl('train.jsonl', [
      { input: 'Say hello', answer: 'hello' },
      { input: 'Say yes', answer: 'yes' },
    ]);
    const r = await runCli([
      'optimize',
      '--train',
      train,
      '--val',
      train,
      '--seed-prompt',
      'Be brief.',
      '--provider',
      'offline',
      '--max-metric-calls',
      '6',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.best_candidate).toHaveProperty('system_prompt');
    expect(out.metric_calls).toBeGreaterThan(0);
    // Without --json: a readable summary.
    const human = await runCli([
      'optimize',
      '--train',
      train,
      '--val',
      train,
      '--seed-prompt',
      'Be brief.',
      '--provider',
      'offline',
      '--max-metric-calls',
      '4',
    ]);
    expect(human.stdout).toMatch(/^best validation score: /);
  });

  it('bad input exits 2 naming the file and the line', async () => {
    const good = jsonl('good.jsonl', [example('alpha')]);
    const broken = path.join(work, 'broken.jsonl');
    fs.writeFileSync(broken, `${JSON.stringify(example('alpha'))}\n{"input": "word:bravo", "answer": \n`);
    const base = ['optimize', '--seed-prompt', 'x', '--provider', 'offline', '--max-metric-calls', '4'];
    const r1 = await runCli([...base, '--train', broken, '--val', good]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toBe(`gepa-aime: ${broken}:2: not a JSON record (Unexpected end of JSON input)\n`);
    const r2 = await runCli([...base, '--train', path.join(work, 'missing.jsonl'), '--val', good]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain(`${path.join(work, 'missing.jsonl')}: no such file`);
    const r3 = await runCli([...base, '--train', jsonl('noanswer.jsonl', [{ input: 'q' }]), '--val', good]);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toMatch(/noanswer.jsonl:1: "answer" must be a string \(it is missing\)/);
    const r4 = await runCli(['optimize', '--train', good, '--val', good, '--provider', 'offline']);
    expect(r4.code).toBe(2);
    expect(r4.stderr).toMatch(/say what to optimize/);
  });
});

describe('optimize --team', () => {
  it('evolves generator-critic offline and writes the best team to --out, leaving the original untouched', async () => {
    const original = path.join(EXAMPLES, 'generator-critic.yaml');
    const before = fs.readFileSync(original, 'utf8');
    const out = path.join(work, 'best', 'generator-critic.yaml');
    const r = await runCli([
      'optimize',
      '--team',
      original,
      '--train',
      path.join(EXAMPLES, 'generator-critic.train.jsonl'),
      '--val',
      path.join(EXAMPLES, 'generator-critic.val.jsonl'),
      '--out',
      out,
      '--provider',
      'offline',
      '--max-metric-calls',
      '30',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ best_val_score: 1, out, changed_components: ['generator.instruction'] });
    expect(result.candidates[0].val_score).toBeLessThan(0.5);
    expect(fs.readFileSync(original, 'utf8')).toBe(before);
    const written = fs.readFileSync(out, 'utf8');
    expect(written).toMatch(/^# Evolved by gepa-aime optimize from generator-critic.yaml: best validation score 1/);
    expect(written).toContain('Lessons from failed examples:');
    expect(written).toContain('scorer: ../../'); // still finds the scorer from its new place
    // The written team runs, and now passes its critic.
    const run = await runCli(['team', 'run', out, '--input', 'free museum entry for students every first friday', '--provider', 'offline', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).state).toMatchObject({ headline: 'FREE MUSEUM ENTRY FOR STUDENTS EVERY FIRST FRIDAY!', review: 'APPROVED' });
  });

  it('against the fake vLLM: --model reaches every agent and the reflection model rewrites the instruction', async () => {
    server.handler = (req) => {
      const prompt = content(req, 'user');
      if (prompt.startsWith('I gave an assistant')) return { content: '```\nDraft a title. Always end with a full stop.\n```' };
      const sys = content(req, 'system');
      if (sys.startsWith('Draft a title')) return { content: sys.includes('full stop') ? `${prompt}.` : prompt };
      return { content: 'LGTM' };
    };
    const team = path.join(work, 'loop.yaml');
    fs.writeFileSync(
      team,
      'agents:\n  writer: {instruction: Draft a title., output_key: title}\n  editor: {instruction: "Judge {title}", output_key: notes}\nworkflow: {type: loop, max_iterations: 2, until: {key: notes, equals: LGTM}, steps: [writer, editor]}\nprimary: writer\ncomponents: {writer: [instruction], editor: []}\n',
    );
    const data = jsonl(
      'd.jsonl',
      ['Rivers', 'Hills', 'Lakes'].map((t) => ({ input: t, expected: `${t}.` })),
    );
    const out = path.join(work, 'loop.best.yaml');
    const r = await runCli([
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
      server.apiBase,
      '--model',
      'task-m',
      '--reflection-model',
      'refl-m',
      '--max-metric-calls',
      '20',
      '--json',
      '--scorer',
      path.join(EXAMPLES, 'exact-match-scorer.mjs'),
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).best_val_score).toBe(1);
    expect(fs.readFileSync(out, 'utf8')).toContain('writer: {instruction: Draft a title. Always end with a full stop., output_key: title}');
    expect(new Set(server.requests.map((q) => q.body.model))).toEqual(new Set(['task-m', 'refl-m']));
  });

  it('refuses to overwrite the original and a team whose agents are all frozen', async () => {
    const original = path.join(EXAMPLES, 'refine-loop.yaml');
    const data = path.join(EXAMPLES, 'refine-loop.train.jsonl');
    const same = await runCli(['optimize', '--team', original, '--train', data, '--val', data, '--out', original, '--provider', 'offline']);
    expect(same.code).toBe(2);
    expect(same.stderr).toMatch(/the original is never overwritten/);
    // --pipeline is the old spelling of --team: the same check answers, and giving both is refused.
    const old = await runCli(['optimize', '--pipeline', original, '--train', data, '--val', data, '--out', original, '--provider', 'offline']);
    expect(old.stderr).toMatch(/the original is never overwritten/);
    const both = await runCli(['optimize', '--pipeline', original, '--team', original, '--train', data, '--val', data, '--out', 'x.yaml']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/give --team once/);
    const frozen = path.join(work, 'frozen.yaml');
    fs.writeFileSync(frozen, 'agents: {a: {instruction: A}}\nprimary: a\ncomponents: {a: []}\n');
    const r = await runCli([
      'optimize',
      '--team',
      frozen,
      '--train',
      data,
      '--val',
      data,
      '--out',
      path.join(work, 'x.yaml'),
      '--provider',
      'offline',
      '--scorer',
      path.join(EXAMPLES, 'headline-scorer.mjs'),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/every agent is frozen/);
    const noScorer = path.join(work, 'noscorer.yaml');
    fs.writeFileSync(noScorer, 'agents: {a: {instruction: A}}\nprimary: a\ncomponents: {a: [instruction]}\n');
    const r2 = await runCli(['optimize', '--team', noScorer, '--train', data, '--val', data, '--out', path.join(work, 'x.yaml'), '--provider', 'offline']);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/no scorer and the primary agent "a" has no output_schema/);
  });
});

describe('optimize --aime', () => {
  it('with --traces, every evaluation run keeps its event stream for the dashboard', async () => {
    const goals = jsonl('goals.jsonl', [{ input: 'Summarise the repository layout' }]);
    const traces = path.join(work, 'kept-traces');
    const r = await runCli(
      ['optimize', '--aime', '--train', goals, '--val', goals, '--provider', 'offline', '--max-metric-calls', '2', '--traces', traces, '--json'],
      {
        cwd: work,
      },
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).traces).toBe(traces);
    const runs = fs.readdirSync(path.join(traces, 'runs'));
    expect(runs.length).toBeGreaterThanOrEqual(1);
    for (const id of runs) {
      const lines = fs
        .readFileSync(path.join(traces, 'runs', id, 'inspect.jsonl'), 'utf8')
        .trimEnd()
        .split('\n');
      expect(JSON.parse(lines[0]!)).toMatchObject({ kind: 'run', phase: 'start', runId: id });
      expect(JSON.parse(lines.at(-1)!)).toMatchObject({ kind: 'run', phase: 'end', runId: id });
    }
  });

  it("evolves the planner and persona prompts on a tiny goal set offline, writes them, and --install makes them the next run's prompts", async () => {
    const goals = jsonl('goals.jsonl', [
      { input: 'List the files in the workspace', expected: 'no such words here' },
      { input: 'Summarise the repository layout' },
    ]);
    const out = path.join(work, 'prompts.yaml');
    const r = await runCli(
      ['optimize', '--aime', '--train', goals, '--val', goals, '--provider', 'offline', '--max-metric-calls', '6', '--out', out, '--install', '--json'],
      { cwd: work },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(Object.keys(result.best_candidate)).toEqual(expect.arrayContaining(['planner', 'persona.generalist', 'persona.researcher', 'persona.writer']));
    expect(result.candidates[0].val_score).toBe(0.5); // the second goal completes; the first never contains its expected text
    expect(result.metric_calls).toBeGreaterThanOrEqual(2);
    const written = fs.readFileSync(out, 'utf8');
    expect(written).toContain('prompts:\n  planner: ');
    expect(written).toContain('persona.writer: ');
    expect(result.installed).toBe(path.join(fs.realpathSync(work), 'traces', 'gepa_history.jsonl'));
    // Not asked for traces (--traces): the evaluations ran in a temporary traces dir and recorded no event stream.
    const evaluations = fs.readdirSync(path.join(result.traces, 'runs'));
    expect(evaluations.length).toBe(result.metric_calls);
    for (const id of evaluations) expect(fs.existsSync(path.join(result.traces, 'runs', id, 'inspect.jsonl'))).toBe(false);

    const run = await runCli(['run', 'List the files', '--provider', 'offline', '--json'], { cwd: work });
    const report = JSON.parse(run.stdout);
    expect(report.learning.prompts.planner).toBe(result.best_candidate.planner);
    expect(report.learning.candidateId).toMatch(/^offline-/);
  });
});

/**
 * The judge: verdict schema, re-ask, caching by content (in memory and on
 * disk), frozen rubrics, deterministic sampling, journaling, and the failure
 * rule (a judge that cannot judge throws JudgeError; it is never a score of 0).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  buildJudgeMessages,
  Judge,
  JudgeError,
  isJudgeError,
  memoryStore,
  openJudgeStore,
  parseReply,
  verdictSchema,
  type JudgeInput,
} from '../../src/judge/index.js';
import { ScriptedModel } from '../../src/llm/scripted.js';
import { ModelError } from '../../contracts/llm.js';

const input: JudgeInput = {
  goal: 'Write notes/a.md',
  rubric: ['file notes/a.md exists', 'run completed'],
  run: { status: 'completed', answer: 'Wrote notes/a.md' },
};
const verdict = (score: number, feedback = 'Missing: nothing.') => ({
  content: JSON.stringify({ score, feedback, criteria: [{ criterion: 1, met: score === 1, note: '' }] }),
});

const dirs: string[] = [];
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'judge-test-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('verdict schema', () => {
  it('accepts a well-formed verdict, also inside ``` fences', () => {
    const r = parseReply(verdictSchema, '```json\n{"score": 0.5, "feedback": "x is missing", "criteria": [{"criterion": 1, "met": null, "note": ""}]}\n```');
    expect(r).toEqual({ ok: true, value: { score: 0.5, feedback: 'x is missing', criteria: [{ criterion: 1, met: null, note: '' }] } });
  });
  it.each([
    ['{"score": 1.5, "feedback": "f", "criteria": []}', /score/],
    ['{"score": -0.1, "feedback": "f", "criteria": []}', /score/],
    ['{"score": 1, "feedback": "   ", "criteria": []}', /feedback/],
    ['{"score": 1, "criteria": []}', /feedback/],
    ['{"score": 1, "feedback": "f", "criteria": [], "extra": 1}', /extra|Unrecognized/i],
    ['{"score": 1, "feedback": "f", "criteria": [{"criterion": 0, "met": true, "note": ""}]}', /criteria\.0\.criterion/],
    ['no json here', /no JSON object/],
    ['{"score": 1,', /no JSON object|not valid JSON/],
  ])('rejects %s', (raw, why) => {
    const r = parseReply(verdictSchema, raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join('; ')).toMatch(why);
  });
});

describe('judge prompt bounds', () => {
  it('a megabyte answer, trajectory and twenty large files still make a bounded prompt', () => {
    const big = 'x'.repeat(1_000_000);
    const evidence = Array.from({ length: 20 }, (_, i) => ({
      path: `f${i}.md`,
      state: 'exists' as const,
      bytes: 1e6,
      excerpt: big.slice(0, 3000),
      searches: [],
    }));
    const [system, user] = buildJudgeMessages('p', {
      goal: 'g',
      rubric: ['run completed'],
      run: { status: 'completed', answer: big, reason: big },
      trajectory: big,
      evidence,
    });
    expect(system!.content.length + user!.content.length).toBeLessThan(40_000);
  });
});

describe('Judge', () => {
  it('asks with the verdict schema, temperature 0 and seed 0 by default, and returns the validated verdict', async () => {
    const model = new ScriptedModel([verdict(1, 'All met.')]);
    const judge = new Judge({ model });
    const v = await judge.judge(input);
    expect(v).toMatchObject({ score: 1, feedback: 'All met.', cached: false });
    const req = model.requests[0]!;
    expect(req.responseFormat?.name).toBe('judge_verdict');
    expect(req.sampling).toEqual({ temperature: 0, seed: 0 });
    expect(req.messages[1]!.content).toContain('# Rubric\n1. file notes/a.md exists\n2. run completed');
  });

  it('re-asks once with the validation errors, then succeeds', async () => {
    const model = new ScriptedModel([{ content: '{"score": 3, "feedback": "f", "criteria": []}' }, verdict(0.5)]);
    const v = await new Judge({ model }).judge(input);
    expect(v.score).toBe(0.5);
    expect(model.requests).toHaveLength(2);
    expect(model.requests[1]!.messages.at(-1)!.content).toMatch(/did not match the required JSON schema:\n- score/);
  });

  it('a criterion number outside the rubric is a schema failure too', async () => {
    const bad = { content: JSON.stringify({ score: 1, feedback: 'f', criteria: [{ criterion: 3, met: true, note: '' }] }) };
    await expect(new Judge({ model: new ScriptedModel([bad, bad]) }).judge(input)).rejects.toThrow(/criterion 3 is not in the rubric/);
  });

  it('failure rule: invalid replies after the re-asks, or a failing model, throw JudgeError (never a score)', async () => {
    const invalid = new Judge({ model: new ScriptedModel([{ content: 'I think it is fine' }, { content: 'yes, fine' }]) });
    const e1 = await invalid.judge(input).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(JudgeError);
    expect((e1 as Error).message).toMatch(/failed validation 2 time\(s\): the reply holds no JSON object/);
    const down = new Judge({ model: new ScriptedModel([new ModelError('connection refused', 'network')]) });
    const e2 = await down.judge(input).catch((e: unknown) => e);
    expect(isJudgeError(e2)).toBe(true);
    expect((e2 as Error).message).toBe('the judge model failed: connection refused');
    // Nothing was cached: a retry asks again.
    const retried = new Judge({ model: new ScriptedModel([verdict(1)]), store: down.store });
    expect((await retried.judge(input)).cached).toBe(false);
  });

  it('an empty rubric is refused', async () => {
    await expect(new Judge({ model: new ScriptedModel() }).judge({ ...input, rubric: [] })).rejects.toThrow(JudgeError);
  });

  it('caches by content: the same input is judged once, concurrent asks share one call, any change asks again', async () => {
    const model = new ScriptedModel([verdict(1), verdict(0), verdict(0.5)]);
    const judge = new Judge({ model, store: memoryStore() });
    const [a, b] = await Promise.all([judge.judge(input), judge.judge(input)]);
    expect(a.score).toBe(1);
    expect(b.score).toBe(1);
    expect((await judge.judge(input)).cached).toBe(true);
    expect(model.requests).toHaveLength(1);
    expect((await judge.judge({ ...input, run: { ...input.run, answer: 'other' } })).score).toBe(0);
    expect((await judge.judge({ ...input, rubric: ['run completed'] })).score).toBe(0.5);
    model.assertUsedUp();
  });

  it('identity: stable for the same model, prompt and sampling; changes with the prompt and the rubric', () => {
    const m = new ScriptedModel([], 'vllm:judge-m');
    const a = new Judge({ model: m, modelName: 'vllm:judge-m' });
    expect(a.identity).toBe(new Judge({ model: m, modelName: 'vllm:judge-m' }).identity);
    expect(a.identity).toMatch(/^judge:vllm:judge-m\|prompt:[0-9a-f]{16}\|sampling:[0-9a-f]{8}$/);
    expect(a.withPrompt('Be lenient.').identity).not.toBe(a.identity);
    expect(a.identityFor(['x'])).not.toBe(a.identityFor(['y']));
    expect(a.verdictKey(input)).not.toBe(a.withPrompt('Be lenient.').verdictKey(input));
  });

  it('on disk: verdicts survive a restart, every model exchange is journaled, a torn last line is skipped', async () => {
    const dir = tempDir();
    const s1 = await openJudgeStore(dir);
    await new Judge({ model: new ScriptedModel([{ content: 'garbage' }, verdict(1)]), store: s1 }).judge(input);
    s1.close();
    const journal = fs
      .readFileSync(path.join(dir, 'journal.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(journal.map((r) => [r.kind, r.purpose, r.key.replace(/[0-9a-f]{28}/, 'K')])).toEqual([
      ['model', 'judge', 'judge:K#0'],
      ['model', 'judge', 'judge:K#1'],
    ]);
    fs.appendFileSync(path.join(dir, 'verdicts.jsonl'), '{"key": "torn');
    const s2 = await openJudgeStore(dir);
    const model = new ScriptedModel();
    const v = await new Judge({ model, store: s2 }).judge(input);
    expect(v).toMatchObject({ score: 1, cached: true });
    expect(model.requests).toHaveLength(0);
    s2.close();
  });

  it('a rubric the judge writes for a goal is frozen: written once, reused after a restart', async () => {
    const dir = tempDir();
    const s1 = await openJudgeStore(dir);
    const model = new ScriptedModel([{ content: '{"criteria": ["file notes/a.md exists", "run completed"]}' }]);
    const judge = new Judge({ model, store: s1 });
    expect(await judge.rubricFor('Write notes/a.md')).toEqual(['file notes/a.md exists', 'run completed']);
    expect(await judge.rubricFor('Write notes/a.md')).toEqual(['file notes/a.md exists', 'run completed']);
    expect(model.requests).toHaveLength(1);
    expect(model.requests[0]!.responseFormat?.name).toBe('judge_rubric');
    s1.close();
    const s2 = await openJudgeStore(dir);
    // Another judge prompt, same goal: still the frozen rubric.
    expect(await new Judge({ model: new ScriptedModel(), store: s2, prompt: 'other' }).rubricFor('Write notes/a.md')).toEqual([
      'file notes/a.md exists',
      'run completed',
    ]);
    s2.close();
  });
});

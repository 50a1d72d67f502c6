/**
 * The default adapter and its inputs: JSONL/JSON data sets (errors name the
 * file and line), the contains-answer metric and its feedback, custom metric
 * modules, model errors scored 0 without stopping the batch.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelError } from '../../contracts/llm.js';
import { reply, ScriptedModel } from '../../src/llm/scripted.js';
import { DatasetError, loadDataset } from '../../src/gepa/dataset.js';
import { createDefaultAdapter } from '../../src/gepa/defaultAdapter.js';
import { containsAnswer, metricFeedback } from '../../src/gepa/metric.js';
import { loadScorer, ScorerError, toScoreResult } from '../../src/gepa/scorer.js';
import type { DefaultExample } from '../../src/gepa/dataset.js';

/** A --metric module as the default adapter scores with it: the one loader, then the one normaliser. */
async function loadMetric(file: string) {
  const scorer = await loadScorer(file, 'metric');
  return async (ex: DefaultExample, out: string) => toScoreResult(await scorer(ex, out), 'the metric', metricFeedback(ex));
}
import { example, tmpDir } from './support.js';

async function write(dir: string, name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await fsp.writeFile(file, text);
  return file;
}

describe('data sets', () => {
  it('loads JSONL in the default shape, skipping blank lines and keeping extra fields', async () => {
    const dir = await tmpDir();
    const file = await write(
      dir,
      'train.jsonl',
      '{"input":"2+2?","answer":"4","additional_context":{"hint":"add"}}\n\n{"input":"capital of France?","answer":"Paris","id":7}\n',
    );
    expect(await loadDataset(file)).toEqual([
      { input: '2+2?', answer: '4', additional_context: { hint: 'add' } },
      { input: 'capital of France?', answer: 'Paris', additional_context: {}, id: 7 },
    ]);
  });

  it('names the file and line of a broken line, also the last one', async () => {
    const dir = await tmpDir();
    const broken = await write(dir, 'bad.jsonl', '{"input":"a","answer":"b"}\n{"input": "c", "answer"\n{"input":"d","answer":"e"}\n');
    await expect(loadDataset(broken)).rejects.toThrow(`${broken}:2: not a JSON record`);
    const torn = await write(dir, 'torn.jsonl', '{"input":"a","answer":"b"}\n{"input":"c"');
    await expect(loadDataset(torn)).rejects.toThrow(`${torn}:2:`);
  });

  it('names the line of a record of the wrong shape', async () => {
    const dir = await tmpDir();
    const file = await write(dir, 'shape.jsonl', '{"input":"a","answer":"b"}\n{"question":"c","answer":"d"}\n');
    await expect(loadDataset(file)).rejects.toThrow(`${file}:2: "input" must be a string (it is missing)`);
    const noAnswer = await write(dir, 'noanswer.jsonl', '{"input":"a","answer":{"x":1}}\n');
    await expect(loadDataset(noAnswer)).rejects.toThrow(/:1: "answer" must be a string, found \{"x":1\}/);
  });

  it('accepts a .json array and names a bad item or the line of a syntax error', async () => {
    const dir = await tmpDir();
    const ok = await write(dir, 'val.json', JSON.stringify([{ input: 'a', answer: 1 }]));
    expect(await loadDataset(ok)).toEqual([{ input: 'a', answer: '1', additional_context: {} }]);
    const badItem = await write(dir, 'item.json', JSON.stringify([{ input: 'a', answer: 'b' }, 5]));
    await expect(loadDataset(badItem)).rejects.toThrow(`${badItem}: example 2: expected an object`);
    const syntax = await write(dir, 'syntax.json', '[\n  {"input": "a", "answer": "b"},\n  {"input": "c" "answer": "d"}\n]');
    await expect(loadDataset(syntax)).rejects.toThrow(`${syntax}:3: not valid JSON`);
  });

  it('refuses an empty or missing file', async () => {
    const dir = await tmpDir();
    const empty = await write(dir, 'empty.jsonl', '\n\n');
    await expect(loadDataset(empty)).rejects.toThrow(DatasetError);
    await expect(loadDataset(empty)).rejects.toThrow('has no examples');
    await expect(loadDataset(path.join(dir, 'nope.jsonl'))).rejects.toThrow('no such file');
  });
});

describe('contains-answer metric', () => {
  it('scores 1 when the answer is in the output, ignoring case and surrounding space', () => {
    expect(containsAnswer({ input: 'q', answer: ' Paris ', additional_context: {} }, 'It is paris.').score).toBe(1);
  });

  it('on failure gives the expected answer and the additional context', () => {
    const r = containsAnswer({ input: 'q', answer: 'Paris', additional_context: { capital_of: 'France', note: 'not Lyon' } }, 'Lyon');
    expect(r.score).toBe(0);
    expect(r.feedback).toContain("The correct answer is 'Paris'");
    expect(r.feedback).toContain('capital_of: France\nnote: not Lyon');
  });
});

describe('custom metric modules', () => {
  it('loads a default export returning a number or {score, feedback}', async () => {
    const dir = await tmpDir();
    const numeric = await loadMetric(await write(dir, 'len.mjs', 'export default (ex, out) => out.length > 3 ? 0.5 : 0;'));
    expect(await numeric(example('alpha'), 'long output')).toMatchObject({ score: 0.5 });
    expect((await numeric(example('alpha'), 'x')).feedback).toContain("expected answer is 'ALPHA-OK'");
    const rich = await loadMetric(await write(dir, 'rich.mjs', 'export default async (ex, out) => ({ score: 1, feedback: `saw ${ex.input}` });'));
    expect(await rich(example('alpha'), 'x')).toEqual({ score: 1, feedback: 'saw word:alpha', metadata: { feedback: 'saw word:alpha' } });
  });

  it('explains a module that cannot be used', async () => {
    const dir = await tmpDir();
    const noDefault = await write(dir, 'named.mjs', 'export const metric = () => 1;');
    await expect(loadMetric(noDefault)).rejects.toThrow(ScorerError);
    await expect(loadMetric(noDefault)).rejects.toThrow('has no default export');
    await expect(loadMetric(await write(dir, 'str.mjs', 'export default "x";'))).rejects.toThrow('its default export is string');
    await expect(loadMetric(await write(dir, 'syntax.mjs', 'export default (a, b) => {'))).rejects.toThrow(/cannot load the metric module .*syntax\.mjs/);
    await expect(loadMetric(path.join(dir, 'missing.mjs'))).rejects.toThrow(/cannot load the metric module .*missing\.mjs/);
  });

  it('names the module when the metric throws or returns something else', async () => {
    const dir = await tmpDir();
    const bad = await loadMetric(await write(dir, 'bad.mjs', 'export default () => "high";'));
    await expect(bad(example('a'), 'x')).rejects.toThrow(/bad\.mjs must return a finite number, \{score/);
    const throws = await loadMetric(await write(dir, 'throws.mjs', 'export default () => { throw new Error("nope"); };'));
    await expect(throws(example('a'), 'x')).rejects.toThrow(/throws\.mjs threw: nope/);
  });
});

describe('default adapter', () => {
  it('sends the component as the system prompt and the input as the user message', async () => {
    const model = new ScriptedModel([reply.text('ALPHA-OK'), reply.text('no idea')], 'task');
    const adapter = createDefaultAdapter({ model });
    const out = await adapter.evaluate([example('alpha'), example('bravo')], { system_prompt: 'Be helpful.' }, true);
    expect(model.requests.map((r) => r.messages)).toEqual([
      [
        { role: 'system', content: 'Be helpful.' },
        { role: 'user', content: 'word:alpha' },
      ],
      [
        { role: 'system', content: 'Be helpful.' },
        { role: 'user', content: 'word:bravo' },
      ],
    ]);
    expect(out.scores).toEqual([1, 0]);
    expect(out.outputs).toEqual(['ALPHA-OK', 'no idea']);
    expect(out.trajectories![1]).toMatchObject({ input: 'word:bravo', response: 'no idea', score: 0 });
    expect(out.trajectories![1]!.feedback).toContain('KEY:bravo');
    const ds = await adapter.makeReflectiveDataset({ system_prompt: 'Be helpful.' }, out, ['system_prompt']);
    expect(ds['system_prompt']![1]).toEqual({ Inputs: 'word:bravo', 'Generated Outputs': 'no idea', Feedback: out.trajectories![1]!.feedback });
  });

  it('scores a model error 0 with the error in the feedback, and goes on with the batch', async () => {
    const model = new ScriptedModel([new ModelError('HTTP 503 from server', 'http', 503), reply.text('BRAVO-OK')]);
    const out = await createDefaultAdapter({ model }).evaluate([example('alpha'), example('bravo')], { system_prompt: 's' }, true);
    expect(out.scores).toEqual([0, 1]);
    expect(out.trajectories![0]).toMatchObject({ error: 'HTTP 503 from server', response: '' });
    expect(out.trajectories![0]!.feedback).toContain('HTTP 503 from server');
  });

  it('lets a cancellation through instead of scoring it', async () => {
    const controller = new AbortController();
    controller.abort();
    const model = new ScriptedModel([new ModelError('aborted', 'aborted')]);
    await expect(createDefaultAdapter({ model }).evaluate([example('a')], { system_prompt: 's' }, false, { signal: controller.signal })).rejects.toThrow(
      'aborted',
    );
  });

  it('uses a custom metric and names a missing component', async () => {
    const adapter = createDefaultAdapter({
      model: new ScriptedModel([reply.text('anything')]),
      componentName: 'instructions',
      metric: () => ({ score: 0.25, feedback: 'meh' }),
    });
    const out = await adapter.evaluate([example('a')], { instructions: 's' }, true);
    expect(out.scores).toEqual([0.25]);
    expect(out.trajectories![0]!.feedback).toBe('meh');
    await expect(adapter.evaluate([example('a')], { system_prompt: 's' }, false)).rejects.toThrow('the candidate has no component "instructions"');
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { RecordingModel, RecordingSink, type RecordedExchange } from '../../src/llm/record.js';
import { ReplayModel, ReplayStore } from '../../src/llm/replay.js';
import { requestHash } from '../../src/llm/requestHash.js';
import { reply, ScriptedModel } from '../../src/llm/scripted.js';
import { ModelError, type ChatRequest } from '../../contracts/llm.js';
import { createModelSet } from '../../src/runtime/models.js';
import { runGoal } from '../../src/runtime/runGoal.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gepa-rr-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const req = (text: string, over: Partial<ChatRequest> = {}): ChatRequest => ({ messages: [{ role: 'user', content: text }], purpose: 'actor', ...over });
const lines = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RecordedExchange);

describe('record', () => {
  it('appends one JSONL line per exchange: request as data, response, model id; failures too', async () => {
    const file = path.join(dir, 'rec.jsonl');
    const inner = new ScriptedModel([reply.text('one'), reply.toolCall('list_dir', { path: '.' }), new ModelError('HTTP 500: boom', 'http', 500)], 'vllm:m@x');
    const model = new RecordingModel(inner, new RecordingSink(file));
    await model.complete(
      req('a', {
        tools: [{ name: 'list_dir', description: 'd', parameters: {} }],
        sampling: { temperature: 0 },
        onTextDelta: () => {},
        signal: new AbortController().signal,
      }),
    );
    await model.complete(req('b', { responseFormat: { name: 'f', schema: {} }, purpose: 'planner' }));
    await expect(model.complete(req('c'))).rejects.toThrow('boom');
    const [first, second, third] = lines(file);
    expect(first).toMatchObject({
      v: 1,
      model: 'vllm:m@x',
      request: { messages: [{ role: 'user', content: 'a' }], sampling: { temperature: 0 }, purpose: 'actor' },
      response: { content: 'one' },
    });
    expect(first!.request).not.toHaveProperty('onTextDelta');
    expect(first!.request).not.toHaveProperty('signal');
    expect(second).toMatchObject({ request: { responseFormat: { name: 'f' }, purpose: 'planner' }, response: { toolCalls: [{ name: 'list_dir' }] } });
    expect(third).toMatchObject({ error: { message: 'HTTP 500: boom', kind: 'http', status: 500 } });
    expect(first!.hash).toBe(requestHash(req('a', { tools: [{ name: 'list_dir', description: 'd', parameters: {} }] })));
  });
});

describe('replay', () => {
  async function recordThen(replies: Parameters<ScriptedModel['push']>, requests: ChatRequest[]) {
    const file = path.join(dir, 'rec.jsonl');
    const model = new RecordingModel(new ScriptedModel(replies), new RecordingSink(file));
    for (const r of requests) await model.complete(r).catch(() => undefined);
    return new ReplayModel(ReplayStore.load(file));
  }

  it('answers by request hash, identical requests in recorded order, with no network', async () => {
    const replay = await recordThen([reply.text('first'), reply.text('other'), reply.text('second')], [req('same'), req('different'), req('same')]);
    expect((await replay.complete(req('different'))).content).toBe('other');
    expect((await replay.complete(req('same'))).content).toBe('first');
    expect((await replay.complete(req('same', { onTextDelta: () => {}, purpose: 'ignored' }))).content).toBe('second');
  });

  it('matches on tools and response_format as well as messages', async () => {
    const tools = [{ name: 't', description: 'd', parameters: {} }];
    const replay = await recordThen([reply.text('with tools'), reply.text('plain')], [req('q', { tools }), req('q')]);
    expect((await replay.complete(req('q'))).content).toBe('plain');
    await expect(replay.complete(req('q', { responseFormat: { name: 'x', schema: {} } }))).rejects.toMatchObject({ kind: 'no-recording' });
    expect((await replay.complete(req('q', { tools }))).content).toBe('with tools');
  });

  it('masks timestamps, so the actor prompt stating the current time still matches', async () => {
    const replay = await recordThen([reply.text('yes')], [req('- Current time: 2025-01-01T10:00:00.000Z')]);
    expect((await replay.complete(req('- Current time: 2026-07-04T23:59:59.123Z'))).content).toBe('yes');
  });

  it('a request with no recording fails clearly: purpose, first words, how many recordings', async () => {
    const replay = await recordThen([reply.text('a'), reply.text('b')], [req('alpha'), req('beta', { purpose: 'planner' })]);
    await replay.complete(req('alpha'));
    const err = await replay.complete(req('gamma ray burst', { purpose: 'reflection' })).catch((e: unknown) => e as ModelError);
    expect(err).toBeInstanceOf(ModelError);
    expect(err).toMatchObject({ kind: 'no-recording' });
    expect((err as ModelError).message).toMatch(
      /^no recording matches this reflection request, last message \(user\): "gamma ray burst"; .*rec\.jsonl holds 2 recorded exchange\(s\), 1 unused \(1 planner\)/,
    );
    // Used up: the same request again has nothing left.
    await expect(replay.complete(req('alpha'))).rejects.toMatchObject({ kind: 'no-recording' });
  });

  it('a drifted request is matched by its call id; a different question is a mismatch with a short diff', async () => {
    const ask = (text: string, callId: string) => req(`[1] List the files\nDone when: listed\n${text}`, { callId });
    const replay = await recordThen([reply.text('first'), reply.text('second')], [ask('listing: a, b', 'actor:1@1#0'), ask('listing: a', 'actor:1@1#1')]);
    const store = (replay as unknown as { store: ReplayStore }).store;
    expect((await replay.complete(ask('listing: a, b, gepa-aime-output/', 'actor:1@1#0'))).content).toBe('first');
    expect(store.drifts).toEqual([
      { place: 'actor:1@1#0', diff: 'message 1 (user), line 3: recorded "listing: a, b", now "listing: a, b, gepa-aime-output/"' },
    ]);
    const err = await replay.complete(req('[2] Something else', { callId: 'actor:1@1#1' })).catch((e: unknown) => e as ModelError);
    expect(err).toMatchObject({ kind: 'no-recording' });
    expect((err as ModelError).message).toContain(
      'at actor:1@1#1, against the recording: message 1 (user), line 1: recorded "[1] List the files", now "[2] Something else"',
    );
  });

  it('replays a recorded failure as the same ModelError', async () => {
    const replay = await recordThen([new ModelError('HTTP 500: boom', 'http', 500)], [req('x')]);
    await expect(replay.complete(req('x'))).rejects.toMatchObject({ message: 'HTTP 500: boom', kind: 'http', status: 500 });
  });

  it('a missing or broken recording is a config error', () => {
    expect(() => ReplayStore.load(path.join(dir, 'nope.jsonl'))).toThrowError(
      expect.objectContaining({ kind: 'config', message: expect.stringMatching(/does not exist/) }),
    );
    const bad = path.join(dir, 'bad.jsonl');
    fs.writeFileSync(bad, '{"not":"an exchange"}\n');
    expect(() => ReplayStore.load(bad)).toThrowError(expect.objectContaining({ kind: 'config' }));
  });
});

describe('record a real run, replay it', () => {
  it('a runGoal run with the offline model replays (provider: replay) to the same ledger and answer', async () => {
    const config = await loadConfig(path.resolve('config'), { env: {} });
    const workspace = path.join(dir, 'ws');
    const makeWorkspace = () => {
      fs.rmSync(workspace, { recursive: true, force: true });
      fs.mkdirSync(path.join(workspace, 'src'), { recursive: true });
      fs.writeFileSync(path.join(workspace, 'README.md'), '# demo\n');
      fs.writeFileSync(path.join(workspace, 'src', 'index.ts'), 'export {};\n');
    };
    const recording = path.join(dir, 'run.jsonl');
    const goal = 'Summarise the repository layout and propose next steps';

    makeWorkspace();
    const recorded = await runGoal({
      goal,
      config,
      workspace,
      tracesDir: path.join(dir, 'traces'),
      models: createModelSet(config.model, { record: recording }),
    });
    expect(recorded.status).toBe('completed');
    const exchanges = lines(recording);
    expect(exchanges.length).toBeGreaterThanOrEqual(3);
    expect(new Set(exchanges.map((e) => e.request.purpose))).toEqual(new Set(['planner', 'actor']));

    makeWorkspace(); // the same workspace contents, so tool observations match
    const replayConfig = { ...config, model: { ...config.model, provider: 'replay' as const, replay_file: recording } };
    const replayed = await runGoal({ goal, config: replayConfig, workspace, tracesDir: path.join(dir, 'traces') });
    expect(replayed.model.provider).toBe('replay');
    expect(replayed.status).toBe(recorded.status);
    expect(replayed.answer).toBe(recorded.answer);
    expect(replayed.ledger).toEqual(recorded.ledger);
    expect(replayed.actors.map((a) => a.steps)).toEqual(recorded.actors.map((a) => a.steps));
    expect(replayed.usage).toEqual(recorded.usage);
  });
});

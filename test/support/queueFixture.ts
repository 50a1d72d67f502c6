/**
 * The shared set-up of the distributed-optimize tests: a fake vLLM whose task
 * model answers `word:<w>` only when the system prompt holds `KEY:<w>` (and
 * whose reflection model adds the keys its feedback mentions, so GEPA really
 * evolves), a real redis-server, a temporary directory with the word data
 * sets, `optimize` and `worker` argument lists against them, and the worker
 * processes started, all stopped by `close()`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { tempDirSync } from './providerCli.js';
import { startRedis, type RedisServer } from './redisServer.js';
import { startWorkerProcess, type WorkerProcess } from './queueWorkers.js';
import { startVllmServer, type SeenRequest, type ServerReply, type VllmServer } from './vllmServer.js';

export const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
export const wordExample = (w: string) => ({ input: `word:${w}`, answer: `${w.toUpperCase()}-OK`, additional_context: { key: `KEY:${w}` } });
export const content = (req: SeenRequest, role: string): string => req.body.messages?.find((m: { role: string }) => m.role === role)?.content ?? '';
export const isReflection = (req: SeenRequest) => content(req, 'user').startsWith('I gave an assistant');

/** The reflection model's reply: the current text with every KEY:<w> its prompt mentions added. */
export function reflectKeys(req: SeenRequest): string {
  const prompt = content(req, 'user');
  const current = /```\n([\s\S]*?)\n```/.exec(prompt)?.[1] ?? '';
  const keys = [...new Set(prompt.match(/KEY:\w+/g) ?? [])].filter((k) => !current.includes(k));
  return `\`\`\`\n${[current, ...keys].join(' ')}\n\`\`\``;
}

/** The task model's reply to a word question. */
export function answerWord(req: SeenRequest): string {
  const word = /word:(\w+)/.exec(content(req, 'user'))?.[1] ?? '';
  return content(req, 'system').includes(`KEY:${word}`) ? `${word.toUpperCase()}-OK` : 'no idea';
}

/** What a run chose, without what may differ between runs (times, paths). */
export function choices(out: Record<string, any>) {
  return {
    best_candidate: out.best_candidate,
    best_val_score: out.best_val_score,
    metric_calls: out.metric_calls,
    iterations: out.iterations,
    stop_reason: out.stop_reason,
    candidates: out.candidates.map((c: Record<string, unknown>) => ({
      components: c.components,
      val_score: c.val_score,
      parents: c.parents,
      found: c.found_at_metric_calls,
    })),
  };
}

export interface QueueFixture {
  server: VllmServer;
  /** Null until `startRedis` (fault tests choose persistence per test). */
  redis: RedisServer | null;
  work: string;
  workers: WorkerProcess[];
  startRedis(opts?: { persist?: boolean }): Promise<RedisServer>;
  jsonl(name: string, rows: unknown[]): string;
  /** `optimize --seed-prompt` on the word data sets, against the fake vLLM. */
  optimizeArgs(o?: { maxMetricCalls?: number; seed?: number; maxConcurrency?: number | null; extra?: string[] }): string[];
  /** `worker` flags: this Redis, the fake vLLM, concurrency 1, then `extra`. */
  workerArgs(extra?: string[]): string[];
  startWorkers(n: number, extra?: string[]): Promise<WorkerProcess[]>;
  stopWorkers(): Promise<void>;
  taskCalls(): number;
  close(): Promise<void>;
}

/** `handler` replaces the default keyword server (delay per task answer: `taskDelayMs`). */
export async function queueFixture(
  o: { redis?: boolean; taskDelayMs?: number; handler?: (req: SeenRequest) => ServerReply | Promise<ServerReply> } = {},
): Promise<QueueFixture> {
  const server = await startVllmServer({ models: ['task-m', 'refl-m'] });
  const work = tempDirSync('gepa-queue-');
  const delay = o.taskDelayMs ?? 0;
  server.handler =
    o.handler ??
    ((req) => (isReflection(req) ? { content: reflectKeys(req), delayMs: 5 } : { content: answerWord(req), ...(delay ? { delayMs: delay } : {}) }));
  const f: QueueFixture = {
    server,
    redis: null,
    work,
    workers: [],
    async startRedis(opts = {}) {
      f.redis = await startRedis(opts);
      return f.redis;
    },
    jsonl(name, rows) {
      const file = path.join(work, name);
      fs.writeFileSync(file, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
      return file;
    },
    optimizeArgs({ maxMetricCalls = 40, seed = 3, maxConcurrency = 2, extra = [] } = {}) {
      return [
        'optimize',
        '--train',
        f.jsonl('train.jsonl', WORDS.map(wordExample)),
        '--val',
        f.jsonl('val.jsonl', WORDS.slice(0, 4).map(wordExample)),
        '--seed-prompt',
        'Answer the word question.',
        '--provider',
        'vllm',
        '--api-base',
        server.apiBase,
        '--task-model',
        'task-m',
        '--reflection-model',
        'refl-m',
        '--max-metric-calls',
        String(maxMetricCalls),
        '--seed',
        String(seed),
        '--minibatch-size',
        '2',
        ...(maxConcurrency === null ? [] : ['--max-concurrency', String(maxConcurrency)]),
        '--json',
        ...extra,
      ];
    },
    workerArgs(extra = []) {
      if (!f.redis) throw new Error('queueFixture: startRedis first');
      return ['--redis', f.redis.url, '--provider', 'vllm', '--api-base', server.apiBase, '--model', 'task-m', '--concurrency', '1', ...extra];
    },
    async startWorkers(n, extra = []) {
      const started = await Promise.all(Array.from({ length: n }, () => startWorkerProcess(f.workerArgs(extra), { cwd: work })));
      f.workers.push(...started);
      return started;
    },
    async stopWorkers() {
      await Promise.all(f.workers.map((w) => w.stop()));
      f.workers = [];
    },
    taskCalls: () => server.requests.filter((r) => !isReflection(r)).length,
    async close() {
      await f.stopWorkers();
      await server.close();
      await f.redis?.stop();
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
  if (o.redis !== false) await f.startRedis();
  return f;
}

/**
 * Distributed GEPA: `optimize` with its evaluations on 1, 2 and 4 worker
 * processes (the built CLI's `gepa-aime worker`, concurrency 1 each) over a
 * real redis-server, against the fake vLLM (in a child process) answering
 * every call after 50 ms. The coordinator runs here, in process, so its
 * queue statistics can be read. Every run starts from an empty Redis (the
 * shared cache would otherwise answer everything) and must choose the same
 * candidates as the others.
 *
 * Prints per worker count: wall time of the optimisation, speedup over one
 * worker, efficiency (speedup / workers), the same three for the evaluation
 * phase alone (time waiting for batches; reflection, one model call at a time
 * in the coordinator, does not parallelise), and the queue overhead per job:
 * (time waiting for batches - the ideal, ceil(jobs / workers) x 50 ms per
 * batch) / jobs, and the CPU per job of the coordinator, the workers and
 * redis-server together (robust to other load on the machine, unlike wall
 * time), and the Redis commands and traffic per job (redis-server's own
 * counters: round trips and payload, unaffected by the load). Then the
 * overhead per job at 0 ms per call, one worker.
 *
 *   npm run build && node dist/bench/queue.js
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { parseConfigText } from '../src/config/index.js';
import { createModelSet } from '../src/runtime/models.js';
import type { DistributedStats } from '../src/queue/evaluator.js';
import { optimizeOnQueue } from '../src/queue/optimize.js';
import { optimizeFiles } from '../src/gepa/index.js';
import { startRedis } from '../test/support/redisServer.js';
import { startVllmServer } from '../test/support/vllmServer.js';

const DELAY_MS = 50;
const WORKER_COUNTS = [1, 2, 4];
const SELF = fileURLToPath(import.meta.url);
const CLI = path.resolve(path.dirname(SELF), '..', '..', 'bin', 'gepa-aime.js');
/** The workload; QUEUE_BENCH_TRAIN, _VAL, _MINIBATCH and _BUDGET change it (defaults 24, 16, 8, 200). */
const knob = (name: string, fallback: number) => Number(process.env[`QUEUE_BENCH_${name}`]) || fallback;
const N_TRAIN = knob('TRAIN', 24);
const N_VAL = Math.min(knob('VAL', 16), N_TRAIN);
const MINIBATCH = knob('MINIBATCH', 8);
const BUDGET = knob('BUDGET', 200);
const WORDS = Array.from({ length: N_TRAIN }, (_, i) => `w${i}`);

/** Child: the fake vLLM. Task: answers word:<w> when the system prompt holds KEY:<w>. Reflection: adds two missing keys. */
async function serve(delayMs: number): Promise<void> {
  const server = await startVllmServer({ models: ['m'], delayMs });
  const text = (req: { body: Record<string, any> }, role: string): string => req.body.messages?.find((m: { role: string }) => m.role === role)?.content ?? '';
  server.handler = (req) => {
    const prompt = text(req, 'user');
    if (prompt.startsWith('I gave an assistant')) {
      const current = /```\n([\s\S]*?)\n```/.exec(prompt)?.[1] ?? '';
      const keys = [...new Set(prompt.match(/KEY:\w+/g) ?? [])].filter((k) => !current.includes(k)).slice(0, 2);
      return { content: `\`\`\`\n${[current, ...keys].join(' ')}\n\`\`\`` };
    }
    const word = /word:(\w+)/.exec(prompt)?.[1] ?? '';
    return { content: text(req, 'system').includes(`KEY:${word}`) ? `${word.toUpperCase()}-OK` : 'no idea' };
  };
  process.stdout.write(`READY ${server.apiBase}\n`);
  process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
  process.stdin.resume();
}

/** CPU time (user + system) a process has used so far, in ms (Linux /proc; 100 ticks a second). */
function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function startChild(args: string[], ready: RegExp): Promise<{ match: RegExpExecArray; pid: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) {
        resolve({
          match: m,
          pid: child.pid!,
          stop: () =>
            new Promise<void>((r) => {
              if (child.exitCode !== null) return r();
              child.once('exit', () => r());
              child.stdin!.end();
              child.kill('SIGTERM');
            }),
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}: ${out.slice(-1000)}`)));
  });
}

/** Commands redis-server has processed and bytes it has taken in and sent, so far (INFO stats): round trips and payload, whatever the load. */
async function redisCounters(url: string): Promise<{ commands: number; bytes: number }> {
  const r = new Redis(url);
  try {
    const info = await r.info('stats');
    const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? Number.NaN);
    return { commands: field('total_commands_processed'), bytes: field('total_net_input_bytes') + field('total_net_output_bytes') };
  } finally {
    r.disconnect();
  }
}

interface Measure {
  /** Redis commands and bytes per job during the run. */
  commandsPerJob: number;
  bytesPerJob: number;
  wallMs: number;
  /** CPU of the coordinator, the workers and redis-server during the run. */
  cpuMs: number;
  stats: DistributedStats;
  best: string;
  metricCalls: number;
}

async function measure(
  redisUrl: string,
  redisPid: number,
  apiBase: string,
  workers: number,
  files: { train: string; val: string },
  budget: number,
): Promise<Measure> {
  const flush = new Redis(redisUrl);
  await flush.flushall();
  flush.disconnect();
  const procs = await Promise.all(
    Array.from({ length: workers }, () =>
      startChild(
        [CLI, 'worker', '--redis', redisUrl, '--provider', 'vllm', '--api-base', apiBase, '--model', 'm', '--concurrency', '1', '--max-in-flight', '64'],
        /: ready on /,
      ),
    ),
  );
  try {
    const config = parseConfigText('model', `provider: vllm\napi_base: ${apiBase}\nmodel: m\nmax_concurrency: 64\n`, 'bench');
    const models = createModelSet(config);
    let stats: DistributedStats | null = null;
    const pids = [redisPid, ...procs.map((p) => p.pid)];
    const redisBefore = await redisCounters(redisUrl);
    const cpuBefore = pids.reduce((t, pid) => t + cpuMs(pid), 0);
    const ownBefore = process.cpuUsage();
    const started = performance.now();
    const result = await optimizeOnQueue({
      redisUrl,
      trainFile: files.train,
      valFile: files.val,
      seedPrompt: 'Answer the word question.',
      taskModel: models.chat,
      taskModelName: 'm',
      reflectionModel: models.reflection,
      settings: { max_metric_calls: budget, seed: 7, minibatch_size: MINIBATCH, max_concurrency: 1 },
      onStats: (s) => (stats = s),
    });
    const wallMs = performance.now() - started;
    const own = process.cpuUsage(ownBefore);
    const cpu = pids.reduce((t, pid) => t + cpuMs(pid), 0) - cpuBefore + (own.user + own.system) / 1000;
    const redisAfter = await redisCounters(redisUrl);
    const jobs = stats!.jobs;
    return {
      wallMs,
      cpuMs: cpu,
      stats: stats!,
      best: JSON.stringify(result.bestCandidate),
      metricCalls: result.metricCalls,
      // The two INFO calls' own command and bytes are left in: the same in every run.
      commandsPerJob: (redisAfter.commands - redisBefore.commands) / jobs,
      bytesPerJob: (redisAfter.bytes - redisBefore.bytes) / jobs,
    };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
  }
}

/** The same optimisation with no queue: the engine's own evaluator, one call at a time. */
async function measureLocal(
  apiBase: string,
  files: { train: string; val: string },
  budget: number,
): Promise<{ wallMs: number; cpuMs: number; best: string; metricCalls: number }> {
  const config = parseConfigText('model', `provider: vllm\napi_base: ${apiBase}\nmodel: m\nmax_concurrency: 64\n`, 'bench');
  const models = createModelSet(config);
  const before = process.cpuUsage();
  const started = performance.now();
  const result = await optimizeFiles({
    trainFile: files.train,
    valFile: files.val,
    seedPrompt: 'Answer the word question.',
    taskModel: models.chat,
    reflectionModel: models.reflection,
    settings: { max_metric_calls: budget, seed: 7, minibatch_size: MINIBATCH, max_concurrency: 1 },
  });
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(before);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, best: JSON.stringify(result.bestCandidate), metricCalls: result.metricCalls };
}

const idealWait = (s: DistributedStats, workers: number, delay: number) => s.jobsPerBatch.reduce((t, jobs) => t + Math.ceil(jobs / workers) * delay, 0);

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gepa-bench-queue-'));
  const write = (name: string, words: string[]) => {
    const file = path.join(dir, name);
    fs.writeFileSync(
      file,
      words.map((w) => JSON.stringify({ input: `word:${w}`, answer: `${w.toUpperCase()}-OK`, additional_context: { key: `KEY:${w}` } })).join('\n') + '\n',
    );
    return file;
  };
  const files = { train: write('train.jsonl', WORDS), val: write('val.jsonl', WORDS.slice(0, N_VAL)) };
  const redis = await startRedis();
  const slow = await startChild([SELF, '--serve', String(DELAY_MS)], /READY (\S+)\n/);
  const rows: string[] = [];
  let zeroRow = '';
  try {
    // A short run first, not counted: the first one in a process pays for warming up (JIT, connections), which
    // would otherwise inflate the one-worker baseline and with it every speedup.
    await measure(redis.url, redis.pid, slow.match[1]!, 1, files, Math.max(40, N_VAL + MINIBATCH));
    const runs: { workers: number; m: Measure }[] = [];
    for (const workers of WORKER_COUNTS) runs.push({ workers, m: await measure(redis.url, redis.pid, slow.match[1]!, workers, files, BUDGET) });
    const base = runs[0]!.m;
    for (const { workers, m } of runs) {
      if (m.best !== base.best || m.metricCalls !== base.metricCalls)
        throw new Error(`${workers} workers chose differently: ${m.best} (${m.metricCalls} calls) vs ${base.best} (${base.metricCalls})`);
      const speed = base.wallMs / m.wallMs;
      const evalSpeed = base.stats.waitMs / m.stats.waitMs;
      const overhead = (m.stats.waitMs - idealWait(m.stats, workers, DELAY_MS)) / m.stats.jobs;
      rows.push(
        `| ${workers} | ${m.stats.jobs} | ${(m.wallMs / 1000).toFixed(2)} s | ${speed.toFixed(2)} | ${(speed / workers).toFixed(2)} | ${(m.stats.waitMs / 1000).toFixed(2)} s | ${evalSpeed.toFixed(2)} | ${(evalSpeed / workers).toFixed(2)} | ${overhead.toFixed(2)} ms | ${(m.cpuMs / m.stats.jobs).toFixed(2)} ms | ${m.commandsPerJob.toFixed(1)} | ${(m.bytesPerJob / 1024).toFixed(1)} KiB |`,
      );
    }
  } finally {
    await slow.stop();
  }
  const fast = await startChild([SELF, '--serve', '0'], /READY (\S+)\n/);
  try {
    const local = await measureLocal(fast.match[1]!, files, BUDGET);
    const m = await measure(redis.url, redis.pid, fast.match[1]!, 1, files, BUDGET);
    if (m.best !== local.best || m.metricCalls !== local.metricCalls) throw new Error('the distributed run chose differently from the local one');
    const localPerCall = local.wallMs / local.metricCalls;
    const distPerJob = m.wallMs / m.stats.jobs;
    zeroRow = `At 0 ms per call, one worker: ${m.commandsPerJob.toFixed(1)} Redis commands and ${(m.bytesPerJob / 1024).toFixed(1)} KiB of Redis traffic per job; ${m.stats.jobs} jobs in ${(m.stats.waitMs / 1000).toFixed(2)} s of waiting = ${(m.stats.waitMs / m.stats.jobs).toFixed(2)} ms per job of wall time, ${(m.cpuMs / m.stats.jobs).toFixed(2)} ms of CPU per job (coordinator + worker + redis-server; the model client's HTTP round trip included, the fake server's not). Load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores.\nThe same optimisation run locally (no queue, concurrency 1): ${localPerCall.toFixed(2)} ms per metric call of wall time, ${(local.cpuMs / local.metricCalls).toFixed(2)} ms of CPU; distributed: ${distPerJob.toFixed(2)} ms per job of wall time (whole run, one worker). Queue overhead per job: ${(distPerJob - localPerCall).toFixed(2)} ms of wall time.`;
  } finally {
    await fast.stop();
    await redis.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(
    [
      `optimize --redis: ${N_TRAIN} train / ${N_VAL} val examples, minibatch ${MINIBATCH}, budget ${BUDGET} metric calls, ${DELAY_MS} ms per model call (fake vLLM), one example per job, workers of concurrency 1; ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}`,
      '',
      '| workers | jobs | wall time | speedup | efficiency | evaluation time | evaluation speedup | evaluation efficiency | wall overhead per job | CPU per job | Redis commands per job | Redis traffic per job |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...rows,
      '',
      zeroRow,
      '',
    ].join('\n'),
  );
  process.exit(0);
}

(process.argv[2] === '--serve' ? serve(Number(process.argv[3] ?? DELAY_MS)) : main()).catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

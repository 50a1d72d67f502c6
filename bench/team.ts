/**
 * Team evaluation throughput: a batch of 100 examples through a three-agent
 * sequential team (drafter -> reviewer -> finisher, each reading the one
 * before from shared state) with the GEPA team adapter, against the fake vLLM
 * answering every call after 50 ms (in a child process, so the client's time
 * is its own). At concurrency C the ideal wall time is 100 x 3 x 50 ms / C
 * (each example's three calls are sequential; C examples run at once).
 * Prints wall time, the ideal, their ratio, and the client time per example
 * beyond the ideal.
 *
 *   npm run build && node dist/bench/team.js
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseConfigText } from '../src/config/index.js';
import { createTeamAdapter } from '../src/teams/adapter.js';
import type { TeamDef } from '../contracts/teams/types.js';
import { createModelSet } from '../src/runtime/models.js';
import { startVllmServer } from '../test/support/vllmServer.js';

const EXAMPLES = 100;
const AGENTS = 3;
const DELAY_MS = 50;
const CONCURRENCIES = [5, 20];

const team: TeamDef = {
  agents: {
    drafter: { name: 'drafter', instruction: 'Draft an answer.', role: 'actor', output_key: 'draft', generation: {}, tools: [], max_steps: 1 },
    reviewer: { name: 'reviewer', instruction: 'Review: {draft}', role: 'actor', output_key: 'review', generation: {}, tools: [], max_steps: 1 },
    finisher: { name: 'finisher', instruction: 'Finish {draft} using {review}', role: 'actor', output_key: 'final', generation: {}, tools: [], max_steps: 1 },
  },
  workflow: { type: 'sequential', steps: ['drafter', 'reviewer', 'finisher'].map((agent) => ({ type: 'agent' as const, agent })) },
  primary: 'finisher',
  components: { drafter: ['instruction'], reviewer: ['instruction'], finisher: ['instruction'] },
  share_session: true,
};

const SELF = fileURLToPath(import.meta.url);

/** Child: the fake vLLM, counting the generation requests it answered. */
async function serve(): Promise<void> {
  const server = await startVllmServer({ models: ['m'], delayMs: DELAY_MS });
  server.handler = (req) => ({ content: `reply ${String(req.body.messages?.[1]?.content ?? '').slice(0, 20)}` });
  process.stdout.write(`READY ${server.apiBase}\n`);
  process.stdin.on('data', () => process.stdout.write(`COUNT ${server.requests.length}\n`));
  process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
}

function startServer(): Promise<{ apiBase: string; count(): Promise<number>; stop(): void }> {
  const child = spawn(process.execPath, [SELF, '--serve'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const waiters: ((n: number) => void)[] = [];
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      for (let m; (m = /COUNT (\d+)\n/.exec(out)); ) {
        out = out.slice(m.index + m[0].length);
        waiters.shift()?.(Number(m[1]));
      }
      const ready = /READY (\S+)\n/.exec(out);
      if (ready) {
        out = out.slice(ready.index + ready[0].length);
        resolve({
          apiBase: ready[1]!,
          count: () => new Promise<number>((r) => (waiters.push(r), child.stdin!.write('?'))),
          stop: () => child.stdin!.end(),
        });
      }
    });
    child.on('error', reject);
  });
}

async function main(): Promise<void> {
  const server = await startServer();
  const config = parseConfigText('model', `provider: vllm\napi_base: ${server.apiBase}\nmodel: m\nmax_concurrency: 64\nmax_retries: 0\n`, 'bench');
  const model = createModelSet(config).chat;
  const batch = Array.from({ length: EXAMPLES }, (_, i) => ({ input: `question ${i}`, expected: 'x' }));
  const rows: string[] = [];
  try {
    // Warm the connection pool so the first measured batch does not pay for connects.
    const warm = createTeamAdapter({ team, models: () => model, reflectionModel: model, scorer: () => 1, maxConcurrency: 20 });
    await warm.evaluate(batch.slice(0, 20), warm.seedCandidate(), false);
    for (const concurrency of CONCURRENCIES) {
      const adapter = createTeamAdapter({ team, models: () => model, reflectionModel: model, scorer: () => 1, maxConcurrency: concurrency });
      const before = await server.count();
      const started = performance.now();
      const result = await adapter.evaluate(batch, adapter.seedCandidate(), true);
      const wall = performance.now() - started;
      const calls = (await server.count()) - before;
      if (calls !== EXAMPLES * AGENTS || result.scores.length !== EXAMPLES)
        throw new Error(`expected ${EXAMPLES * AGENTS} calls and ${EXAMPLES} scores, got ${calls} and ${result.scores.length}`);
      const ideal = (EXAMPLES * AGENTS * DELAY_MS) / concurrency;
      rows.push(
        `| ${concurrency} | ${calls} | ${Math.round(wall)} ms | ${ideal} ms | ${(ideal / wall).toFixed(2)} | ${((wall - ideal) / EXAMPLES).toFixed(2)} ms |`,
      );
    }
  } finally {
    server.stop();
  }
  process.stdout.write(
    [
      `${EXAMPLES} examples x ${AGENTS}-agent sequential team, ${DELAY_MS} ms per model call (fake vLLM), Node ${process.version}`,
      '',
      '| concurrency | model calls | wall time | ideal | ideal / wall | overhead per example |',
      '| --- | --- | --- | --- | --- | --- |',
      ...rows,
      '',
    ].join('\n'),
  );
}

(process.argv[2] === '--serve' ? serve() : main()).catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

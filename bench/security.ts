/**
 * Memory and snapshot size against hostile reply sizes: the built CLI runs a
 * goal against the fake vLLM whose actor replies are huge (a tool call with
 * N bytes of arguments, then a final report of N bytes). Printed side by side
 * for N = 10 kB, 1 MB and 10 MB, streamed and not: peak RSS of the CLI process
 * (VmHWM from /proc, polled every 10 ms), snapshot.json and journal.jsonl
 * sizes, and their ratio to the bytes of the replies.
 * Targets (issue 10): peak RSS < 300 MB and snapshot < 2x the reply bytes at 10 MB.
 *
 *   npm run build && node dist/bench/security.js
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { purposeOf, startVllmServer, type ServerReply, type SeenRequest } from '../test/support/vllmServer.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = path.join(REPO, 'bin', 'gepa-aime.js');
const PLAN = [{ id: '1', title: 'Write the report', status: 'pending', criteria: 'done', children: [] }];

function script(replyBytes: number): (req: SeenRequest) => ServerReply {
  const big = 'w'.repeat(replyBytes);
  return (req) => {
    const messages: { role: string; content: string | null }[] = req.body.messages ?? [];
    if (purposeOf(req) === 'planner') {
      const reported = (messages.find((m) => m.role === 'user')?.content ?? '').includes('"taskId":"1"');
      return {
        content: JSON.stringify({ rationale: 'r', tasks: PLAN, action: reported ? { type: 'finish', answer: 'done' } : { type: 'dispatch', taskIds: ['1'] } }),
      };
    }
    if (purposeOf(req) !== 'actor') return { content: 'ok' };
    const k = messages.filter((m) => m.role === 'assistant').length;
    if (k === 0) return { toolCalls: [{ name: 'write_file', arguments: { path: 'big.txt', content: big } }] };
    return { content: big };
  };
}

interface Result {
  replyBytes: number;
  stream: boolean;
  repliesTotal: number;
  peakRssMb: number;
  snapshot: number;
  journal: number;
  status: string;
}

async function once(replyBytes: number, stream: boolean): Promise<Result> {
  const server = await startVllmServer({ chunkChars: 65_536 });
  server.handler = script(replyBytes);
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'gepa-bench-sec-')));
  fs.cpSync(path.join(REPO, 'config'), path.join(dir, 'config'), { recursive: true });
  const modelFile = path.join(dir, 'config', 'model_config.yaml');
  let text = fs.readFileSync(modelFile, 'utf8');
  for (const [k, v] of Object.entries({ provider: 'vllm', api_base: server.apiBase, model: 'm', stream, max_retries: 0 }))
    text = text.replace(new RegExp(`^${k}:.*$`, 'm'), `${k}: ${v}`);
  fs.writeFileSync(modelFile, text);

  const child = spawn(process.execPath, [CLI, 'run', 'write the report', '--json'], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
  let peakKb = 0;
  const poll = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peakKb = Math.max(peakKb, Number(m[1]));
    } catch {
      /* exited */
    }
  }, 10);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((r) => child.on('close', r));
  clearInterval(poll);
  await server.close();
  const report = JSON.parse(out) as { status: string; paths: { runDir: string } };
  const size = (f: string) => fs.statSync(path.join(report.paths.runDir, f)).size;
  const repliesTotal = server.requests.length ? 2 * replyBytes : 0;
  const result = {
    replyBytes,
    stream,
    repliesTotal,
    peakRssMb: peakKb / 1024,
    snapshot: size('snapshot.json'),
    journal: size('journal.jsonl'),
    status: report.status,
  };
  fs.rmSync(dir, { recursive: true, force: true });
  return result;
}

const mb = (n: number) => (n / 1e6).toFixed(2);
console.log(`hostile reply sizes, built CLI against the fake vLLM (${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cores, Node ${process.version})`);
console.log('| reply size | stream | bytes of the replies | peak RSS | snapshot.json | snapshot / reply bytes | journal.jsonl | status |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const bytes of [10_000, 1_000_000, 10_000_000]) {
  for (const stream of [true, false]) {
    const r = await once(bytes, stream);
    console.log(
      `| ${mb(r.replyBytes)} MB | ${stream ? 'yes' : 'no'} | ${mb(r.repliesTotal)} MB | ${r.peakRssMb.toFixed(0)} MB | ${mb(r.snapshot)} MB | ${(r.snapshot / r.repliesTotal).toFixed(3)} | ${mb(r.journal)} MB | ${r.status} |`,
    );
  }
}

/**
 * What a tool call costs, side by side in one run: a built-in tool in
 * process, an MCP tool over stdio (server-memory's read_graph), an MCP tool
 * over Streamable HTTP (server-everything's echo on 127.0.0.1), run_command
 * under bubblewrap against the same command spawned bare, and the approval
 * gate's own cost. Medians of N calls after a warm-up; cold starts of the MCP
 * servers are reported apart.
 *
 *   npm run build && node dist/bench/tools.js
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ApprovalGate } from '../src/tools/approval.js';
import { invokeTool } from '../src/tools/invoke.js';
import { loadToolRegistry } from '../src/tools/registry.js';
import { probeSandbox } from '../src/tools/shell/runCommand.js';

const N = Number(process.env['BENCH_N'] ?? 200);
const N_SHELL = Number(process.env['BENCH_N_SHELL'] ?? 40);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const mcp = path.join(root, 'node_modules', '@modelcontextprotocol');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function time(n: number, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(10, n); i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  return median(samples);
}

async function startHttpEverything(): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, [path.join(root, 'test', 'support', 'mcpEverythingHttp.mjs')], { stdio: ['ignore', 'pipe', 'ignore'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /LISTENING (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', () => reject(new Error('server-everything exited')));
  });
  return { url: `http://127.0.0.1:${port}/mcp`, stop: () => child.kill('SIGKILL') };
}

async function main(): Promise<void> {
  const ws = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'gepa-bench-tools-')));
  fs.writeFileSync(path.join(ws, 'notes.txt'), 'hello\n'.repeat(100));
  const http = await startHttpEverything();
  const registry = await loadToolRegistry(
    {
      bundles: { filesystem: { description: '', tools: ['read_file'] } },
      mcp_servers: {
        memory: {
          command: process.execPath,
          args: [path.join(mcp, 'server-memory', 'dist', 'index.js')],
          env: { MEMORY_FILE_PATH: path.join(ws, 'm.jsonl') },
          headers: {},
          start_timeout_ms: 20000,
          call_timeout_ms: 20000,
          read_only_tools: [],
        },
        remote: { url: http.url, args: [], env: {}, headers: {}, start_timeout_ms: 20000, call_timeout_ms: 20000, read_only_tools: [] },
      },
    },
    { configDir: ws, workspace: ws },
  );
  const ctx = { workspace: ws };
  const rows: Array<[string, number, string]> = [];
  try {
    let t = performance.now();
    await registry.mcp.prepareServer('memory');
    const coldStdio = performance.now() - t;
    t = performance.now();
    await registry.mcp.prepareServer('remote');
    const coldHttp = performance.now() - t;

    const builtin = await time(N, () => invokeTool(registry.tools, { name: 'read_file', arguments: '{"path":"notes.txt"}' }, ctx));
    const stdio = await time(N, () => invokeTool(registry.tools, { name: 'read_graph', arguments: '{}' }, ctx));
    const httpEcho = await time(N, () => invokeTool(registry.tools, { name: 'echo', arguments: '{"message":"hi"}' }, ctx));
    rows.push(['read_file (built-in, in process)', builtin, '1.0×']);
    rows.push(['read_graph (MCP stdio, server-memory)', stdio, `${(stdio / builtin).toFixed(0)}× built-in`]);
    rows.push(['echo (MCP Streamable HTTP, server-everything)', httpEcho, `${(httpEcho / builtin).toFixed(0)}× built-in`]);

    const gate = new ApprovalGate({ tools: registry.tools, bundles: registry.bundles, config: { tools: {}, bundles: {} }, yes: true });
    const call = (i: number) => ({ key: `k${i}`, taskId: '1', call: { id: `c${i}`, name: 'create_entities', arguments: '{}' }, bundles: ['mcp:memory'] });
    let i = 0;
    const gateMs = await time(N * 50, () => gate.decide(call(i++)));
    rows.push(['approval gate decision (policy ask, --yes)', gateMs, `${((gateMs / stdio) * 100).toFixed(2)} % of an MCP stdio call`]);

    const sandbox = await probeSandbox();
    if (sandbox.ok) {
      const shell = registry.tools.get('run_command')!;
      const sandboxed = await time(N_SHELL, () => shell.run({ command: 'true' }, ctx));
      const bare = await time(N_SHELL, async () => void spawnSync('/bin/sh', ['-c', 'true']));
      rows.push(['/bin/sh -c true, spawned bare', bare, '1.0×']);
      rows.push([`run_command "true" (bubblewrap, ${sandbox.processLimit})`, sandboxed, `${(sandboxed / bare).toFixed(1)}× bare`]);
    } else {
      rows.push([`run_command: not offered (${sandbox.reason})`, NaN, '']);
    }

    const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
    console.log(`tool call cost, ${cpu}, ${os.cpus().length} cores, Node ${process.version}; medians of ${N} calls (${N_SHELL} for the shell) after warm-up`);
    console.log(
      `cold start + tool list: MCP stdio (server-memory) ${coldStdio.toFixed(0)} ms, MCP Streamable HTTP (server-everything) ${coldHttp.toFixed(0)} ms`,
    );
    console.log('| call | median ms | ratio |');
    console.log('| --- | --- | --- |');
    for (const [name, ms, ratio] of rows) console.log(`| ${name} | ${Number.isNaN(ms) ? '–' : ms < 0.1 ? ms.toFixed(4) : ms.toFixed(2)} | ${ratio} |`);
  } finally {
    await registry.close();
    http.stop();
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

await main();

/**
 * Helpers for tests against the real MCP reference servers (dev
 * dependencies): their entry points, a config dir whose tool_bundles.json
 * declares them, the everything server over Streamable HTTP on 127.0.0.1,
 * and a scripted team for the fake vLLM: the planner dispatches one task with
 * the given bundles, the actor makes the given tool calls one step each, then
 * reports every observation it saw.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempConfig } from './providerCli.js';
import { REPO_ROOT } from './runtime.js';
import { purposeOf, type ServerReply, type ServerToolCall, type SeenRequest } from './vllmServer.js';

const MCP = path.join(REPO_ROOT, 'node_modules', '@modelcontextprotocol');
export const SERVER_MEMORY = path.join(MCP, 'server-memory', 'dist', 'index.js');
export const SERVER_FILESYSTEM = path.join(MCP, 'server-filesystem', 'dist', 'index.js');
export const SERVER_EVERYTHING = path.join(MCP, 'server-everything', 'dist', 'index.js');

/** A config dir for the fake vLLM at `apiBase`, with these tool_bundles.json keys merged in and learning off. */
export function mcpConfig(apiBase: string, tools: Record<string, unknown>): string {
  const dir = tempConfig({ provider: 'vllm', api_base: apiBase, model: 'm', request_timeout: 20, max_retries: 0, stream: false });
  const file = path.join(dir, 'tool_bundles.json');
  fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), ...tools }, null, 2));
  const gepa = path.join(dir, 'gepa_config.yaml');
  fs.writeFileSync(gepa, fs.readFileSync(gepa, 'utf8').replace(/enabled: true/, 'enabled: false'));
  return dir;
}

export interface HttpEverything {
  url: string;
  child: ChildProcess;
  close(): void;
}

export async function startEverythingHttp(): Promise<HttpEverything> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'test', 'support', 'mcpEverythingHttp.mjs')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /LISTENING (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`server-everything (HTTP) exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}/mcp`, child, close: () => child.kill('SIGKILL') };
}

export const TASK = { id: '1', title: 'Use the MCP tools', status: 'pending', criteria: 'the tools were called', children: [] };

/**
 * The scripted team. `steps[i]` are the actor's tool calls at step i (a function gets the
 * observations so far). After the last step the actor reports the observations as its summary.
 */
export function teamScript(
  bundles: string[],
  steps: Array<ServerToolCall[] | ((observations: string[]) => ServerToolCall[])>,
  before?: (step: number) => Promise<void> | void,
) {
  return async (req: SeenRequest): Promise<ServerReply> => {
    const messages: { role: string; content: string | null }[] = req.body.messages ?? [];
    if (purposeOf(req) === 'planner') {
      const reported = (messages.find((m) => m.role === 'user')?.content ?? '').includes('"taskId":"1"');
      return {
        content: JSON.stringify({
          rationale: 'r',
          tasks: [TASK],
          action: reported ? { type: 'finish', answer: 'done' } : { type: 'dispatch', taskIds: ['1'] },
          assignments: { '1': { bundles } },
        }),
      };
    }
    const observations = messages.filter((m) => m.role === 'tool').map((m) => m.content ?? '');
    const step = messages.filter((m) => m.role === 'assistant').length;
    await before?.(step);
    const next = steps[step];
    if (next) {
      const calls = typeof next === 'function' ? next(observations) : next;
      return { toolCalls: calls.map((c, i) => ({ id: `call_${step}_${i}`, ...c })) };
    }
    return { content: JSON.stringify({ status: 'completed', summary: observations.join('\n---\n'), references: [] }) };
  };
}

/** The tools the model was offered on the first actor request. */
export function offeredTools(requests: SeenRequest[]): string[] {
  const actor = requests.find((r) => purposeOf(r) === 'actor');
  return (actor?.body.tools ?? []).map((t: { function: { name: string } }) => t.function.name);
}

/** Every tool observation in a JSON report, in order. */
export function observations(report: any): Array<{ name: string; ok: boolean; observation: string }> {
  const out: Array<{ name: string; ok: boolean; observation: string }> = [];
  for (const actor of report.actors ?? []) {
    for (const step of actor.steps ?? [])
      if (step.action && step.action.tool !== 'finish') out.push({ name: step.action.tool, ok: step.ok, observation: step.observation });
  }
  return out;
}

/**
 * The security suite's stage: a project directory the way a user has one (the
 * default config dir ./config and traces dir ./traces inside the workspace, a
 * .git directory, a .env file, a file outside the workspace worth stealing),
 * and a scripted attacking model served by the fake vLLM on 127.0.0.1.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { runCli, startCli, type CliResult } from '../support/cli.js';
import { tempDirSync } from '../support/providerCli.js';
import { REPO_ROOT } from '../support/runtime.js';
import { purposeOf, type ServerReply, type SeenRequest, type VllmServer } from '../support/vllmServer.js';

export interface Project {
  /** The workspace, and the directory the CLI runs in. */
  dir: string;
  config: string;
  traces: string;
  /** A directory beside the workspace: nothing may change there. */
  outside: string;
  run(goal: string, extra?: string[], env?: Record<string, string>): Promise<CliResult>;
  cli(args: string[], env?: Record<string, string>): Promise<CliResult>;
  start(args: string[], env?: Record<string, string>): ReturnType<typeof startCli>;
}

export const SECRET_FILE_TEXT = 'root:x:0:0:the secret outside the workspace';

/** model_config.yaml top-level keys to set, and tool_bundles.json changes. */
export function makeProject(
  server: VllmServer,
  model: Record<string, string | number | boolean> = {},
  tools: (t: Record<string, any>) => void = () => {},
): Project {
  const base = tempDirSync('gepa-sec-');
  const dir = path.join(base, 'project');
  const outside = path.join(base, 'outside');
  fs.mkdirSync(dir);
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'passwd'), `${SECRET_FILE_TEXT}\n`);
  const config = path.join(dir, 'config');
  fs.cpSync(path.join(REPO_ROOT, 'config'), config, { recursive: true });
  const settings: Record<string, string | number | boolean> = {
    provider: 'vllm',
    api_base: server.apiBase,
    model: 'm',
    request_timeout: 5,
    max_retries: 0,
    stream: false,
    ...model,
  };
  const file = path.join(config, 'model_config.yaml');
  let text = fs.readFileSync(file, 'utf8');
  for (const [key, value] of Object.entries(settings)) {
    const pattern = new RegExp(`^${key}:.*$`, 'm');
    text = pattern.test(text) ? text.replace(pattern, `${key}: ${value}`) : `${text}\n${key}: ${value}\n`;
  }
  fs.writeFileSync(file, text);
  const toolsFile = path.join(config, 'tool_bundles.json');
  const bundles = JSON.parse(fs.readFileSync(toolsFile, 'utf8')) as Record<string, any>;
  tools(bundles);
  fs.writeFileSync(toolsFile, JSON.stringify(bundles, null, 2));
  fs.mkdirSync(path.join(dir, '.git', 'hooks'), { recursive: true });
  fs.writeFileSync(path.join(dir, '.git', 'config'), '[core]\n\trepositoryformatversion = 0\n');
  fs.writeFileSync(path.join(dir, '.env'), 'DATABASE_PASSWORD=hunter2-hunter2\n');
  fs.writeFileSync(path.join(dir, 'README.md'), '# a project\n');
  const traces = path.join(dir, 'traces');
  const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { cwd: dir, env });
  return {
    dir,
    config,
    traces,
    outside,
    cli,
    run: (goal, extra = [], env = {}) => cli(['run', goal, '--json', ...extra], env),
    start: (args, env = {}) => startCli(args, { cwd: dir, env }),
  };
}

/** sha256 of every file under `dir` (relative path -> hash), skipping `skip` subtrees. */
export function fingerprint(dir: string, skip: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      const rel = path.relative(dir, full);
      if (skip.some((s) => rel === s || rel.startsWith(`${s}/`))) continue;
      if (e.isDirectory()) walk(full);
      else out[rel] = e.isSymbolicLink() ? `link:${fs.readlinkSync(full)}` : crypto.createHash('sha256').update(fs.readFileSync(full)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

/** Every file under `dir` whose bytes contain `needle`. */
export function filesContaining(dir: string, needle: string): string[] {
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile() && fs.readFileSync(full).includes(needle)) hits.push(path.relative(dir, full));
    }
  };
  walk(dir);
  return hits;
}

const PLAN = [{ id: '1', title: 'Do the task', status: 'pending', criteria: 'done', children: [] }];

/**
 * The attacker: as planner it dispatches task 1, then finishes; as actor its
 * k-th step answers `steps[k]` (tool calls), then reports. Other calls
 * (online learning's reflection) get a plain "ok".
 */
export function attacker(steps: ServerReply[]): (req: SeenRequest) => ServerReply {
  return (req) => {
    const messages: { role: string; content: string | null }[] = req.body.messages ?? [];
    const purpose = purposeOf(req);
    if (purpose === 'planner') {
      const reported = (messages.find((m) => m.role === 'user')?.content ?? '').includes('"taskId":"1"');
      return {
        content: JSON.stringify({ rationale: 'r', tasks: PLAN, action: reported ? { type: 'finish', answer: 'done' } : { type: 'dispatch', taskIds: ['1'] } }),
      };
    }
    if (purpose !== 'actor') return { content: 'ok' };
    const k = messages.filter((m) => m.role === 'assistant').length;
    if (k < steps.length) return steps[k]!;
    return { content: JSON.stringify({ status: 'completed', summary: 'finished the attack', references: [] }) };
  };
}

/** All the observations the actor got, in order, from a --json report. */
export function observations(report: { actors: { steps: { observation: string }[] }[] }): string[] {
  return report.actors.flatMap((a) => a.steps.map((s) => s.observation));
}

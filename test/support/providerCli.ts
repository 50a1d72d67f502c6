/**
 * Helpers for end-to-end tests of the CLI against the fake vLLM, on top of
 * ./cli.ts: `runTimed(args)` also measures wall time; `ensureBuilt()`
 * rebuilds dist/ when a source is newer than it (vitest run alone skips
 * `pretest`); `tempConfig(overrides)` copies config/ to a temp dir and sets
 * top-level keys of model_config.yaml.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli, type CliResult } from './cli.js';
import { REPO_ROOT } from './runtime.js';

export interface TimedResult extends CliResult {
  ms: number;
}

export async function runTimed(args: string[], opts: { env?: Record<string, string> } = {}): Promise<TimedResult> {
  const started = Date.now();
  const result = await runCli(args, opts);
  return { ...result, ms: Date.now() - started };
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

export function ensureBuilt(): void {
  const main = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
  const built = fs.existsSync(main) ? fs.statSync(main).mtimeMs : 0;
  const sources = Math.max(newestMtime(path.join(REPO_ROOT, 'src')), newestMtime(path.join(REPO_ROOT, 'machines')));
  if (sources > built) execFileSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'ignore' });
}

export function tempDirSync(prefix: string): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
}

/** A copy of config/ whose model_config.yaml has the given top-level keys set. */
export function tempConfig(overrides: Record<string, string | number | boolean>): string {
  const dir = tempDirSync('gepa-config-');
  fs.cpSync(path.join(REPO_ROOT, 'config'), dir, { recursive: true });
  const file = path.join(dir, 'model_config.yaml');
  let text = fs.readFileSync(file, 'utf8');
  for (const [key, value] of Object.entries(overrides)) {
    const line = `${key}: ${value}`;
    const pattern = new RegExp(`^${key}:.*$`, 'm');
    text = pattern.test(text) ? text.replace(pattern, line) : `${text}\n${line}\n`;
  }
  fs.writeFileSync(file, text);
  return dir;
}

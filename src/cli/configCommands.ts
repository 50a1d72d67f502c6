/**
 * `gepa-aime init` scaffolds a project's config: the packaged, commented
 * config files copied into ./config, and the traces directory added to
 * .gitignore; it refuses to overwrite a file without --force.
 * `gepa-aime config check` validates the config as a run would load it
 * (files, environment, flags) and prints what is in force, secrets redacted.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { CONFIG_FILES, defaultConfigDir } from '../config/index.js';
import { sanitize } from '../runtime/sanitize.js';
import { EXIT, loadCliConfig, UsageError, type ModelFlags } from './common.js';
import { paint } from './terminal.js';

interface InitFlags {
  dir?: string;
  force?: boolean;
}

const TRACES_LINE = 'traces/';

export function initCommand(program: Command): Command {
  return program
    .command('init')
    .description('write a commented config/ (models, GEPA, tool bundles, personas) and add traces/ to .gitignore')
    .option('--dir <dir>', 'project directory (default: current directory)')
    .option('--force', 'overwrite config files that exist')
    .action(async (flags: InitFlags) => {
      process.exitCode = await init(flags);
    });
}

async function init(flags: InitFlags): Promise<number> {
  const root = path.resolve(flags.dir ?? '.');
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new UsageError(`--dir ${root} is not a directory`);
  const source = defaultConfigDir();
  const target = path.join(root, 'config');
  const files = Object.values(CONFIG_FILES);
  // All or nothing: check every file before writing any.
  const existing = files.filter((f) => fs.existsSync(path.join(target, f)));
  if (existing.length && !flags.force) {
    throw new UsageError(`${existing.map((f) => path.join(target, f)).join(', ')} already exist${existing.length === 1 ? 's' : ''}; pass --force to overwrite`);
  }
  if (path.resolve(source) === path.resolve(target)) throw new UsageError(`${target} is the packaged config itself; nothing to copy`);
  fs.mkdirSync(target, { recursive: true });
  const out: string[] = [];
  for (const f of files) {
    fs.copyFileSync(path.join(source, f), path.join(target, f));
    out.push(`wrote ${path.relative(process.cwd(), path.join(target, f)) || f}`);
  }
  out.push(addToGitignore(path.join(root, '.gitignore')));
  out.push('next: edit config/model_config.yaml (provider, api_base, model), then run `gepa-aime config check` and `gepa-aime doctor`');
  process.stdout.write(`${out.join('\n')}\n`);
  return EXIT.ok;
}

/** Appends traces/ unless a line already ignores it. */
function addToGitignore(file: string): string {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  if (lines.some((l) => /^\/?traces(\/|\/\*|\/\*\*)?$/.test(l))) return `.gitignore already ignores ${TRACES_LINE}`;
  fs.writeFileSync(file, `${text}${text && !text.endsWith('\n') ? '\n' : ''}# GEPA-AIME run traces and learning history\n${TRACES_LINE}\n`);
  return `added ${TRACES_LINE} to ${path.basename(file)}`;
}

/** Large enough for whole config values; secret-looking fields and strings are still redacted. */
const SHOW_LIMITS = { maxString: 4000, maxItems: 500, maxKeys: 500, maxDepth: 12, maxNodes: 100_000 };

export function configCommand(program: Command, modelOptions: (cmd: Command) => Command): Command {
  const config = program.command('config').description('inspect the configuration');
  modelOptions(config.command('check').description('validate the config (files, environment, flags) and print what is in force, secrets redacted')).action(
    async (flags: ModelFlags) => {
      process.exitCode = await check(flags);
    },
  );
  return config;
}

async function check(flags: ModelFlags): Promise<number> {
  const loaded = await loadCliConfig(flags);
  const shown = {
    config_dir: loaded.dir,
    files: loaded.files,
    model: loaded.model,
    gepa: loaded.gepa,
    tools: loaded.tools,
    personas: Object.fromEntries(Object.entries(loaded.personas.personas).map(([name, p]) => [name, { description: p.description, bundles: p.bundles }])),
    default_persona: loaded.personas.default_persona,
  };
  const text = stringify(sanitize(shown, SHOW_LIMITS), { lineWidth: 0 });
  process.stdout.write(
    `${text}${paint(process.stdout, 'green', 'config ok')}${loaded.warnings?.length ? ` (${loaded.warnings.length} warning(s) above)` : ''}\n`,
  );
  return EXIT.ok;
}

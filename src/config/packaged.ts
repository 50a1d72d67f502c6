/**
 * The config/ directory shipped with the package: the one source of the built-in defaults
 * (personas, tool bundles) and what `init` copies. Found from this module's location, so it
 * works from src/ and dist/, in the repository and when installed.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './errors.js';

/** The file that marks the shipped config dir (every installation has it). */
const MARKER = 'model_config.yaml';

/** The shipped config dir, or null when this copy of the code has none above it. */
export function findPackagedConfigDir(from: string = dirname(fileURLToPath(import.meta.url))): string | null {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'config', MARKER))) return join(dir, 'config');
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** A file of the shipped config dir; a clear ConfigError when the installation lacks it. */
export function packagedConfigFile(name: string, from?: string): string {
  const dir = findPackagedConfigDir(from);
  const file = dir ? join(dir, name) : null;
  if (!file || !existsSync(file)) {
    throw new ConfigError({
      file: file ?? join('config', name),
      expected: 'the shipped built-in defaults',
      found: 'nothing there',
      text: `the package's own config/${name} is missing (it holds the built-in defaults); reinstall gepa-aime`,
    });
  }
  return file;
}

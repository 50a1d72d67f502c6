/** Helpers for config tests: temp config dirs built from the shipped files. */
import { cpSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect } from 'vitest';
import { ConfigError } from '../../src/config/index.js';

export const SHIPPED_DIR = fileURLToPath(new URL('../../config', import.meta.url));

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A copy of config/ with some files replaced (string) or removed (null). */
export function configDir(files: Record<string, string | null> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'gepa-aime-config-'));
  made.push(dir);
  cpSync(SHIPPED_DIR, dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    if (text === null) unlinkSync(join(dir, name));
    else writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** Runs fn, asserts it throws a ConfigError, returns it. */
export function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

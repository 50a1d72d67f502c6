/**
 * Loading user-written tools named in the tool-bundles config. A custom tool
 * is an ES module exporting an object shaped like a Tool; anything else is a
 * configuration error that names the module and the bundles file.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { errorMessage } from '../../contracts/errors.js';
import { ToolConfigError } from './configError.js';
import type { Tool } from './types.js';

export interface CustomToolEntry {
  /** Module path, relative to the directory of the bundles file. */
  module: string;
  /** Named export holding the tool; "default" when omitted. */
  export?: string;
}

/** A module whose top-level code has not settled by then is a config error, not a silent hang. */
export const DEFAULT_LOAD_TIMEOUT_MS = 10_000;

export async function loadCustomTool(entry: CustomToolEntry, configDir: string, configFile: string, timeoutMs = DEFAULT_LOAD_TIMEOUT_MS): Promise<Tool> {
  const where = `custom tool module ${JSON.stringify(entry?.module)} (listed in ${configFile})`;
  if (typeof entry?.module !== 'string' || entry.module === '') throw new ToolConfigError(`a custom_tools entry in ${configFile} has no "module" path`);
  const file = path.resolve(configDir, entry.module);
  try {
    await fs.access(file);
  } catch {
    throw new ToolConfigError(`${where} was not found at ${file}`);
  }
  let mod: Record<string, unknown>;
  try {
    mod = await withTimeout(import(pathToFileURL(file).href) as Promise<Record<string, unknown>>, timeoutMs, () => {
      throw new ToolConfigError(
        `${where} did not finish loading within ${timeoutMs} ms (a top-level await that never settles?); fix the module or raise limits.custom_tool_load_timeout_ms`,
      );
    });
  } catch (err) {
    if (err instanceof ToolConfigError) throw err;
    throw new ToolConfigError(`${where} failed to load: ${errorMessage(err)}`);
  }
  const exportName = entry.export ?? 'default';
  if (!(exportName in mod)) {
    const names = Object.keys(mod).sort().join(', ') || 'nothing';
    throw new ToolConfigError(`${where} has no export "${exportName}" (it exports: ${names})`);
  }
  const problem = toolShapeProblem(mod[exportName]);
  if (problem) throw new ToolConfigError(`${where}: export "${exportName}" is not a tool: ${problem}`);
  const tool = mod[exportName] as Tool;
  // A tool that does not say is assumed to change the world: on resume it is never repeated blindly.
  return typeof tool.sideEffect === 'boolean' ? tool : { ...tool, sideEffect: true, run: tool.run.bind(tool) };
}

/** Why `value` is not a usable Tool, or null when it is. */
export function toolShapeProblem(value: unknown): string | null {
  if (!value || typeof value !== 'object')
    return `expected an object with name, description, parameters and run, got ${value === null ? 'null' : typeof value}`;
  const t = value as Record<string, unknown>;
  if (typeof t['name'] !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(t['name'])) {
    return '"name" must be a string of letters, digits, "_" or "-" (at most 64), as tool-calling APIs require';
  }
  if (typeof t['description'] !== 'string' || t['description'].trim() === '') return '"description" must be a non-empty string';
  if (!isZod4Schema(t['parameters'])) return '"parameters" must be a zod 4 schema (e.g. z.object({...}) from "zod")';
  if (typeof t['run'] !== 'function') return '"run" must be a function (args, ctx) => Promise<{ok, output}>';
  if ('sideEffect' in t && t['sideEffect'] !== undefined && typeof t['sideEffect'] !== 'boolean') return '"sideEffect" must be a boolean';
  return null;
}

/** Duck-typed: the module may have its own copy of zod, so instanceof is not reliable. */
function isZod4Schema(value: unknown): boolean {
  const v = value as { safeParse?: unknown; _zod?: unknown } | null;
  return !!v && typeof v === 'object' && typeof v.safeParse === 'function' && typeof v._zod === 'object' && v._zod !== null;
}

/** `promise`, or `onTimeout()`'s throw after `ms`. The timer also keeps the process alive: a module awaiting forever would otherwise let it exit 0 in silence. */
async function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => never): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      try {
        onTimeout();
      } catch (err) {
        reject(err);
      }
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

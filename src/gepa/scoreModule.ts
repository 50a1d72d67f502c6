/**
 * The one loader of user scoring modules: GEPA metrics (`--metric`) and team
 * scorers (`--scorer`) are the same concept, a function that scores an output,
 * with two calling conventions kept for the modules users already have. The
 * function is the default export, the default export's `score` method, or a
 * named `score` export.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { errorMessage } from '../../contracts/errors.js';

/**
 * The scoring function a module exports; `kind` names it in messages ("metric", "scorer"),
 * `signature` shows its call, and a module that cannot serve throws `ErrorClass`.
 */
export async function importScoreFunction(
  modulePath: string,
  kind: string,
  signature: string,
  ErrorClass: new (message: string) => Error,
): Promise<(...args: unknown[]) => unknown> {
  const abs = path.resolve(modulePath);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  } catch (err) {
    throw new ErrorClass(`cannot load the ${kind} module ${modulePath}: ${errorMessage(err)}`);
  }
  const d = mod['default'];
  const isObject = d !== null && typeof d === 'object';
  if (typeof d === 'function') return d as (...args: unknown[]) => unknown;
  if (isObject && typeof (d as Record<string, unknown>)['score'] === 'function') {
    const method = (d as Record<string, (...args: unknown[]) => unknown>)['score']!;
    return method.bind(d);
  }
  if (typeof mod['score'] === 'function') return mod['score'] as (...args: unknown[]) => unknown;
  const found = d === undefined ? 'it has no default export' : `its default export is ${typeof d}`;
  throw new ErrorClass(
    `the ${kind} module ${modulePath} must export a function ${signature}: as its default export, as the default export's score method, or as "score"; ${found}`,
  );
}

/**
 * `{key}` templates in instructions, filled from shared state. A missing
 * `{key}` stays as written (so an isolated agent visibly sees no state, as in
 * the seed adapter); `{key?}` is optional and becomes empty when missing,
 * for loops whose first round has no feedback yet. Pure: statecharts use it.
 */
import type { TeamState } from './types.js';

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)(\?)?\}/g;

export function renderTemplate(text: string, state: TeamState): string {
  return text.replace(PLACEHOLDER, (whole, key: string, optional: string | undefined) => {
    if (Object.hasOwn(state, key)) return state[key]!;
    return optional ? '' : whole;
  });
}

/** Keys a text reads, optional or not. */
export function templateKeys(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

/**
 * Small zod builders whose error message is the plain-English "expected" text, set on the
 * type check and on every range check, so `expected …` reads the same whatever failed.
 */
import { z } from 'zod';

interface Range {
  gt?: number;
  gte?: number;
  lte?: number;
  lt?: number;
}

export function num(expected: string, r: Range = {}) {
  let s = z.number({ error: expected });
  if (r.gt !== undefined) s = s.gt(r.gt, { error: expected });
  if (r.gte !== undefined) s = s.gte(r.gte, { error: expected });
  if (r.lte !== undefined) s = s.lte(r.lte, { error: expected });
  if (r.lt !== undefined) s = s.lt(r.lt, { error: expected });
  return s;
}

export function int(expected: string, r: Omit<Range, 'gt'> = {}) {
  return num(expected, r).int({ error: expected });
}

/** A non-empty string (an empty value in a config is almost always a mistake). */
export function text(expected = 'a non-empty string') {
  return z.string({ error: expected }).min(1, { error: expected });
}

export function flag() {
  return z.boolean({ error: 'true or false' });
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `one of ${values.join(', ')}` });
}

export function list<T extends z.ZodType>(item: T, expected: string) {
  return z.array(item, { error: expected });
}

/** A mapping whose unknown keys are errors (typos must not pass silently). */
export function mapping<T extends z.core.$ZodLooseShape>(shape: T, expected: string) {
  return z.strictObject(shape, { error: expected });
}

export function httpUrl(expected = 'an http:// or https:// URL') {
  return text(expected).refine(
    (s) => {
      try {
        const u = new URL(s);
        return u.protocol === 'http:' || u.protocol === 'https:';
      } catch {
        return false;
      }
    },
    { error: expected },
  );
}

export const NAME_EXPECTED = "a name of letters, digits, '_' or '-' starting with a letter (at most 64 chars)";
const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/** Bundle and persona names: they end up in prompts, ids and CLI flags. */
export function name() {
  return z.string({ error: NAME_EXPECTED }).regex(NAME, { error: NAME_EXPECTED });
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A bundle a persona names: a configured bundle's name, `shell`, or an MCP server's `mcp:<name>`. */
export function bundleRef() {
  const expected = `${NAME_EXPECTED}, or mcp:<server name>`;
  return z.string({ error: expected }).regex(/^(mcp:)?[A-Za-z][A-Za-z0-9_-]{0,63}$/, { error: expected });
}

/**
 * Makes any value safe to leave the process (a file, a browser, Stately's
 * inspector): a JSON-ready deep copy where secret-looking fields and strings
 * are redacted and long strings, arrays and deep nesting are cut. Prompts run
 * to many kilobytes; a dashboard needs their start, not all of them.
 * Never throws: cycles, actor refs, functions and exotic objects become markers.
 */

import { REDACTED as REDACTED_TEXT, redactSecrets } from '../util/secrets.js';

export interface SanitizeLimits {
  /** Longer strings are cut and say how long they were. */
  maxString: number;
  /** Longer arrays keep their head and say how many items were left out. */
  maxItems: number;
  /** Objects with more keys keep the first ones. */
  maxKeys: number;
  /** Nesting below this depth becomes a short marker. */
  maxDepth: number;
  /** Values visited per call: bounds the cost of one pathological payload. */
  maxNodes: number;
}

export const DEFAULT_SANITIZE_LIMITS: SanitizeLimits = { maxString: 400, maxItems: 20, maxKeys: 40, maxDepth: 5, maxNodes: 600 };

export { REDACTED } from '../util/secrets.js';

/** Field names whose values are credentials, whatever their type. */
const SECRET_KEY = /api[-_]?key|authori[sz]ation|secret|passw(?:or)?d|bearer|credential|cookie|private[-_]?key|token$/i;

// Payloads repeat the same few field names: remember the verdicts (bounded, names are not data).
const secretKeys = new Map<string, boolean>();

export function isSecretKey(key: string): boolean {
  let secret = secretKeys.get(key);
  if (secret === undefined) {
    secret = SECRET_KEY.test(key);
    if (secretKeys.size < 4096) secretKeys.set(key, secret);
  }
  return secret;
}

/** Registered secrets by value, then secret-looking tokens (util/secrets.ts). */
const redact = redactSecrets;

/** Redacts embedded credentials, then cuts the string to `max` characters. */
export function sanitizeString(text: string, max = DEFAULT_SANITIZE_LIMITS.maxString): string {
  if (text.length <= max) return redact(text);
  // Redact a little past the cut so a key straddling it is still recognised and removed.
  return `${redact(text.slice(0, max + 64)).slice(0, max)}… [${text.length} chars]`;
}

interface ActorRefShape {
  sessionId: string;
  systemId?: string;
  send: unknown;
}

function isActorRef(value: object): value is ActorRefShape {
  const v = value as Partial<ActorRefShape>;
  return typeof v.sessionId === 'string' && typeof v.send === 'function';
}

/** Limits filled in from the defaults, once per limits object (callers pass constants). */
const resolved = new WeakMap<object, SanitizeLimits>();
function resolve(limits: Partial<SanitizeLimits>): SanitizeLimits {
  let l = resolved.get(limits);
  if (!l) {
    l = { ...DEFAULT_SANITIZE_LIMITS, ...limits };
    resolved.set(limits, l);
  }
  return l;
}

/** One sanitising walk: its limits, the values it may still visit, and the objects above the current one (cycles). */
interface Walk {
  l: SanitizeLimits;
  left: number;
  stack: object[];
}

export function sanitize(value: unknown, limits: Partial<SanitizeLimits> = DEFAULT_SANITIZE_LIMITS): unknown {
  const l = resolve(limits);
  return copy(value, 0, { l, left: l.maxNodes, stack: [] });
}

/** An object's fields except some (an event without its type), sanitised, without copying the object first. */
export function sanitizeFields(obj: object, skip: readonly string[], limits: Partial<SanitizeLimits> = DEFAULT_SANITIZE_LIMITS): Record<string, unknown> {
  const l = resolve(limits);
  try {
    return copyObject(obj, 0, { l, left: l.maxNodes, stack: [obj] }, skip);
  } catch {
    return { '…': '[unserialisable]' };
  }
}

function copy(value: unknown, depth: number, w: Walk): unknown {
  switch (typeof value) {
    case 'string':
      return sanitizeString(value, w.l.maxString);
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return null;
  const obj = value as object;
  if (--w.left < 0) return '[…]';
  if (w.stack.includes(obj)) return '[circular]';
  if (isActorRef(obj)) return { $actor: obj.systemId ?? obj.sessionId };
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? null : obj.toISOString();
  if (obj instanceof Error) return { name: obj.name, message: sanitizeString(obj.message, w.l.maxString) };
  if (depth >= w.l.maxDepth) return Array.isArray(obj) ? `[… ${obj.length} items]` : '{…}';
  const toJSON = (obj as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    let json: unknown;
    try {
      json = toJSON.call(obj);
    } catch {
      return '[unserialisable]';
    }
    if (json !== obj) return copy(json, depth, w);
  }

  w.stack.push(obj);
  try {
    if (Array.isArray(obj) || obj instanceof Set) return copyArray(Array.isArray(obj) ? obj : [...obj], depth, w);
    if (obj instanceof Map) return copyObject(Object.fromEntries([...obj.entries()].map(([k, v]) => [String(k), v])), depth, w);
    return copyObject(obj, depth, w);
  } catch {
    // A throwing getter or proxy: say so rather than fail the caller.
    return '[unserialisable]';
  } finally {
    w.stack.pop();
  }
}

function copyArray(items: unknown[], depth: number, w: Walk): unknown[] {
  const out: unknown[] = [];
  const n = Math.min(items.length, w.l.maxItems);
  for (let i = 0; i < n; i++) {
    const v = copy(items[i], depth + 1, w);
    out.push(v === undefined ? null : v);
  }
  if (items.length > n) out.push(`[… ${items.length - n} more]`);
  return out;
}

/** Own enumerable fields, walked without building an entries array (the common case). */
function copyObject(obj: object, depth: number, w: Walk, skip?: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let n = 0;
  let extra = 0;
  for (const k in obj) {
    if (!Object.hasOwn(obj, k) || skip?.includes(k)) continue;
    if (n >= w.l.maxKeys) {
      extra++;
      continue;
    }
    n++;
    const v = (obj as Record<string, unknown>)[k];
    if (v !== null && v !== undefined && v !== '' && isSecretKey(k)) {
      out[k] = REDACTED_TEXT;
      continue;
    }
    const c = copy(v, depth + 1, w);
    if (c !== undefined) out[k] = c;
  }
  if (extra) out['…'] = `${extra} more keys`;
  return out;
}

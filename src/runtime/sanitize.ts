/**
 * Makes any value safe to leave the process (a file, a browser, Stately's
 * inspector): a JSON-ready deep copy where secret-looking fields and strings
 * are redacted and long strings, arrays and deep nesting are cut. Prompts run
 * to many kilobytes; a dashboard needs their start, not all of them.
 * Never throws: cycles, actor refs, functions and exotic objects become markers.
 */

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

export const REDACTED = '[redacted]';

/** Field names whose values are credentials, whatever their type. */
const SECRET_KEY = /api[-_]?key|authori[sz]ation|secret|passw(?:or)?d|bearer|credential|cookie|private[-_]?key|token$/i;

/** Credentials embedded in free text: OpenAI-style keys, bearer headers, GitHub, AWS and Slack tokens. */
const SECRET_TEXT = /\bsk-[A-Za-z0-9_-]{16,}|\bBearer\s+[A-Za-z0-9._~+/-]{8,}=*|\bgh[pousr]_[A-Za-z0-9]{20,}|\bAKIA[0-9A-Z]{16}\b|\bxox[abprs]-[A-Za-z0-9-]{10,}/g;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

function redact(text: string): string {
  SECRET_TEXT.lastIndex = 0;
  return SECRET_TEXT.test(text) ? text.replace(SECRET_TEXT, REDACTED) : text;
}

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

export function sanitize(value: unknown, limits: Partial<SanitizeLimits> = {}): unknown {
  const l = limits === DEFAULT_SANITIZE_LIMITS ? DEFAULT_SANITIZE_LIMITS : { ...DEFAULT_SANITIZE_LIMITS, ...limits };
  const budget = { left: l.maxNodes };
  return copy(value, 0, l, budget, new Set());
}

function copy(value: unknown, depth: number, l: SanitizeLimits, budget: { left: number }, ancestors: Set<object>): unknown {
  switch (typeof value) {
    case 'string':
      return sanitizeString(value, l.maxString);
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
  if (--budget.left < 0) return '[…]';
  if (ancestors.has(obj)) return '[circular]';
  if (isActorRef(obj)) return { $actor: obj.systemId ?? obj.sessionId };
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? null : obj.toISOString();
  if (obj instanceof Error) return { name: obj.name, message: sanitizeString(obj.message, l.maxString) };
  if (depth >= l.maxDepth) return Array.isArray(obj) ? `[… ${obj.length} items]` : '{…}';
  const toJSON = (obj as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    let json: unknown;
    try {
      json = toJSON.call(obj);
    } catch {
      return '[unserialisable]';
    }
    if (json !== obj) return copy(json, depth, l, budget, ancestors);
  }

  ancestors.add(obj);
  try {
    return copyContainer(obj, depth, l, budget, ancestors);
  } catch {
    // A throwing getter or proxy: say so rather than fail the caller.
    return '[unserialisable]';
  } finally {
    ancestors.delete(obj);
  }
}

function copyContainer(obj: object, depth: number, l: SanitizeLimits, budget: { left: number }, ancestors: Set<object>): unknown {
  if (Array.isArray(obj) || obj instanceof Set) {
    const items = Array.isArray(obj) ? obj : [...obj];
    const out: unknown[] = [];
    const n = Math.min(items.length, l.maxItems);
    for (let i = 0; i < n; i++) {
      const v = copy(items[i], depth + 1, l, budget, ancestors);
      out.push(v === undefined ? null : v);
    }
    if (items.length > n) out.push(`[… ${items.length - n} more]`);
    return out;
  }
  const entries: [string, unknown][] = obj instanceof Map ? [...obj.entries()].map(([k, v]) => [String(k), v]) : Object.entries(obj);
  const out: Record<string, unknown> = {};
  const n = Math.min(entries.length, l.maxKeys);
  for (let i = 0; i < n; i++) {
    const [k, v] = entries[i]!;
    if (v !== null && v !== undefined && v !== '' && SECRET_KEY.test(k)) {
      out[k] = REDACTED;
      continue;
    }
    const c = copy(v, depth + 1, l, budget, ancestors);
    if (c !== undefined) out[k] = c;
  }
  if (entries.length > n) out['…'] = `${entries.length - n} more keys`;
  return out;
}

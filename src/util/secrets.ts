/**
 * Secrets redacted by value, in every sink. The configured keys (config
 * `api_key`s, `--api-key`, the environment keys in use, a web search key) are
 * registered when the config is built; `redactSecrets` replaces each of them,
 * wherever it appears, by `[redacted]`, then applies the pattern redactor for
 * keys nobody registered (OpenAI-style `sk-…` keys, including short ones,
 * bearer headers, GitHub, AWS and Slack tokens). The files a run writes, the
 * CLI's stdout and stderr and the dashboard's stream all pass through here.
 */

export const REDACTED = '[redacted]';

/** Shorter values are not redacted by value: "EMPTY" or "none" (common dummy keys) would blank out ordinary text. */
export const MIN_SECRET_CHARS = 8;

/** Credentials embedded in free text. `sk-` keys from 8 characters on: test and project keys can be short. */
export const SECRET_TEXT =
  /\bsk-[A-Za-z0-9_-]{8,}|\bBearer\s+[A-Za-z0-9._~+/-]{8,}=*|\bgh[pousr]_[A-Za-z0-9]{20,}|\bAKIA[0-9A-Z]{16}\b|\bxox[abprs]-[A-Za-z0-9-]{10,}/g;
/** No pattern above fits in fewer characters: shorter strings skip the regex (most strings are short). */
const MIN_PATTERN_CHARS = 11;

const secrets = new Set<string>();
/** Registered values and their JSON-escaped forms, longest first (a key that contains another is replaced whole). */
let forms: string[] = [];
let shortest = Infinity;

export function registerSecret(value: unknown): void {
  if (typeof value !== 'string') return;
  const v = value.trim();
  if (v.length < MIN_SECRET_CHARS || secrets.has(v)) return;
  secrets.add(v);
  const all = new Set<string>();
  for (const s of secrets) {
    all.add(s);
    all.add(JSON.stringify(s).slice(1, -1));
  }
  forms = [...all].sort((a, b) => b.length - a.length);
  shortest = Math.min(...forms.map((f) => f.length));
}

/** The registered values (for a worker thread that must redact too). */
export function registeredSecrets(): string[] {
  return [...secrets];
}

/** Every registered secret and every secret-looking token in `text`, replaced by [redacted]. */
export function redactSecrets(text: string): string {
  let out = text;
  if (out.length >= shortest) {
    for (const f of forms) if (out.includes(f)) out = out.split(f).join(REDACTED);
  }
  if (out.length < MIN_PATTERN_CHARS) return out;
  SECRET_TEXT.lastIndex = 0;
  return SECRET_TEXT.test(out) ? out.replace(SECRET_TEXT, REDACTED) : out;
}

/** Redacts what the process writes to stdout and stderr (model text can echo a key anywhere). */
export function redactProcessOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (typeof chunk === 'string') return write(redactSecrets(chunk), ...rest);
      if (chunk instanceof Uint8Array) return write(redactSecrets(Buffer.from(chunk).toString('utf8')), ...rest);
      return write(chunk, ...rest);
    }) as typeof stream.write;
  }
}

/**
 * The embedded offline model as a team agent (requests with purpose
 * `team.agent`). It is not a language model: it follows a few plain rules
 * it can read in the instruction, so example teams run, loops converge and
 * GEPA has something to improve with no server.
 *
 * Rules it understands anywhere in the text: "uppercase" / "lowercase",
 * end with "X", start with "X", at most N words, include "X" (the last of
 * uppercase/lowercase wins).
 *
 * - Reviewer: an instruction with a block between two `---` lines and the
 *   word APPROVED outside it. It checks the block against the rules written
 *   outside it and replies `APPROVED`, or `REVISE: <the rules it breaks>`.
 * - Writer: anything else. It writes the user's input as one line and
 *   applies every rule found in the instruction (feedback filled in from
 *   state included).
 *
 * With an output schema it wraps the text in a JSON object of that schema.
 * It never calls tools. Depends on nothing but the request.
 */
import type { ChatRequest } from '../../../contracts/llm.js';
import { TEAM_AGENT_PURPOSE } from '../../../contracts/teams/prompt.js';

export function isTeamAgentRequest(request: ChatRequest): boolean {
  return request.purpose === TEAM_AGENT_PURPOSE;
}

interface Rules {
  case?: 'upper' | 'lower';
  suffix?: string;
  prefix?: string;
  maxWords?: number;
  include: string[];
}

const QUOTED = `["“'\`]([^"”'\`]+)["”'\`]`;

function lastIndex(text: string, re: RegExp): number {
  let last = -1;
  for (const m of text.matchAll(new RegExp(re.source, 'gi'))) last = m.index;
  return last;
}

function lastMatch(text: string, re: RegExp): string | undefined {
  let found: string | undefined;
  for (const m of text.matchAll(new RegExp(re.source, 'gi'))) found = m[1];
  return found;
}

export function readRules(text: string): Rules {
  const upper = lastIndex(text, /\b(?:upper ?case|all caps|capital letters)\b/);
  const lower = lastIndex(text, /\blower ?case\b/);
  const rules: Rules = { include: [] };
  if (upper >= 0 || lower >= 0) rules.case = upper > lower ? 'upper' : 'lower';
  const suffix = lastMatch(text, new RegExp(`\\bend(?:s|ing)?\\s+with\\s+${QUOTED}`));
  if (suffix) rules.suffix = suffix;
  const prefix = lastMatch(text, new RegExp(`\\b(?:start|begin)(?:s|ning)?\\s+with\\s+${QUOTED}`));
  if (prefix) rules.prefix = prefix;
  const words = lastMatch(text, /\b(?:at most|no more than|a maximum of|up to)\s+(\d+)\s+words\b/);
  if (words) rules.maxWords = Number(words);
  for (const m of text.matchAll(new RegExp(`\\b(?:include|contain|mention)s?\\s+(?:the\\s+(?:word|phrase)\\s+)?${QUOTED}`, 'gi'))) {
    if (!rules.include.includes(m[1]!)) rules.include.push(m[1]!);
  }
  return rules;
}

const wordCount = (t: string) => t.split(/\s+/).filter(Boolean).length;

export function violations(rules: Rules, text: string): string[] {
  const out: string[] = [];
  if (rules.case === 'upper' && (text !== text.toUpperCase() || !/[A-Z]/.test(text))) out.push('The text must be in uppercase.');
  if (rules.case === 'lower' && text !== text.toLowerCase()) out.push('The text must be in lowercase.');
  if (rules.prefix && !text.startsWith(rules.prefix)) out.push(`The text must start with "${rules.prefix}".`);
  if (rules.suffix && !text.endsWith(rules.suffix)) out.push(`The text must end with "${rules.suffix}".`);
  if (rules.maxWords !== undefined && wordCount(text) > rules.maxWords) out.push(`The text must have at most ${rules.maxWords} words.`);
  for (const w of rules.include) if (!text.toLowerCase().includes(w.toLowerCase())) out.push(`The text must include "${w}".`);
  return out;
}

const glue = (a: string, b: string) => (/^[\p{L}\p{N}]/u.test(b) && a ? `${a} ${b}` : `${a}${b}`);

export function write(input: string, rules: Rules): string {
  let text = input
    .trim()
    .replace(/\s+/g, ' ')
    .replace(/[.!?…]+$/u, '');
  text = text.charAt(0).toUpperCase() + text.slice(1);
  if (rules.maxWords !== undefined) text = text.split(' ').slice(0, rules.maxWords).join(' ');
  for (const w of rules.include) if (!text.toLowerCase().includes(w.toLowerCase())) text = glue(text, w);
  if (rules.case === 'upper') text = text.toUpperCase();
  if (rules.case === 'lower') text = text.toLowerCase();
  if (rules.prefix && !text.startsWith(rules.prefix)) text = glue(rules.prefix, text);
  if (rules.suffix && !text.endsWith(rules.suffix)) text = glue(text, rules.suffix);
  return text;
}

const BLOCK = /^-{3,}[ \t]*\n([\s\S]*?)\n-{3,}[ \t]*$/m;

function answer(system: string, input: string): string {
  const block = BLOCK.exec(system);
  const outside = block ? system.replace(block[0], ' ') : system;
  if (block && /\bAPPROVED\b/.test(outside)) {
    const broken = violations(readRules(outside), block[1]!.trim());
    return broken.length ? `REVISE: ${broken.join(' ')}` : 'APPROVED';
  }
  return write(input, readRules(system));
}

/** A value of the schema's shape carrying the text. */
function fill(schema: unknown, text: string): unknown {
  const s = (schema ?? {}) as Record<string, unknown>;
  if (Array.isArray(s['enum']) && s['enum'].length) return s['enum'][0];
  switch (s['type']) {
    case 'object': {
      const props = (s['properties'] ?? {}) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, fill(v, text)]));
    }
    case 'array':
      return [fill(s['items'], text)];
    case 'number':
    case 'integer':
      return wordCount(text);
    case 'boolean':
      return !text.startsWith('REVISE');
    default:
      return text;
  }
}

export function offlineTeamAgent(request: ChatRequest): string {
  const system = request.messages.find((m) => m.role === 'system')?.content ?? '';
  const input = request.messages.find((m) => m.role === 'user')?.content ?? '';
  const text = answer(system, input);
  return request.responseFormat ? JSON.stringify(fill(request.responseFormat.schema, text)) : text;
}

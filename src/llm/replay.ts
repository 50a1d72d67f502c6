/**
 * --replay FILE / provider: replay: answers from a recording with no network.
 *
 * A request is matched by requestHash first (identical requests in recorded
 * order). A request that drifted (a tool observation or a prompt differs, say
 * because the first run's own output file now shows in a listing) is matched
 * by its place in the call sequence: its call id (`planner#2`, `actor:1@1#0`),
 * else its ordinal among calls of its purpose, provided it asks for the same
 * kind of answer (purpose, tools, response format) about the same subject
 * (its first user line). Anything else is a real mismatch: a ModelError
 * ('no-recording') that says what was asked, what the file has, and a short
 * diff against the recording at that place.
 */
import fs from 'node:fs';
import { parseJsonl } from '../util/jsonl.js';
import type { RecordedExchange, RecordedRunHeader } from './record.js';
import { describeRequest, requestHash, type RecordedRequest } from './requestHash.js';
import { ModelError, type ChatModel, type ChatRequest, type ChatResponse } from '../../contracts/llm.js';

interface Slot {
  exchange: RecordedExchange;
  used: boolean;
}

/** A drifted request matched by position, and what changed (for the user to see). */
export interface Drift {
  place: string;
  diff: string;
}

export class ReplayStore {
  private readonly slots: Slot[] = [];
  private readonly byHash = new Map<string, Slot[]>();
  private readonly byPlace = new Map<string, Slot[]>();
  private readonly ordinals = new Map<string, number>();
  readonly total: number;
  /** The prompts of the last recorded run header, if the file has one. */
  readonly prompts: Record<string, string> | null;
  readonly drifts: Drift[] = [];
  private used = 0;

  constructor(
    readonly file: string,
    exchanges: RecordedExchange[],
    headers: RecordedRunHeader[] = [],
  ) {
    const recordedOrdinals = new Map<string, number>();
    for (const exchange of exchanges) {
      const slot = { exchange, used: false };
      this.slots.push(slot);
      push(this.byHash, requestHash(exchange.request), slot);
      const purpose = exchange.request.purpose ?? 'unlabelled';
      const n = (recordedOrdinals.get(purpose) ?? 0) + 1;
      recordedOrdinals.set(purpose, n);
      push(this.byPlace, placeOf(exchange.request, n), slot);
    }
    this.total = exchanges.length;
    this.prompts = headers.length ? headers[headers.length - 1]!.prompts : null;
  }

  /** Reads a recording; a missing or unreadable file is a config error. */
  static load(file: string): ReplayStore {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new ModelError(
        `replay file ${file} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(err)})`}; record one with --record ${file}`,
        'config',
      );
    }
    let records: unknown[];
    try {
      records = parseJsonl(text, file).records;
    } catch (err) {
      throw new ModelError(`replay file ${(err as Error).message}`, 'config');
    }
    const headers = records.filter(isRunHeader);
    const exchanges = records.filter(isExchange);
    const other = records.length - exchanges.length - headers.length;
    if (other > 0) throw new ModelError(`replay file ${file} has ${other} line(s) that are not recorded exchanges`, 'config');
    return new ReplayStore(file, exchanges, headers);
  }

  get remaining(): number {
    return this.total - this.used;
  }

  take(request: ChatRequest): RecordedExchange {
    const purpose = request.purpose ?? 'unlabelled';
    const ordinal = (this.ordinals.get(purpose) ?? 0) + 1;
    this.ordinals.set(purpose, ordinal);
    const place = placeOf(request, ordinal);

    const exact = this.byHash.get(requestHash(request))?.find((s) => !s.used);
    if (exact) return this.use(exact);
    const positional = this.byPlace.get(place)?.find((s) => !s.used);
    if (positional && sameQuestion(positional.exchange.request, request)) {
      this.drifts.push({ place, diff: shortDiff(positional.exchange.request, request) });
      return this.use(positional);
    }
    const nearest = positional ?? this.byPlace.get(place)?.[0] ?? this.slots.find((s) => !s.used);
    throw new ModelError(
      `no recording matches this ${describeRequest(request)}; ${this.file} holds ${this.total} recorded exchange(s), ${this.remaining} unused${this.byPurpose()} — the run has diverged from the recorded one (different goal, prompts, config, or workspace contents?)${nearest ? `; at ${place}, against the recording: ${shortDiff(nearest.exchange.request, request)}` : ''}`,
      'no-recording',
    );
  }

  private use(slot: Slot): RecordedExchange {
    slot.used = true;
    this.used++;
    return slot.exchange;
  }

  private byPurpose(): string {
    const counts = new Map<string, number>();
    for (const s of this.slots)
      if (!s.used) counts.set(s.exchange.request.purpose ?? 'unlabelled', (counts.get(s.exchange.request.purpose ?? 'unlabelled') ?? 0) + 1);
    const parts = [...counts.entries()].map(([p, n]) => `${n} ${p}`);
    return parts.length ? ` (${parts.join(', ')})` : '';
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Where a call sits in a run: its call id, else its ordinal among calls of its purpose. */
function placeOf(request: Pick<RecordedRequest, 'purpose' | 'callId'>, ordinal: number): string {
  return request.callId ?? `${request.purpose ?? 'unlabelled'} call ${ordinal}`;
}

const firstUserLine = (r: Pick<RecordedRequest, 'messages'>) =>
  (r.messages.find((m) => m.role === 'user')?.content ?? '').trim().split('\n').slice(0, 2).join('\n');
const toolNames = (r: Pick<RecordedRequest, 'tools'>) => (r.tools ?? []).map((t) => t.name).join(',');

/** The same kind of answer about the same subject: drift in the details is allowed, a different question is not. */
function sameQuestion(recorded: RecordedRequest, now: ChatRequest): boolean {
  return (
    (recorded.purpose ?? '') === (now.purpose ?? '') &&
    toolNames(recorded) === toolNames(now) &&
    (recorded.responseFormat?.name ?? '') === (now.responseFormat?.name ?? '') &&
    firstUserLine(recorded) === firstUserLine(now)
  );
}

const clip = (text: string, max = 100) => {
  const flat = JSON.stringify(text);
  return flat.length > max ? `${flat.slice(0, max - 1)}…"` : flat;
};

/** The first thing that differs, in one line: the field, or the message and line, recorded versus now. */
export function shortDiff(recorded: RecordedRequest, now: Pick<ChatRequest, 'messages' | 'tools' | 'responseFormat' | 'purpose'>): string {
  if ((recorded.purpose ?? '') !== (now.purpose ?? '')) return `purpose: recorded ${clip(recorded.purpose ?? '')}, now ${clip(now.purpose ?? '')}`;
  if (toolNames(recorded) !== toolNames(now)) return `tools: recorded [${toolNames(recorded)}], now [${toolNames(now)}]`;
  if ((recorded.responseFormat?.name ?? '') !== (now.responseFormat?.name ?? ''))
    return `response format: recorded ${clip(recorded.responseFormat?.name ?? 'none')}, now ${clip(now.responseFormat?.name ?? 'none')}`;
  const n = Math.max(recorded.messages.length, now.messages.length);
  for (let i = 0; i < n; i++) {
    const a = recorded.messages[i];
    const b = now.messages[i];
    if (!a || !b) return `messages: recorded ${recorded.messages.length}, now ${now.messages.length}`;
    if (a.role !== b.role) return `message ${i + 1}: recorded role ${a.role}, now ${b.role}`;
    if (a.content === b.content) continue;
    const la = a.content.split('\n');
    const lb = b.content.split('\n');
    const line = la.findIndex((l, j) => l !== lb[j]);
    const k = line < 0 ? la.length : line;
    return `message ${i + 1} (${b.role}), line ${k + 1}: recorded ${clip(la[k] ?? '(end)')}, now ${clip(lb[k] ?? '(end)')}`;
  }
  return 'tool calls or ids differ';
}

export class ReplayModel implements ChatModel {
  readonly id: string;

  constructor(private readonly store: ReplayStore) {
    this.id = `replay:${store.file}`;
  }

  async complete(request: ChatRequest): Promise<ChatResponse> {
    if (request.signal?.aborted) throw new ModelError('the model call was cancelled', 'aborted');
    const exchange = this.store.take(request);
    if (exchange.error) throw new ModelError(exchange.error.message, exchange.error.kind, exchange.error.status);
    const response = exchange.response!;
    if (response.content) request.onTextDelta?.(response.content);
    return { ...response, toolCalls: response.toolCalls.map((c) => ({ ...c })) };
  }
}

function isExchange(value: unknown): value is RecordedExchange {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Partial<RecordedExchange>;
  return (
    typeof e.request === 'object' && e.request !== null && Array.isArray(e.request.messages) && (typeof e.response === 'object' || typeof e.error === 'object')
  );
}

function isRunHeader(value: unknown): value is RecordedRunHeader {
  if (typeof value !== 'object' || value === null) return false;
  const h = value as Partial<RecordedRunHeader>;
  return h.kind === 'run' && typeof h.prompts === 'object' && h.prompts !== null && Object.values(h.prompts).every((p) => typeof p === 'string');
}

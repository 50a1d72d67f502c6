/**
 * --replay FILE / provider: replay: answers from a recording with no network.
 * Requests are matched by requestHash; identical requests are answered in
 * the order they were recorded. A request with no recording left is a
 * ModelError('no-recording') that says what was asked and what the file has.
 */
import fs from 'node:fs';
import { parseJsonl } from '../util/jsonl.js';
import type { RecordedExchange } from './record.js';
import { describeRequest, requestHash } from './requestHash.js';
import { ModelError, type ChatModel, type ChatRequest, type ChatResponse } from '../../contracts/llm.js';

export class ReplayStore {
  private readonly queues = new Map<string, RecordedExchange[]>();
  readonly total: number;
  private used = 0;

  constructor(
    readonly file: string,
    exchanges: RecordedExchange[],
  ) {
    for (const exchange of exchanges) {
      const hash = requestHash(exchange.request);
      const queue = this.queues.get(hash) ?? [];
      queue.push(exchange);
      this.queues.set(hash, queue);
    }
    this.total = exchanges.length;
  }

  /** Reads a recording; a missing or unreadable file is a config error. */
  static load(file: string): ReplayStore {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new ModelError(`replay file ${file} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(err)})`}; record one with --record ${file}`, 'config');
    }
    let records: unknown[];
    try {
      records = parseJsonl(text, file).records;
    } catch (err) {
      throw new ModelError(`replay file ${(err as Error).message}`, 'config');
    }
    const exchanges = records.filter(isExchange);
    if (exchanges.length !== records.length) {
      throw new ModelError(`replay file ${file} has ${records.length - exchanges.length} line(s) that are not recorded exchanges`, 'config');
    }
    return new ReplayStore(file, exchanges);
  }

  get remaining(): number {
    return this.total - this.used;
  }

  take(request: ChatRequest): RecordedExchange {
    const exchange = this.queues.get(requestHash(request))?.shift();
    if (!exchange) {
      throw new ModelError(
        `no recording matches this ${describeRequest(request)}; ${this.file} holds ${this.total} recorded exchange(s), ${this.remaining} unused${this.byPurpose()} — the run has diverged from the recorded one (different goal, prompts, config, or workspace contents?)`,
        'no-recording',
      );
    }
    this.used++;
    return exchange;
  }

  private byPurpose(): string {
    const counts = new Map<string, number>();
    for (const queue of this.queues.values()) for (const e of queue) counts.set(e.request.purpose ?? 'unlabelled', (counts.get(e.request.purpose ?? 'unlabelled') ?? 0) + 1);
    const parts = [...counts.entries()].map(([p, n]) => `${n} ${p}`);
    return parts.length ? ` (${parts.join(', ')})` : '';
  }
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
  return typeof e.request === 'object' && e.request !== null && Array.isArray(e.request.messages) && (typeof e.response === 'object' || typeof e.error === 'object');
}

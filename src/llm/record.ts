/**
 * --record FILE: wraps a model and appends every exchange to a JSONL file,
 * one line per call: the request as data, and the response or the error the
 * model ended with. A failed call is recorded too, so a run that failed
 * replays to the same failure.
 */
import { redactSecrets } from '../util/secrets.js';
import fs from 'node:fs';
import { recordedRequest, requestHash, type RecordedRequest } from './requestHash.js';
import { ModelError, type ChatModel, type ChatRequest, type ChatResponse } from '../../contracts/llm.js';

export const RECORDING_VERSION = 1;

export interface RecordedExchange {
  v: typeof RECORDING_VERSION;
  /** requestHash of the request; recomputed on replay, kept here for people reading the file. */
  hash: string;
  /** The model that answered, e.g. `vllm:qwen3@http://...`. */
  model: string;
  request: RecordedRequest;
  response?: ChatResponse;
  error?: { message: string; kind: ModelError['kind']; status?: number };
}

/**
 * A line before a run's exchanges: the prompt components the run started
 * with, so a replay runs with the same prompts (and learning off) even after
 * online learning has changed them.
 */
export interface RecordedRunHeader {
  v: typeof RECORDING_VERSION;
  kind: 'run';
  prompts: Record<string, string>;
}

/** Appends whole lines with one write each (O_APPEND), so concurrent calls never interleave within a line. */
export class RecordingSink {
  constructor(readonly file: string) {}

  append(exchange: RecordedExchange | RecordedRunHeader): void {
    fs.appendFileSync(this.file, `${redactSecrets(JSON.stringify(exchange))}\n`);
  }
}

export class RecordingModel implements ChatModel {
  readonly id: string;

  constructor(
    private readonly inner: ChatModel,
    private readonly sink: RecordingSink,
  ) {
    this.id = inner.id;
  }

  async complete(request: ChatRequest): Promise<ChatResponse> {
    const base = { v: RECORDING_VERSION, hash: requestHash(request), model: this.inner.id, request: recordedRequest(request) } as const;
    try {
      const response = await this.inner.complete(request);
      this.sink.append({ ...base, response });
      return response;
    } catch (err) {
      // A cancelled call is not an answer the model gave; do not record it.
      if (err instanceof ModelError && err.kind !== 'aborted') {
        this.sink.append({ ...base, error: { message: err.message, kind: err.kind, ...(err.status !== undefined ? { status: err.status } : {}) } });
      }
      throw err;
    }
  }
}

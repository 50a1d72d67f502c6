/**
 * The evaluation cache shared through Redis: one hash per (namespace,
 * candidate), one field per example's content hash, the record as JSON. A
 * retried or repeated job reads what is already known instead of paying for
 * it again. Values are only ever written whole (HSET), so a reader sees a
 * record or nothing.
 */
import type { Redis } from 'ioredis';
import { cacheKey } from './names.js';
import { evalRecordSchema } from './jobs.js';
import type { EvalRecord } from '../../contracts/gepa/types.js';

export class SharedEvalCache {
  constructor(private readonly redis: Redis) {}

  /** Records for the given example keys, `undefined` where none is cached (or the entry does not parse). */
  async get(namespace: string, candidateHash: string, keys: readonly string[]): Promise<(EvalRecord | undefined)[]> {
    if (!keys.length) return [];
    const raw = await this.redis.hmget(cacheKey(namespace, candidateHash), ...keys);
    return raw.map((value) => {
      if (value === null) return undefined;
      try {
        const parsed = evalRecordSchema.safeParse(JSON.parse(value));
        return parsed.success ? (parsed.data as EvalRecord) : undefined;
      } catch {
        return undefined;
      }
    });
  }

  async put(namespace: string, candidateHash: string, entries: readonly { key: string; record: EvalRecord }[]): Promise<void> {
    if (!entries.length) return;
    const fields: string[] = [];
    for (const e of entries) fields.push(e.key, JSON.stringify(e.record));
    await this.redis.hset(cacheKey(namespace, candidateHash), ...fields);
  }
}

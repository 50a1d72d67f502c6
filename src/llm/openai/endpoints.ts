/**
 * One connection pool and one concurrency cap per api_base, shared by every
 * model that talks to it: planner, actors and reflection on the same server
 * together never exceed max_concurrency requests in flight.
 */
import { Pool } from 'undici';
import { Semaphore } from '../semaphore.js';

export interface EndpointSlot {
  pool: Pool;
  limiter: Semaphore;
}

export class EndpointRegistry {
  private readonly slots = new Map<string, EndpointSlot>();

  /** The slot for an api_base. The first caller's max_concurrency sets the cap (it is not a per-role setting). */
  get(apiBase: string, maxConcurrency: number): EndpointSlot {
    const url = new URL(apiBase);
    const key = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    let slot = this.slots.get(key);
    if (!slot) {
      // A few spare connections for side requests (/v1/models for an error hint) outside the cap.
      slot = { pool: new Pool(url.origin, { connections: maxConcurrency + 2, keepAliveTimeout: 10_000 }), limiter: new Semaphore(maxConcurrency) };
      this.slots.set(key, slot);
    }
    return slot;
  }

  async close(): Promise<void> {
    const slots = [...this.slots.values()];
    this.slots.clear();
    await Promise.all(slots.map((s) => s.pool.close().catch(() => undefined)));
  }
}

/** The process-wide registry models use unless given their own. */
export const sharedEndpoints = new EndpointRegistry();

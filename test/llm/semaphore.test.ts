import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Semaphore } from '../../src/llm/semaphore.js';

describe('Semaphore', () => {
  it('never lets more than N hold it, serves waiters in order', async () => {
    const s = new Semaphore(2);
    const order: number[] = [];
    const r1 = await s.acquire();
    const r2 = await s.acquire();
    const p3 = s.acquire().then((r) => (order.push(3), r));
    const p4 = s.acquire().then((r) => (order.push(4), r));
    expect(s.inFlight).toBe(2);
    expect(s.waiting).toBe(2);
    r1();
    r1(); // releasing twice is harmless
    const r3 = await p3;
    expect(s.inFlight).toBe(2);
    r2();
    const r4 = await p4;
    expect(order).toEqual([3, 4]);
    r3();
    r4();
    expect(s.inFlight).toBe(0);
  });

  it('a waiter whose signal aborts leaves the queue', async () => {
    const s = new Semaphore(1);
    const release = await s.acquire();
    const controller = new AbortController();
    const waiting = s.acquire(controller.signal);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ kind: 'aborted' });
    expect(s.waiting).toBe(0);
    release();
    expect(s.inFlight).toBe(0);
  });

  it('property: with random hold times, in-flight never exceeds the limit and all finish', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 5 }), fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 30 }), async (limit, holds) => {
        const s = new Semaphore(limit);
        let active = 0;
        let peak = 0;
        await Promise.all(
          holds.map(async (ticks) => {
            const release = await s.acquire();
            active++;
            peak = Math.max(peak, active);
            for (let i = 0; i < ticks; i++) await Promise.resolve();
            active--;
            release();
          }),
        );
        expect(peak).toBeLessThanOrEqual(limit);
        expect(s.inFlight).toBe(0);
      }),
    );
  });
});

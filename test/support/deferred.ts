/**
 * Promise logic the test settles by hand: each invocation waits until the
 * test resolves or rejects it. Lets a test drive a real actor step by step.
 */
import { fromPromise } from 'xstate';

export interface Pending<I, O> {
  input: I;
  resolve(value: O): void;
  reject(error: unknown): void;
}

export function deferredLogic<O, I>() {
  const pending: Pending<I, O>[] = [];
  const logic = fromPromise<O, I>(
    ({ input }) =>
      new Promise<O>((resolve, reject) => {
        pending.push({ input, resolve, reject });
      }),
  );
  return {
    logic,
    pending,
    /** Settle the oldest open invocation. */
    next(): Pending<I, O> {
      const p = pending.shift();
      if (!p) throw new Error('no invocation is waiting');
      return p;
    },
  };
}

/** Let settled promises and the actors' mailboxes run to quiescence. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

/** Replace named actions with no-ops, for graph traversal where no parent or children exist. */
export function silenced(names: string[]): Record<string, () => void> {
  return Object.fromEntries(names.map((n) => [n, () => {}]));
}

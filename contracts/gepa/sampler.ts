/**
 * Minibatches from the train set, epoch-shuffled: every example is seen once
 * per epoch before any is seen twice. When the set does not divide into
 * minibatches, the epoch is padded with the least-seen examples so batches
 * stay full. All state is plain data kept in the run state.
 */
import type { Rng } from './rng.js';

export interface SamplerState {
  epoch: number;
  /** This epoch's order (train indices), padded to a multiple of the minibatch size. */
  order: number[];
  /** Next position in `order`. */
  cursor: number;
  /** How often each train index has been scheduled so far. */
  freq: number[];
}

export function emptySampler(): SamplerState {
  return { epoch: -1, order: [], cursor: 0, freq: [] };
}

function newEpoch(s: SamplerState, trainSize: number, size: number, rng: Rng): SamplerState {
  const order = rng.shuffle(Array.from({ length: trainSize }, (_, i) => i));
  const freq = Array.from({ length: trainSize }, (_, i) => (s.freq[i] ?? 0) + 1);
  const pad = (size - (order.length % size)) % size;
  for (let k = 0; k < pad; k++) {
    let least = 0;
    for (let i = 1; i < trainSize; i++) if (freq[i]! < freq[least]!) least = i;
    order.push(least);
    freq[least]!++;
  }
  return { epoch: s.epoch + 1, order, cursor: 0, freq };
}

export function nextMinibatch(s: SamplerState, trainSize: number, size: number, rng: Rng): { batch: number[]; sampler: SamplerState } {
  if (trainSize < 1) throw new Error('the train set is empty');
  let state = s;
  if (state.cursor + size > state.order.length) state = newEpoch(state, trainSize, size, rng);
  const batch = state.order.slice(state.cursor, state.cursor + size);
  return { batch, sampler: { ...state, cursor: state.cursor + size } };
}

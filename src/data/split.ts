/**
 * A seeded train/val split, stratified (by difficulty and by whether the
 * reference run passed) so both halves keep the mix: each stratum is shuffled
 * and its share goes to val, fractions carried from one stratum to the next;
 * val gets at least one item.
 */
import { Rng, seedRng } from '../../contracts/gepa/rng.js';

export function splitTrainVal<T>(items: readonly T[], seed: number, stratum: (item: T) => string, valShare = 1 / 3): { train: T[]; val: T[] } {
  if (items.length < 2) return { train: [...items], val: [...items] };
  const rng = new Rng(seedRng(seed));
  const groups = new Map<string, T[]>();
  for (const it of items) groups.set(stratum(it), [...(groups.get(stratum(it)) ?? []), it]);
  const train: T[] = [];
  const val: T[] = [];
  let carry = 0;
  for (const key of [...groups.keys()].sort()) {
    const g = rng.shuffle([...groups.get(key)!]);
    const exact = g.length * valShare + carry;
    const take = Math.min(g.length - (g.length > 1 ? 1 : 0), Math.round(exact));
    carry = exact - take;
    val.push(...g.slice(0, take));
    train.push(...g.slice(take));
  }
  if (!val.length) val.push(train.pop()!);
  return { train, val };
}

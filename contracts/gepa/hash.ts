/**
 * Content hashes for cache keys and data-set fingerprints. Pure TypeScript (no
 * node:crypto) because the statechart computes them inside its actions and
 * must stay runnable anywhere, e.g. in an inspector. Two 53-bit lanes give
 * ~106 bits: collisions are not a practical concern for prompt texts.
 */
import type { Candidate } from './types.js';

function lane(text: string, seed: number): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

export function hashText(text: string): string {
  return lane(text, 1).toString(16).padStart(14, '0') + lane(text, 2).toString(16).padStart(14, '0');
}

/** Key order does not matter: {a, b} and {b, a} are the same candidate. */
export function hashCandidate(candidate: Candidate): string {
  const entries = Object.entries(candidate).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return hashText(JSON.stringify(entries));
}

export function hashJson(value: unknown): string {
  return hashText(JSON.stringify(value) ?? 'undefined');
}

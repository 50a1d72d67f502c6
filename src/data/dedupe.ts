/**
 * Near-duplicate goals: normalised token sets (lower case, words of two or
 * more letters/digits, a few filler words dropped, plural -s trimmed) compared
 * by Jaccard similarity. "Please list the files" and "List the files." are
 * one goal; "Search for parser" and "Search for lexer" are two.
 */
const FILLER = new Set(['the', 'a', 'an', 'please', 'and', 'of', 'to', 'in', 'for', 'with', 'all', 'its', 'it', 'them', 'then', 'on', 'into', 'this', 'that']);

export function tokenSet(text: string): Set<string> {
  const words = text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  return new Set(words.filter((w) => w.length >= 2 && !FILLER.has(w)).map((w) => (w.length > 3 && w.endsWith('s') && !w.endsWith('ss') ? w.slice(0, -1) : w)));
}

export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (!a.size && !b.size) return 1;
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  return inter / (a.size + b.size - inter);
}

export const NEAR_DUPLICATE = 0.8;

/** Keeps the first of each group of near-duplicates (against `existing` too); says which one each dropped item repeats. */
export function dropNearDuplicates<T>(
  items: readonly T[],
  textOf: (item: T) => string,
  existing: readonly string[] = [],
  threshold = NEAR_DUPLICATE,
): { kept: T[]; dropped: { item: T; of: string; similarity: number }[] } {
  const seen: { text: string; tokens: Set<string> }[] = existing.map((text) => ({ text, tokens: tokenSet(text) }));
  const kept: T[] = [];
  const dropped: { item: T; of: string; similarity: number }[] = [];
  for (const item of items) {
    const text = textOf(item);
    const tokens = tokenSet(text);
    let best = { of: '', similarity: 0 };
    for (const s of seen) {
      const j = jaccard(tokens, s.tokens);
      if (j > best.similarity) best = { of: s.text, similarity: j };
    }
    if (best.similarity >= threshold) dropped.push({ item, ...best });
    else {
      kept.push(item);
      seen.push({ text, tokens });
    }
  }
  return { kept, dropped };
}

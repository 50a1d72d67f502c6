/**
 * Models wrap JSON in prose or ``` fences. This finds the first complete JSON
 * object in a text, without trusting anything around it.
 */
export function extractJsonObject(text: string): { value: unknown } | { error: string } {
  const fenced = /```(?:json)?\s*\n?([\s\S]*?)```/i.exec(text);
  const candidates = fenced?.[1] ? [fenced[1], text] : [text];
  for (const candidate of candidates) {
    const start = candidate.indexOf('{');
    if (start < 0) continue;
    const end = matchingBrace(candidate, start);
    if (end < 0) continue;
    try {
      return { value: JSON.parse(candidate.slice(start, end + 1)) };
    } catch (err) {
      return { error: `the JSON object in the reply does not parse: ${(err as Error).message}` };
    }
  }
  return { error: 'the reply holds no JSON object' };
}

/** Index of the brace closing the one at `start`, honouring strings; -1 if unbalanced. */
function matchingBrace(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{') depth++;
    else if (ch === '}' && --depth === 0) return i;
  }
  return -1;
}

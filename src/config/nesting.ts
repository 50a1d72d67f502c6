/**
 * A cheap pre-parse guard against absurd nesting. The yaml library recurses per level: a
 * 1 MiB file of "[" costs it seconds and about 1 GB (with pretty errors on, it aborted the
 * process). Refusing deep nesting up front keeps hostile files cheap. Real configs nest < 10.
 *
 * JSON is scanned exactly. For YAML the scan is a heuristic: flow brackets are counted
 * outside quoted scalars and comments (a quote counts as opening a scalar wherever YAML
 * could start one, so quoted text does not inflate the count), plus compact block nesting
 * like "- - - - x" on one line. Anything that slips past still ends as a ConfigError:
 * the yaml library reports stack overflows as parse errors.
 */

export const MAX_CONFIG_NESTING = 100;

export interface NestingProblem {
  offset: number;
}

export function findExcessiveNesting(text: string, format: 'yaml' | 'json'): NestingProblem | undefined {
  return format === 'json' ? scanJson(text) : scanYaml(text);
}

function scanJson(text: string): NestingProblem | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '[' || c === '{') {
      if (++depth > MAX_CONFIG_NESTING) return { offset: i };
    } else if (c === ']' || c === '}') {
      depth = Math.max(0, depth - 1);
    }
  }
  return undefined;
}

const SCALAR_START_AFTER = new Set([undefined, ' ', '\t', '\n', '\r', '[', '{', ',', ':', '-', '?']);

function scanYaml(text: string): NestingProblem | undefined {
  let depth = 0;
  let lineStart = true; // only indentation seen so far on this line
  let compact = 0; // "- " / "? " indicators at the start of this line
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const prev = i === 0 ? undefined : text[i - 1];
    if (c === '\n') {
      [lineStart, compact] = [true, 0];
      continue;
    }
    if (lineStart && (c === ' ' || c === '\t')) continue;
    if (lineStart && (c === '-' || c === '?') && (text[i + 1] === ' ' || text[i + 1] === '\t')) {
      if (++compact > MAX_CONFIG_NESTING) return { offset: i };
      i++;
      continue;
    }
    lineStart = false;
    if (c === '#' && (prev === undefined || prev === ' ' || prev === '\t' || prev === '\n')) {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
    } else if ((c === '"' || c === "'") && SCALAR_START_AFTER.has(prev)) {
      i = skipQuoted(text, i);
    } else if (c === '[' || c === '{') {
      if (++depth > MAX_CONFIG_NESTING) return { offset: i };
    } else if (c === ']' || c === '}') {
      depth = Math.max(0, depth - 1);
    }
  }
  return undefined;
}

/** Index of the closing quote (or the end of the text); '' escapes ' and \ escapes in "…". */
function skipQuoted(text: string, start: number): number {
  const q = text[start];
  for (let i = start + 1; i < text.length; i++) {
    if (q === '"' && text[i] === '\\') i++;
    else if (text[i] === q) {
      if (q === "'" && text[i + 1] === "'") i++;
      else return i;
    }
  }
  return text.length;
}

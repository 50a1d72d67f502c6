/**
 * Reading and parsing config text into plain values, keeping enough of the source to
 * point at the line of any key later. Hostile input is refused with a ConfigError:
 * oversized files (never read fully), YAML alias bombs, deep nesting.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, visit, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import { ConfigError, type IssueInit, type PathSegment } from './errors.js';
import { jsonSyntaxError } from './jsonSyntax.js';
import { MAX_CONFIG_NESTING, findExcessiveNesting } from './nesting.js';

export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Aliases may expand to at most this many nodes; real configs need a handful. */
export const MAX_YAML_ALIAS_COUNT = 100;

export type SourceFormat = 'yaml' | 'json';

/** Syntax errors cascade; past the first few they only add noise. */
const MAX_SYNTAX_ISSUES = 10;

/** Something that can say which line a key path sits on. */
export interface Located {
  file: string;
  lineOf(path: readonly PathSegment[]): number | undefined;
}

export interface ParsedSource extends Located {
  format: SourceFormat;
  /** The parsed value: plain objects, arrays, strings, numbers, booleans, null. */
  value: unknown;
}

const mib = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;

function tooLarge(file: string, size: string): ConfigError {
  return new ConfigError({
    file,
    expected: 'a file of at most 1 MiB',
    found: size,
    text: `file is too large (${size}); config files are limited to 1 MiB`,
  });
}

/**
 * The text of a config file, or undefined when it does not exist and `optional` is set.
 * Size is checked before reading and the read stops one byte past the limit.
 */
export function readConfigText(file: string, { optional = false } = {}): string | undefined {
  let fd: number | undefined;
  try {
    // stat before open: opening a FIFO would block until someone writes to it.
    const st = statSync(file);
    if (!st.isFile()) {
      throw new ConfigError({ file, expected: 'a regular file', found: 'a directory or special file', text: 'not a regular file' });
    }
    if (st.size > MAX_CONFIG_BYTES) throw tooLarge(file, mib(st.size));
    fd = openSync(file, 'r');
    const buf = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buf, length, buf.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > MAX_CONFIG_BYTES) throw tooLarge(file, 'more than 1 MiB');
    }
    return decodeUtf8(buf.subarray(0, length), file);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      if (optional) return undefined;
      throw new ConfigError({ file, expected: 'a config file', found: 'no file', text: 'required config file not found' });
    }
    throw new ConfigError({
      file,
      expected: 'a readable file',
      found: code ?? 'an error',
      text: `cannot read file (${code ?? (error as Error).message})`,
    });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new ConfigError({ file, expected: 'UTF-8 text', found: 'invalid UTF-8 bytes', text: 'file is not valid UTF-8 text' });
  }
}

/** Parse YAML or JSON text. Throws ConfigError for size, syntax, alias bombs and nesting. */
export function parseSource(text: string, file: string, format: SourceFormat): ParsedSource {
  if (Buffer.byteLength(text, 'utf8') > MAX_CONFIG_BYTES) throw tooLarge(file, 'more than 1 MiB');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const deep = findExcessiveNesting(text, format);
  if (deep) throw nestingError(file, lineAt(text, deep.offset));
  return format === 'json' ? parseJson(text, file) : parseYaml(text, file);
}

function yamlDocument(text: string) {
  const lineCounter = new LineCounter();
  // 'core' pins YAML 1.2 types even under a `%YAML 1.1` directive, so values stay JSON-like
  // (no Dates, Sets or binary buffers sneaking into extra_params). The library's own
  // unique-key check is quadratic (minutes on 1 MiB of keys), and pretty errors copy
  // context per error; keyProblems() and lineCounter do those jobs in linear time.
  const doc = parseDocument(text, { lineCounter, schema: 'core', uniqueKeys: false, prettyErrors: false, logLevel: 'error' });
  return { doc, lineCounter };
}

/**
 * Key problems the library would let through: keys repeated within one mapping (a JS
 * object would silently keep the last) and list/mapping keys (stringified into nonsense).
 */
function keyProblems(doc: Document, lc: LineCounter, file: string): IssueInit[] {
  const issues: IssueInit[] = [];
  const at = (node: Node | null, issue: IssueInit) => {
    if (node?.range) issue.line = lc.linePos(node.range[0]).line;
    issues.push(issue);
  };
  visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const keyNode = pair.key as Node | null;
        if (keyNode !== null && !isScalar(keyNode)) {
          at(keyNode, {
            file,
            expected: 'a plain key',
            found: 'a list or mapping used as a key',
            text: 'invalid YAML: a key must be plain text, not a list or mapping',
          });
          continue;
        }
        const key = String(isScalar(keyNode) ? keyNode.value : null);
        if (!seen.has(key)) seen.add(key);
        else {
          const shown = JSON.stringify(key.slice(0, 40));
          at(keyNode, {
            file,
            expected: 'each key once per mapping',
            found: `a second ${shown}`,
            text: `invalid YAML: duplicate key ${shown} (map keys must be unique)`,
          });
        }
      }
    },
  });
  return issues;
}

/**
 * Where a syntax error really is. For something left open (a quote, a flow
 * list or mapping), the parser notices only where the next thing starts, often
 * lines later; the opener is what the user must fix.
 */
export function syntaxOffset(text: string, message: string, offset: number): number {
  const quote = /Missing closing (["'])quote/.exec(message)?.[1];
  if (quote) {
    const at = text.lastIndexOf(quote, Math.max(0, offset - 1));
    return at >= 0 ? at : offset;
  }
  const closer = /end with an? ([\]}])/.exec(message)?.[1];
  if (closer) {
    const opener = closer === ']' ? '[' : '{';
    let depth = 0;
    for (let i = Math.min(offset, text.length) - 1; i >= 0; i--) {
      const c = text[i];
      if (c === closer) depth++;
      else if (c === opener) {
        if (depth === 0) return i;
        depth--;
      }
    }
  }
  return offset;
}

function parseYaml(text: string, file: string): ParsedSource {
  const { doc, lineCounter } = guard(file, () => yamlDocument(text));
  if (doc.errors.length > 0) {
    const shown = doc.errors.slice(0, MAX_SYNTAX_ISSUES).map((e): IssueInit => {
      const reason = /call stack/i.test(e.message) ? 'content is nested too deeply' : firstLine(e.message);
      const { line, col } = lineCounter.linePos(syntaxOffset(text, e.message, e.pos[0]));
      return { file, line, column: col, expected: 'valid YAML', found: reason, text: `invalid YAML: ${reason}` };
    });
    throw new ConfigError(shown, doc.errors.length - shown.length);
  }
  const dupes = guard(file, () => keyProblems(doc, lineCounter, file));
  if (dupes.length > 0) throw new ConfigError(dupes.slice(0, MAX_SYNTAX_ISSUES), dupes.length - MAX_SYNTAX_ISSUES);
  const value = guard(file, () => {
    try {
      return doc.toJS({ maxAliasCount: MAX_YAML_ALIAS_COUNT }) as unknown;
    } catch (error) {
      if (error instanceof ReferenceError && /alias/i.test(error.message)) {
        throw new ConfigError({
          file,
          expected: `YAML whose aliases expand to at most ${MAX_YAML_ALIAS_COUNT} nodes`,
          found: 'aliases that expand too much',
          text: 'YAML aliases (*name) expand too much; refusing to load (possible "billion laughs" file)',
        });
      }
      throw error;
    }
  });
  return { file, format: 'yaml', value, lineOf: (path) => lineOfPath(doc, lineCounter, path) };
}

function parseJson(text: string, file: string): ParsedSource {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    if (error instanceof SyntaxError) {
      const found = jsonSyntaxError(text);
      const reason = found?.message ?? firstLine(error.message);
      const issue = { file, expected: 'valid JSON', found: reason, text: `invalid JSON: ${reason}` };
      throw new ConfigError(found ? { ...issue, line: lineAt(text, found.offset) } : issue);
    }
    throw nestingError(file);
  }
  // Positions are only needed for error messages, so the YAML parse (JSON is a subset) is lazy.
  let positions: ReturnType<typeof yamlDocument> | null | undefined;
  const lineOf = (path: readonly PathSegment[]) => {
    if (positions === undefined) {
      try {
        positions = yamlDocument(text);
      } catch {
        positions = null;
      }
    }
    if (!positions) return undefined;
    try {
      return lineOfPath(positions.doc, positions.lineCounter, path);
    } catch {
      return undefined;
    }
  };
  return { file, format: 'json', value, lineOf };
}

/** Runs library code; a blown stack on absurd nesting becomes a ConfigError. */
function guard<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    if (error instanceof RangeError) throw nestingError(file);
    throw new ConfigError({
      file,
      expected: 'parsable text',
      found: firstLine(String((error as Error)?.message ?? error)),
      text: `cannot parse file: ${firstLine(String((error as Error)?.message ?? error))}`,
    });
  }
}

function nestingError(file: string, line?: number): ConfigError {
  const issue: IssueInit = {
    file,
    expected: `at most ${MAX_CONFIG_NESTING} levels of nesting`,
    found: 'deeper nesting',
    text: `content is nested too deeply (more than ${MAX_CONFIG_NESTING} levels)`,
  };
  if (line !== undefined) issue.line = line;
  return new ConfigError(issue);
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? '').slice(0, 200);
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

const keyIndexes = new WeakMap<YAMLMap, Map<string, Pair>>();

/** key -> pair per mapping, built once: many issues in a big file stay linear. */
function keyIndex(map: YAMLMap): Map<string, Pair> {
  let index = keyIndexes.get(map);
  if (!index) {
    index = new Map();
    // Later duplicates win, as they do in JSON.parse.
    for (const p of map.items) index.set(isScalar(p.key) ? String(p.key.value) : String(p.key), p);
    keyIndexes.set(map, index);
  }
  return index;
}

/**
 * Line of the key (for map entries) or item (for list entries) at `path`. When the path
 * runs out (a missing key), the deepest existing ancestor's line is the best pointer.
 */
function lineOfPath(doc: Document, lc: LineCounter, path: readonly PathSegment[]): number | undefined {
  const lineOfNode = (node: unknown) => {
    const range = (node as Node | null | undefined)?.range;
    return range ? lc.linePos(range[0]).line : undefined;
  };
  let node: unknown = doc.contents;
  let line = lineOfNode(node);
  for (const seg of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = keyIndex(node).get(String(seg));
      if (!pair) return line;
      line = lineOfNode(pair.key) ?? lineOfNode(pair.value) ?? line;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined) return line;
      line = lineOfNode(item) ?? line;
      node = item;
    } else {
      return line;
    }
  }
  return line;
}

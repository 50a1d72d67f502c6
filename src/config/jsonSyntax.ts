/**
 * Finds where JSON text goes wrong. JSON.parse stays the parser of record; its messages in
 * Node 20 often lack a position, so this small scanner exists only to name the offset and
 * the reason. Iterative (explicit stack) so deep nesting cannot blow the call stack.
 */

export interface JsonSyntaxProblem {
  offset: number;
  message: string;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES = '"\\/bfnrtu';

function describe(ch: string | undefined): string {
  if (ch === undefined) return 'end of file';
  if (ch === '/') return '"/" (comments are not allowed in JSON)';
  if (ch === "'") return `"'" (JSON strings use double quotes)`;
  return JSON.stringify(ch);
}

/** The first syntax problem in `text`, or undefined when it is valid JSON. */
export function jsonSyntaxError(text: string): JsonSyntaxProblem | undefined {
  const n = text.length;
  const stack: ('{' | '[')[] = [];
  let i = 0;
  // value: a value must follow; firstItem: just after '[' (']' allowed);
  // firstKey: just after '{' ('}' allowed); key: after ',' in an object; after: a value just ended.
  let state: 'value' | 'firstItem' | 'firstKey' | 'key' | 'after' = 'value';
  const fail = (message: string): JsonSyntaxProblem => ({ offset: Math.min(i, n), message });

  const skipSpace = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const scanString = (): JsonSyntaxProblem | undefined => {
    const start = i++;
    while (i < n) {
      const ch = text[i]!;
      if (ch === '"') {
        i++;
        return undefined;
      }
      if (ch === '\\') {
        const esc = text[i + 1];
        if (esc === undefined || !ESCAPES.includes(esc)) {
          i++;
          return fail(`invalid escape ${describe(esc === undefined ? undefined : `\\${esc}`)} in string`);
        }
        if (esc === 'u' && !/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return fail('invalid \\u escape in string');
        i += esc === 'u' ? 6 : 2;
        continue;
      }
      if (ch < ' ') return fail('unescaped line break or control character in string');
      i++;
    }
    i = start;
    return fail('unterminated string');
  };

  for (;;) {
    skipSpace();
    const ch = text[i];
    if (state === 'after') {
      const top = stack[stack.length - 1];
      if (top === undefined) return i < n ? fail(`unexpected ${describe(ch)} after the end of the JSON value`) : undefined;
      const close = top === '{' ? '}' : ']';
      if (ch === ',') {
        i++;
        state = top === '{' ? 'key' : 'value';
      } else if (ch === close) {
        i++;
        stack.pop();
      } else {
        return fail(`expected "," or "${close}", found ${describe(ch)}`);
      }
      continue;
    }
    if (state === 'firstKey' || state === 'key') {
      if (state === 'firstKey' && ch === '}') {
        i++;
        stack.pop();
        state = 'after';
        continue;
      }
      if (ch !== '"') {
        return fail(ch === '}' ? 'trailing comma before "}"' : `expected a double-quoted key, found ${describe(ch)}`);
      }
      const bad = scanString();
      if (bad) return bad;
      skipSpace();
      if (text[i] !== ':') return fail(`expected ":" after the key, found ${describe(text[i])}`);
      i++;
      state = 'value';
      continue;
    }
    // state is 'value' or 'firstItem'
    if (ch === ']' && state === 'firstItem') {
      i++;
      stack.pop();
      state = 'after';
      continue;
    }
    if (ch === ']' && stack[stack.length - 1] === '[') return fail('trailing comma before "]"');
    if (ch === '{' || ch === '[') {
      stack.push(ch);
      i++;
      state = ch === '{' ? 'firstKey' : 'firstItem';
      continue;
    }
    state = 'after';
    if (ch === '"') {
      const bad = scanString();
      if (bad) return bad;
      continue;
    }
    NUMBER.lastIndex = i;
    const num = NUMBER.exec(text);
    if (num) {
      i += num[0].length;
      continue;
    }
    const word = ['true', 'false', 'null'].find((w) => text.startsWith(w, i));
    if (word) {
      i += word.length;
      continue;
    }
    return fail(`expected a value, found ${describe(ch)}`);
  }
}

/**
 * A small glob matcher for search_files' `glob` filter (Node 20 has no stable
 * one). Supports `*` (within a segment), `**` (any number of segments), `?`,
 * `{a,b}` and `[abc]`. A pattern without "/" matches the file's base name,
 * like `--include` in grep or `-name` in find.
 */

export function globToRegExp(glob: string): RegExp {
  let out = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') {
          i++;
          out += '(?:.*/)?'; // "**/" also matches zero directories
        } else {
          out += '.*';
        }
      } else {
        out += '[^/]*';
      }
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '{') {
      braces++;
      out += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      out += ')';
    } else if (c === ',' && braces > 0) {
      out += '|';
    } else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close === -1) {
        out += '\\[';
      } else {
        const body = glob
          .slice(i + 1, close)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        out += `[${body}]`;
        i = close;
      }
    } else {
      out += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
    }
  }
  out += ')'.repeat(braces); // tolerate an unclosed "{"
  return new RegExp(`^${out}$`);
}

/** Matcher for workspace-relative "/"-separated paths. */
export function globMatcher(glob: string): (relPath: string) => boolean {
  const pattern = glob.replace(/^\.\//, '');
  const re = globToRegExp(pattern);
  if (pattern.includes('/')) return (p) => re.test(p);
  return (p) => re.test(p.slice(p.lastIndexOf('/') + 1));
}

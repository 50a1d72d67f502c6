/**
 * Facts the offline model derives from real tool output: the directory
 * listing of list_dir and the text of key files. No guessing beyond them.
 */

export interface ListingEntry {
  /** Path relative to the listed directory, `/`-separated, no trailing slash. */
  path: string;
  dir: boolean;
}

/**
 * list_dir prints one entry per line, indented two spaces per level, with a
 * trailing `/` on directories and an optional `(size)` after files.
 */
export function parseListing(output: string): ListingEntry[] {
  const entries: ListingEntry[] = [];
  const stack: string[] = [];
  for (const raw of output.split('\n')) {
    const m = /^( *)(?:[-*] )?(.+?)(\/)?(?:\s+\([^)]*\))?\s*$/.exec(raw);
    if (!m || !m[2] || raw.trim().startsWith('[') || /^\S.*:$/.test(raw.trim())) continue;
    const depth = Math.floor(m[1]!.length / 2);
    const name = m[2].trim();
    if (name.startsWith('(') || name.startsWith('…') || name.startsWith('...')) continue;
    stack.length = depth;
    const path = [...stack, name].join('/');
    const dir = m[3] === '/';
    entries.push({ path, dir });
    if (dir) stack[depth] = name;
  }
  return entries;
}

function extensionOf(path: string): string {
  const base = path.split('/').pop() ?? '';
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot) : '';
}

function topExtensions(files: string[], n = 2): string {
  const counts = new Map<string, number>();
  for (const f of files) {
    const ext = extensionOf(f);
    if (ext) counts.set(ext, (counts.get(ext) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, n)
    .map(([ext, c]) => `${c} ${ext}`)
    .join(', ');
}

/** At most `max` characters, cut at a word, with Markdown links and images reduced to their text (never cut mid-link). */
export function gist(text: string, max = 240): string {
  const plain = text
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
  if (plain.length <= max) return plain;
  const cut = plain.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:(–—-]+$/, '')}…`;
}

function keyFileFact(path: string, text: string): string {
  const body = text.replace(/^\[[^\]]*\]\s*$/gm, '').trim();
  if (/package\.json$/i.test(path)) {
    try {
      const pkg = JSON.parse(body.slice(body.indexOf('{'))) as { name?: string; description?: string; scripts?: Record<string, string> };
      const scripts = Object.keys(pkg.scripts ?? {});
      return `${path}: package "${pkg.name ?? '?'}"${pkg.description ? ` (${pkg.description})` : ''}${scripts.length ? `; scripts: ${scripts.join(', ')}` : ''}`;
    } catch {
      return `${path}: present (not complete JSON in the first 4000 bytes)`;
    }
  }
  const heading = /^#\s+(.+)$/m.exec(body)?.[1];
  const para = body
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .find((p) => p && !p.startsWith('#') && !p.startsWith('```') && !p.startsWith('|') && !p.startsWith('!['));
  const summary = [heading, para ? gist(para) : undefined].filter(Boolean).join(' — ');
  return `${path}: ${summary || 'present'}`;
}

/** What a crawl of the workspace found, for a survey report. */
export interface LayoutFacts {
  files: string[];
  dirs: string[];
  ignored: string[];
  /** Directories not listed (step budget) or listed only in part (entry limit): counts are then lower bounds. */
  pending: string[];
  truncated: string[];
  /** Directories the tools may not list (protected paths): named, not counted. */
  refused?: string[];
}

export function describeLayout(facts: LayoutFacts, reads: { path: string; text: string }[]): string {
  const { files, dirs } = facts;
  if (!files.length && !dirs.length) return 'The workspace holds no files (the listing was empty).';
  const partial = facts.pending.length > 0 || facts.truncated.length > 0;
  const topDirs = dirs
    .filter((d) => !d.includes('/'))
    .map((d) => {
      const inside = files.filter((f) => f.startsWith(`${d}/`));
      const mix = topExtensions(inside);
      return `${d}/ (${inside.length} file${inside.length === 1 ? '' : 's'}${mix ? `: ${mix}` : ''})`;
    });
  const topFiles = files.filter((f) => !f.includes('/'));
  const lines = [
    `The workspace holds ${partial ? 'at least ' : ''}${files.length} files in ${dirs.length} ${dirs.length === 1 ? 'directory' : 'directories'} (every directory listed, dot-directories included).`,
  ];
  if (facts.ignored.length)
    lines.push(
      `Not counted: ${facts.ignored.slice(0, 12).join(', ')}${facts.ignored.length > 12 ? ', …' : ''} (ignored by .gitignore, or GEPA-AIME's own output).`,
    );
  if (facts.refused?.length) lines.push(`Not listed (the tools may not read them): ${facts.refused.join(', ')}.`);
  if (partial) lines.push(`Not fully listed: ${[...facts.pending, ...facts.truncated].slice(0, 8).join(', ')}.`);
  lines.push(`Top-level directories: ${topDirs.join(', ') || 'none'}.`, `Top-level files: ${topFiles.join(', ') || 'none'}.`);
  const mix = topExtensions(files, 4);
  if (mix) lines.push(`Most common file types: ${mix}.`);
  if (reads.length) lines.push(`Key files: ${reads.map((r) => keyFileFact(r.path, r.text)).join('; ')}.`);
  return lines.join('\n');
}

/** The survey said again in brief and in other words: where most files are, and what the project says it is. */
export function briefLayout(survey: string): string {
  const total = /The workspace holds ((?:at least )?\d+) files in (\d+) director/.exec(survey);
  const dirs = [...(/Top-level directories: (.*)\./.exec(survey)?.[1] ?? '').matchAll(/([^\s,]+)\/ \((\d+) files?/g)]
    .map((m) => ({ name: m[1]!, n: Number(m[2]) }))
    .sort((a, b) => b.n - a.n)
    .slice(0, 3);
  const project = /Key files: ([^;\n]*)/
    .exec(survey)?.[1]
    ?.replace(/^[^:]+: /, '')
    .replace(/\.+$/, '');
  const parts = [
    total ? `In brief: ${total[1]} files in ${total[2]} ${total[2] === '1' ? 'directory' : 'directories'}` : 'In brief:',
    dirs.length ? `most of them in ${dirs.map((d) => `${d.name}/ (${d.n})`).join(', ')}` : 'all at the top level',
  ];
  return `${parts.join(', ')}.${project ? ` The project describes itself as: ${project}.` : ''}`;
}

export function proposeNextSteps(facts: Pick<LayoutFacts, 'files' | 'dirs'>, todoLines: string[]): string {
  const paths = [...facts.dirs.map((d) => `${d}/`), ...facts.files];
  const has = (re: RegExp) => paths.some((p) => re.test(p));
  const steps: string[] = [];
  if (todoLines.length) {
    const files = [...new Set(todoLines.map((l) => l.split(':')[0]))];
    steps.push(`Resolve the ${todoLines.length} TODO/FIXME marker(s) in ${files.slice(0, 5).join(', ')}${files.length > 5 ? ', …' : ''}.`);
  }
  if (!has(/^readme/i)) steps.push('Add a README that says what the project is and how to run it.');
  if (!has(/(^|\/)(tests?|spec|__tests__)\/|\.(test|spec)\.\w+$/i)) steps.push('Add automated tests; none were found.');
  if (!has(/^(\.github\/workflows\/|\.ci\/|\.gitlab-ci\.yml$|\.circleci\/|Jenkinsfile$)/))
    steps.push('Add continuous integration that runs the tests on every change.');
  if (!has(/^licen[cs]e/i)) steps.push('Add a LICENSE file.');
  if (!has(/^(docs?|documentation)\//i)) steps.push('Write user documentation beyond the README (a docs/ folder).');
  if (!steps.length) steps.push('The basics (README, tests, CI, license, docs) are in place: next, review open issues and measure performance.');
  return `Proposed next steps:\n${steps.map((s, i) => `${i + 1}. ${s}`).join('\n')}`;
}

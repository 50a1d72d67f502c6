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

function topExtensions(files: ListingEntry[], n = 2): string {
  const counts = new Map<string, number>();
  for (const f of files) {
    const ext = extensionOf(f.path);
    if (ext) counts.set(ext, (counts.get(ext) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, n)
    .map(([ext, c]) => `${c} ${ext}`)
    .join(', ');
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
  const gist = [heading, para?.replace(/\s+/g, ' ').slice(0, 240)].filter(Boolean).join(' — ');
  return `${path}: ${gist || 'present'}`;
}

export function describeLayout(listing: ListingEntry[], reads: { path: string; text: string }[]): string {
  const files = listing.filter((e) => !e.dir);
  const dirs = listing.filter((e) => e.dir);
  if (!listing.length) return 'The workspace holds no files (the listing was empty).';
  const top = listing.filter((e) => !e.path.includes('/'));
  const topDirs = top
    .filter((e) => e.dir)
    .map((d) => {
      const inside = files.filter((f) => f.path.startsWith(`${d.path}/`));
      const mix = topExtensions(inside);
      return `${d.path}/ (${inside.length} file${inside.length === 1 ? '' : 's'}${mix ? `: ${mix}` : ''})`;
    });
  const topFiles = top.filter((e) => !e.dir).map((f) => f.path);
  const lines = [
    `The workspace holds ${files.length} files in ${dirs.length} directories (listed to depth 3).`,
    `Top-level directories: ${topDirs.join(', ') || 'none'}.`,
    `Top-level files: ${topFiles.join(', ') || 'none'}.`,
  ];
  const mix = topExtensions(files, 4);
  if (mix) lines.push(`Most common file types: ${mix}.`);
  if (reads.length) lines.push(`Key files: ${reads.map((r) => keyFileFact(r.path, r.text)).join('; ')}.`);
  return lines.join('\n');
}

export function proposeNextSteps(listing: ListingEntry[], todoLines: string[]): string {
  const has = (re: RegExp) => listing.some((e) => re.test(e.path));
  const steps: string[] = [];
  if (todoLines.length) {
    const files = [...new Set(todoLines.map((l) => l.split(':')[0]))];
    steps.push(`Resolve the ${todoLines.length} TODO/FIXME marker(s) in ${files.slice(0, 5).join(', ')}${files.length > 5 ? ', …' : ''}.`);
  }
  if (!has(/^readme/i)) steps.push('Add a README that says what the project is and how to run it.');
  if (!has(/(^|\/)(tests?|spec|__tests__)(\/|$)|\.(test|spec)\.\w+$/i)) steps.push('Add automated tests; none were found.');
  if (!has(/^(\.github|\.ci|\.gitlab-ci\.yml|\.circleci|Jenkinsfile)/)) steps.push('Add continuous integration that runs the tests on every change.');
  if (!has(/^licen[cs]e/i)) steps.push('Add a LICENSE file.');
  if (!has(/^(docs?|documentation)\//i)) steps.push('Write user documentation beyond the README (a docs/ folder).');
  if (!steps.length) steps.push('The basics (README, tests, CI, license, docs) are in place: next, review open issues and measure performance.');
  return `Proposed next steps:\n${steps.map((s, i) => `${i + 1}. ${s}`).join('\n')}`;
}

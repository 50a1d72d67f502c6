/**
 * The best candidate as a new team file: the original YAML document is
 * edited in place (yaml's Document API), so structure, key order, comments
 * and the workflow stay as written; only components whose text changed are
 * touched, each by its handler. The original file is never written.
 */
import path from 'node:path';
import { isScalar, parseDocument } from 'yaml';
import type { Candidate } from '../gepa/index.js';
import { componentHandlers, parseQualifiedName, type ComponentRegistry } from './components.js';

export interface EvolvedFileOptions {
  /** The team file's text. */
  text: string;
  seed: Candidate;
  best: Candidate;
  /** A comment line for the top of the file, e.g. where it came from. */
  header?: string;
  registry?: ComponentRegistry;
  /** The original's and the new file's directories: a relative `scorer:` path is rewritten to still point at the module. */
  fromDir?: string;
  toDir?: string;
}

export interface EvolvedFile {
  text: string;
  /** Qualified names written. */
  changed: string[];
  /** Changed components whose handler cannot write YAML (a custom handler without writeYaml). */
  skipped: string[];
}

export function evolvedTeamText(o: EvolvedFileOptions): EvolvedFile {
  const registry = o.registry ?? componentHandlers;
  const doc = parseDocument(o.text, { schema: 'core' });
  const changed: string[] = [];
  const skipped: string[] = [];
  for (const [qualified, value] of Object.entries(o.best)) {
    if (o.seed[qualified] === value) continue;
    const spec = parseQualifiedName(qualified);
    const handler = spec && registry.has(spec.component) ? registry.get(spec.component) : null;
    if (!spec || !handler?.writeYaml) {
      skipped.push(qualified);
      continue;
    }
    handler.writeYaml(doc, ['agents', spec.agent], value);
    changed.push(qualified);
  }
  const scorer = doc.get('scorer', true);
  if (o.fromDir && o.toDir && isScalar(scorer) && typeof scorer.value === 'string' && !path.isAbsolute(scorer.value)) {
    const moved = path.relative(o.toDir, path.resolve(o.fromDir, scorer.value));
    if (moved !== scorer.value) scorer.value = moved.startsWith('.') ? moved : `./${moved}`;
  }
  if (o.header) doc.commentBefore = doc.commentBefore ? `${o.header}\n${doc.commentBefore}` : o.header;
  return { text: doc.toString({ lineWidth: 0, flowCollectionPadding: false }), changed, skipped };
}

/**
 * personas.yaml (optional): the kinds of actor the planner can hand a task to, each with a
 * system prompt, tool bundles, background knowledge and keywords that suggest it.
 */
import { z } from 'zod';
import { bundleRef, isPlainObject, list, mapping, name, text } from './fields.js';
import { packagedConfigFile } from './packaged.js';
import { parseSource, readConfigText, type ParsedSource } from './source.js';
import { validate, valueAt, type CheckIssue } from './validate.js';

const persona = mapping(
  {
    description: text('a description'),
    // The persona's system-prompt text.
    prompt: text('the persona prompt text'),
    // Tool bundle names (see tool_bundles.json).
    bundles: list(bundleRef(), 'a list of bundle names'),
    // Short facts or guidelines given to the persona.
    knowledge: list(text('a short fact or guideline'), 'a list of facts or guidelines').default(() => []),
    // Keywords in a task that suggest this persona.
    when: list(text('a keyword'), 'a list of keywords').default(() => []),
  },
  'a persona: description, prompt, bundles, optional knowledge and when',
);

export const personasConfigSchema = mapping(
  {
    personas: z.record(name(), persona, { error: 'a mapping of persona name to persona' }),
    default_persona: name(),
  },
  'a mapping with personas and default_persona',
);

// The types are the schema's output: each key is said once, in the schema.
export type PersonasConfig = z.output<typeof personasConfigSchema>;
export type PersonaConfig = z.output<typeof persona>;

export interface PersonaOptions {
  /** Bundle names from tool_bundles.json; when given, persona bundles must be among them. */
  knownBundles?: readonly string[];
}

export function parsePersonasConfig(src: ParsedSource, opts: PersonaOptions = {}): PersonasConfig {
  if (src.value === null) return defaultPersonasConfig(opts.knownBundles); // an empty file, like a missing one
  return validate(personasConfigSchema, src.value, src, { checks: (raw) => personaChecks(raw, opts.knownBundles) });
}

let builtin: PersonasConfig | undefined;

/** The built-in personas are the shipped config/personas.yaml (one source): read and checked once. */
function builtinPersonas(): PersonasConfig {
  if (!builtin) {
    const file = packagedConfigFile('personas.yaml');
    const src = parseSource(readConfigText(file)!, file, 'yaml');
    builtin = validate(personasConfigSchema, src.value, src, { checks: (raw) => personaChecks(raw) });
  }
  return builtin;
}

/**
 * A fresh copy of the built-in personas. Given the known bundles, bundles that the tool
 * config does not define are dropped: defaults must not break a trimmed tool_bundles.json.
 */
export function defaultPersonasConfig(knownBundles?: readonly string[]): PersonasConfig {
  const copy: PersonasConfig = structuredClone(builtinPersonas());
  if (knownBundles) for (const p of Object.values(copy.personas)) p.bundles = p.bundles.filter((b) => knownBundles.includes(b));
  return copy;
}

function personaChecks(raw: unknown, knownBundles?: readonly string[]): CheckIssue[] {
  const issues: CheckIssue[] = [];
  const personas = valueAt(raw, ['personas']);
  if (!isPlainObject(personas)) return issues;
  const names = Object.keys(personas);
  if (names.length === 0) issues.push({ path: ['personas'], expected: 'at least one persona' });
  const def = valueAt(raw, ['default_persona']);
  if (typeof def === 'string' && names.length > 0 && !names.includes(def)) {
    issues.push({
      path: ['default_persona'],
      expected: `the name of a persona defined under personas (${names.join(', ')})`,
      found: `unknown persona ${JSON.stringify(def)}`,
    });
  }
  if (knownBundles) {
    for (const p of names) {
      const bundles = valueAt(personas, [p, 'bundles']);
      if (!Array.isArray(bundles)) continue;
      bundles.forEach((b, i) => {
        if (typeof b === 'string' && !knownBundles.includes(b)) {
          issues.push({
            path: ['personas', p, 'bundles', i],
            expected: `a bundle defined in tool_bundles.json (${knownBundles.join(', ')})`,
            found: `unknown bundle ${JSON.stringify(b)}`,
          });
        }
      });
    }
  }
  return issues;
}

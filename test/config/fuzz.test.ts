/**
 * Property tests: whatever the text, parseConfigText returns a config or throws a
 * ConfigError with located, non-empty issues — never any other error. Valid results
 * survive a round trip through YAML/JSON unchanged.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText, type ConfigKind } from '../../src/config/index.js';
import { SHIPPED_DIR } from './fixtures.js';

const KINDS: ConfigKind[] = ['model', 'gepa', 'tools', 'personas'];
const FILE = 'fuzz/config.file';
const OPTS = {
  env: { GEPA_AIME_MODEL: 'm', OPENAI_API_KEY: 'k' },
  knownBundles: ['filesystem', 'web'],
  knownPersonas: ['generalist', 'writer'],
};

/** Parse; a ConfigError must be well formed; anything else fails the property. */
function parseOrConfigError(kind: ConfigKind, text: string): unknown {
  try {
    return parseConfigText(kind, text, FILE, OPTS);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    expect(error.issues.length).toBeGreaterThan(0);
    expect(error.message).toContain(FILE);
    const lines = text.split(/\r\n|\r|\n/).length;
    for (const issue of error.issues) {
      expect(issue.file).toBe(FILE);
      if (issue.line !== undefined) expect(issue.line).toBeGreaterThanOrEqual(1);
      if (issue.line !== undefined) expect(issue.line).toBeLessThanOrEqual(lines + 1);
    }
    return undefined;
  }
}

const dump = (kind: ConfigKind, value: unknown) => (kind === 'tools' ? JSON.stringify(value) : stringify(value));

/** Characters that drive YAML and JSON syntax, so random text hits parser corners often. */
const syntaxy = fc.string({
  unit: fc.constantFrom(...':-[]{},"\'#&*!|>\n\t %@`?\\.0123456789aez_'.split(''), 'true', 'null', '<<', '---', '...'),
  maxLength: 200,
});

const scalar = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -5, max: 5000 }),
  fc.double({ noNaN: false }),
  fc.string({ maxLength: 12 }),
  fc.constantFrom('offline', 'vllm', 'replay', 'http://h/v1', 'filesystem', 'web', 'generalist', 'pareto', 'all', '<curr_param><side_info>'),
);
const loose: fc.Arbitrary<unknown> = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 6 }), scalar, { maxKeys: 3 }));
const section = (keys: string[], extra: fc.Arbitrary<unknown> = loose) => fc.record(Object.fromEntries(keys.map((k) => [k, extra])), { requiredKeys: [] });

/** Documents shaped like each kind, with plausible and implausible values. */
const shaped: Record<ConfigKind, fc.Arbitrary<unknown>> = {
  model: fc.record(
    {
      provider: loose,
      model: loose,
      api_base: loose,
      api_key: loose,
      request_timeout: loose,
      temperature: loose,
      replay_file: loose,
      extra_params: loose,
      surprise: loose,
      roles: fc.oneof(
        loose,
        fc.record(
          {
            planner: section(['temperature', 'model', 'typo']),
            personas: fc.dictionary(fc.constantFrom('writer', 'x y', 'nobody'), section(['seed', 'top_p'])),
          },
          { requiredKeys: [] },
        ),
      ),
    },
    { requiredKeys: [] },
  ),
  gepa: fc.record(
    {
      online: fc.oneof(loose, section(['window', 'recency_decay', 'threshold', 'bogus'])),
      offline: fc.oneof(loose, section(['epsilon', 'candidate_selection', 'reflection_prompt_template'])),
    },
    { requiredKeys: [] },
  ),
  tools: fc.record(
    {
      bundles: fc.oneof(loose, fc.dictionary(fc.constantFrom('filesystem', 'web', 'x', 'bad name'), section(['description', 'tools']))),
      default_bundles: loose,
      custom_tools: fc.oneof(loose, fc.array(section(['module', 'export']), { maxLength: 2 })),
      web_search: fc.oneof(loose, section(['provider', 'url', 'max_results'])),
      limits: fc.oneof(loose, section(['max_write_bytes', 'max_read_bytes'])),
    },
    { requiredKeys: [] },
  ),
  personas: fc.record(
    {
      personas: fc.oneof(loose, fc.dictionary(fc.constantFrom('generalist', 'writer', '1bad'), section(['description', 'prompt', 'bundles', 'when']))),
      default_persona: loose,
    },
    { requiredKeys: [] },
  ),
};

describe('parseConfigText never throws anything but ConfigError', () => {
  it.each(KINDS)('%s: arbitrary strings', (kind) => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), syntaxy), (text) => void parseOrConfigError(kind, text)),
      { numRuns: 300 },
    );
  });

  it.each(KINDS)('%s: arbitrary JSON values dumped to the file format', (kind) => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => void parseOrConfigError(kind, dump(kind, value))),
      { numRuns: 200 },
    );
  });

  it.each(KINDS)('%s: config-shaped documents; valid results round-trip', (kind) => {
    fc.assert(
      fc.property(shaped[kind], (value) => {
        const out = parseOrConfigError(kind, dump(kind, value));
        if (out !== undefined) expect(parseOrConfigError(kind, dump(kind, out))).toEqual(out);
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    ['model', 'model_config.yaml'],
    ['gepa', 'gepa_config.yaml'],
    ['tools', 'tool_bundles.json'],
    ['personas', 'personas.yaml'],
  ] as const)('%s: random edits of the shipped file', (kind, name) => {
    const original = readFileSync(join(SHIPPED_DIR, name), 'utf8');
    const edit = fc.record({ at: fc.nat({ max: original.length }), del: fc.nat({ max: 8 }), insert: fc.oneof(syntaxy, fc.string({ maxLength: 4 })) });
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
        let text = original;
        for (const e of edits) text = text.slice(0, e.at) + e.insert + text.slice(e.at + e.del);
        parseOrConfigError(kind, text);
      }),
      { numRuns: 300 },
    );
  });
});

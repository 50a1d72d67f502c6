/**
 * The reflection prompt (built-in and custom templates), the Markdown
 * rendering of the reflective dataset, and extraction of the new text from
 * the reflection model's reply.
 */
import { describe, expect, it } from 'vitest';
import { reply, ScriptedModel } from '../../src/llm/scripted.js';
import {
  DEFAULT_REFLECTION_TEMPLATE,
  extractInstruction,
  proposeWithModel,
  renderReflectionPrompt,
  renderSideInfo,
  ReflectionTemplateError,
} from '../../src/gepa/reflection.js';

const records = [
  { Inputs: 'word:alpha', 'Generated Outputs': 'I do not know.', Feedback: "The correct answer is 'ALPHA-OK'." },
  { Inputs: 'word:bravo', 'Generated Outputs': 'BRAVO-OK', Feedback: 'Correct.' },
];

describe('reflection prompt', () => {
  it('puts the current instruction and the examples with feedback in fences, and asks for ``` blocks', () => {
    const prompt = renderReflectionPrompt(null, 'Answer briefly.', records);
    expect(prompt).toContain('```\nAnswer briefly.\n```');
    expect(prompt).toContain('# Example 1\n## Inputs\nword:alpha\n\n## Generated Outputs\nI do not know.\n\n## Feedback\n');
    expect(prompt).toContain('# Example 2\n');
    expect(prompt.trimEnd().endsWith('Provide the new instruction within ``` blocks.')).toBe(true);
    expect(prompt).not.toContain('<curr_param>');
    expect(prompt).not.toContain('<side_info>');
  });

  it('renders nested records one heading level deeper', () => {
    const md = renderSideInfo([{ Inputs: { question: 'q?', options: ['x', 'y'] }, Feedback: 'ok' }]);
    expect(md).toBe('# Example 1\n## Inputs\n### question\nq?\n\n### options\n#### Item 1\nx\n\n#### Item 2\ny\n\n## Feedback\nok\n\n');
  });

  it('fills a custom template once, even when the instruction contains a placeholder', () => {
    const prompt = renderReflectionPrompt('NOW: <curr_param>\nDATA: <side_info>\nEND', 'mention <side_info> literally', records.slice(0, 1));
    expect(prompt.startsWith('NOW: mention <side_info> literally\nDATA: # Example 1\n')).toBe(true);
    expect(prompt.endsWith('END')).toBe(true);
  });

  it('refuses a template without both placeholders', () => {
    expect(() => renderReflectionPrompt('only <curr_param>', 'x', records)).toThrow(ReflectionTemplateError);
    expect(() => renderReflectionPrompt('only <curr_param>', 'x', records)).toThrow(/<side_info>/);
  });

  it('sends one user message per component to the reflection model and skips components without records', async () => {
    const model = new ScriptedModel([reply.text('```\nnew A\n```')], 'reflection');
    const texts = await proposeWithModel({
      model,
      candidate: { a: 'old A', b: 'old B' },
      dataset: { a: records, b: [] },
      components: ['a', 'b'],
      template: null,
    });
    expect(texts).toEqual({ a: 'new A' });
    expect(model.requests).toHaveLength(1);
    expect(model.requests[0]!.messages).toEqual([{ role: 'user', content: renderReflectionPrompt(DEFAULT_REFLECTION_TEMPLATE, 'old A', records) }]);
    expect(model.requests[0]!.purpose).toBe('gepa.reflection');
    model.assertUsedUp();
  });
});

describe('extractInstruction', () => {
  const cases: [string, string, string][] = [
    ['a plain fenced block', 'Sure.\n```\nBe precise.\n```\nHope it helps.', 'Be precise.'],
    ['a language tag on the fence', '```markdown\nBe precise.\nCite sources.\n```', 'Be precise.\nCite sources.'],
    ['a draft then a final version: the last block wins', 'Draft:\n```\nv1\n```\nBetter:\n```\nv2\n```', 'v2'],
    [
      'a nested ```json example inside the instruction',
      '```\nReply as JSON:\n```json\n{"a": 1}\n```\nNothing else.\n```',
      'Reply as JSON:\n```json\n{"a": 1}\n```\nNothing else.',
    ],
    ['an empty last block falls back to the previous one', '```\nkeep me\n```\n```\n```', 'keep me'],
    ['a reply cut off inside the block', 'Here:\n```\nBe precise.\nAlways', 'Be precise.\nAlways'],
    ['only a closing fence', 'Be precise.\n```', 'Be precise.'],
    ['no fences at all', '  Be precise.  ', 'Be precise.'],
    ['inline backticks are not fences', 'Write it in ``` blocks? OK: be precise.', 'Write it in ``` blocks? OK: be precise.'],
    ['a one-line fenced reply', '```Be precise.```', 'Be precise.'],
    ['indented fences and CRLF line ends', 'x\r\n  ```\r\n  Be precise.\r\n  ```\r\n', 'Be precise.'],
    ['only empty blocks: nothing proposed', 'Here:\n```\n```', ''],
  ];
  it.each(cases)('handles %s', (_name, input, expected) => {
    expect(extractInstruction(input)).toBe(expected);
  });
});

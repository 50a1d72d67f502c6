/**
 * The offline judge, rubric writer and generator never throw and always
 * answer within their schemas (fast-check over arbitrary prompts); judge
 * scorers carry a stable identity; a team evaluation whose judge fails is
 * not scored.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { offlineGoals } from '../../src/aime/offline/generator.js';
import { offlineRubric, offlineVerdict } from '../../src/aime/offline/judge.js';
import {
  Judge,
  buildJudgeMessages,
  generatorReplySchema,
  judgeGoalScorer,
  judgeMetric,
  judgeTeamScorer,
  parseReply,
  rubricReplySchema,
  verdictSchema,
} from '../../src/judge/index.js';
import { ScriptedModel } from '../../src/llm/scripted.js';
import { ModelError } from '../../contracts/llm.js';
import { createTeamAdapter } from '../../src/teams/adapter.js';
import { agent, FnModel } from '../teams/support.js';

const anyText = fc.oneof(
  fc.string({ maxLength: 400 }),
  fc
    .array(
      fc.constantFrom(
        '# Rubric\n',
        '# Evidence checks\n',
        '# Run\n',
        '1. ',
        'file a.md',
        ' exists',
        ' contains "x"',
        '\n\n',
        'status: completed\n',
        'answer:\n',
        '# Goal\n',
        '# Workspace files\n',
        '# Count\n',
        '- ',
        'README.md\n',
        '"q"',
      ),
      { maxLength: 40 },
    )
    .map((p) => p.join('')),
);

describe('offline judge / rubric writer / generator', () => {
  it('property: any prompt gets a reply that passes its schema', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expect(parseReply(verdictSchema, offlineVerdict(text)).ok).toBe(true);
        expect(parseReply(rubricReplySchema, offlineRubric(text)).ok).toBe(true);
        expect(parseReply(generatorReplySchema, offlineGoals(text)).ok).toBe(true);
      }),
    );
  });

  it('property: the verdict score is the share of settled criteria that are met, feedback one line', () => {
    const criterion = fc.constantFrom('run completed', 'answer contains "ok"', 'answer contains "zzz"', 'the work is elegant');
    fc.assert(
      fc.property(fc.array(criterion, { minLength: 1, maxLength: 6 }), fc.constantFrom('completed', 'failed'), (rubric, status) => {
        const [, user] = buildJudgeMessages('p', { goal: 'g', rubric, run: { status, answer: 'all ok' } });
        const v = JSON.parse(offlineVerdict(user!.content));
        const settled = v.criteria.filter((c: { met: boolean | null }) => c.met !== null);
        expect(v.score).toBeCloseTo(settled.length ? settled.filter((c: { met: boolean }) => c.met).length / settled.length : 0, 9);
        expect(v.feedback).not.toContain('\n');
        expect(v.criteria).toHaveLength(rubric.length);
      }),
    );
  });

  it('generates no goal twice and none it was told was already proposed', () => {
    const user =
      '# Seed goals\n- List the files\n\n# Workspace files\nREADME.md\nsrc/parser.ts\n\n# Count\n12\n\n# Round\n0\n\n# Already proposed\n- Search the workspace for "README" and write the findings to reports/readme.md';
    const goals = JSON.parse(offlineGoals(user)).goals.map((g: { goal: string }) => g.goal);
    expect(new Set(goals).size).toBe(goals.length);
    expect(goals).not.toContain('Search the workspace for "README" and write the findings to reports/readme.md');
  });
});

describe('judge scorers', () => {
  it('carry the identity of the judge and the config rubric', () => {
    const judge = new Judge({ model: new ScriptedModel(), modelName: 'vllm:j' });
    expect(judgeGoalScorer({ judge, configRubric: null }).identity).toBe(judge.identity);
    expect(judgeMetric({ judge, configRubric: ['run completed'] }).identity).toBe(judge.identityFor(['run completed']));
    expect(judgeTeamScorer({ judge, configRubric: ['a'] }).identity).not.toBe(judgeTeamScorer({ judge, configRubric: ['b'] }).identity);
  });

  it('team adapter: a judge failure fails the evaluation (it is not scored 0 like a failing agent)', async () => {
    const team = {
      agents: { w: agent('w', 'Write it.', { output_key: 'out' }) },
      workflow: { type: 'agent' as const, agent: 'w' },
      primary: 'w',
      components: { w: ['instruction'] },
      share_session: true,
    };
    const scorer = judgeTeamScorer({
      judge: new Judge({ model: new ScriptedModel([new ModelError('judge down', 'http', 500)]) }),
      configRubric: ['answer contains "x"'],
    });
    const a = createTeamAdapter({
      team,
      models: () => new FnModel(() => 'text'),
      reflectionModel: new FnModel(() => '```\nx\n```'),
      scorer,
    } as never);
    await expect(a.evaluate([{ input: 'go' }], a.seedCandidate(), true)).rejects.toThrow('the judge model failed: judge down');
  });
});

/**
 * The offline model as task generator. It cannot invent, so it fills goal
 * templates with names from the workspace listing, cycling through kinds that
 * differ in difficulty and tools. Like a real generator's output, not every
 * proposal is usable: one kind has no checkable criteria, one needs web search
 * the offline tools cannot do, one restates a seed; verification and the
 * near-duplicate filter are there to catch exactly these.
 */

function section(text: string, heading: string): string {
  const start = text.indexOf(`# ${heading}\n`);
  if (start < 0) return '';
  const body = text.slice(start + heading.length + 3);
  const end = body.indexOf('\n\n# ');
  return end < 0 ? body : body.slice(0, end);
}

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '') || 'item';

type Kind = 'search' | 'onboard' | 'guide' | 'review' | 'propose' | 'research' | 'vague' | 'restate';
const KINDS: Kind[] = ['search', 'onboard', 'propose', 'guide', 'research', 'vague', 'review', 'search', 'restate'];

export function offlineGoals(user: string): string {
  const seeds = section(user, 'Seed goals')
    .split('\n')
    .filter((l) => l.startsWith('- '))
    .map((l) => l.slice(2));
  const files = section(user, 'Workspace files')
    .split('\n')
    .filter((l) => l && l !== '(empty)');
  const count = Math.max(1, Math.min(50, Number(section(user, 'Count').trim()) || 5));
  const avoid = new Set(
    section(user, 'Already proposed')
      .split('\n')
      .filter((l) => l.startsWith('- '))
      .map((l) => l.slice(2)),
  );
  const stems = [
    ...new Set(
      files
        .map((f) =>
          f
            .split('/')
            .pop()!
            .replace(/\.[^.]*$/, ''),
        )
        .filter((s) => /^[A-Za-z][\w-]{2,39}$/.test(s)),
    ),
  ];
  const terms = stems.length ? stems : ['readme'];
  const readme = files.find((f) => /^readme(\.\w+)?$/i.test(f));
  const goals: { goal: string; criteria: string[]; difficulty: string; tools: string[] }[] = [];
  // A document about the workspace: it exists, names the README when there is one, and says what comes next.
  const docGoal = (file: string, goal: string, difficulty: string, more: string[] = []) => ({
    goal,
    criteria: [`file ${file} exists`, ...(readme ? [`file ${file} contains "${readme}"`] : []), `file ${file} contains "next steps"`, ...more],
    difficulty,
    tools: ['list_dir', 'read_file', 'write_file'],
  });
  // Walk (kind, term) pairs in a fixed order, skipping what was proposed before.
  for (let i = 0; goals.length < count && i < KINDS.length * terms.length * 2; i++) {
    const kind = KINDS[i % KINDS.length]!;
    const term = terms[(i + Math.floor(i / KINDS.length)) % terms.length]!;
    const tag = slug(term);
    const before = goals.length;
    switch (kind) {
      case 'search': {
        const file = `reports/${tag}.md`;
        goals.push({
          goal: `Search the workspace for "${term}" and write the findings to ${file}`,
          criteria: [`file ${file} exists`, `file ${file} contains "${term}"`, 'run completed'],
          difficulty: 'easy',
          tools: ['search_files', 'write_file'],
        });
        break;
      }
      case 'onboard': {
        const file = `docs/onboarding-${tag}.md`;
        goals.push(docGoal(file, `Document the workspace layout for a new contributor in ${file}, with what to do first`, 'medium'));
        break;
      }
      case 'guide': {
        const file = `guides/${tag}.md`;
        goals.push(docGoal(file, `Write a getting-started guide to the ${term} code in ${file} that ends with what a newcomer should do next`, 'medium'));
        break;
      }
      case 'review': {
        const file = `notes/review-${tag}.md`;
        const goal = `Explain how the project is organised, for someone reviewing ${term}, in ${file}, and say what they should look at first`;
        goals.push(docGoal(file, goal, 'hard', ['run completed']));
        break;
      }
      case 'propose': {
        const file = `plans/${tag}.md`;
        goals.push({
          goal: `Propose next steps for the ${term} work and save them to ${file}`,
          criteria: [`file ${file} exists`, `file ${file} contains "next steps"`],
          difficulty: 'medium',
          tools: ['list_dir', 'search_files', 'write_file'],
        });
        break;
      }
      case 'research': {
        const file = `research/${tag}.md`;
        goals.push({
          goal: `Research "${term}" on the web and write a summary with sources to ${file}`,
          criteria: [`file ${file} exists`, `file ${file} contains "http"`],
          difficulty: 'hard',
          tools: ['web_search', 'write_file'],
        });
        break;
      }
      case 'vague':
        goals.push({
          goal: `Make the ${term} part of the project better for everyone`,
          criteria: ['the project is clearly better', 'the team would be happy with the result'],
          difficulty: 'hard',
          tools: [],
        });
        break;
      case 'restate': {
        const seed = seeds[i % Math.max(1, seeds.length)] ?? `Survey the workspace and write the layout to notes/${tag}.md`;
        goals.push({
          goal: `Please ${seed.charAt(0).toLowerCase()}${seed.slice(1)}`,
          criteria: ['run completed'],
          difficulty: 'easy',
          tools: ['list_dir'],
        });
        break;
      }
    }
    const added = goals[before];
    if (added && (avoid.has(added.goal) || goals.slice(0, before).some((g) => g.goal === added.goal))) goals.pop();
  }
  return JSON.stringify({ goals });
}

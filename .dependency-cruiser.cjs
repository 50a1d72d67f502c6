// The architecture, as rules: layers from the bottom up; a module may import its own
// layer's folder and any lower layer, never a higher one, and no file-level cycle.
// Every folder under src/ must be declared here, so a new folder is a decision.
// `npm test` checks it (test/architecture.test.ts); `npx depcruise contracts machines src` shows it.
const LAYERS = [
  ['contracts'],
  ['machines', 'src/util'],
  ['src/config'],
  ['src/llm', 'src/tools'],
  ['src/aime', 'src/gepa'],
  ['src/judge'],
  ['src/teams'],
  ['src/runtime'],
  ['src/data'],
  ['src/queue'],
  ['src/dashboard', 'src/api'],
  ['src/cli'],
];

const folderRe = (f) => `^${f.replace('/', '[/]')}[/]`;
const rules = [
  { name: 'no-circular', severity: 'error', comment: 'no import cycles between files', from: {}, to: { circular: true } },
  {
    name: 'declared-layer',
    severity: 'error',
    comment: 'every folder under src/ belongs to a layer in .dependency-cruiser.cjs',
    from: {
      path: '^src/',
      pathNot: LAYERS.flat()
        .filter((f) => f.startsWith('src/'))
        .map(folderRe),
    },
    to: {},
  },
  {
    name: 'pure-core',
    severity: 'error',
    comment: 'contracts/ and machines/ are pure: no Node built-in module (no I/O, no clock, no process)',
    from: { path: '^(contracts|machines)/' },
    to: { dependencyTypes: ['core'] },
  },
];
LAYERS.forEach((layer, i) => {
  const higher = LAYERS.slice(i + 1).flat();
  if (higher.length === 0) return;
  for (const folder of layer) {
    rules.push({
      name: `layer:${folder}`,
      severity: 'error',
      comment: `${folder} may import only its own layer and those below it`,
      from: { path: folderRe(folder) },
      to: { path: higher.map(folderRe) },
    });
  }
  // Folders sharing a layer stay independent of each other.
  for (const a of layer)
    for (const b of layer) {
      if (a !== b) rules.push({ name: `same-layer:${a}->${b}`, severity: 'error', from: { path: folderRe(a) }, to: { path: folderRe(b) } });
    }
});
module.exports = {
  forbidden: rules,
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};

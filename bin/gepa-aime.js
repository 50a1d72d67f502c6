#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run by `npm ci` via `prepare`).
import('../dist/src/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    process.stderr.write('gepa-aime: the CLI is not built yet. Run `npm ci` (or `npm run build`) in the repository first.\n');
    process.exit(2);
  }
  throw err;
});

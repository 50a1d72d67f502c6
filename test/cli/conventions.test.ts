/**
 * Terminal conventions of the built CLI: --version, one-line usage errors,
 * a quiet end on a closed pipe, colour only where it belongs (NO_COLOR,
 * FORCE_COLOR, TERM=dumb, pipes), the provider that --api-base selects,
 * doctor's SKIP lines, and resume of a finished run changing nothing.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startCli } from '../support/cli.js';
import { ensureBuilt, runTimed as runCli, tempDirSync } from '../support/providerCli.js';
import { HAVE_SCRIPT, startPty } from '../support/pty.js';
import { agentHandler } from '../support/agentScript.js';
import { startVllmServer } from '../support/vllmServer.js';

let work: string;
beforeAll(() => ensureBuilt());
beforeEach(() => {
  work = tempDirSync('gepa-conv-');
});
afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

const ESC = /\x1b\[/;

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const srv = http.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

describe('version and usage', () => {
  it('--version prints the package version', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as { version: string };
    const result = await runCli(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${pkg.version}\n`);
  });

  it('a usage error is one line and a pointer to the command help, exit 2', async () => {
    const result = await runCli(['run', '--no-such-flag', 'x']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("error: unknown option '--no-such-flag'\nsee: gepa-aime run --help\n");
    expect(result.stdout).toBe('');
  });

  it('an unknown command says so in one line', async () => {
    const result = await runCli(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(2);
    expect(result.stderr).toContain('see: gepa-aime --help');
  });
});

describe('a closed pipe', () => {
  it('`runs | head` ends quietly when the reader leaves (no EPIPE stack trace)', async () => {
    for (let i = 0; i < 200; i++) {
      const dir = path.join(work, 'traces', 'runs', `run-${String(i).padStart(3, '0')}`);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'report.json'), JSON.stringify({ status: 'completed', goal: `goal number ${i} `.repeat(5) }));
    }
    const { child, done } = startCli(['runs', '--traces', path.join(work, 'traces')]);
    child.stdout!.destroy(); // the reader is gone before the CLI writes a byte
    const result = await done;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});

describe('runs', () => {
  it('lists what the store could read and warns, naming file and key, about a run.json it did not use', async () => {
    const traces = path.join(work, 'traces');
    const good = path.join(traces, 'runs', '20260101T000000Z-aaaaaa');
    const forged = path.join(traces, 'runs', '20260102T000000Z-bbbbbb');
    for (const d of [good, forged]) fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(good, 'report.json'), JSON.stringify({ status: 'completed', goal: 'fine', timings: { startedAt: 's' } }));
    fs.writeFileSync(path.join(forged, 'run.json'), JSON.stringify({ version: 1, runId: '20260102T000000Z-bbbbbb', goal: 7 }));
    const r = await runCli(['runs', '--traces', traces, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ runId: '20260101T000000Z-aaaaaa', status: 'completed', goal: 'fine', startedAt: 's' }]);
    expect(r.stderr).toBe(
      `gepa-aime: warning: ${path.join(forged, 'run.json')}: goal: expected a string, found 7 (number) (and 7 more problems); this is not a file this version of the runtime wrote (changed by hand, by something else, or by an older version), so it is not used\n`,
    );
  });
});

describe('colour', () => {
  it('is off on a pipe, and on with FORCE_COLOR', async () => {
    const plain = await runCli(['doctor'], { env: { FORCE_COLOR: '', NO_COLOR: '' } });
    expect(plain.stdout).toMatch(/^ok {3}provider: offline/);
    expect(plain.stdout).not.toMatch(ESC);
    const forced = await runCli(['doctor'], { env: { FORCE_COLOR: '1' } });
    expect(forced.stdout).toContain('\x1b[32mok  \x1b[0m provider');
  });

  describe.skipIf(!HAVE_SCRIPT)('on a terminal', () => {
    const doctorOn = async (env: NodeJS.ProcessEnv) => {
      const pty = startPty('exec "$NODE" "$CLI" doctor', { env });
      await pty.waitFor(/provider: offline/);
      return (await pty.done).output;
    };
    it('is on by default', async () => {
      expect(await doctorOn({})).toContain('\x1b[32mok  \x1b[0m');
    });
    it('NO_COLOR turns it off', async () => {
      expect(await doctorOn({ NO_COLOR: '1' })).not.toMatch(ESC);
    });
    it('TERM=dumb gets neither colour nor cursor movement, also from a whole run', async () => {
      expect(await doctorOn({ TERM: 'dumb' })).not.toMatch(ESC);
      fs.writeFileSync(path.join(work, 'README.md'), '# demo\n');
      const pty = startPty(`cd '${work}' && exec "$NODE" "$CLI" run 'Summarise the repository layout'`, { env: { TERM: 'dumb' } });
      await pty.waitFor(/status: completed/);
      const { code, output } = await pty.done;
      expect(code).toBe(0);
      expect(output).not.toMatch(ESC);
      expect(output).toContain('- [x] 1. Survey the workspace');
    }, 30_000);
  });
});

describe('the provider the command line selects', () => {
  it('--api-base without --provider talks to that server, and says so once on stderr', async () => {
    const server = await startVllmServer({ models: ['m'] });
    server.handler = agentHandler();
    try {
      fs.mkdirSync(path.join(work, 'ws'));
      const result = await runCli([
        'run',
        'List the files',
        '--api-base',
        server.apiBase,
        '--model',
        'm',
        '--workspace',
        path.join(work, 'ws'),
        '--traces',
        path.join(work, 'traces'),
        '--json',
      ]);
      expect(result.code).toBe(0);
      expect(server.requests.length).toBeGreaterThan(0);
      expect(result.stderr.match(/without --provider: using the OpenAI-compatible provider/g)).toHaveLength(1);
      expect(JSON.parse(result.stdout).model.provider).toBe('openai');
    } finally {
      await server.close();
    }
  });

  it('doctor checks the server --api-base names, and what it could not check is SKIP, not FAIL', async () => {
    const port = await closedPort();
    const result = await runCli(['doctor', '--api-base', `http://127.0.0.1:${port}/v1`, '--model', 'Qwen/Qwen3-8B']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`ok   config: provider openai, model "Qwen/Qwen3-8B", api_base http://127.0.0.1:${port}/v1`);
    expect(result.stdout).toMatch(/^FAIL health: .*connection refused/m);
    for (const name of ['models', 'model', 'tool call', 'json schema']) expect(result.stdout).toContain(`SKIP ${name}: not checked: the server is unreachable`);
    expect(result.stdout).not.toContain('nothing remote to check');
  });

  it('doctor passes against a live server named only by --api-base and --model', async () => {
    const server = await startVllmServer({ models: ['m'] });
    server.handler = (req) => (req.body.tools ? { toolCalls: [{ name: 'echo', arguments: { text: 'ping' } }] } : { content: '{"status":"ok","count":3}' });
    try {
      const result = await runCli(['doctor', '--api-base', server.apiBase, '--model', 'm']);
      expect(result.stdout).toContain('ok   model: "m" is served');
      expect(result.code).toBe(0);
    } finally {
      await server.close();
    }
  });
});

describe('resume of a finished run', () => {
  it('prints its status and report path and changes nothing', async () => {
    fs.writeFileSync(path.join(work, 'README.md'), '# demo\n');
    const traces = path.join(work, 'traces');
    const first = await runCli(['run', 'Summarise the repository layout', '--workspace', work, '--traces', traces, '--json']);
    expect(first.code).toBe(0);
    const { runId } = JSON.parse(first.stdout) as { runId: string };
    const runDir = path.join(traces, 'runs', runId);
    const before = Object.fromEntries(fs.readdirSync(runDir).map((f) => [f, fs.readFileSync(path.join(runDir, f), 'utf8')]));
    const mtimes = fs.readdirSync(runDir).map((f) => fs.statSync(path.join(runDir, f)).mtimeMs);

    const result = await runCli(['resume', runId, '--traces', traces]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`run ${runId} has already finished (status: completed); nothing to resume`);
    expect(result.stdout).toContain(`report: ${path.join(runDir, 'report.json')}`);
    const after = Object.fromEntries(fs.readdirSync(runDir).map((f) => [f, fs.readFileSync(path.join(runDir, f), 'utf8')]));
    expect(after).toEqual(before);
    expect(fs.readdirSync(runDir).map((f) => fs.statSync(path.join(runDir, f)).mtimeMs)).toEqual(mtimes);
  }, 30_000);
});

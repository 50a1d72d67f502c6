/**
 * run_command under the real bubblewrap (installed by .ci/setup-system):
 * network, writes outside the workspace, protected paths, a fork bomb, an
 * endless loop, runaway output and memory all fail inside the sandbox with a
 * clear observation, and the host is untouched. Where bwrap cannot run, the
 * tool must not be offered at all (checked by the last test either way).
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProtectedPaths } from '../../src/tools/protectedPaths.js';
import { loadToolRegistry } from '../../src/tools/registry.js';
import { createRunCommandTool, probeSandbox } from '../../src/tools/shell/runCommand.js';
import type { ToolContext } from '../../src/tools/types.js';
import { REPO_ROOT, tempDir } from '../support/runtime.js';

const probe = await probeSandbox();
const sandboxed = describe.skipIf(!probe.ok);

let ws: string;
let outside: string;
let ctx: ToolContext;
const tool = createRunCommandTool({ timeout_ms: 4000, max_output_bytes: 4096, memory_mb: 256, max_processes: 32 });
const run = (command: string) => tool.run({ command }, ctx);

beforeAll(async () => {
  ws = await tempDir();
  outside = await tempDir();
  await fs.mkdir(path.join(ws, 'config'));
  await fs.writeFile(path.join(ws, 'config', 'model_config.yaml'), 'api_key: sk-secret-in-config\n');
  await fs.writeFile(path.join(ws, '.env'), 'TOKEN=sk-secret-in-env\n');
  await fs.mkdir(path.join(ws, '.git'));
  await fs.writeFile(path.join(ws, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  await fs.mkdir(path.join(ws, 'traces'));
  await fs.writeFile(path.join(ws, 'notes.txt'), 'plain notes\n');
  ctx = { workspace: ws, protectedPaths: createProtectedPaths({ workspace: ws, configDir: path.join(ws, 'config'), tracesDir: path.join(ws, 'traces') }) };
});

sandboxed('run_command in the sandbox', () => {
  it('runs a command in the workspace and reports exit code, stdout and stderr', async () => {
    const r = await run('cat notes.txt; echo oops >&2; echo made > made.txt; exit 3');
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/^exit code: 3\n/);
    expect(r.output).toMatch(/stdout:\nplain notes\n/);
    expect(r.output).toMatch(/stderr:\noops/);
    expect(await fs.readFile(path.join(ws, 'made.txt'), 'utf8')).toBe('made\n');
    const ok = await run('pwd; id -u');
    expect(ok.ok).toBe(true);
    expect(ok.output).toContain(ws);
  });

  describe('network', () => {
    let host: net.Server;
    let port = 0;
    let connections = 0;
    beforeAll(async () => {
      host = net.createServer((s) => {
        connections++;
        s.end('hello');
      });
      await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
      port = (host.address() as net.AddressInfo).port;
    });
    afterAll(() => host.close());

    it('cannot reach a server on the host loopback, nor resolve or reach anything else', async () => {
      const r = await run(
        `node -e "require('net').connect(${port}, '127.0.0.1').on('connect', () => console.log('CONNECTED')).on('error', (e) => { console.log('ERR', e.code); process.exit(1) })"`,
      );
      expect(r.ok).toBe(false);
      expect(r.output).not.toContain('CONNECTED');
      expect(r.output).toMatch(/ERR ECONNREFUSED/);
      const dns = await run(
        `node -e "require('dns').lookup('registry.npmjs.org', (e) => { console.log(e ? 'ERR ' + e.code : 'RESOLVED'); process.exit(e ? 1 : 0) })"`,
      );
      expect(dns.output).not.toContain('RESOLVED');
      expect(connections).toBe(0);
    });
  });

  it('cannot write outside the workspace; the rest of the system is read-only or absent', async () => {
    const r = await run(`touch /etc/pwned; touch /usr/pwned; echo x > '${outside}/pwned'; ls /root /home '${REPO_ROOT}'`);
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/touch: cannot touch '\/etc\/pwned': Read-only file system/);
    expect(r.output).toMatch(/touch: cannot touch '\/usr\/pwned': Read-only file system/);
    expect(r.output).toMatch(/ls: cannot access '\/root': No such file or directory/);
    await expect(fs.stat(path.join(outside, 'pwned'))).rejects.toThrow();
    await expect(fs.stat('/etc/pwned')).rejects.toThrow();
  });

  it('cannot read protected paths (config, .env) nor write VCS metadata or the traces', async () => {
    const r = await run('cat config/model_config.yaml; cat .env; ls config; echo x >> .git/HEAD; touch traces/x; cat .git/HEAD; env');
    expect(r.output).not.toContain('sk-secret');
    expect(r.output).toMatch(/config\/model_config\.yaml: No such file or directory/);
    expect(r.output).toMatch(/\.env: (Permission denied|No such)/);
    expect(r.output).toMatch(/\.git\/HEAD: Read-only file system/);
    expect(r.output).toMatch(/traces\/x': Read-only file system/);
    expect(r.output).toContain('ref: refs/heads/main'); // VCS metadata stays readable
    expect(await fs.readFile(path.join(ws, '.git', 'HEAD'), 'utf8')).toBe('ref: refs/heads/main\n');
    // The environment is cleared: nothing of the host's reaches the command.
    expect(r.output).not.toMatch(/^(OPENAI|GEPA_AIME|npm_)/m);
  });

  it('a fork bomb hits the process limit and is killed at the time limit', async () => {
    const started = Date.now();
    const r = await run(`bash -c ':(){ :|:& };:'; sleep 10`);
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(
      /^exit code: none \(it (ran longer than the limit of 4000 ms and was killed|printed more than 4096 bytes on stderr and was stopped)\)/,
    );
    // With a pids cgroup (root in CI) the bomb is capped; RLIMIT_NPROC alone does not bind root.
    if (probe.ok && probe.processLimit.startsWith('pids cgroup')) expect(r.output).toContain('note: the command hit the limit of 32 processes');
    expect(Date.now() - started).toBeLessThan(15_000);
    // The host is fine and the sandbox is gone: a new command runs at once.
    expect((await run('echo alive')).output).toContain('alive');
  });

  it('an endless loop is killed at the time limit', async () => {
    const r = await run('while :; do :; done');
    expect(r).toMatchObject({ ok: false });
    expect(r.output).toMatch(/^exit code: none \(it ran longer than the limit of 4000 ms and was killed\)/);
  });

  it('runaway output is cut and stopped; memory beyond the limit fails', async () => {
    const out = await run('yes');
    expect(out.output).toMatch(/printed more than 4096 bytes on stdout and was stopped/);
    expect(out.output).toContain('[cut at 4096 bytes]');
    expect(out.output.length).toBeLessThan(6000);
    const mem = await run(`node -e "const a = []; for (;;) a.push(Buffer.alloc(1 << 24, 1))"`);
    expect(mem.ok).toBe(false);
    expect(mem.output).not.toMatch(/^exit code: 0/);
  });
});

describe('where the shell is offered', () => {
  it('the shell bundle exists only when bubblewrap works, otherwise the reason is recorded', async () => {
    const registry = await loadToolRegistry({ bundles: {} }, { configDir: ws });
    if (probe.ok) {
      expect(registry.bundles.get('shell')?.tools.map((t) => t.name)).toEqual(['run_command']);
      expect(registry.tools.get('run_command')?.defaultApproval).toBe('ask');
    } else {
      expect(registry.bundles.has('shell')).toBe(false);
      expect(registry.tools.has('run_command')).toBe(false);
      expect(registry.notOffered.get('shell')).toMatch(/bubblewrap/);
    }
    const off = await loadToolRegistry({ bundles: {} }, { configDir: ws, shell: false });
    expect(off.tools.has('run_command')).toBe(false);
  });
});

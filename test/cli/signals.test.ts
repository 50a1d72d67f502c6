/**
 * Ctrl-C as documented: `dashboard` stops and exits 0, also the way `npx`
 * runs it (under a shell, and with npm forwarding the same Ctrl-C again);
 * `chat` clears a half-typed line on Ctrl-C and quits on a second Ctrl-C on
 * an empty line. Pseudo-terminal tests wait for output, not time.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startCli } from '../support/cli.js';
import { ensureBuilt, tempDirSync } from '../support/providerCli.js';
import { HAVE_SCRIPT, startPty, stripAnsi } from '../support/pty.js';

let work: string;
beforeAll(() => ensureBuilt());
beforeEach(() => {
  work = tempDirSync('gepa-signals-');
});
afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

function waitForText(stream: NodeJS.ReadableStream, pattern: RegExp): Promise<void> {
  return new Promise((resolve) => {
    let seen = '';
    const onData = (d: Buffer) => {
      seen += d.toString();
      if (pattern.test(seen)) {
        stream.off('data', onData);
        resolve();
      }
    };
    stream.on('data', onData);
  });
}

describe('dashboard and Ctrl-C', () => {
  it('one Ctrl-C delivered twice at once (as npx does) stops the dashboard with exit 0', async () => {
    const { child, done } = startCli(['dashboard', '--port', '0', '--traces', path.join(work, 'traces')]);
    await waitForText(child.stdout!, /press Ctrl-C to stop/);
    child.kill('SIGINT');
    child.kill('SIGINT');
    const result = await done;
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  });

  // npx runs a package's bin as `sh -c "gepa-aime …"` (npm's run-script); a shell that gets the terminal's
  // SIGINT itself exits 130 after its child, whatever the child's code. (npx itself is not run here: its
  // first use installs the package into npm's cache, which rebuilds dist/ under the other tests.)
  it.skipIf(!HAVE_SCRIPT)(
    'under a shell on a terminal, the way npx runs it, Ctrl-C exits 0',
    async () => {
      const pty = startPty(`sh -c '"$NODE" "$CLI" dashboard --port 0 --traces "${path.join(work, 'traces')}"'`);
      await pty.waitFor(/press Ctrl-C to stop/);
      pty.write('\x03');
      const { code, output } = await pty.done;
      expect(stripAnsi(output)).not.toMatch(/Error|at .*\.js:\d+/);
      expect(code).toBe(0);
    },
    30_000,
  );
});

describe.skipIf(!HAVE_SCRIPT)('chat and Ctrl-C on a terminal', () => {
  it('Ctrl-C clears a half-typed line, and a second Ctrl-C on an empty line quits', async () => {
    const pty = startPty(`cd '${work}' && exec "$NODE" "$CLI" chat`);
    let at = await pty.waitFor(/> /);
    pty.write('half typed');
    at = await pty.waitFor(/half typed/, at);
    pty.write('\x03');
    // Still running, the line is empty: what is typed next is all that is sent.
    pty.write('hello\r');
    at = await pty.waitFor(/You said: "hello"/, at);
    expect(stripAnsi(pty.output())).not.toContain('You said: "half typed');
    at = await pty.waitFor(/> /, at);
    pty.write('\x03');
    at = await pty.waitFor(/press Ctrl-C again to quit/, at);
    pty.write('\x03');
    const { code } = await pty.done;
    expect(code).toBe(0);
  }, 30_000);
});

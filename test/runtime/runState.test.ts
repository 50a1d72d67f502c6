/** Run state from disk: schemas with located errors, and the one-writer lock (run ids: runStore.test.ts). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { acquireRunLock, RunLockedError } from '../../src/runtime/runLock.js';
import { checkState, runMetaSchema, RunStateError, snapshotSchema } from '../../src/runtime/runState.js';
import { tempDir } from '../support/runtime.js';

const meta = {
  version: 1,
  runId: '20261201T121303Z-a1b2c3',
  goal: 'g',
  workspace: '/ws',
  tracesDir: '/ws/traces',
  configDir: '/ws/config',
  model: { provider: 'vllm', model: 'm', api_base: 'http://127.0.0.1:1/v1' },
  limits: { maxIterations: 12, maxActorSteps: 10, maxParallelActors: 1, tokenBudget: null, deadlineMs: null },
  learn: true,
  startedAt: '2026-12-01T12:13:03.000Z',
};

function stateError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RunStateError);
    return (err as Error).message;
  }
  throw new Error('expected a RunStateError');
}

describe('checkState', () => {
  it('passes a good run.json and names file and key of a bad one', () => {
    expect(checkState(runMetaSchema, meta, 'run.json')).toBe(meta);
    expect(stateError(() => checkState(runMetaSchema, { ...meta, workspace: 'relative' }, 'run.json'))).toMatch(
      /^run\.json: workspace: expected an absolute path, found "relative"/,
    );
    expect(stateError(() => checkState(runMetaSchema, { ...meta, limits: { ...meta.limits, maxIterations: 'x' } }, 'run.json'))).toMatch(
      /limits\.maxIterations: expected a number, found "x"/,
    );
    expect(stateError(() => checkState(runMetaSchema, null, 'run.json'))).toMatch(/\(the whole file\): expected a mapping, found null/);
  });

  it('refuses absurd nesting without overflowing', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = { a: deep };
    expect(stateError(() => checkState(snapshotSchema, { status: 'active', value: 'x', context: deep, children: {} }, 'snapshot.json'))).toMatch(
      /nested deeper than 200 levels/,
    );
  });

  it('never throws anything but RunStateError on arbitrary JSON (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        try {
          checkState(snapshotSchema, v, 'snapshot.json');
        } catch (err) {
          expect(err).toBeInstanceOf(RunStateError);
        }
      }),
    );
  });
});

describe('the run lock', () => {
  it('one holder at a time; a second is refused naming pid and host', async () => {
    const dir = await tempDir();
    const lock = acquireRunLock(dir, 'r1');
    expect(JSON.parse(fs.readFileSync(lock.file, 'utf8'))).toMatchObject({ pid: process.pid, host: os.hostname() });
    expect(() => acquireRunLock(dir, 'r1')).toThrow(RunLockedError);
    expect(() => acquireRunLock(dir, 'r1')).toThrow(new RegExp(`run r1 is already being driven by pid ${process.pid} on ${os.hostname()}`));
    lock.release();
    expect(fs.existsSync(lock.file)).toBe(false);
    acquireRunLock(dir, 'r1').release();
  });

  it('takes over the lock of a dead process with a warning; honours another host', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'lock');
    fs.writeFileSync(file, JSON.stringify({ pid: 999_999, host: os.hostname(), startedAt: 't' }));
    const warnings: string[] = [];
    const lock = acquireRunLock(dir, 'r2', { onWarning: (m) => warnings.push(m), isAlive: () => false });
    expect(warnings).toEqual([expect.stringMatching(/locked by pid 999999 .*no longer running; taking the lock over/)]);
    lock.release();
    fs.writeFileSync(file, JSON.stringify({ pid: 1, host: 'elsewhere', startedAt: 't' }));
    expect(() => acquireRunLock(dir, 'r2', { isAlive: () => false })).toThrow(/pid 1 on elsewhere/);
  });
});

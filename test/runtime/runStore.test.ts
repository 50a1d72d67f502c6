/** The run store: the layout of traces/runs/<id>/, run ids, listing with torn and missing files, the lock, validated reads with located errors. */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RunLockedError } from '../../src/runtime/runLock.js';
import { RunInputError, RunStateError, type RunMeta } from '../../src/runtime/runState.js';
import { checkRunId, isRunId, newRunId, RUN_FILES, RunStore } from '../../src/runtime/runStore.js';
import { tempDir } from '../support/runtime.js';

function metaFor(runId: string, tracesDir: string, startedAt = '2026-12-01T12:13:03.000Z'): RunMeta {
  return {
    version: 1,
    runId,
    goal: `goal of ${runId}`,
    workspace: '/ws',
    tracesDir,
    configDir: '/ws/config',
    model: { provider: 'offline', model: 'offline', api_base: 'http://127.0.0.1:1/v1' },
    limits: { maxIterations: 12, maxActorSteps: 10, maxParallelActors: 1, tokenBudget: null, deadlineMs: null },
    learn: false,
    startedAt,
  };
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('layout', () => {
  it('puts every file of a run in traces/runs/<id>/ and makes the directory on create', async () => {
    const traces = await tempDir();
    const store = new RunStore(path.relative(process.cwd(), traces));
    expect(store.tracesDir).toBe(traces);
    expect(store.root).toBe(path.join(traces, 'runs'));
    const paths = await store.create('20261201T121303Z-a1b2c3');
    const runDir = path.join(traces, 'runs', '20261201T121303Z-a1b2c3');
    expect(paths).toEqual({
      runDir,
      meta: path.join(runDir, 'run.json'),
      snapshot: path.join(runDir, 'snapshot.json'),
      journal: path.join(runDir, 'journal.jsonl'),
      inspect: path.join(runDir, 'inspect.jsonl'),
      report: path.join(runDir, 'report.json'),
      judge: path.join(runDir, 'judge.json'),
      lock: path.join(runDir, 'lock'),
    });
    expect(fs.statSync(runDir).isDirectory()).toBe(true);
    await store.create('20261201T121303Z-a1b2c3'); // a resumed run's directory exists already
  });

  it('refuses an id that is not one plain path segment before it touches a path', () => {
    const store = new RunStore('/nowhere');
    for (const bad of ['../x', '..', 'a/b', '', '.hidden', 'a\\b', 'a.b', 'x'.repeat(200)]) {
      expect(isRunId(bad)).toBe(false);
      expect(() => store.paths(bad)).toThrow(RunStateError);
      expect(() => checkRunId(bad)).toThrow(/is not a run id: ids are letters, digits, "_" and "-"/);
    }
  });
});

describe('run ids', () => {
  it('makes ids of the UTC second and 6 hex digits', () => {
    expect(newRunId(new Date('2026-12-01T12:13:03.456Z'))).toMatch(/^20261201T121303Z-[0-9a-f]{6}$/);
  });

  it('any id it makes passes its check, is a direct child of runs/, and round-trips through listing in time order (property)', async () => {
    const traces = await tempDir();
    const store = new RunStore(traces);
    // Whole seconds apart: ids are made to the second, and sort by it.
    const seconds = fc.uniqueArray(fc.integer({ min: 0, max: 4_000_000_000 }), { minLength: 1, maxLength: 8 });
    let round = 0;
    await fc.assert(
      fc.asyncProperty(seconds, async (secs) => {
        const sub = new RunStore(path.join(traces, String(round++)));
        const made: { id: string; at: number }[] = [];
        for (const s of secs) {
          const at = new Date(s * 1000);
          const id = newRunId(at);
          expect(checkRunId(id)).toBe(id);
          expect(path.dirname(sub.paths(id).runDir)).toBe(sub.root);
          await sub.create(id);
          await sub.writeMeta(metaFor(id, sub.tracesDir, at.toISOString()));
          made.push({ id, at: s });
        }
        const listed = await sub.list();
        expect(listed.map((r) => r.runId)).toEqual(made.sort((a, b) => a.at - b.at).map((m) => m.id));
        for (const r of listed) {
          expect(r.meta).toEqual(metaFor(r.runId, sub.tracesDir, r.meta!.startedAt));
          expect(r.problems).toEqual([]);
        }
      }),
      { numRuns: 25 },
    );
    expect(store.root).toBe(path.join(traces, 'runs'));
  });

  it('no string that passes the check leaves runs/ (property)', () => {
    const store = new RunStore('/t');
    fc.assert(
      fc.property(fc.string({ maxLength: 140 }), (s) => {
        if (!isRunId(s)) return;
        const dir = store.paths(s).runDir;
        expect(path.dirname(dir)).toBe('/t/runs');
        expect(path.basename(dir)).toBe(s);
      }),
    );
  });
});

describe('listing', () => {
  it('lists run directories oldest first with whatever could be read; torn, missing and foreign files are tolerated', async () => {
    const traces = await tempDir();
    const store = new RunStore(traces);
    expect(await store.list()).toEqual([]); // no runs/ yet

    const done = '20260101T000000Z-aaaaaa';
    await store.create(done);
    await store.writeMeta(metaFor(done, traces));
    await store.writeReport(done, { runId: done, goal: 'g', status: 'completed', timings: { startedAt: '2026-01-01T00:00:00.000Z', durationMs: 42 } });
    fs.writeFileSync(store.paths(done).inspect, '{"seq":0}\n');

    const crashed = '20260102T000000Z-bbbbbb';
    await store.create(crashed);
    await store.writeMeta(metaFor(crashed, traces));

    const empty = '20260103T000000Z-cccccc';
    await store.create(empty);

    const broken = '20260104T000000Z-dddddd';
    await store.create(broken);
    fs.writeFileSync(store.paths(broken).meta, '{"version":1,"runId":');
    fs.writeFileSync(store.paths(broken).report, '{"status":');

    const forged = '20260105T000000Z-eeeeee';
    await store.create(forged);
    fs.writeFileSync(store.paths(forged).meta, JSON.stringify({ ...metaFor(forged, traces), limits: { maxIterations: 'x' } }));
    fs.writeFileSync(store.paths(forged).report, JSON.stringify({ status: 7, goal: 'forged', timings: 'soon' }));

    // Not runs: a file, and a directory whose name is not a run id.
    fs.writeFileSync(path.join(store.root, 'notes.txt'), 'x');
    fs.mkdirSync(path.join(store.root, 'not.a.run'));

    const listed = await store.list();
    expect(listed.map((r) => r.runId)).toEqual([done, crashed, empty, broken, forged]);
    const [a, b, c, d, e] = listed;
    expect(a).toEqual({
      runId: done,
      meta: metaFor(done, traces),
      report: { file: store.paths(done).report, status: 'completed', goal: 'g', startedAt: '2026-01-01T00:00:00.000Z', durationMs: 42 },
      replayable: true,
      problems: [],
    });
    expect(b).toMatchObject({ meta: { goal: `goal of ${crashed}` }, report: null, replayable: false, problems: [] });
    expect(c).toEqual({ runId: empty, meta: null, report: null, replayable: false, problems: [] });
    expect(d!.meta).toBeNull();
    expect(d!.report).toBeNull();
    expect(d!.problems).toEqual([expect.stringMatching(new RegExp(`^${escapeRe(store.paths(broken).meta)}: not valid JSON`))]);
    expect(e!.meta).toBeNull();
    expect(e!.problems).toEqual([expect.stringMatching(/run\.json: limits\.maxIterations: expected a number, found "x"/)]);
    // A field of the wrong type is not trusted: left out, not passed on.
    expect(e!.report).toEqual({ file: store.paths(forged).report, status: null, goal: 'forged', startedAt: null, durationMs: null });
  });
});

describe('the lock', () => {
  it('one holder per run; released, it can be taken again; other runs are not affected', async () => {
    const store = new RunStore(await tempDir());
    const id = '20260101T000000Z-aaaaaa';
    await store.create(id);
    await store.create('20260101T000000Z-bbbbbb');
    const lock = store.lock(id);
    expect(lock.file).toBe(store.paths(id).lock);
    expect(() => store.lock(id)).toThrow(RunLockedError);
    expect(() => store.lock(id)).toThrow(/is already being driven by pid/);
    store.lock('20260101T000000Z-bbbbbb').release();
    lock.release();
    expect(fs.existsSync(store.paths(id).lock)).toBe(false);
    store.lock(id).release();
  });
});

describe('validated reads', () => {
  it('run.json: missing is bad usage; invalid, or filed under another id, is a RunStateError naming file and key', async () => {
    const traces = await tempDir();
    const store = new RunStore(traces);
    const id = '20260101T000000Z-aaaaaa';
    const missing = await rejection(store.readMeta(id));
    expect(missing).toBeInstanceOf(RunInputError);
    expect(missing.message).toBe(`no run at ${store.paths(id).runDir} (missing run.json); list runs with: gepa-aime runs`);

    await store.create(id);
    await store.writeMeta(metaFor(id, traces));
    expect(await store.readMeta(id)).toEqual(metaFor(id, traces));

    fs.writeFileSync(store.paths(id).meta, JSON.stringify({ ...metaFor(id, traces), workspace: 'relative' }));
    const bad = await rejection(store.readMeta(id));
    expect(bad).toBeInstanceOf(RunStateError);
    expect(bad.message).toMatch(new RegExp(`^${escapeRe(store.paths(id).meta)}: workspace: expected an absolute path, found "relative"`));

    fs.writeFileSync(store.paths(id).meta, JSON.stringify(metaFor('20260101T000000Z-ffffff', traces)));
    expect((await rejection(store.readMeta(id))).message).toMatch(
      /runId: expected "20260101T000000Z-aaaaaa" \(the run's directory\), found "20260101T000000Z-ffffff"/,
    );
  });

  it('snapshot.json: none yet is null; broken JSON and a bad shape are located', async () => {
    const store = new RunStore(await tempDir());
    const id = '20260101T000000Z-aaaaaa';
    await store.create(id);
    expect(await store.readSnapshot(id)).toBeNull();
    fs.writeFileSync(store.paths(id).snapshot, '{"status":');
    expect((await rejection(store.readSnapshot(id))).message).toMatch(/snapshot\.json: not valid JSON .*changed by hand or by something else/);
    fs.writeFileSync(store.paths(id).snapshot, JSON.stringify({ status: 'active', value: 'x', context: { goal: 5 }, children: {} }));
    const err = await rejection(store.readSnapshot(id));
    expect(err).toBeInstanceOf(RunStateError);
    expect(err.message).toMatch(/snapshot\.json: context\.\w+: expected/);
  });

  it('journal.jsonl: every record is checked, a bad one named by file and line; a torn last line is skipped', async () => {
    const store = new RunStore(await tempDir());
    const id = '20260101T000000Z-aaaaaa';
    await store.create(id);
    const file = store.paths(id).journal;
    const good = JSON.stringify({ kind: 'tool-start', key: 'k', sideEffect: true });
    fs.writeFileSync(file, `${good}\n{"kind":"model","key":"k","response":{"content":1}}\n`);
    const err = await rejection(store.openJournal(id));
    expect(err).toBeInstanceOf(RunStateError);
    expect(err.message).toMatch(new RegExp(`^${escapeRe(file)}:2: response\\.`));
    fs.writeFileSync(file, `${good}\n{"kind":"tool-d`);
    (await store.openJournal(id)).close();
  });

  it('inspect.jsonl: none is null, a torn tail is flagged, a broken line elsewhere is named', async () => {
    const store = new RunStore(await tempDir());
    const id = '20260101T000000Z-aaaaaa';
    await store.create(id);
    expect(await store.readInspect(id)).toBeNull();
    fs.writeFileSync(store.paths(id).inspect, '{"seq":0}\n{"seq":1,"ki');
    expect(await store.readInspect(id)).toEqual({ records: [{ seq: 0 }], tornTail: true });
    fs.writeFileSync(store.paths(id).inspect, '{"seq":0}\nnot json\n{"seq":2}\n');
    expect((await rejection(store.readInspect(id))).message).toMatch(/20260101T000000Z-aaaaaa\/inspect\.jsonl:2/);
  });

  it('a resumed stream continues the file: a torn tail is cut off and numbering goes on', async () => {
    const store = new RunStore(await tempDir());
    const id = '20260101T000000Z-aaaaaa';
    await store.create(id);
    expect(store.continueInspect(id)).toEqual({ nextSeq: 0 });
    fs.writeFileSync(store.paths(id).inspect, '{"seq":0}\n{"seq":1}\n{"seq":2,"kind":"ev');
    expect(store.continueInspect(id)).toEqual({ nextSeq: 2 });
    expect(fs.readFileSync(store.paths(id).inspect, 'utf8')).toBe('{"seq":0}\n{"seq":1}\n');
  });

  it('after continueInspect the stream is whole lines and numbering goes on past every record kept, whatever the crash cut (property)', async () => {
    const store = new RunStore(await tempDir());
    const id = '20260101T000000Z-aaaaaa';
    await store.create(id);
    const file = store.paths(id).inspect;
    const records = fc.array(fc.record({ seq: fc.nat(10_000), kind: fc.constantFrom('run', 'event', 'snapshot'), text: fc.string({ unit: 'grapheme' }) }), {
      maxLength: 20,
    });
    // A crash cuts the last write anywhere: a prefix of one more record, with no newline.
    const torn = fc.option(fc.tuple(fc.record({ seq: fc.nat(), note: fc.string({ unit: 'grapheme', minLength: 1 }) }), fc.nat()), { nil: null });
    await fc.assert(
      fc.asyncProperty(records, torn, async (kept, cut) => {
        const whole = kept.map((r) => `${JSON.stringify(r)}\n`).join('');
        const tail = cut ? JSON.stringify(cut[0]).slice(0, 1 + (cut[1] % (JSON.stringify(cut[0]).length - 1))) : '';
        fs.writeFileSync(file, whole + tail);
        const { nextSeq } = store.continueInspect(id);
        expect(fs.readFileSync(file, 'utf8')).toBe(whole);
        expect(nextSeq).toBe(kept.length ? Math.max(...kept.map((r) => r.seq)) + 1 : 0);
        expect((await store.readInspect(id))!.tornTail).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it('report.json is written whole and read back as its summary', async () => {
    const store = new RunStore(await tempDir());
    const id = '20260101T000000Z-aaaaaa';
    await store.create(id);
    expect(await store.readReportSummary(id)).toBeNull();
    await store.writeReport(id, { status: 'failed', goal: 'g', timings: { startedAt: 's', durationMs: 1 } });
    expect(fs.readFileSync(store.paths(id).report, 'utf8').endsWith('}\n')).toBe(true);
    expect(await store.readReportSummary(id)).toEqual({ file: store.paths(id).report, status: 'failed', goal: 'g', startedAt: 's', durationMs: 1 });
    fs.writeFileSync(store.paths(id).report, '[1,2]');
    expect(await store.readReportSummary(id)).toBeNull();
  });

  it('names every file it owns', () => {
    expect(Object.values(RUN_FILES).sort()).toEqual(['inspect.jsonl', 'journal.jsonl', 'judge.json', 'lock', 'report.json', 'run.json', 'snapshot.json']);
  });
});

function escapeRe(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * What the library handle costs on top of the runtime: the same goal run
 * through the internal runGoal and through the public `runGoal` handle with
 * its events consumed (derivation from the inspection stream, the approval
 * gate, the event buffer), side by side in one process with an instant model.
 * Run: npm run build && node dist/bench/api.js
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { runGoal as runHandle } from '../src/api/goal.js';
import { PLANNER_SCHEMA_NAME } from '../src/aime/planner.js';
import { loadConfig } from '../src/config/index.js';
import type { ChatModel, ChatRequest, ChatResponse } from '../contracts/llm.js';
import { runGoal } from '../src/runtime/runGoal.js';

const USAGE = { promptTokens: 1, completionTokens: 1, totalTokens: 2 };

/** Planner: dispatch task 1, then finish. Actor: `steps` update_progress calls, then its report. */
class InstantModel implements ChatModel {
  readonly id = 'instant';
  constructor(private readonly steps: number) {}
  async complete(req: ChatRequest): Promise<ChatResponse> {
    if (req.responseFormat?.name === PLANNER_SCHEMA_NAME) {
      const done = /^- \[x\]/m.test(req.messages[1]!.content);
      const tasks = [{ id: '1', title: 'T1', status: done ? 'completed' : 'pending', criteria: '', children: [] }];
      return this.reply(
        JSON.stringify({
          rationale: 'next',
          tasks,
          action: done ? { type: 'finish', answer: 'ok' } : { type: 'dispatch', taskIds: ['1'] },
        }),
      );
    }
    const made = req.messages.filter((m) => m.role === 'assistant').length;
    if (made < this.steps)
      return {
        ...this.reply(''),
        toolCalls: [{ id: `c${made}`, name: 'update_progress', arguments: '{"status":"in_progress","message":"step"}' }],
      };
    return this.reply('{"status":"completed","summary":"done","references":[]}');
  }
  private reply(content: string): ChatResponse {
    return { content, toolCalls: [], usage: USAGE, finishReason: 'stop', model: this.id };
  }
}

async function main() {
  const ws = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-api-ws-'));
  const traces = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-api-traces-'));
  const config = loadConfig(path.resolve('config'), { env: {} });
  const steps = 500;
  const limits = { maxIterations: 4, maxActorSteps: steps + 1 };

  const internal = async () => {
    const m = new InstantModel(steps);
    const t = performance.now();
    const report = await runGoal({
      goal: 'bench',
      config,
      workspace: ws,
      tracesDir: traces,
      models: {
        planner: m,
        actorFor: () => m,
        reflection: m,
        chat: m,
        describe: () => ({ provider: 'bench', model: 'instant', offline: false }),
      },
      limits,
      learn: false,
    });
    if (report.status !== 'completed') throw new Error(`internal run ${report.status}: ${report.reason}`);
    return { ms: performance.now() - t, events: 0 };
  };
  const handle = async () => {
    const m = new InstantModel(steps);
    const t = performance.now();
    const run = runHandle('bench', { config, workspace: ws, tracesDir: traces, model: m, limits, learning: false });
    let events = 0;
    for await (const _ of run.events()) events++;
    const report = await run.report;
    if (report.status !== 'completed') throw new Error(`handle run ${report.status}: ${report.reason}`);
    return { ms: performance.now() - t, events };
  };

  // Warm up both, then alternate so both see the same machine load.
  await internal();
  await handle();
  const a: number[] = [];
  const b: number[] = [];
  let events = 0;
  for (let i = 0; i < 7; i++) {
    a.push((await internal()).ms);
    const h = await handle();
    b.push(h.ms);
    events = h.events;
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const ma = median(a);
  const mb = median(b);
  console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown cpu'} x${os.cpus().length}, Node ${process.version}`);
  console.log(`one actor, ${steps} ReAct steps, medians of 7 alternating runs:`);
  console.log(`  internal runGoal:        ${ma.toFixed(0)} ms (${(ma / (steps + 1)).toFixed(3)} ms/step)`);
  console.log(`  public handle + events:  ${mb.toFixed(0)} ms (${(mb / (steps + 1)).toFixed(3)} ms/step), ${events} events consumed`);
  console.log(`  ratio handle/internal: ${(mb / ma).toFixed(3)}; added per step: ${((mb - ma) / (steps + 1)).toFixed(3)} ms`);
  await fs.rm(ws, { recursive: true, force: true });
  await fs.rm(traces, { recursive: true, force: true });
}

void main();

/**
 * Extension point: a chat model. Anything with an `id` and
 * `complete(request)` can answer a run: a provider SDK, a cache, a router.
 * This one wraps the embedded offline model, counts calls per purpose and
 * refuses to go past a call budget.
 */
import { ModelError, OfflineModel, runGoal, type ChatModel, type ChatRequest, type ChatResponse } from 'gepa-aime';
import { tempWorkspace } from 'gepa-aime/testing';

class BudgetedModel implements ChatModel {
  readonly id: string;
  readonly calls = new Map<string, number>();
  private used = 0;

  constructor(
    private readonly inner: ChatModel,
    private readonly maxCalls: number,
  ) {
    this.id = `budgeted:${inner.id}`;
  }

  async complete(request: ChatRequest): Promise<ChatResponse> {
    if (++this.used > this.maxCalls) throw new ModelError(`call budget of ${this.maxCalls} used up`, 'exhausted');
    const purpose = request.purpose ?? 'other';
    this.calls.set(purpose, (this.calls.get(purpose) ?? 0) + 1);
    return this.inner.complete(request);
  }
}

const ws = await tempWorkspace({ 'README.md': '# Demo\n', 'src/index.ts': 'export {};\n' });
const model = new BudgetedModel(new OfflineModel(), 50);
const run = runGoal('Summarise the repository layout', { workspace: ws.dir, tracesDir: ws.traces, learning: false, model });
const report = await run.report;
console.log(`status: ${report.status}, calls: ${JSON.stringify(Object.fromEntries(model.calls))}, tokens: ${report.usage.totalTokens}`);
await ws.cleanup();

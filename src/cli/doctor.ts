/**
 * `gepa-aime doctor`: checks the configured endpoint the way a run will use
 * it, one line per check (`ok`, `warn`, `FAIL` + why). Exit 0 when nothing
 * failed, 1 on a failure, 2 on bad config. Retries are off: the doctor
 * reports what the server does now.
 */
import { z } from 'zod';
import type { ModelConfig, ResolvedRole } from '../config/index.js';
import { OpenAICompatibleModel, type OpenAIProviderOptions } from '../llm/openai/index.js';
import { EndpointRegistry } from '../llm/openai/endpoints.js';
import { oneLine } from '../llm/openai/errors.js';
import { healthUrl, modelsUrl, resolveEndpoint } from '../llm/openai/settings.js';
import { ReplayStore } from '../llm/replay.js';
import { ModelError, type ChatRequest, type ChatResponse, type ResponseFormat, type ToolSpec } from '../../contracts/llm.js';
import { errorMessage } from '../../contracts/errors.js';
import { EXIT, loadCliConfig, type ModelFlags } from './common.js';
import { toolChecks } from './tools.js';
import { paint, statusColour } from './terminal.js';

export type CheckStatus = 'ok' | 'warn' | 'FAIL' | 'SKIP';
export interface CheckLine {
  status: CheckStatus;
  name: string;
  detail: string;
}

const ECHO_TOOL: ToolSpec = {
  name: 'echo',
  description: 'Echo a piece of text back. Used to check that tool calling works.',
  parameters: { type: 'object', properties: { text: { type: 'string', description: 'the text to echo' } }, required: ['text'], additionalProperties: false },
};

const probeSchema = z.object({ status: z.literal('ok'), count: z.number().int() }).strict();
const PROBE_FORMAT: ResponseFormat = {
  name: 'doctor_probe',
  schema: {
    type: 'object',
    properties: { status: { type: 'string', enum: ['ok'] }, count: { type: 'integer' } },
    required: ['status', 'count'],
    additionalProperties: false,
  },
  strict: true,
};

/** The top-level settings: the doctor checks what the config names, before role overrides. */
function baseSettings(config: ModelConfig): ResolvedRole {
  const { roles: _roles, ...base } = config;
  return { ...base, role: 'actor', persona: null };
}

export async function runChecks(config: ModelConfig, say: (line: CheckLine) => void, http: OpenAIProviderOptions = {}): Promise<number> {
  let failed = false;
  const report = (status: CheckStatus, name: string, detail: string) => {
    if (status === 'FAIL') failed = true;
    say({ status, name, detail: oneLine(detail, 600) });
  };
  const settings = baseSettings(config);

  if (settings.provider === 'offline') {
    report('ok', 'provider', 'offline: the embedded deterministic model needs no server; nothing remote to check');
    return EXIT.ok;
  }
  if (settings.provider === 'replay') {
    try {
      const store = ReplayStore.load(settings.replay_file ?? '');
      report('ok', 'replay', `${settings.replay_file} holds ${store.total} recorded exchange(s); nothing remote to check`);
    } catch (err) {
      report('FAIL', 'replay', errorMessage(err));
    }
    return failed ? EXIT.failed : EXIT.ok;
  }

  let endpoint;
  try {
    endpoint = resolveEndpoint(settings);
  } catch (err) {
    report('FAIL', 'config', errorMessage(err));
    return EXIT.usage;
  }
  const endpoints = http.endpoints ?? new EndpointRegistry();
  const model = new OpenAICompatibleModel({ ...settings, max_retries: 0 }, { ...http, endpoints });
  report('ok', 'config', `provider ${settings.provider}, model "${settings.model}", api_base ${settings.api_base}, endpoint ${endpoint}`);
  try {
    const reachable = await checkHealth(model, settings, report);
    if (!reachable) {
      for (const name of ['models', 'model', 'tool call', 'json schema']) report('SKIP', name, 'not checked: the server is unreachable');
      return EXIT.failed;
    }
    await checkModels(model, settings, report);
    if (endpoint !== '/v1/chat/completions') {
      report('SKIP', 'tool call', `not checked: native tool calls need endpoint /v1/chat/completions (configured: ${endpoint})`);
    } else {
      await checkToolCall(model, report);
    }
    await checkJsonSchema(model, report);
  } finally {
    if (!http.endpoints) await endpoints.close();
  }
  return failed ? EXIT.failed : EXIT.ok;
}

type Report = (status: CheckStatus, name: string, detail: string) => void;

/** GET /health at the server root. 404 is a warning: only vLLM has it. False when the server cannot be reached. */
async function checkHealth(model: OpenAICompatibleModel, settings: ResolvedRole, report: Report): Promise<boolean> {
  const url = healthUrl(settings.api_base);
  try {
    const { status, text } = await model.get(url);
    if (status === 200) report('ok', 'health', `${url} answered 200`);
    else if (status === 404) report('warn', 'health', `${url} answered 404: no /health endpoint (fine for servers other than vLLM)`);
    else report('FAIL', 'health', `${url} answered HTTP ${status}: ${oneLine(text, 200) || '(empty body)'}`);
    return true;
  } catch (err) {
    report('FAIL', 'health', errorMessage(err));
    return !(err instanceof ModelError && (err.kind === 'network' || err.kind === 'timeout'));
  }
}

async function checkModels(model: OpenAICompatibleModel, settings: ResolvedRole, report: Report): Promise<void> {
  let models: string[];
  try {
    models = await model.listModels();
  } catch (err) {
    report('FAIL', 'models', errorMessage(err));
    report('SKIP', 'model', `not checked: "${settings.model}" cannot be looked up while ${modelsUrl(settings.api_base)} fails`);
    return;
  }
  report('ok', 'models', `${models.length} served: ${models.join(', ') || '(none)'}`);
  if (models.includes(settings.model)) report('ok', 'model', `"${settings.model}" is served`);
  else
    report('FAIL', 'model', `"${settings.model}" is not served; available: ${models.join(', ') || '(none)'} (set model: in model_config.yaml or pass --model)`);
}

/** One deterministic probe request: a system line, a user line, and what the check needs on top. */
function probe(model: OpenAICompatibleModel, system: string, user: string, maxTokens: number, extra: Partial<ChatRequest>): Promise<ChatResponse> {
  return model.complete({
    messages: [
      { role: 'system', content: system },
      { role: 'user', content: user },
    ],
    sampling: { temperature: 0, maxTokens },
    purpose: 'doctor',
    ...extra,
  });
}

async function checkToolCall(model: OpenAICompatibleModel, report: Report): Promise<void> {
  try {
    const response = await probe(
      model,
      'You are a connectivity check. Answer only by calling the tool you are given.',
      'Call the tool "echo" with {"text": "ping"}.',
      256,
      { tools: [ECHO_TOOL], toolChoice: 'auto' },
    );
    const call = response.toolCalls[0];
    if (!call)
      return report(
        'FAIL',
        'tool call',
        `the model answered with text instead of a tool call: "${oneLine(response.content, 120)}" (for vLLM, check --tool-call-parser)`,
      );
    if (call.name !== ECHO_TOOL.name) return report('FAIL', 'tool call', `the model called "${call.name}", not "echo"`);
    let args: unknown;
    try {
      args = JSON.parse(call.arguments);
    } catch {
      return report('FAIL', 'tool call', `the arguments are not JSON: ${oneLine(call.arguments, 120)}`);
    }
    if (typeof args !== 'object' || args === null || Array.isArray(args))
      return report('FAIL', 'tool call', `the arguments are not a JSON object: ${oneLine(call.arguments, 120)}`);
    report('ok', 'tool call', `echo(${oneLine(call.arguments, 80)}) came back well formed`);
  } catch (err) {
    report('FAIL', 'tool call', errorMessage(err));
  }
}

async function checkJsonSchema(model: OpenAICompatibleModel, report: Report): Promise<void> {
  try {
    const response = await probe(model, 'Reply with one JSON object only.', 'Reply with {"status": "ok", "count": 3}.', 128, { responseFormat: PROBE_FORMAT });
    let value: unknown;
    try {
      value = JSON.parse(response.content);
    } catch {
      return report('FAIL', 'json schema', `the reply is not JSON: "${oneLine(response.content, 120)}" (is structured output enabled on the server?)`);
    }
    const parsed = probeSchema.safeParse(value);
    if (!parsed.success) {
      const why = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      return report('FAIL', 'json schema', `the reply does not match its schema (${why}): ${oneLine(response.content, 120)}`);
    }
    report('ok', 'json schema', `${oneLine(response.content, 80)} parses against its schema`);
  } catch (err) {
    report('FAIL', 'json schema', errorMessage(err));
  }
}

export function formatCheck(line: CheckLine, stream: Parameters<typeof paint>[0] = { isTTY: false }): string {
  return `${paint(stream, statusColour(line.status), line.status.padEnd(4))} ${line.name}: ${line.detail}`;
}

export async function doctorCommand(flags: ModelFlags): Promise<number> {
  const config = await loadCliConfig(flags);
  const say = (line: CheckLine) => process.stdout.write(`${formatCheck(line, process.stdout)}\n`);
  const model = await runChecks(config.model, say);
  const tools = await toolChecks(config, say);
  return model !== EXIT.ok ? model : tools ? EXIT.ok : EXIT.failed;
}

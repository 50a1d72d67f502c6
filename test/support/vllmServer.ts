/**
 * A fake vLLM: a real HTTP server on 127.0.0.1 (port 0) speaking vLLM's
 * OpenAI-compatible wire format, for tests of anything that calls a model
 * over HTTP. No test reaches the internet.
 *
 * API
 *   const server = await startVllmServer(options?)
 *     options.models          model ids served (default ['m']); a request for another model gets vLLM's 404
 *     options.health          false -> GET /health answers 404 (servers without it); default true
 *     options.autoToolChoice  false -> tool_choice "auto" gets vLLM's 400 about --enable-auto-tool-choice; default true
 *     options.chunkChars      stream content and tool arguments in pieces of this many characters (default 3)
 *     options.delayMs         wait this long before every generation reply (benchmarks)
 *   server.url / server.apiBase        'http://127.0.0.1:PORT' / that + '/v1'
 *   server.handler = (req) => reply    answers generation requests (chat, completions, generate);
 *                                      may be async; default replies with the text "ok"
 *   server.enqueue(...replies)         replies served first, in order, before the handler is asked
 *   server.requests                    generation requests seen (SeenRequest), in arrival order
 *   server.allRequests                 every request, GETs included
 *   server.inFlight / server.maxInFlight   generation requests being answered now / at most so far
 *   server.close()                     stops the server and cuts open connections (hung ones too)
 *
 *   A reply is { content?, toolCalls?: [{ name, arguments, id? }], reasoning?, reasoningKey?,
 *   usage?, finishReason?, delayMs?, fault? }. `arguments` is raw text (malformed JSON allowed);
 *   any tool name may be used (unknown tools). A fault replaces the reply:
 *     { type: 'status', status, message?, retryAfter? }  vLLM error body {"object":"error",...}
 *     { type: 'hang' }                                   never answers (the client must time out)
 *     { type: 'cut', afterEvents? }                      streams: send N events then drop the socket;
 *                                                        whole replies: drop the socket at once
 *     { type: 'stream-error', message?, code? }          HTTP 200, then data: {"error": {...}}, [DONE]
 *     { type: 'malformed-body' }                         HTTP 200 with truncated JSON
 *     { type: 'ping', everyMs? }                         HTTP 200 SSE, then only ": ping" comments, forever
 *     { type: 'trickle', everyMs? }                      HTTP 200 SSE, content events forever, never [DONE]
 *   Helpers: say(text), json(value), callTool(name, args), callTools([...]), fault.*, and
 *   purposeOf(req) -> 'planner' | 'actor' | 'other' to let one handler play several roles.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServerToolCall {
  name: string;
  /** Raw arguments text; objects are JSON-encoded. */
  arguments: string | Record<string, unknown>;
  id?: string;
}

export type Fault =
  | { type: 'status'; status: number; message?: string; retryAfter?: string }
  | { type: 'hang' }
  | { type: 'cut'; afterEvents?: number }
  | { type: 'stream-error'; message?: string; code?: number }
  | { type: 'malformed-body' }
  | { type: 'ping'; everyMs?: number }
  | { type: 'trickle'; everyMs?: number };

export interface ServerReply {
  content?: string;
  toolCalls?: ServerToolCall[];
  reasoning?: string;
  /** vLLM >= 0.10 sends `reasoning`; older versions `reasoning_content`. */
  reasoningKey?: 'reasoning' | 'reasoning_content';
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
  finishReason?: string;
  delayMs?: number;
  fault?: Fault;
}

export type Route = 'chat' | 'completions' | 'generate' | 'models' | 'health' | 'other';

export interface SeenRequest {
  method: string;
  path: string;
  route: Route;
  headers: http.IncomingHttpHeaders;
  /** The parsed JSON body ({} when there was none or it did not parse). */
  body: Record<string, any>;
  stream: boolean;
}

export type Handler = (req: SeenRequest) => ServerReply | Promise<ServerReply>;

export interface VllmServerOptions {
  models?: string[];
  health?: boolean;
  autoToolChoice?: boolean;
  chunkChars?: number;
  delayMs?: number;
}

export interface VllmServer {
  readonly url: string;
  readonly apiBase: string;
  handler: Handler;
  enqueue(...replies: ServerReply[]): void;
  readonly requests: SeenRequest[];
  readonly allRequests: SeenRequest[];
  readonly inFlight: number;
  readonly maxInFlight: number;
  close(): Promise<void>;
}

export const say = (content: string): ServerReply => ({ content });
export const json = (value: unknown): ServerReply => ({ content: JSON.stringify(value) });
export const callTool = (name: string, args: string | Record<string, unknown>): ServerReply => ({ toolCalls: [{ name, arguments: args }] });
export const callTools = (calls: ServerToolCall[]): ServerReply => ({ toolCalls: calls });
export const fault = {
  status: (status: number, message = 'Internal Server Error', retryAfter?: string): ServerReply => ({
    fault: { type: 'status', status, message, ...(retryAfter !== undefined ? { retryAfter } : {}) },
  }),
  tooMany: (retryAfter = '0'): ServerReply => ({ fault: { type: 'status', status: 429, message: 'Too many requests', retryAfter } }),
  hang: (): ServerReply => ({ fault: { type: 'hang' } }),
  cut: (afterEvents = 2): ServerReply => ({ fault: { type: 'cut', afterEvents } }),
  streamError: (message = 'engine crashed', code = 500): ServerReply => ({ fault: { type: 'stream-error', message, code } }),
  malformedBody: (): ServerReply => ({ fault: { type: 'malformed-body' } }),
  ping: (everyMs = 20): ServerReply => ({ fault: { type: 'ping', everyMs } }),
  trickle: (everyMs = 20): ServerReply => ({ fault: { type: 'trickle', everyMs } }),
};

/** Who is asking, from the shape of the request GEPA-AIME sends. */
export function purposeOf(req: SeenRequest): 'planner' | 'actor' | 'other' {
  if (req.body?.response_format?.json_schema?.name === 'planner_decision') return 'planner';
  if (Array.isArray(req.body?.tools) && req.body.tools.length) return 'actor';
  return 'other';
}

const STATUS_TYPES: Record<number, string> = { 400: 'BadRequestError', 401: 'AuthenticationError', 404: 'NotFoundError', 429: 'RateLimitError' };

function errorBody(status: number, message: string) {
  return { object: 'error', message, type: STATUS_TYPES[status] ?? 'InternalServerError', param: null, code: status };
}

function routeOf(method: string, path: string): Route {
  if (method === 'GET' && path === '/health') return 'health';
  if (method === 'GET' && path === '/v1/models') return 'models';
  if (method === 'POST' && path === '/v1/chat/completions') return 'chat';
  if (method === 'POST' && path === '/v1/completions') return 'completions';
  if (method === 'POST' && path === '/generate') return 'generate';
  return 'other';
}

function pieces(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

export async function startVllmServer(options: VllmServerOptions = {}): Promise<VllmServer> {
  const models = options.models ?? ['m'];
  const chunkChars = Math.max(1, options.chunkChars ?? 3);
  const queue: ServerReply[] = [];
  const requests: SeenRequest[] = [];
  const allRequests: SeenRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let counter = 0;
  const state = { handler: ((): ServerReply => ({ content: 'ok' })) as Handler };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      let body: Record<string, any> = {};
      try {
        const parsed = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
        if (parsed && typeof parsed === 'object') body = parsed;
      } catch {
        /* recorded as {} */
      }
      const seen: SeenRequest = {
        method: req.method ?? 'GET',
        path,
        route: routeOf(req.method ?? 'GET', path),
        headers: req.headers,
        body,
        stream: body.stream === true,
      };
      allRequests.push(seen);
      void answer(seen, res).catch(() => res.destroy());
    });
  });

  const sendJson = (res: http.ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(value);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  };

  async function answer(seen: SeenRequest, res: http.ServerResponse): Promise<void> {
    if (seen.route === 'health') {
      if (options.health === false) return sendJson(res, 404, { detail: 'Not Found' });
      res.writeHead(200).end();
      return;
    }
    if (seen.route === 'models') {
      return sendJson(res, 200, {
        object: 'list',
        data: models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'vllm', root: id, max_model_len: 32768 })),
      });
    }
    if (seen.route === 'other') return sendJson(res, 404, { detail: 'Not Found' });

    requests.push(seen);
    if (seen.route !== 'generate' && !models.includes(seen.body.model)) {
      return sendJson(res, 404, errorBody(404, `The model \`${seen.body.model}\` does not exist.`));
    }
    if (options.autoToolChoice === false && seen.body.tool_choice === 'auto' && seen.body.tools?.length) {
      return sendJson(res, 400, errorBody(400, '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set'));
    }
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => inFlight--);
    const reply = queue.length ? queue.shift()! : await state.handler(seen);
    const delay = reply.delayMs ?? options.delayMs ?? 0;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const f = reply.fault;
    if (f?.type === 'hang') return; // the socket stays open until the client gives up or close()
    if (f?.type === 'status')
      return sendJson(res, f.status, errorBody(f.status, f.message ?? 'error'), f.retryAfter !== undefined ? { 'retry-after': f.retryAfter } : {});
    if (f?.type === 'ping' || f?.type === 'trickle') {
      // Keeps the connection busy forever: only the client's own bounds end it.
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const frame =
        f.type === 'ping'
          ? ': ping\n\n'
          : `data: ${JSON.stringify({ id: 'chatcmpl-t', object: 'chat.completion.chunk', created: 0, model: seen.body.model, choices: [{ index: 0, delta: { content: '.' }, finish_reason: null }] })}\n\n`;
      const timer = setInterval(() => res.write(frame), f.everyMs ?? 20);
      res.on('close', () => clearInterval(timer));
      return;
    }
    if (f?.type === 'malformed-body') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id":"cmpl-x","choices":[{"message":');
      return;
    }
    const id = `chatcmpl-${++counter}`;
    const calls = (reply.toolCalls ?? []).map((c, i) => ({
      id: c.id ?? `chatcmpl-tool-${counter}-${i}`,
      name: c.name,
      arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments),
    }));
    const content = reply.content ?? '';
    const promptText = JSON.stringify(seen.body.messages ?? seen.body.prompt ?? '');
    const usage =
      reply.usage === null
        ? undefined
        : (reply.usage ?? {
            prompt_tokens: Math.ceil(promptText.length / 4),
            completion_tokens: Math.ceil((content.length + calls.reduce((n, c) => n + c.arguments.length, 0)) / 4) || 1,
            total_tokens: 0,
          });
    if (usage && !usage.total_tokens) usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    const finish = reply.finishReason ?? (calls.length ? 'tool_calls' : 'stop');
    const reasoningKey = reply.reasoningKey ?? 'reasoning';
    const model = seen.body.model ?? models[0];

    if (seen.route === 'generate') {
      if (f?.type === 'cut') return void res.socket?.destroy();
      return sendJson(res, 200, { text: [`${seen.body.prompt ?? ''}${content}`] });
    }

    if (!seen.stream) {
      if (f?.type === 'cut') return void res.socket?.destroy();
      if (f?.type === 'stream-error') return sendJson(res, 500, errorBody(f.code ?? 500, f.message ?? 'error'));
      const choice =
        seen.route === 'chat'
          ? {
              index: 0,
              message: {
                role: 'assistant',
                content: calls.length && !content ? null : content,
                ...(reply.reasoning ? { [reasoningKey]: reply.reasoning } : {}),
                tool_calls: calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })),
              },
              logprobs: null,
              finish_reason: finish,
            }
          : { index: 0, text: content, logprobs: null, finish_reason: finish };
      return sendJson(res, 200, {
        id,
        object: seen.route === 'chat' ? 'chat.completion' : 'text_completion',
        created: 0,
        model,
        choices: [choice],
        ...(usage ? { usage } : {}),
      });
    }

    // Streamed: one SSE event per write, in vLLM's chunk shapes.
    const object = seen.route === 'chat' ? 'chat.completion.chunk' : 'text_completion';
    const events: unknown[] = [];
    const chunk = (choice: Record<string, unknown> | null, extra: Record<string, unknown> = {}) =>
      events.push({ id, object, created: 0, model, choices: choice ? [{ index: 0, logprobs: null, finish_reason: null, ...choice }] : [], ...extra });
    if (seen.route === 'chat') {
      chunk({ delta: { role: 'assistant', content: '' } });
      for (const piece of pieces(reply.reasoning ?? '', chunkChars)) chunk({ delta: { [reasoningKey]: piece } });
      for (const piece of pieces(content, chunkChars)) chunk({ delta: { content: piece } });
      calls.forEach((c, index) => {
        chunk({ delta: { tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }] } });
        for (const piece of pieces(c.arguments, chunkChars)) chunk({ delta: { tool_calls: [{ index, function: { arguments: piece } }] } });
      });
      chunk({ delta: {}, finish_reason: finish });
    } else {
      for (const piece of pieces(content, chunkChars)) chunk({ text: piece });
      chunk({ text: '', finish_reason: finish });
    }
    if (usage && seen.body.stream_options?.include_usage) chunk(null, { usage });

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    if (f?.type === 'stream-error') {
      res.write(`data: ${JSON.stringify(events[0])}\n\n`);
      res.write(`data: ${JSON.stringify({ error: errorBody(f.code ?? 500, f.message ?? 'error') })}\n\n`);
      res.end('data: [DONE]\n\n');
      return;
    }
    const cutAt = f?.type === 'cut' ? (f.afterEvents ?? 2) : Infinity;
    for (let i = 0; i < events.length; i++) {
      if (i >= cutAt) {
        // Flush what was written, then drop the connection without the terminating chunk.
        await new Promise<void>((r) => res.write('', () => r()));
        res.socket?.destroy();
        return;
      }
      res.write(`data: ${JSON.stringify(events[i])}\n\n`);
    }
    if (cutAt !== Infinity) {
      await new Promise<void>((r) => res.write('', () => r()));
      res.socket?.destroy();
      return;
    }
    res.end('data: [DONE]\n\n');
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    apiBase: `${url}/v1`,
    get handler() {
      return state.handler;
    },
    set handler(h: Handler) {
      state.handler = h;
    },
    enqueue: (...replies) => void queue.push(...replies),
    requests,
    allRequests,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

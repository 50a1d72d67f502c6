/**
 * One configured MCP server as the runtime sees it: started on first use
 * (stdio child process or Streamable HTTP session), with a start timeout and a
 * timeout per call. A server that crashes or stops answering is closed and
 * gets exactly one restart, on the next use; after a second failure it stays
 * down and every call says so. Nothing here throws at the model: failures are
 * returned as `McpFailure` for the tool wrapper to turn into observations.
 */
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { CallToolResult, Tool as McpToolInfo } from '@modelcontextprotocol/sdk/types.js';
import type { McpServerConfig } from '../../config/toolBundlesConfig.js';
import { errorMessage } from '../../../contracts/errors.js';

export type { McpToolInfo };

/** The restart budget: one, as the issue asks; a server that fails twice is left down. */
export const MAX_RESTARTS = 1;
const STDERR_TAIL_CHARS = 2_000;
const MAX_LISTED_TOOLS = 500;

export type McpCallOutcome = { ok: true; result: CallToolResult } | { ok: false; message: string };

export interface McpServerStatus {
  name: string;
  state: 'idle' | 'running' | 'down';
  restarts: number;
  pid: number | null;
  lastError: string | null;
}

export class McpServerConnection {
  private client: Client | null = null;
  private transport: Transport | null = null;
  private starting: Promise<Client> | null = null;
  private stderrTail = '';
  private restarts = 0;
  /** Set when the server failed after its restart was used: it stays down. */
  private downReason: string | null = null;
  private lastError: string | null = null;
  private tools: McpToolInfo[] | null = null;
  /** Whether the server was ever up: a later failure is a crash, and costs the restart. */
  private everStarted = false;

  constructor(
    readonly name: string,
    readonly config: McpServerConfig,
    /** Where `${workspace}` points and stdio servers run unless they set `cwd`. */
    private readonly workspace: string,
    /** Relative `cwd` values are resolved against the config directory. */
    private readonly configDir: string,
  ) {}

  /** `${workspace}` in args, env values, cwd and headers stands for the run's workspace. */
  private expand(value: string): string {
    return value.split('${workspace}').join(this.workspace);
  }

  /** Where the server comes from, for `tools` and `doctor`. */
  describe(): string {
    if (this.config.url) return `Streamable HTTP ${this.config.url}`;
    return `stdio: ${[this.config.command ?? '', ...this.config.args].join(' ')}`;
  }

  status(): McpServerStatus {
    const pid = this.transport instanceof StdioClientTransport ? this.transport.pid : null;
    return { name: this.name, state: this.downReason ? 'down' : this.client ? 'running' : 'idle', restarts: this.restarts, pid, lastError: this.lastError };
  }

  /** The server's tools (listed once per process; the list is what the model was shown). */
  async listTools(): Promise<McpToolInfo[] | { error: string }> {
    if (this.tools) return this.tools;
    const client = await this.ensure();
    if ('error' in client) return client;
    try {
      const tools: McpToolInfo[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor ? { cursor } : undefined, { timeout: this.config.start_timeout_ms });
        tools.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor && tools.length < MAX_LISTED_TOOLS);
      this.tools = tools.slice(0, MAX_LISTED_TOOLS);
      return this.tools;
    } catch (err) {
      const why = `listing its tools failed: ${this.explain(err)}`;
      await this.fail(why);
      return { error: this.failureText(why) };
    }
  }

  async callTool(name: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<McpCallOutcome> {
    const client = await this.ensure();
    if ('error' in client) return { ok: false, message: client.error };
    try {
      const result = (await client.callTool({ name, arguments: args }, undefined, {
        timeout: this.config.call_timeout_ms,
        ...(signal ? { signal } : {}),
      })) as CallToolResult;
      return { ok: true, result };
    } catch (err) {
      if (signal?.aborted) return { ok: false, message: `the call to ${name} was cancelled` };
      const lost = !this.client || isTimeout(err) || isConnectionLoss(err);
      if (!lost) return { ok: false, message: `MCP server "${this.name}" refused the call to ${name}: ${errorMessage(err)}` };
      const why = isTimeout(err)
        ? `did not answer ${name} within ${this.config.call_timeout_ms} ms`
        : `stopped during the call to ${name} (${this.explain(err)})`;
      await this.fail(why);
      return { ok: false, message: this.failureText(why) };
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.transport = null;
    this.starting = null;
    await client?.close().catch(() => undefined);
  }

  /** The live client, starting the server on first use, or restarting it once after a failure. */
  private async ensure(): Promise<Client | { error: string }> {
    if (this.downReason) return { error: this.downReason };
    if (this.client) return this.client;
    if (!this.starting) {
      if (this.everStarted) {
        if (this.restarts >= MAX_RESTARTS) {
          this.downReason = `MCP server "${this.name}" is down: it ${this.lastError ?? 'failed'}, after ${this.restarts} restart${this.restarts === 1 ? '' : 's'}; its tools are unavailable for the rest of this run`;
          return { error: this.downReason };
        }
        this.restarts++;
      }
      this.starting = this.start();
    }
    try {
      return await this.starting;
    } catch (err) {
      this.starting = null;
      // A server that does not come up (first start or restart) stays down: a broken command does not heal.
      this.lastError = `did not start: ${this.explain(err)}`;
      this.downReason = `MCP server "${this.name}" ${this.lastError}`;
      return { error: this.downReason };
    }
  }

  private async start(): Promise<Client> {
    const transport = this.createTransport();
    const client = new Client({ name: 'gepa-aime', version: '0.1.0' }, { capabilities: {} });
    client.onclose = () => {
      // The process exited or the session ended: the next use restarts it (once).
      if (this.client === client) {
        this.client = null;
        this.transport = null;
        this.starting = null;
        this.lastError = `exited or closed the connection${this.stderrSuffix()}`;
      }
    };
    const timer = setTimeout(() => void transport.close().catch(() => undefined), this.config.start_timeout_ms);
    try {
      await client.connect(transport, { timeout: this.config.start_timeout_ms });
    } catch (err) {
      await transport.close().catch(() => undefined);
      throw err;
    } finally {
      clearTimeout(timer);
    }
    this.client = client;
    this.transport = transport;
    this.everStarted = true;
    return client;
  }

  private createTransport(): Transport {
    const c = this.config;
    if (c.url) {
      const headers = Object.fromEntries(Object.entries(c.headers).map(([k, v]) => [k, this.expand(v)]));
      return new StreamableHTTPClientTransport(new URL(c.url), { requestInit: { headers } });
    }
    this.stderrTail = '';
    const transport = new StdioClientTransport({
      command: c.command!,
      args: c.args.map((a) => this.expand(a)),
      env: { ...getDefaultEnvironment(), ...Object.fromEntries(Object.entries(c.env).map(([k, v]) => [k, this.expand(v)])) },
      cwd: c.cwd ? path.resolve(this.configDir, this.expand(c.cwd)) : this.workspace,
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
    });
    return transport;
  }

  /** Closes a failed server; the next use restarts it if the budget allows. */
  private async fail(why: string): Promise<void> {
    this.lastError = why;
    await this.close();
  }

  private failureText(why: string): string {
    const next =
      this.restarts < MAX_RESTARTS
        ? 'it was stopped and will be restarted on the next call'
        : `it was already restarted ${this.restarts} time${this.restarts === 1 ? '' : 's'}, so its tools are now unavailable for the rest of this run`;
    return `MCP server "${this.name}" ${why}; ${next}. The call may or may not have taken effect.`;
  }

  private explain(err: unknown): string {
    return `${errorMessage(err)}${this.stderrSuffix()}`;
  }

  private stderrSuffix(): string {
    const tail = this.stderrTail.trim().split('\n').slice(-3).join(' | ');
    return tail ? ` [server stderr: ${tail.slice(-400)}]` : '';
  }
}

function isTimeout(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === -32001 || /timed? ?out/i.test(errorMessage(err));
}

function isConnectionLoss(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === -32000 || /connection closed|not connected|ECONNREFUSED|ECONNRESET|fetch failed|socket/i.test(errorMessage(err));
}

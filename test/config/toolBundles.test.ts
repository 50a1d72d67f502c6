/** tool_bundles.json's mcp_servers, approvals and shell sections: defaults, and located errors for mistakes. */
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfigText } from '../../src/config/index.js';
import { configDir, configError } from './fixtures.js';

describe('mcp_servers, approvals, shell', () => {
  it('fills defaults', () => {
    const cfg = parseConfigText(
      'tools',
      JSON.stringify({ mcp_servers: { mem: { command: 'node', args: ['s.js'] }, web: { url: 'http://127.0.0.1:3001/mcp' } } }),
    );
    expect(cfg.mcp_servers.mem).toEqual({
      command: 'node',
      args: ['s.js'],
      env: {},
      headers: {},
      start_timeout_ms: 20000,
      call_timeout_ms: 60000,
      read_only_tools: [],
    });
    expect(cfg.mcp_servers.web).toMatchObject({ url: 'http://127.0.0.1:3001/mcp', args: [], headers: {} });
    expect(cfg.approvals).toEqual({ tools: {}, bundles: {} });
    expect(cfg.shell).toEqual({ timeout_ms: 30000, max_output_bytes: 65536, memory_mb: 512, max_processes: 64 });
  });

  it('reports every mistake with its key path and line', () => {
    const text = `{
  "mcp_servers": {
    "both": { "command": "x", "url": "http://127.0.0.1:1/" },
    "neither": { "args": [] },
    "stdio": { "command": "x", "headers": { "a": "b" } },
    "http": { "url": "ftp://nope", "cwd": "/tmp" },
    "bad name!": { "command": "x" },
    "slow": { "command": "x", "call_timeout_ms": 0 }
  },
  "approvals": { "tools": { "run_command": "maybe" }, "bundlez": {} },
  "shell": { "memory_mb": 1 }
}`;
    const err = configError(() => parseConfigText('tools', text, 'tool_bundles.json'));
    const lines = err.message.split('\n');
    const at = (key: string) => lines.find((l) => l.includes(key)) ?? '';
    expect(at('mcp_servers.both')).toMatch(/:3: .*exactly one of "command" \(stdio\) or "url"/);
    expect(at('mcp_servers.neither')).toMatch(/:4: .*exactly one of/);
    expect(at('mcp_servers.stdio.headers')).toMatch(/:5: .*no "headers" on a stdio server/);
    expect(at('mcp_servers.http.url')).toMatch(/:6: .*http:\/\/ or https:\/\/ URL/);
    expect(at('mcp_servers.http.cwd')).toMatch(/no "cwd" on a server given by "url"/);
    expect(err.message).toMatch(/bad name!/);
    expect(at('mcp_servers.slow.call_timeout_ms')).toMatch(/:8: .*positive integer/);
    expect(at('approvals.tools.run_command')).toMatch(/:10: .*one of auto, ask, deny/);
    expect(err.message).toMatch(/approvals\.bundlez.*unknown key/);
    expect(at('shell.memory_mb')).toMatch(/:11: /);
  });

  it('personas may name MCP bundles and the shell; unknown ones are errors', () => {
    const tools = JSON.stringify({ mcp_servers: { mem: { command: 'node' } } });
    const personas = `personas:\n  a:\n    description: d\n    prompt: p\n    bundles: [filesystem, shell, "mcp:mem"]\ndefault_persona: a\n`;
    const cfg = loadConfig(configDir({ 'tool_bundles.json': tools, 'personas.yaml': personas }), { env: {} });
    expect(cfg.personas.personas.a!.bundles).toEqual(['filesystem', 'shell', 'mcp:mem']);
    const bad = personas.replace('"mcp:mem"', '"mcp:other"');
    const err = configError(() => loadConfig(configDir({ 'tool_bundles.json': tools, 'personas.yaml': bad }), { env: {} }));
    expect(err.message).toMatch(/personas\.a\.bundles\[2\].*mcp:mem/);
  });
});

import { describe, expect, it } from 'vitest';
import { ToolCallAssembler, toolCallsFromMessage } from '../../src/llm/openai/toolCalls.js';

describe('ToolCallAssembler', () => {
  it('merges fragments by index: id and name first, arguments in pieces', () => {
    const a = new ToolCallAssembler();
    a.add([{ index: 0, id: 'call_a', type: 'function', function: { name: 'read_file', arguments: '' } }]);
    a.add([{ index: 0, function: { arguments: '{"pa' } }]);
    a.add([{ index: 1, id: 'call_b', type: 'function', function: { name: 'list_dir', arguments: '{' } }]);
    a.add([{ index: 0, function: { arguments: 'th": "a.txt"}' } }]);
    a.add([{ index: 1, function: { arguments: '}' } }]);
    expect(a.result()).toEqual([
      { id: 'call_a', name: 'read_file', arguments: '{"path": "a.txt"}' },
      { id: 'call_b', name: 'list_dir', arguments: '{}' },
    ]);
  });

  it('orders by index, not arrival, and gives id-less calls a stable id', () => {
    const a = new ToolCallAssembler();
    a.add([{ index: 2, function: { name: 'b', arguments: '1' } }]);
    a.add([{ index: 0, function: { name: 'a', arguments: '2' } }]);
    expect(a.result()).toEqual([
      { id: 'call_0', name: 'a', arguments: '2' },
      { id: 'call_2', name: 'b', arguments: '1' },
    ]);
  });

  it('ignores repeated ids and names (llama.cpp repeats them) but joins a name sent in pieces', () => {
    const a = new ToolCallAssembler();
    a.add([{ index: 0, id: 'x', function: { name: 'list', arguments: '' } }]);
    a.add([{ index: 0, id: 'x', function: { name: '_dir', arguments: '{' } }]);
    a.add([{ index: 0, id: 'y', function: { name: 'list_dir', arguments: '}' } }]);
    expect(a.result()).toEqual([{ id: 'x', name: 'list_dir', arguments: '{}' }]);
  });

  it('keeps malformed argument text untouched and ignores garbage fragments', () => {
    const a = new ToolCallAssembler();
    a.add('nonsense');
    a.add([null, 5, { index: 0, function: { name: 'f', arguments: '{"broken": ' } }]);
    a.add([{ index: 0, function: { arguments: 7 } }]);
    expect(a.result()).toEqual([{ id: 'call_0', name: 'f', arguments: '{"broken": ' }]);
  });

  it('falls back to array position when a server omits index', () => {
    const a = new ToolCallAssembler();
    a.add([
      { id: 'p', function: { name: 'x', arguments: '{}' } },
      { id: 'q', function: { name: 'y', arguments: '{}' } },
    ]);
    expect(a.result().map((c) => c.id)).toEqual(['p', 'q']);
  });
});

describe('toolCallsFromMessage', () => {
  it('reads whole tool calls; object arguments are serialised', () => {
    expect(
      toolCallsFromMessage([
        { id: 'c1', type: 'function', function: { name: 'a', arguments: '{"x":1}' } },
        { type: 'function', function: { name: 'b', arguments: { y: 2 } } },
        'junk',
      ]),
    ).toEqual([
      { id: 'c1', name: 'a', arguments: '{"x":1}' },
      { id: 'call_1', name: 'b', arguments: '{"y":2}' },
    ]);
    expect(toolCallsFromMessage(undefined)).toEqual([]);
  });
});

/**
 * Compact by default (issue 25 item 4), measured on the wire: the bytes of the JSON-RPC response line that
 * `k0rdent-mcp stdio --sandbox` writes (the structured result plus its JSON text copy, as the SDK sends them).
 * An unscoped k0.clusters.listTemplates on the default seed stays under 16 KB (98 KB with every config outline);
 * detail=full still gives the outline; k0.templates.get of an AWS template leaves the whole chart schema to
 * detail=full.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startCli, stopAll, type CliProcess } from '../helpers/cli-process.js';
import { until } from '../helpers/until.js';

interface Line {
  bytes: number;
  message: { id?: number; result?: { isError?: boolean; structuredContent?: Record<string, unknown>; content?: unknown } };
}

function lines(proc: CliProcess): Line[] {
  return proc
    .stdout()
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => ({ bytes: Buffer.byteLength(line), message: JSON.parse(line) as Line['message'] }));
}

describe('list and template results are compact on the wire', () => {
  let proc: CliProcess;
  let nextId = 1;
  const call = async (name: string, args: Record<string, unknown>): Promise<Line> => {
    const id = ++nextId;
    proc.child.stdin!.write(`${JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } })}\n`);
    const line = await until(`the answer to ${name}`, () => lines(proc).find((l) => l.message.id === id), 60_000);
    assert.notEqual(line.message.result?.isError, true, JSON.stringify(line.message.result?.content));
    return line;
  };

  before(async () => {
    proc = startCli(['stdio', '--sandbox'], { LOG_LEVEL: 'warn' });
    proc.child.stdin!.write(
      `${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'compact', version: '1' } } })}\n`,
    );
    await until('initialize', () => lines(proc).find((l) => l.message.id === 1), 60_000);
    proc.child.stdin!.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
  });
  after(async () => {
    proc.child.stdin!.end();
    await proc.exited();
    stopAll();
  });

  it('an unscoped listTemplates on the default seed is under 16 KB; detail=full adds the outlines', async () => {
    const summary = await call('k0.clusters.listTemplates', {});
    const items = summary.message.result!.structuredContent!.items as Record<string, unknown>[];
    assert.ok(items.length >= 16, `${items.length} templates: the default seed`);
    assert.ok(summary.bytes < 16 * 1024, `${summary.bytes} bytes on the wire for ${items.length} templates`);
    for (const item of items) {
      assert.equal(typeof item.name, 'string');
      assert.equal(typeof item.valid, 'boolean');
      assert.equal(item.configSchema, undefined, 'no outline in a summary');
    }
    const full = await call('k0.clusters.listTemplates', { detail: 'full' });
    const fullItems = full.message.result!.structuredContent!.items as { name: string; configSchema?: { required: string[] } }[];
    assert.equal(fullItems.length, items.length);
    const azure = fullItems.find((t) => t.name === 'azure-standalone-cp-1-0-15');
    assert.ok(azure?.configSchema?.required.includes('location'), 'detail=full has the outline');
    assert.ok(full.bytes > 4 * summary.bytes, `full ${full.bytes} bytes vs summary ${summary.bytes}`);
  });

  it('templates.get of an AWS template: required settings and an example without the whole schema, unless detail=full', async () => {
    const summary = await call('k0.templates.get', { name: 'aws-standalone-cp-1-0-43' });
    const value = summary.message.result!.structuredContent!;
    assert.equal(value.schema, undefined);
    assert.ok(Array.isArray(value.required) && (value.required as unknown[]).length > 0);
    assert.equal(typeof value.example, 'object');
    const full = await call('k0.templates.get', { name: 'aws-standalone-cp-1-0-43', detail: 'full' });
    assert.equal(typeof full.message.result!.structuredContent!.schema, 'object');
    assert.ok(summary.bytes < 12 * 1024 && summary.bytes * 2 < full.bytes, `summary ${summary.bytes} bytes, full ${full.bytes}`);
  });
});

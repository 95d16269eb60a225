/**
 * A real MCP client connected (in memory) to an McpServer carrying the k0.clusters.* tools, with a
 * Session whose kubeConfig points at a sandbox. Logs are captured as parsed JSON lines; metrics go to
 * a fresh registry per harness.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { pino } from 'pino';
import type { Registry } from 'prom-client';
import { KubeIdentities } from '../../src/kube/identity.js';
import { createMcpServer } from '../../src/mcp/server.js';
import { createMetricsRegistry } from '../../src/observability/metrics.js';
import { namespacePolicyFromSettings } from '../../src/policy/index.js';
import type { Runtime, Session, Settings } from '../../src/runtime/types.js';
import { testSettings } from './settings.js';
import { until } from './until.js';

export { testSettings };

/**
 * The sandbox kubeconfig; plain-http servers get `skipTLSVerify` because client-node 1.4 refuses
 * http:// without it ("HTTP protocol is not allowed when skipTLSVerify is not set or false").
 */
export function sandboxKubeConfig(sandbox: { kubeconfig: string }, token?: string): KubeConfig {
  const loaded = new KubeConfig();
  loaded.loadFromString(sandbox.kubeconfig);
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: loaded.clusters.map((c) => ({ ...c, skipTLSVerify: c.server.startsWith('http://') ? true : c.skipTLSVerify })),
    users: token === undefined ? loaded.users : loaded.users.map((u) => ({ ...u, token })),
    contexts: loaded.contexts,
    currentContext: loaded.currentContext,
  });
  return kc;
}

export type LogLine = Record<string, unknown> & { level: number; msg?: string };

/** A tool error as the envelope returns it (src/mcp/errors.ts toolErrorResult). */
export interface ToolError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

type ToolResult = { isError?: boolean; structuredContent?: unknown; content?: unknown };

const textOf = (result: ToolResult): string => (result.content as { type: string; text?: string }[] | undefined)?.[0]?.text ?? '';

/** The value of a successful result; fails on an error result, and unless the text content is the JSON copy of the value. */
export function okOf<T = Record<string, unknown>>(result: ToolResult): T {
  assert.ok(!result.isError, `unexpected error result: ${textOf(result)}`);
  assert.deepEqual(JSON.parse(textOf(result)), result.structuredContent, 'the text content is a JSON copy of structuredContent');
  return result.structuredContent as T;
}

/** The error of an error result; fails on a success, and unless the text content is "<code>: <message>". */
export function errorOf(result: ToolResult): ToolError {
  assert.equal(result.isError, true, `expected an error result, got ${JSON.stringify(result.structuredContent)}`);
  const { error } = result.structuredContent as { error: ToolError };
  assert.equal(textOf(result), `${error.code}: ${error.message}`);
  return error;
}

export interface Harness {
  client: Client;
  logs: LogLine[];
  metrics: Registry;
  settings: Settings;
  call(name: string, args: Record<string, unknown>, options?: Parameters<Client['callTool']>[2]): Promise<CallToolResult>;
  /** `call`, then `okOf`: the value of a call that must succeed. */
  ok<T = Record<string, unknown>>(name: string, args: Record<string, unknown>, options?: Parameters<Client['callTool']>[2]): Promise<T>;
  /** `call`, then `errorOf`: the error of a call that must fail. */
  error(name: string, args: Record<string, unknown>, options?: Parameters<Client['callTool']>[2]): Promise<ToolError>;
  close(): Promise<void>;
}

/** `target`: a sandbox (its kubeconfig, optionally with another bearer token) or a ready KubeConfig. */
export async function startHarness(
  target: { kubeconfig: string } | KubeConfig,
  overrides: Partial<Settings> = {},
  token?: string,
): Promise<Harness> {
  const settings = testSettings(overrides);
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  const metrics = createMetricsRegistry();
  const kubeConfig = target instanceof KubeConfig ? target : sandboxKubeConfig(target, token);
  const kube = new KubeIdentities({ loadBase: async () => kubeConfig, metrics });
  const runtime: Runtime = { settings, logger, metrics, kube };
  const session: Session = {
    id: 'test-session',
    logger: logger.child({ sessionId: 'test-session' }),
    kube: kube.base(),
    namespaces: namespacePolicyFromSettings(settings),
    close: () => undefined,
  };
  const server = createMcpServer(runtime, session);
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'test-client', version: '0.0.0' });
  await server.connect(serverTransport);
  await client.connect(clientTransport);
  // Caches the output validators, as a real client would before calling.
  await client.listTools();
  const call: Harness['call'] = async (name, args, options) =>
    (await client.callTool({ name, arguments: args }, undefined, options)) as CallToolResult;
  return {
    client,
    logs,
    metrics,
    settings,
    call,
    ok: async <T = Record<string, unknown>>(name: string, args: Record<string, unknown>, options?: Parameters<Client['callTool']>[2]) =>
      okOf<T>(await call(name, args, options)),
    error: async (name, args, options) => errorOf(await call(name, args, options)),
    close: async () => {
      await client.close();
      await server.close();
      kube.close();
    },
  };
}

/** @deprecated use until(what, probe, window) from ./until.ts (the one poller, with a description and a scaled window). */
export function eventually<T>(probe: () => T | undefined, timeoutMs = 5000): Promise<Exclude<T, undefined | null | false>> {
  return until('a condition (eventually)', probe, timeoutMs);
}

export function structured<T = Record<string, unknown>>(result: CallToolResult): T {
  return result.structuredContent as T;
}

export const AZURE_BASELINE = {
  location: 'westus2',
  subscriptionID: '00000000-0000-0000-0000-000000000000',
  controlPlaneNumber: 1,
  workersNumber: 1,
  controlPlane: { vmSize: 'Standard_A4_v2' },
  worker: { vmSize: 'Standard_A4_v2' },
};

/**
 * How many writes (create, update, patch, delete) the sandbox's API server has answered, from its own
 * `apiserver_request_total` on /metrics: the independent proof that a rejected call wrote nothing. The caller's
 * permission reviews (create of selfsubject*reviews, "may I?" before a write) store nothing and are not writes.
 */
export async function sandboxWriteCount(sandbox: { url: string }): Promise<number> {
  // One retry: a kept-alive socket the server closed while idle answers ECONNRESET to the next GET (seen under load).
  const scrape = async (): Promise<string> => (await fetch(`${sandbox.url}/metrics`)).text();
  const text = await scrape().catch(scrape);
  let total = 0;
  for (const match of text.matchAll(/^apiserver_request_total\{([^}]*)\} (\d+)$/gm)) {
    const verb = /verb="([^"]*)"/.exec(match[1] as string)?.[1];
    if (/resource="selfsubject\w*reviews"/.test(match[1] as string)) continue;
    if (verb === 'create' || verb === 'update' || verb === 'patch' || verb === 'delete' || verb === 'deletecollection')
      total += Number(match[2]);
  }
  return total;
}

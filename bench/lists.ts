/**
 * In-process figures through a real MCP client (in memory) against a sandbox: latency and API requests
 * per call of the list tools, a 500-item page next to a raw client-node LIST of the same page, the
 * per-namespace fallback of a namespace-limited user, and listTemplates in steady state. The harness
 * module is passed in, so the same scenarios can run against an older build (the baseline column).
 */
import { Agent as HttpsAgent } from 'node:https';
import { performance } from 'node:perf_hooks';
import * as k8s from '@kubernetes/client-node';
import type { SandboxHandle } from '../src/sandbox/index.js';
import type { Harness, startHarness as StartHarness, sandboxKubeConfig as SandboxKubeConfig } from '../test/helpers/clusters-harness.js';
import { delta, sandboxCounters } from '../test/helpers/sandbox-counters.js';
import { median } from './process.js';

export interface HarnessModule {
  startHarness: typeof StartHarness;
  sandboxKubeConfig: typeof SandboxKubeConfig;
}

export interface CallFigures {
  p50: number;
  p95: number;
  /** Resource requests per call at the API server. */
  requests: number;
  /** 403 answers per call. */
  forbidden: number;
  items: number;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function itemCount(structured: Record<string, unknown> | undefined): number {
  for (const value of Object.values(structured ?? {})) if (Array.isArray(value)) return value.length;
  return 0;
}

/** `iterations` calls after `warmUps` unmeasured ones: latency percentiles and requests per call. */
export async function measureCalls(
  sandbox: SandboxHandle,
  harness: Harness,
  tool: string,
  args: Record<string, unknown>,
  iterations: number,
  warmUps = 1,
): Promise<CallFigures> {
  for (let i = 0; i < warmUps; i++) await harness.call(tool, args);
  const durations: number[] = [];
  const before = await sandboxCounters(sandbox.url);
  let items = 0;
  for (let i = 0; i < iterations; i++) {
    const started = performance.now();
    const result = await harness.call(tool, args);
    durations.push(performance.now() - started);
    if (result.isError) throw new Error(`${tool}: ${JSON.stringify(result.content)}`);
    items = itemCount(result.structuredContent);
  }
  const d = delta(before, await sandboxCounters(sandbox.url));
  return {
    p50: percentile(durations, 50),
    p95: percentile(durations, 95),
    requests: d.requests() / iterations,
    forbidden: d.requests({ code: '403' }) / iterations,
    items,
  };
}

/** First calls, each from a fresh identity (a new harness): what a new session pays. */
export async function measureFirstCalls(
  sandbox: SandboxHandle,
  open: () => Promise<Harness>,
  tool: string,
  args: Record<string, unknown>,
  runs: number,
): Promise<CallFigures> {
  const durations: number[] = [];
  let requests = 0;
  let forbidden = 0;
  let items = 0;
  for (let i = 0; i < runs; i++) {
    const harness = await open();
    try {
      const before = await sandboxCounters(sandbox.url);
      const started = performance.now();
      const result = await harness.call(tool, args);
      durations.push(performance.now() - started);
      if (result.isError) throw new Error(`${tool}: ${JSON.stringify(result.content)}`);
      const d = delta(before, await sandboxCounters(sandbox.url));
      requests += d.requests();
      forbidden += d.requests({ code: '403' });
      items = itemCount(result.structuredContent);
    } finally {
      await harness.close();
    }
  }
  return { p50: percentile(durations, 50), p95: percentile(durations, 95), requests: requests / runs, forbidden: forbidden / runs, items };
}

/** A raw client-node cluster-wide LIST of `limit` ClusterDeployments: client-node as it comes, and with a keep-alive agent. */
export async function rawList(kc: k8s.KubeConfig, limit: number, iterations: number, keepAlive: boolean): Promise<number> {
  const api = kc.makeApiClient(k8s.CustomObjectsApi);
  const agent = keepAlive ? new HttpsAgent({ keepAlive: true }) : undefined;
  const options: k8s.ConfigurationOptions | undefined = agent
    ? {
        middleware: [
          {
            pre: (context) => {
              // Same TLS options client-node chose, on one kept-alive agent.
              const chosen = context.getAgent() as { options?: Record<string, unknown> } | undefined;
              const shared = chosen?.options !== undefined ? sharedAgent(chosen.options) : agent;
              context.setAgent(shared as never);
              return new k8s.Observable(Promise.resolve(context));
            },
            post: (context) => new k8s.Observable(Promise.resolve(context)),
          },
        ],
        middlewareMergeStrategy: 'append',
      }
    : undefined;
  const list = (): Promise<unknown> =>
    api.listClusterCustomObject({ group: 'k0rdent.mirantis.com', version: 'v1beta1', plural: 'clusterdeployments', limit }, options);
  await list();
  const durations: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const started = performance.now();
    await list();
    durations.push(performance.now() - started);
  }
  return median(durations);
}

let kept: HttpsAgent | undefined;
function sharedAgent(options: Record<string, unknown>): HttpsAgent {
  kept ??= new HttpsAgent({ ...options, keepAlive: true });
  return kept;
}

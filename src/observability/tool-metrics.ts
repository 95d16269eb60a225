/**
 * The metrics every tool call records: the generic mcp_tool_calls_total / mcp_tool_call_duration_seconds
 * pair (docs/operations.md "Metrics"), and the interface a tool family implements for its own series
 * (clusters_deploy_total, ...). Every series is created at 0 before the first call.
 */
import type { Registry } from 'prom-client';
import { getOrCreateCounter, getOrCreateHistogram, type ToolOutcome } from './instruments.js';

export const TOOL_CALLS_TOTAL = 'mcp_tool_calls_total';
export const TOOL_CALL_DURATION_SECONDS = 'mcp_tool_call_duration_seconds';

export const TOOL_OUTCOMES: readonly ToolOutcome[] = ['success', 'forbidden', 'invalid', 'not_found', 'conflict', 'error'];

/** A tool family's own series: created at 0 by `init`, moved by `record` once per call. */
export interface ToolMetrics {
  init(registry: Registry): void;
  record(registry: Registry, outcome: ToolOutcome, seconds: number): void;
}

function toolCalls(registry: Registry) {
  return getOrCreateCounter(registry, {
    name: TOOL_CALLS_TOTAL,
    help: 'MCP tool calls by tool and outcome',
    labelNames: ['tool', 'outcome'] as const,
  });
}

function toolCallDuration(registry: Registry) {
  return getOrCreateHistogram(registry, {
    name: TOOL_CALL_DURATION_SECONDS,
    help: 'Duration of MCP tool calls in seconds',
    labelNames: ['tool'] as const,
  });
}

/** Creates the `tool`'s series of the generic pair at 0. */
export function initToolCallSeries(registry: Registry, tool: string): void {
  const calls = toolCalls(registry);
  for (const outcome of TOOL_OUTCOMES) calls.inc({ tool, outcome }, 0);
  toolCallDuration(registry).zero({ tool });
}

/** Records one MCP tool call in the generic pair (counter by tool+outcome, histogram by tool). */
export function observeToolCall(registry: Registry, tool: string, outcome: ToolOutcome, seconds: number): void {
  toolCalls(registry).inc({ tool, outcome });
  toolCallDuration(registry).observe({ tool }, seconds);
}

/**
 * Get-or-create helpers so a metric is registered once however many servers/sessions are built, the
 * duration buckets and the `outcome` label every tool metric shares. Metric names live in the modules next
 * to this one (server-metrics.ts, cluster-metrics.ts, ...) and nowhere else. Imports nothing of the project.
 */
import { Counter, Histogram, type Registry } from 'prom-client';

export interface CounterSpec<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
}

export interface HistogramSpec<L extends string> extends CounterSpec<L> {
  buckets?: number[];
}

/** Returns the counter registered under `spec.name`, creating it on first call. */
export function getOrCreateCounter<L extends string>(registry: Registry, spec: CounterSpec<L>): Counter<L> {
  const existing = registry.getSingleMetric(spec.name);
  if (existing) {
    if (!(existing instanceof Counter)) throw new Error(`metric ${spec.name} is registered with another type`);
    return existing as Counter<L>;
  }
  return new Counter<L>({ name: spec.name, help: spec.help, labelNames: spec.labelNames, registers: [registry] });
}

/** Returns the histogram registered under `spec.name`, creating it on first call. */
export function getOrCreateHistogram<L extends string>(registry: Registry, spec: HistogramSpec<L>): Histogram<L> {
  const existing = registry.getSingleMetric(spec.name);
  if (existing) {
    if (!(existing instanceof Histogram)) throw new Error(`metric ${spec.name} is registered with another type`);
    return existing as Histogram<L>;
  }
  return new Histogram<L>({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labelNames,
    buckets: spec.buckets ?? DURATION_BUCKETS,
    registers: [registry],
  });
}

/** Seconds; covers quick lists up to long waits for a cluster to become Ready. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800];

/** Outcome label values shared by every tool metric (docs/operations.md "Metrics"). */
export type ToolOutcome = 'success' | 'forbidden' | 'invalid' | 'not_found' | 'conflict' | 'error';

/** Maps an error code (src/errors.ts) or success to the `outcome` label. */
export function outcomeOf(code: string | undefined): ToolOutcome {
  switch (code) {
    case undefined:
      return 'success';
    case 'forbidden':
    case 'unauthorized':
      return 'forbidden';
    case 'invalidParams':
      return 'invalid';
    case 'notFound':
      return 'not_found';
    case 'conflict':
      return 'conflict';
    default:
      return 'error';
  }
}

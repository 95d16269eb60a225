/**
 * The cluster tool metrics of docs/operations.md "Metrics", registered once per registry (get-or-create), named here
 * and nowhere else.
 */
import { TOOL } from '../tool-names.js';
import type { Counter, Histogram, Registry } from 'prom-client';
import { getOrCreateCounter, getOrCreateHistogram } from './instruments.js';
import { TOOL_OUTCOMES, type ToolMetrics } from './tool-metrics.js';

export type ClusterOperation = 'listCredentials' | 'listTemplates' | 'list' | 'deploy' | 'update' | 'delete';
/** `operation` label of clusters_list_duration_seconds. */
export type ListKind = 'credentials' | 'templates' | 'deployments';

const COUNTER_NAMES: Record<ClusterOperation, string> = {
  listCredentials: 'clusters_list_credentials_total',
  listTemplates: 'clusters_list_templates_total',
  list: 'clusters_list_total',
  deploy: 'clusters_deploy_total',
  update: 'clusters_update_total',
  delete: 'clusters_delete_total',
};

const COUNTER_HELP: Record<ClusterOperation, string> = {
  listCredentials: `${TOOL.clustersListCredentials} calls by outcome`,
  listTemplates: `${TOOL.clustersListTemplates} calls by outcome`,
  list: `${TOOL.clustersList} calls by outcome`,
  deploy: `${TOOL.clustersDeploy} calls by outcome`,
  update: `${TOOL.clustersUpdate} calls by outcome`,
  delete: `${TOOL.clustersDelete} calls by outcome`,
};

/** Deploy/delete may include a wait of up to an hour. */
const LONG_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600];

function counter(registry: Registry, op: ClusterOperation): Counter<'outcome'> {
  return getOrCreateCounter(registry, { name: COUNTER_NAMES[op], help: COUNTER_HELP[op], labelNames: ['outcome'] as const });
}

function deployHistogram(registry: Registry): Histogram<never> {
  return getOrCreateHistogram(registry, {
    name: 'clusters_deploy_duration_seconds',
    help: `Duration of ${TOOL.clustersDeploy} calls in seconds (including any wait)`,
    labelNames: [] as const,
    buckets: LONG_BUCKETS,
  });
}

function updateHistogram(registry: Registry): Histogram<never> {
  return getOrCreateHistogram(registry, {
    name: 'clusters_update_duration_seconds',
    help: `Duration of ${TOOL.clustersUpdate} calls in seconds (including any wait)`,
    labelNames: [] as const,
    buckets: LONG_BUCKETS,
  });
}

function deleteHistogram(registry: Registry): Histogram<never> {
  return getOrCreateHistogram(registry, {
    name: 'clusters_delete_duration_seconds',
    help: `Duration of ${TOOL.clustersDelete} calls in seconds (including any wait)`,
    labelNames: [] as const,
    buckets: LONG_BUCKETS,
  });
}

function listHistogram(registry: Registry): Histogram<'operation'> {
  return getOrCreateHistogram(registry, {
    name: 'clusters_list_duration_seconds',
    help: 'Duration of k0.clusters list calls in seconds',
    labelNames: ['operation'] as const,
  });
}

const LIST_KIND: Partial<Record<ClusterOperation, ListKind>> = {
  listCredentials: 'credentials',
  listTemplates: 'templates',
  list: 'deployments',
};

/**
 * The metrics of one cluster tool. `init` creates every outcome series at 0, so `rate()` and alerts on,
 * say, `outcome="error"` work before the first failure.
 */
export function clusterToolMetrics(operation: ClusterOperation): ToolMetrics {
  return {
    init(registry) {
      const total = counter(registry, operation);
      for (const outcome of TOOL_OUTCOMES) total.inc({ outcome }, 0);
      if (operation === 'deploy') deployHistogram(registry);
      else if (operation === 'update') updateHistogram(registry);
      else if (operation === 'delete') deleteHistogram(registry);
      else listHistogram(registry).zero({ operation: LIST_KIND[operation] as ListKind });
    },
    record(registry, outcome, seconds) {
      counter(registry, operation).inc({ outcome });
      if (operation === 'deploy') deployHistogram(registry).observe(seconds);
      else if (operation === 'update') updateHistogram(registry).observe(seconds);
      else if (operation === 'delete') deleteHistogram(registry).observe(seconds);
      else listHistogram(registry).observe({ operation: LIST_KIND[operation] as ListKind }, seconds);
    },
  };
}

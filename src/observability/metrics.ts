/**
 * Metrics: ONE prom-client registry for the process, with Node's default process metrics and the server's
 * own series (server-metrics.ts) registered from the start. The get-or-create helpers every family's
 * metrics use are in instruments.ts (a leaf, so no module here imports back into this one).
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import { registerServerMetrics } from './server-metrics.js';

let processRegistry: Registry | undefined;

/** The process-wide registry; default metrics are collected on first use. */
export function getMetricsRegistry(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
    registerServerMetrics(processRegistry);
  }
  return processRegistry;
}

/** A fresh registry with default metrics, for tests that must not share state. */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registerServerMetrics(registry);
  return registry;
}

/** The sandbox API server's own /metrics, on a private prom-client Registry (never the global one). */
import { Counter, Gauge, Registry } from 'prom-client';

export class ApiServerMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'apiserver_request_total',
    help: 'Counter of apiserver requests broken out for each verb, resource and HTTP response code.',
    labelNames: ['verb', 'resource', 'code'] as const,
    registers: [this.registry],
  });

  /** Not an apiserver metric: lets tests see whether clients reuse connections (keep-alive). */
  readonly connections = new Counter({
    name: 'sandbox_connections_accepted_total',
    help: 'TCP connections the sandbox API server accepted (sandbox only, for connection-reuse tests).',
    registers: [this.registry],
  });

  /** As kube-apiserver's gauge of the same name: open watches by resource (tests see a client's watch end). */
  readonly longRunning = new Gauge({
    name: 'apiserver_longrunning_requests',
    help: 'Gauge of all active long-running apiserver requests broken out by verb and resource.',
    labelNames: ['verb', 'resource'] as const,
    registers: [this.registry],
  });

  record(verb: string, resource: string, code: number): void {
    this.requests.inc({ verb, resource, code: String(code) });
  }
}

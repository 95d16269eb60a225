/** The sandbox API server's own /metrics, on a private prom-client Registry (never the global one). */
import { Counter, Registry } from 'prom-client';

export class ApiServerMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'apiserver_request_total',
    help: 'Counter of apiserver requests broken out for each verb, resource and HTTP response code.',
    labelNames: ['verb', 'resource', 'code'] as const,
    registers: [this.registry],
  });

  record(verb: string, resource: string, code: number): void {
    this.requests.inc({ verb, resource, code: String(code) });
  }
}

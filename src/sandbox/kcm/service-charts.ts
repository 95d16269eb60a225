/**
 * The service charts behind the sandbox's ServiceTemplates. kcm's repository ships no service charts
 * (they live in the k0rdent catalog), so data/k0rdent has none: these facts are written here, from the
 * charts' own Chart.yaml (name, version, description, kubeVersion) and an abridged values.schema.json
 * that keeps the charts' real value names. A chart without `schema` ships no values.schema.json, and
 * kcm then writes no schema ConfigMap (kcm `internal/controller/template_controller.go`
 * ensureSchemaConfigmap: `if len(helmChart.Schema) == 0`).
 */
import type { JsonObject } from './resources.js';

export interface ServiceChart {
  chart: string;
  version: string;
  description: string;
  /** Chart.yaml kubeVersion / the `k0rdent.mirantis.com/k8s-version-constraint` annotation. */
  k8sConstraint?: string;
  /** Default values (values.yaml), reported in the ServiceTemplate's status.config. */
  defaults: JsonObject;
  schema?: JsonObject;
}

export const SERVICE_CHARTS: readonly ServiceChart[] = [
  {
    chart: 'ingress-nginx',
    version: '4.11.3',
    description: 'Ingress controller for Kubernetes using NGINX as a reverse proxy and load balancer',
    k8sConstraint: '>=1.21.0-0',
    defaults: {
      controller: { replicaCount: 1, service: { type: 'LoadBalancer' }, ingressClassResource: { name: 'nginx', default: false } },
    },
    schema: {
      type: 'object',
      properties: {
        controller: {
          type: 'object',
          properties: {
            replicaCount: { type: 'integer', minimum: 0 },
            service: { type: 'object', properties: { type: { type: 'string', enum: ['ClusterIP', 'NodePort', 'LoadBalancer'] } } },
            ingressClassResource: { type: 'object', properties: { name: { type: 'string' }, default: { type: 'boolean' } } },
          },
        },
      },
    },
  },
  {
    chart: 'cert-manager',
    version: '1.16.2',
    description: 'A Helm chart for cert-manager',
    k8sConstraint: '>=1.22.0-0',
    defaults: { crds: { enabled: false, keep: true }, replicaCount: 1 },
    schema: {
      type: 'object',
      properties: {
        crds: { type: 'object', properties: { enabled: { type: 'boolean' }, keep: { type: 'boolean' } }, additionalProperties: false },
        replicaCount: { type: 'integer', minimum: 1 },
      },
    },
  },
  {
    chart: 'kyverno',
    version: '3.2.6',
    description: 'Kubernetes Native Policy Management',
    k8sConstraint: '>=1.25.0-0',
    defaults: { admissionController: { replicas: 1 } },
  },
  {
    chart: 'kube-prometheus-stack',
    version: '65.1.1',
    description:
      'kube-prometheus-stack collects Kubernetes manifests, Grafana dashboards, and Prometheus rules combined with documentation and scripts to provide easy to operate end-to-end Kubernetes cluster monitoring with Prometheus using the Prometheus Operator.',
    k8sConstraint: '>=1.19.0-0',
    defaults: { grafana: { enabled: true }, alertmanager: { enabled: true } },
  },
  {
    chart: 'ingress-nginx',
    version: '3.40.0',
    description: 'Ingress controller for Kubernetes using NGINX as a reverse proxy and load balancer',
    k8sConstraint: '<1.22.0-0',
    defaults: { controller: { replicaCount: 1 } },
  },
];

/** A template kcm could not validate: its chart version does not exist in the repository. */
export const INVALID_SERVICE_CHART = { chart: 'velero', version: '8.0.0' } as const;

/** kcm's template name for a chart version (`ingress-nginx-4-11-3`). */
export function serviceTemplateName(chart: string, version: string): string {
  return `${chart}-${version.replace(/\./g, '-')}`;
}

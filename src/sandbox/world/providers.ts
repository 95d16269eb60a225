/**
 * What each infrastructure provider writes that the world copies: its controller's name, its finalizers,
 * the providerID format of its machines, whether it reports Cluster API v1beta1 conditions (`status.ready`,
 * conditions with a severity: CAPA v2.12, CAPZ v1.26, CAPG, CAPO) or v1beta2 ones (`status.initialization.
 * provisioned`: CAPV v1.16, CAPD), and the error an `infra-error` fault shows, in the provider's words.
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '../apiserver/types.js';
import { providerOfKind } from './resources.js';
import type { ControllerName } from './types.js';

export interface InfraProvider {
  controller: ControllerName;
  /** v1beta2 contract: status.initialization.provisioned and metav1 conditions; else status.ready + v1beta1 conditions. */
  v1beta2: boolean;
  /** The condition an infrastructure failure lands on, its reason and the provider's message. */
  failure(cluster: KubeObject): { type: string; reason: string; message: string };
  providerID(machine: KubeObject, infraCluster: KubeObject | undefined): string;
}

const hex = (seed: string, n: number): string => createHash('sha256').update(seed).digest('hex').slice(0, n);
const uuid = (seed: string): string => {
  const h = hex(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};
const specField = (o: KubeObject | undefined, key: string): string => {
  const spec = o?.['spec'] as Record<string, unknown> | undefined;
  return typeof spec?.[key] === 'string' ? (spec[key] as string) : '';
};

const PROVIDERS: Record<string, InfraProvider> = {
  // CAPA v2.12.1: pkg/cloud/services/network/network.go:37 marks VpcReady False VpcReconciliationFailed with the
  // error of vpc.go:133 ("failed to create new managed VPC"), wrapping EC2's VpcLimitExceeded.
  capa: {
    controller: 'capa-controller-manager',
    v1beta2: false,
    failure: (c) => ({
      type: 'VpcReady',
      reason: 'VpcReconciliationFailed',
      message: `failed to create new managed VPC: VpcLimitExceeded: The maximum number of VPCs has been reached.\n\tstatus code: 400, request id: ${uuid(c.metadata.uid ?? c.metadata.name)}`,
    }),
    providerID: (m, c) => `aws:///${specField(c, 'region') || 'us-west-2'}a/i-0${hex(m.metadata.name, 16)}`,
  },
  // CAPZ v1.26.0: controllers/azurecluster_controller.go:244-246 marks NetworkInfrastructureReady False Failed with
  // "failed to reconcile cluster services: …"; the cause is Azure's AuthorizationFailed.
  capz: {
    controller: 'capz-controller-manager',
    v1beta2: false,
    failure: (c) => {
      const sub = specField(c, 'subscriptionID') || '00000000-0000-0000-0000-000000000000';
      const rg = c.metadata.name;
      return {
        type: 'NetworkInfrastructureReady',
        reason: 'Failed',
        message: `failed to reconcile cluster services: failed to reconcile resource group ${rg}: PUT https://management.azure.com/subscriptions/${sub}/resourcegroups/${rg}\n--------------------------------------------------------------------------------\nRESPONSE 403: 403 Forbidden\nERROR CODE: AuthorizationFailed\n--------------------------------------------------------------------------------\nThe client '${uuid(rg)}' with object id '${uuid(rg)}' does not have authorization to perform action 'Microsoft.Resources/subscriptions/resourcegroups/write' over scope '/subscriptions/${sub}/resourcegroups/${rg}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
      };
    },
    providerID: (m, c) =>
      `azure:///subscriptions/${specField(c, 'subscriptionID') || '00000000-0000-0000-0000-000000000000'}/resourceGroups/${c?.metadata.name ?? 'rg'}/providers/Microsoft.Compute/virtualMachines/${m.metadata.name}`,
  },
  capg: {
    controller: 'capg-controller-manager',
    v1beta2: false,
    failure: (c) => ({
      type: 'Ready',
      reason: 'NetworkReconcileFailed',
      message: `googleapi: Error 403: Quota 'NETWORKS' exceeded.  Limit: 5.0 globally., quotaExceeded (project ${specField(c, 'project') || 'project'})`,
    }),
    providerID: (m, c) => `gce://${specField(c, 'project') || 'project'}/${specField(c, 'region') || 'us-central1'}-a/${m.metadata.name}`,
  },
  capo: {
    controller: 'capo-controller-manager',
    v1beta2: false,
    failure: () => ({
      type: 'NetworkReady',
      reason: 'OpenStackError',
      message: "failed to reconcile network: Quota exceeded for resources: ['network'].",
    }),
    providerID: (m) => `openstack:///${uuid(m.metadata.name)}`,
  },
  capv: {
    controller: 'capv-controller-manager',
    v1beta2: true,
    failure: (c) => ({
      type: 'VCenterAvailable',
      reason: 'VCenterUnreachable',
      message: `unable to create vCenter session to ${specField(c, 'server') || 'vcenter'}: ServerFaultCode: Cannot complete login due to an incorrect user name or password.`,
    }),
    providerID: (m) => `vsphere://${uuid(m.metadata.name)}`,
  },
  capd: {
    controller: 'capd-controller-manager',
    v1beta2: true,
    failure: () => ({
      type: 'LoadBalancerAvailable',
      reason: 'LoadBalancerProvisioningFailed',
      message:
        'failed to create load balancer container: Error response from daemon: permission denied while trying to connect to the Docker daemon socket',
    }),
    providerID: (m) => `docker:////${m.metadata.name}`,
  },
};

export function infraProviderOf(kind: string): InfraProvider {
  return PROVIDERS[providerOfKind(kind) ?? 'capd']!;
}

/** `<kind lowercase>.infrastructure.cluster.x-k8s.io` (e.g. CAPA api/v1beta2 awscluster_types.go:28, awsmachine_types.go:28). */
export function infraFinalizerOf(kind: string): string {
  return `${kind.toLowerCase()}.infrastructure.cluster.x-k8s.io`;
}

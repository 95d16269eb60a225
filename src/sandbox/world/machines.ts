/**
 * The Machines Cluster API and the control-plane provider create, and their infrastructure machines and
 * bootstrap configs, as CAPI's MachineSet controller and k0smotron clone them from the templates
 * (sigs.k8s.io/cluster-api v1.13.4 internal/controllers/machineset: the Machine is labelled with the cluster,
 * set and deployment names and `machine-template-hash`; the infrastructure machine is the template's
 * `spec.template.spec` under the kind without "Template"; the bootstrap config likewise).
 */
import { randomInt } from 'node:crypto';
import type { KubeObject } from '../apiserver/types.js';
import { CLUSTER_NAME_LABEL } from './render.js';
import { BOOTSTRAP_GROUP, INFRA_GROUP, MACHINES, apiVersionOf, resourceOfKind } from './resources.js';
import { specOf } from './status.js';

export const MACHINE_FINALIZER = 'machine.cluster.x-k8s.io';
export const CONTROL_PLANE_LABEL = 'cluster.x-k8s.io/control-plane';
export const CONTROL_PLANE_NAME_LABEL = 'cluster.x-k8s.io/control-plane-name';
export const SET_NAME_LABEL = 'cluster.x-k8s.io/set-name';
export const DEPLOYMENT_NAME_LABEL = 'cluster.x-k8s.io/deployment-name';
export const TEMPLATE_HASH_LABEL = 'machine-template-hash';

/** k8s.io/apimachinery pkg/util/rand String: the alphabet of generated name suffixes. */
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function randomSuffix(length = 5): string {
  let s = '';
  for (let i = 0; i < length; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return s;
}

export function ownerRef(owner: KubeObject, controller = true): NonNullable<KubeObject['metadata']['ownerReferences']>[number] {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid ?? '',
    ...(controller ? { controller: true, blockOwnerDeletion: true } : {}),
  };
}

export interface MachineBlueprint {
  name: string;
  namespace: string;
  cluster: string;
  version: string;
  labels: Record<string, string>;
  owner: KubeObject;
  /** The infrastructure machine template (AWSMachineTemplate, …). */
  infraTemplate: KubeObject | undefined;
  infraTemplateKind: string;
  bootstrapKind: 'K0sWorkerConfig' | 'K0sControllerConfig';
  bootstrapSpec: Record<string, unknown>;
}

export function machineObject(b: MachineBlueprint): KubeObject {
  return {
    apiVersion: apiVersionOf(MACHINES),
    kind: 'Machine',
    metadata: {
      name: b.name,
      namespace: b.namespace,
      labels: { [CLUSTER_NAME_LABEL]: b.cluster, ...b.labels },
      ownerReferences: [ownerRef(b.owner)],
      finalizers: [MACHINE_FINALIZER],
    },
    spec: {
      clusterName: b.cluster,
      version: b.version,
      bootstrap: { configRef: { apiGroup: BOOTSTRAP_GROUP, kind: b.bootstrapKind, name: b.name } },
      infrastructureRef: { apiGroup: INFRA_GROUP, kind: b.infraTemplateKind.replace(/Template$/, ''), name: b.name },
    },
  };
}

/** The infrastructure machine and bootstrap config of a Machine (owned by it, as CAPI's machine controller leaves them). */
export function machineParts(b: MachineBlueprint, machine: KubeObject): KubeObject[] {
  const infraKind = b.infraTemplateKind.replace(/Template$/, '');
  const infraResource = resourceOfKind(infraKind);
  const template = specOf(b.infraTemplate)['template'] as { spec?: Record<string, unknown> } | undefined;
  const labels = { [CLUSTER_NAME_LABEL]: b.cluster, ...b.labels };
  const parts: KubeObject[] = [];
  if (infraResource) {
    parts.push({
      apiVersion: apiVersionOf(infraResource),
      kind: infraKind,
      metadata: {
        name: b.name,
        namespace: b.namespace,
        labels,
        ownerReferences: [ownerRef(machine)],
        finalizers: [`${infraKind.toLowerCase()}.infrastructure.cluster.x-k8s.io`],
      },
      spec: { ...(template?.spec ?? {}) },
    });
  }
  const bootstrapResource = resourceOfKind(b.bootstrapKind);
  if (bootstrapResource) {
    parts.push({
      apiVersion: apiVersionOf(bootstrapResource),
      kind: b.bootstrapKind,
      metadata: { name: b.name, namespace: b.namespace, labels, ownerReferences: [ownerRef(machine)] },
      spec: b.bootstrapSpec,
    });
  }
  return parts;
}

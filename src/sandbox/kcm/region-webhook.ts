/**
 * kcm's Region validating webhook (kcm v1.11.4 `internal/webhook/region_webhook.go`; registered for CREATE, UPDATE
 * and DELETE: `templates/provider/kcm/templates/webhooks.yaml:198-220`):
 * - CREATE (`region_webhook.go:51-53` over `internal/util/validation/region.go:29-52` RegionClusterReference): the
 *   kubeconfig Secret `spec.kubeConfig` names must exist in the system namespace and hold its key, and the
 *   ClusterDeployment `spec.clusterDeployment` names must exist. A missing object is the cached client's NotFound
 *   (its status wins over the wrapping text: ./admission-errors.ts); a missing key is a plain error, 403.
 * - DELETE (`region_webhook.go:92-99` over `region.go:54-74` RegionDeletionAllowed): refused while a
 *   ClusterDeployment uses a Credential of the Region (`spec.region`) — 403 "region deletion is forbidden" with the
 *   reason, capitalised, as the warning.
 * - UPDATE (`region_webhook.go:56-89`): the Management and its Release must be found, and a provider a deployment in
 *   this Region still needs may not be removed (./components-removal.ts, as the Management's). The CAPI contracts
 *   check (`:77-86`) is not simulated (docs/sandbox.md "What still differs from kcm").
 * Attached as a store admission hook (./index.ts) and as an HTTPS webhook (./webhook-server.ts).
 */
import type { AdmissionRequest, AdmissionResult, KubeObject } from '../apiserver/types.js';
import type { KcmReader } from './api.js';
import { denial, getOrNotFound, invalidForbidden, notFound, objectKey, plain, wrap } from './admission-errors.js';
import { componentsRemovalProblem } from './components-removal.js';
import { RELEASES } from './provider-templates.js';
import { CLUSTER_DEPLOYMENTS, CREDENTIALS, MANAGEMENTS, SECRETS, SYSTEM_NAMESPACE, specString } from './resources.js';

export const REGION_WEBHOOK = 'validation.region.k0rdent.mirantis.com';

interface RegionSpec {
  kubeConfig?: { name?: string; key?: string };
  clusterDeployment?: { name?: string; namespace?: string };
}

const specOf = (object: KubeObject | undefined): RegionSpec => (object?.['spec'] ?? {}) as RegionSpec;

export function validateRegion(request: AdmissionRequest, reader: KcmReader): AdmissionResult {
  if (request.operation === 'CREATE') return validateCreate(request.object, reader);
  if (request.operation === 'DELETE') return validateDelete(request.oldObject, reader);
  if (request.operation === 'UPDATE' && request.object) return validateUpdate(request.oldObject, request.object, reader);
  return { allowed: true };
}

/** region_webhook.go:56-89: the Management, its Release, then the providers still in use (./components-removal.ts). */
function validateUpdate(oldObject: KubeObject | undefined, region: KubeObject, reader: KcmReader): AdmissionResult {
  if (region.metadata.deletionTimestamp) return { allowed: true };
  const management = reader.get(MANAGEMENTS, undefined, 'kcm');
  if (!management) return denial(REGION_WEBHOOK, wrap('failed to get Management', notFound('Management', 'kcm')));
  const release = specString(management, 'release');
  const releaseObject = reader.get(RELEASES, undefined, release);
  if (!releaseObject) return denial(REGION_WEBHOOK, wrap(`failed to get Release ${release}`, notFound('Release', release)));
  const removal = componentsRemovalProblem(reader, releaseObject, oldObject, region, 'Region');
  if (removal)
    return denial(REGION_WEBHOOK, invalidForbidden('Region', region.metadata.name, 'spec.providers', removal), [
      'Some of the providers cannot be removed',
    ]);
  return { allowed: true };
}

/** RegionClusterReference (region.go:29-52): the kubeconfig Secret and its key, then the ClusterDeployment. */
function validateCreate(region: KubeObject | undefined, reader: KcmReader): AdmissionResult {
  const spec = specOf(region);
  if (spec.kubeConfig) {
    const name = spec.kubeConfig.name ?? '';
    const key = spec.kubeConfig.key ?? '';
    const secret = reader.get(SECRETS, SYSTEM_NAMESPACE, name);
    if (!secret) {
      // The core group: metav1.StatusDetails.group is omitempty, so the details name no group.
      const missing = notFound('Secret', name, '');
      return denial(REGION_WEBHOOK, wrap(`failed to get Secret ${objectKey(SYSTEM_NAMESPACE, name)}`, missing));
    }
    const data = (secret['data'] ?? {}) as Record<string, unknown>;
    if (!Object.hasOwn(data, key)) return denial(REGION_WEBHOOK, plain(`kubeConfig Secret does not have ${key} key defined`));
  }
  if (spec.clusterDeployment) {
    const namespace = spec.clusterDeployment.namespace ?? '';
    const name = spec.clusterDeployment.name ?? '';
    const found = getOrNotFound(reader, CLUSTER_DEPLOYMENTS, 'ClusterDeployment', namespace, name);
    if ('error' in found) return denial(REGION_WEBHOOK, wrap(`failed to get ClusterDeployment ${objectKey(namespace, name)}`, found.error));
  }
  return { allowed: true };
}

/** RegionDeletionAllowed (region.go:54-74): a Credential of the Region that a ClusterDeployment in its namespace uses. */
function validateDelete(region: KubeObject | undefined, reader: KcmReader): AdmissionResult {
  const name = region?.metadata.name;
  if (!name) return { allowed: true };
  const inUse = reader
    .list(CREDENTIALS)
    .filter((cred) => specString(cred, 'region') === name)
    .some((cred) =>
      reader
        .list(CLUSTER_DEPLOYMENTS, { namespace: cred.metadata.namespace })
        .some((cd) => specString(cd, 'credential') === cred.metadata.name),
    );
  if (!inUse) return { allowed: true };
  // region_webhook.go:94-95: strings.ToUpper(err.Error()[:1]) + err.Error()[1:]
  return denial(REGION_WEBHOOK, plain('region deletion is forbidden'), [
    "The Region object can't be removed while any ClusterDeployment objects deployed in that Region still exist",
  ]);
}

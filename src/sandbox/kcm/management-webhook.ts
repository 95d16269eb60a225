/**
 * kcm's Management validating webhook. DELETE (kcm v1.11.4 `internal/webhook/management_webhook.go:161-168`
 * ValidateDelete over `internal/util/validation/mgmt.go:181-199` ManagementDeletionAllowed): the Management cannot
 * go while a Region or a ClusterDeployment exists — 403 "management deletion is forbidden" with the reason,
 * capitalised, as the warning. So a Management being deleted while deployments exist is out of reach on both (kcm
 * registers the webhook for CREATE, UPDATE and DELETE: `templates/provider/kcm/templates/webhooks.yaml:176-198`).
 * CREATE, and an UPDATE that changes `spec.release` (`management_webhook.go:51-59`, `:69-76`, validateRelease
 * `:170-179`): the Release must exist and be ready, else 422 Invalid with `spec.release: Forbidden: <why>`; then an
 * UPDATE's Release must be found (`:78-81`: a NotFound, 404), and a provider a deployment still needs may not be removed
 * (`:83-88`, ./components-removal.ts): 422 `spec.providers: Forbidden: …`, warning `Some of the providers cannot be
 * removed`. The CAPI contracts check (`:90-97`) is not simulated (docs/sandbox.md "What still differs from kcm").
 * Attached as a store admission hook (./index.ts) and as an HTTPS webhook (./webhook-server.ts).
 */
import type { AdmissionRequest, AdmissionResult } from '../apiserver/types.js';
import type { KcmReader } from './api.js';
import { denial, invalidForbidden, notFound, plain, wrap } from './admission-errors.js';
import { componentsRemovalProblem } from './components-removal.js';
import { RELEASES } from './provider-templates.js';
import { CLUSTER_DEPLOYMENTS, REGIONS, specString } from './resources.js';

export const MANAGEMENT_WEBHOOK = 'validation.management.k0rdent.mirantis.com';

/** validateRelease (management_webhook.go:170-179): the Release's NotFound text, or that it is not ready. */
function releaseProblem(reader: KcmReader, release: string): string | undefined {
  const object = reader.get(RELEASES, undefined, release);
  if (!object) return notFound('Release', release).message;
  return (object['status'] as { ready?: boolean } | undefined)?.ready === true ? undefined : `release "${release}" status is not ready`;
}

export function validateManagement(request: AdmissionRequest, reader: KcmReader): AdmissionResult {
  if (request.operation === 'CREATE' || request.operation === 'UPDATE') {
    const object = request.object;
    const name = object?.metadata.name ?? '';
    // An UPDATE of an object being deleted is admitted (management_webhook.go:65-67).
    if (request.operation === 'UPDATE' && object?.metadata.deletionTimestamp) return { allowed: true };
    const release = specString(object, 'release');
    if (request.operation === 'CREATE' || release !== specString(request.oldObject, 'release')) {
      const problem = releaseProblem(reader, release);
      if (problem) return denial(MANAGEMENT_WEBHOOK, invalidForbidden('Management', name, 'spec.release', problem));
    }
    if (request.operation === 'CREATE' || !object) return { allowed: true };
    const releaseObject = reader.get(RELEASES, undefined, release);
    if (!releaseObject) return denial(MANAGEMENT_WEBHOOK, wrap(`failed to get Release ${release}`, notFound('Release', release)));
    // management_webhook.go:83-88.
    const removal = componentsRemovalProblem(reader, releaseObject, request.oldObject, object, 'Management');
    if (removal)
      return denial(MANAGEMENT_WEBHOOK, invalidForbidden('Management', name, 'spec.providers', removal), [
        'Some of the providers cannot be removed',
      ]);
    return { allowed: true };
  }
  if (request.operation !== 'DELETE') return { allowed: true };
  // Regions first, then ClusterDeployments (mgmt.go:182-197); each a List with Limit(1).
  const reason =
    reader.list(REGIONS).length > 0
      ? "the Management object can't be removed if Region objects still exist"
      : reader.list(CLUSTER_DEPLOYMENTS).length > 0
        ? "the Management object can't be removed if ClusterDeployment objects still exist"
        : undefined;
  if (!reason) return { allowed: true };
  // management_webhook.go:164: strings.ToUpper(err.Error()[:1]) + err.Error()[1:]
  return denial(MANAGEMENT_WEBHOOK, plain('management deletion is forbidden'), [reason[0]!.toUpperCase() + reason.slice(1)]);
}

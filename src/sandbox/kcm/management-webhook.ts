/**
 * kcm's Management validating webhook on DELETE (kcm v1.11.4 `internal/webhook/management_webhook.go:161-168`
 * ValidateDelete over `internal/util/validation/mgmt.go:181-199` ManagementDeletionAllowed): the Management cannot
 * go while a Region or a ClusterDeployment exists — 403 "management deletion is forbidden" with the reason,
 * capitalised, as the warning. So a Management being deleted while deployments exist is out of reach on both (kcm
 * registers the webhook for CREATE, UPDATE and DELETE: `templates/provider/kcm/templates/webhooks.yaml:176-198`; its
 * CREATE and UPDATE checks of the release and providers are not simulated). Attached as a store admission hook
 * (./index.ts) and as an HTTPS webhook (./webhook-server.ts).
 */
import type { AdmissionRequest, AdmissionResult } from '../apiserver/types.js';
import type { KcmReader } from './api.js';
import { denial, plain } from './admission-errors.js';
import { CLUSTER_DEPLOYMENTS, REGIONS } from './resources.js';

export const MANAGEMENT_WEBHOOK = 'validation.management.k0rdent.mirantis.com';

export function validateManagement(request: AdmissionRequest, reader: KcmReader): AdmissionResult {
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

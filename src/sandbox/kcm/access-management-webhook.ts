/**
 * kcm's AccessManagement webhooks (kcm `internal/webhook/accessmanagement_webhook.go`, registered for
 * CREATE/UPDATE (mutating) and CREATE/UPDATE/DELETE (validating) in kcm
 * `templates/provider/kcm/templates/webhooks.yaml:98-120, :305-330`): the defaulter migrates the
 * deprecated per-Kind lists into `resources`; the validator allows a single AccessManagement, forbids
 * deleting it while a Management exists, and refuses Kinds the API server does not serve or that are
 * cluster-scoped. Attached as store admission hooks (./index.ts) and as HTTPS webhooks (./webhook-server.ts).
 */
import type { AdmissionRequest, AdmissionResult } from '../apiserver/types.js';
import type { KcmReader } from './api.js';
import { defaultKindMapper, groupKindOf, groupKindString, migrateAccessRules, type KindMapper } from './access-rules.js';
import { ACCESS_MANAGEMENTS, MANAGEMENTS, isJsonObject, section } from './resources.js';

export const ACCESS_MANAGEMENT_MUTATING_WEBHOOK = 'mutation.accessmanagement.k0rdent.mirantis.com';
export const ACCESS_MANAGEMENT_WEBHOOK = 'validation.accessmanagement.k0rdent.mirantis.com';

/** controller-runtime's admission.Denied: 403 Forbidden with the validator's error (pkg/webhook/admission/response.go). */
function deny(detail: string): AdmissionResult {
  return {
    allowed: false,
    code: 403,
    reason: 'Forbidden',
    message: `admission webhook "${ACCESS_MANAGEMENT_WEBHOOK}" denied the request: ${detail}`,
  };
}

/** Default (accessmanagement_webhook.go:110-113): MigrateAccessRules; unchanged objects get no patch. */
export function mutateAccessManagement(request: AdmissionRequest, _reader: KcmReader): AdmissionResult {
  const object = request.object;
  if (!object || request.operation === 'DELETE') return { allowed: true };
  const migrated = migrateAccessRules(section(object, 'spec')['accessRules']);
  if (!migrated) return { allowed: true };
  return { allowed: true, object: { ...object, spec: { ...section(object, 'spec'), accessRules: migrated } } };
}

/** validateAccessRules / validateResourceRule (:118-148): errors joined with newlines, as errors.Join does. */
export function accessRulesError(rules: unknown, mapper: KindMapper = defaultKindMapper()): string | undefined {
  const errors: string[] = [];
  for (const [i, rule] of (Array.isArray(rules) ? rules : []).entries()) {
    if (!isJsonObject(rule) || !Array.isArray(rule['resources'])) continue;
    for (const [j, resource] of rule['resources'].entries()) {
      if (!isJsonObject(resource)) continue;
      const gk = groupKindOf(resource);
      const mapping = mapper(gk);
      if ('error' in mapping)
        errors.push(
          `accessRules[${i}].resources[${j}]: failed to resolve ${groupKindString(gk)} (ensure the CRD is installed): ${mapping.error}`,
        );
      else if (!mapping.namespaced)
        errors.push(
          `accessRules[${i}].resources[${j}]: ${groupKindString(gk)} is cluster-scoped and cannot be distributed into target namespaces by AccessManagement`,
        );
    }
  }
  return errors.length > 0 ? errors.join('\n') : undefined;
}

export function validateAccessManagement(request: AdmissionRequest, reader: KcmReader): AdmissionResult {
  if (request.operation === 'DELETE') {
    // ValidateDelete (:87-103): forbidden while a Management exists that is not being deleted.
    const management = reader.list(MANAGEMENTS)[0];
    return management && !management.metadata.deletionTimestamp ? deny('AccessManagement deletion is forbidden') : { allowed: true };
  }
  // ValidateCreate (:66-79): a single AccessManagement in the cluster.
  if (request.operation === 'CREATE' && reader.list(ACCESS_MANAGEMENTS).length > 0) return deny('AccessManagement object already exists');
  const error = accessRulesError(section(request.object ?? {}, 'spec')['accessRules']);
  return error ? deny(error) : { allowed: true };
}

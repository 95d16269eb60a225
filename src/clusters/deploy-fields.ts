/**
 * The ClusterDeployment fields an operator sets on day one besides template, credential and config (issue 23
 * item 4; kcm api/v1beta1/clusterdeployment_types.go ClusterDeploymentSpec): cleanupOnDeletion,
 * propagateCredentials, initial serviceSpec services, ipamClaim (a reference), clusterAuth, auditPolicy and
 * dataSource — each checked before anything is written:
 *   - a referenced object must exist in the deployment's namespace (kcm reads each from `cd.Namespace`:
 *     internal/controller/clusterdeployment_controller.go:206-276, :2063) → `notFound` naming the nearest;
 *   - it must fit: a ClusterIPAMClaim whose spec.cluster names another deployment stops kcm's reconcile
 *     (:2068 errInvalidIPAMClaimRef) → `invalidParams`; one not yet bound makes kcm wait (:366-372) → a warning;
 *     a ServiceTemplate must be valid;
 *   - the installed kcm must know the field: the ClusterDeployment CRD the API server serves lists it under
 *     spec (an older kcm prunes an unknown field silently) → `invalidParams` naming the kcm release;
 *   - update: dataSource cannot be added or removed (kcm's webhook, internal/webhook/clusterdeployment_webhook.go:134-136).
 * The region the credential takes the cluster to (Credential spec.region; kcm reconciles it there,
 * clusterdeployment_controller.go:284-289) is named in the result, and a paused Region (the
 * k0rdent.mirantis.com/region-pause annotation: kcm skips the deployment, :320-333) is named before a write
 * that would wait on it.
 */
import { AppError, echo } from '../errors.js';
import {
  DEFAULT_SERVICE_NAMESPACE,
  K0RDENT_GROUP,
  MANAGEMENT,
  MANAGEMENT_NAME,
  REGION,
  REGION_PAUSE_ANNOTATION,
  type K0rdentResource,
} from '../k0rdent/resources.js';
import type { CallOptions, K0rdentApi, KubeObject } from '../kube/k0rdent-api.js';
import { assertNamespaceName, assertObjectName } from '../policy/names.js';
import { nearestName } from '../shared/suggest.js';

export const CLUSTER_AUTHENTICATION: K0rdentResource = { kind: 'ClusterAuthentication', plural: 'clusterauthentications' };
export const CLUSTER_AUDIT_POLICY: K0rdentResource = { kind: 'ClusterAuditPolicy', plural: 'clusterauditpolicies' };
export const DATA_SOURCE: K0rdentResource = { kind: 'DataSource', plural: 'datasources' };
export const CLUSTER_IPAM_CLAIM: K0rdentResource = { kind: 'ClusterIPAMClaim', plural: 'clusteripamclaims' };
export const SERVICE_TEMPLATE_RESOURCE: K0rdentResource = { kind: 'ServiceTemplate', plural: 'servicetemplates' };

export interface InitialService {
  template: string;
  name?: string | undefined;
  namespace?: string | undefined;
  values?: string | undefined;
}

/** The day-one fields of deploy (and, but services, of update). */
export interface DeployFields {
  cleanupOnDeletion?: boolean | undefined;
  propagateCredentials?: boolean | undefined;
  services?: InitialService[] | undefined;
  ipamClaim?: string | undefined;
  clusterAuth?: string | undefined;
  auditPolicy?: string | undefined;
  dataSource?: string | undefined;
}

/** Reference fields: spec field, the kind it names (same namespace). */
const REFERENCES = [
  { field: 'clusterAuth', resource: CLUSTER_AUTHENTICATION },
  { field: 'auditPolicy', resource: CLUSTER_AUDIT_POLICY },
  { field: 'dataSource', resource: DATA_SOURCE },
  { field: 'ipamClaim', resource: CLUSTER_IPAM_CLAIM },
] as const;

/** The spec field (top level of ClusterDeployment.spec) each request field sets. */
const SPEC_FIELD: Record<keyof DeployFields, string> = {
  cleanupOnDeletion: 'cleanupOnDeletion',
  propagateCredentials: 'propagateCredentials',
  services: 'serviceSpec',
  ipamClaim: 'ipamClaim',
  clusterAuth: 'clusterAuth',
  auditPolicy: 'auditPolicy',
  dataSource: 'dataSource',
};

/** The fields `fields` sets (given, not undefined). */
export function givenFields(fields: DeployFields): (keyof DeployFields)[] {
  return (Object.keys(SPEC_FIELD) as (keyof DeployFields)[]).filter((k) => fields[k] !== undefined);
}

/** `ingress-nginx-4-11-3` → `ingress-nginx`: the service name when none is given (the chart, as kcm's templates are named). */
export function serviceNameOf(template: string): string {
  return template.replace(/(-\d+){1,3}$/, '') || template;
}

/** Names checked before any API call: references as object names, service names and namespaces as labels. */
export function assertFieldNames(fields: DeployFields): void {
  for (const r of REFERENCES) {
    const value = fields[r.field];
    if (value !== undefined) assertObjectName(value, r.field);
  }
  (fields.services ?? []).forEach((s, i) => {
    assertObjectName(s.template, `services[${i}].template`);
    if (s.name !== undefined) assertNamespaceName(s.name, `services[${i}].name`);
    if (s.namespace !== undefined) assertNamespaceName(s.namespace, `services[${i}].namespace`);
  });
}

/** The spec members the fields set (only those given). */
export function specOf(fields: DeployFields): Record<string, unknown> {
  const spec: Record<string, unknown> = {};
  if (fields.cleanupOnDeletion !== undefined) spec.cleanupOnDeletion = fields.cleanupOnDeletion;
  if (fields.propagateCredentials !== undefined) spec.propagateCredentials = fields.propagateCredentials;
  if (fields.clusterAuth !== undefined) spec.clusterAuth = fields.clusterAuth;
  if (fields.auditPolicy !== undefined) spec.auditPolicy = fields.auditPolicy;
  if (fields.dataSource !== undefined) spec.dataSource = fields.dataSource;
  if (fields.ipamClaim !== undefined) spec.ipamClaim = { ref: fields.ipamClaim };
  if (fields.services !== undefined && fields.services.length > 0) {
    spec.serviceSpec = {
      services: fields.services.map((s) => ({
        name: s.name ?? serviceNameOf(s.template),
        namespace: s.namespace ?? DEFAULT_SERVICE_NAMESPACE,
        template: s.template,
        ...(s.values !== undefined && s.values !== '' ? { values: s.values } : {}),
      })),
    };
  }
  return spec;
}

async function namesOf(api: K0rdentApi, resource: K0rdentResource, namespace: string, call: CallOptions): Promise<string[]> {
  try {
    return (await api.listMetadata(resource, namespace, call)).map((o) => o.metadata?.name ?? '').filter((n) => n !== '');
  } catch {
    return [];
  }
}

async function notFound(
  api: K0rdentApi,
  resource: K0rdentResource,
  field: string,
  name: string,
  namespace: string,
  call: CallOptions,
): Promise<AppError> {
  const names = (await namesOf(api, resource, namespace, call)).sort();
  const nearest = nearestName(name, names);
  return new AppError(
    'notFound',
    `${field}: ${resource.kind} ${echo(name)} does not exist in namespace "${namespace}" (a ClusterDeployment can only use one in its own namespace); nothing was written. ${names.length > 0 ? `${resource.kind}s in "${namespace}": ${names.slice(0, 20).join(', ')}.` : `There are no ${resource.kind}s in "${namespace}".`}${nearest !== undefined ? ` Did you mean "${nearest}"?` : ''}`,
    { field, kind: resource.kind, name, namespace, ...(nearest !== undefined ? { nearest } : {}), available: names.slice(0, 20) },
  );
}

/**
 * Checks the referenced objects and initial services in `namespace` for the deployment `cluster`; returns the
 * warnings the caller should see (an IPAM claim not bound yet). Throws notFound / invalidParams.
 */
export async function checkDeployFields(
  api: K0rdentApi,
  namespace: string,
  cluster: string,
  fields: DeployFields,
  call: CallOptions,
): Promise<string[]> {
  const warnings: string[] = [];
  const reads = REFERENCES.filter((r) => fields[r.field] !== undefined).map(async (r) => {
    const name = fields[r.field] as string;
    const object = await api.get(r.resource, namespace, name, call);
    if (object === undefined) throw await notFound(api, r.resource, r.field, name, namespace, call);
    if (r.field === 'ipamClaim') {
      const claimed = typeof object.spec?.cluster === 'string' ? object.spec.cluster : '';
      if (claimed !== '' && claimed !== cluster) {
        throw new AppError(
          'invalidParams',
          `ipamClaim: ClusterIPAMClaim ${namespace}/${name} is for ClusterDeployment "${claimed}", not "${cluster}" (kcm stops reconciling a deployment whose claim names another); nothing was written. Use a claim made for "${cluster}" or one with no spec.cluster`,
          { field: 'ipamClaim', claimedBy: claimed },
        );
      }
      if (object.status?.bound !== true)
        warnings.push(`ClusterIPAMClaim ${namespace}/${name} is not bound yet: kcm waits for its addresses before it creates the cluster`);
    }
  });
  const services = (fields.services ?? []).map(async (s, i) => {
    const template = await api.get(SERVICE_TEMPLATE_RESOURCE, namespace, s.template, call);
    if (template === undefined)
      throw await notFound(api, SERVICE_TEMPLATE_RESOURCE, `services[${i}].template`, s.template, namespace, call);
    if (template.status?.valid !== true) {
      const why =
        typeof template.status?.validationError === 'string' ? `: ${template.status.validationError}` : ' (kcm has not validated it yet)';
      throw new AppError(
        'invalidParams',
        `services[${i}].template: ServiceTemplate ${namespace}/${s.template} is not valid${why}; nothing was written`,
        {
          field: `services[${i}].template`,
        },
      );
    }
  });
  await Promise.all([...reads, ...services]);
  const keys = (fields.services ?? []).map((s) => `${s.namespace ?? DEFAULT_SERVICE_NAMESPACE}/${s.name ?? serviceNameOf(s.template)}`);
  const twice = keys.find((k, i) => keys.indexOf(k) !== i);
  if (twice !== undefined)
    throw new AppError(
      'invalidParams',
      `services: two entries are named ${twice} (namespace/name); give each a distinct name or namespace`,
      {
        field: 'services',
      },
    );
  return warnings;
}

/** The `spec` properties of the served ClusterDeployment CRD (v1beta1), or undefined when it cannot be read. */
async function servedSpecFields(api: K0rdentApi, call: CallOptions): Promise<Set<string> | undefined> {
  const crd = await api.getCustomResourceDefinition(`clusterdeployments.${K0RDENT_GROUP}`, call).catch(() => undefined);
  const versions = Array.isArray(crd?.spec?.versions) ? (crd.spec.versions as { name?: string; schema?: unknown }[]) : [];
  const schema = versions.find((v) => v.name === 'v1beta1')?.schema as
    { openAPIV3Schema?: { properties?: { spec?: { properties?: Record<string, unknown> } } } } | undefined;
  const properties = schema?.openAPIV3Schema?.properties?.spec?.properties;
  return properties ? new Set(Object.keys(properties)) : undefined;
}

/** kcm's release as the Management names it (`kcm-1-11-4`), or undefined when it cannot be read. */
async function kcmRelease(api: K0rdentApi, call: CallOptions): Promise<string | undefined> {
  const management = await api.getClusterScoped(MANAGEMENT, MANAGEMENT_NAME, call).catch(() => undefined);
  const release = management?.spec?.release;
  return typeof release === 'string' && release !== '' ? release : undefined;
}

/**
 * The fields the installed kcm does not know (its ClusterDeployment CRD as served) → invalidParams naming the
 * kcm release. An identity that may not read the CRD skips this check (the API server then prunes silently).
 */
export async function assertKcmKnows(api: K0rdentApi, fields: DeployFields, call: CallOptions): Promise<void> {
  const given = givenFields(fields);
  if (given.length === 0) return;
  const served = await servedSpecFields(api, call);
  if (served === undefined) return;
  const unknown = given.filter((f) => !served.has(SPEC_FIELD[f]));
  if (unknown.length === 0) return;
  const release = await kcmRelease(api, call);
  throw new AppError(
    'invalidParams',
    `${unknown.join(', ')}: the installed kcm (${release !== undefined ? `release ${release}, Management ${MANAGEMENT_NAME} spec.release` : 'its release could not be read'}) does not know ClusterDeployment spec.${unknown.map((f) => SPEC_FIELD[f]).join(', spec.')}; it would drop ${unknown.length > 1 ? 'them' : 'it'} silently, so nothing was written. Leave ${unknown.length > 1 ? 'them' : 'it'} out, or upgrade kcm`,
    { fields: unknown, ...(release !== undefined ? { kcmRelease: release } : {}) },
  );
}

/** Where the credential takes the cluster: its spec.region (undefined: the management cluster itself). */
export function regionOf(credential: KubeObject): string | undefined {
  const region = credential.spec?.region;
  return typeof region === 'string' && region !== '' ? region : undefined;
}

/**
 * The Region a deployment goes to: notFound (with the nearest) when it does not exist, and whether it is
 * paused. undefined when the identity may not read Regions (cluster-scoped): kcm still decides.
 */
export async function regionState(api: K0rdentApi, region: string, call: CallOptions): Promise<{ paused: boolean } | undefined> {
  let object: KubeObject | undefined;
  try {
    object = await api.getClusterScoped(REGION, region, call);
  } catch (error) {
    if (error instanceof AppError && (error.code === 'forbidden' || error.code === 'notFound')) return undefined;
    throw error;
  }
  if (object === undefined) {
    const names = await api
      .list(REGION, {}, call)
      .then((l) => l.items.map((r) => r.metadata?.name ?? '').filter((n) => n !== ''))
      .catch(() => [] as string[]);
    const nearest = nearestName(region, names);
    throw new AppError(
      'notFound',
      `the credential's Region ${echo(region)} (Credential spec.region) does not exist, so kcm cannot deploy into it; nothing was written.${names.length > 0 ? ` Regions: ${names.join(', ')}.` : ' There are no Regions.'}${nearest !== undefined ? ` Did you mean "${nearest}"?` : ''} Use a credential of an existing Region`,
      { region, ...(nearest !== undefined ? { nearest } : {}) },
    );
  }
  return { paused: Object.prototype.hasOwnProperty.call(object.metadata?.annotations ?? {}, REGION_PAUSE_ANNOTATION) };
}

/** A paused Region named before a write that would wait on it. */
export function pausedRegionRefusal(region: string, cluster: string, namespace: string): AppError {
  return new AppError(
    'conflict',
    `Region "${region}" (the credential's spec.region) is paused (annotation ${REGION_PAUSE_ANNOTATION}): kcm does not reconcile ClusterDeployment ${namespace}/${cluster} there until the Region is resumed, so wait=true would only time out; nothing was written. Resume the Region (remove the annotation), deploy without wait, or use a credential of another Region`,
    { reason: 'regionPaused', region },
  );
}

/** The same, as a warning when nothing waits (the deployment is stored; kcm takes it up once the Region is resumed). */
export function pausedRegionWarning(region: string): string {
  return `Region "${region}" (the credential's spec.region) is paused (annotation ${REGION_PAUSE_ANNOTATION}): kcm does not reconcile this deployment until the Region is resumed`;
}

/**
 * The k0rdent and core resources the simulated kcm reads and writes, and the names kcm uses for
 * its labels, finalizers and system namespace.
 */
import type { ResourceKey } from '../apiserver/types.js';

export const K0RDENT_GROUP = 'k0rdent.mirantis.com';
export const K0RDENT_VERSION = 'v1beta1';
export const K0RDENT_API_VERSION = `${K0RDENT_GROUP}/${K0RDENT_VERSION}`;

/** kcm's default system namespace (kcm `internal/util/kube/kube.go`). */
export const SYSTEM_NAMESPACE = 'kcm-system';

const k0rdent = (plural: string): ResourceKey => ({ group: K0RDENT_GROUP, version: K0RDENT_VERSION, plural });
const core = (plural: string): ResourceKey => ({ group: '', version: 'v1', plural });

export const CLUSTER_DEPLOYMENTS = k0rdent('clusterdeployments');
export const CLUSTER_TEMPLATES = k0rdent('clustertemplates');
export const CLUSTER_TEMPLATE_CHAINS = k0rdent('clustertemplatechains');
export const CREDENTIALS = k0rdent('credentials');
export const ACCESS_MANAGEMENTS = k0rdent('accessmanagements');
export const MANAGEMENTS = k0rdent('managements');
export const REGIONS = k0rdent('regions');
export const SERVICE_TEMPLATES = k0rdent('servicetemplates');
export const SERVICE_TEMPLATE_CHAINS = k0rdent('servicetemplatechains');
export const MULTI_CLUSTER_SERVICES = k0rdent('multiclusterservices');
export const PROVIDER_INTERFACES = k0rdent('providerinterfaces');
export const DATA_SOURCES = k0rdent('datasources');
export const CLUSTER_AUTHENTICATIONS = k0rdent('clusterauthentications');
export const CLUSTER_AUDIT_POLICIES = k0rdent('clusterauditpolicies');
export const NAMESPACES = core('namespaces');
export const CONFIG_MAPS = core('configmaps');
export const SECRETS = core('secrets');

export const COMPONENT_LABEL = 'k0rdent.mirantis.com/component';
export const MANAGED_LABEL = 'k0rdent.mirantis.com/managed';
export const CLUSTER_DEPLOYMENT_FINALIZER = 'k0rdent.mirantis.com/cluster-deployment';
export const CREDENTIAL_FINALIZER = 'k0rdent.mirantis.com/credential';

export function sameResource(a: ResourceKey, b: Pick<ResourceKey, 'group' | 'plural'>): boolean {
  return a.group === b.group && a.plural === b.plural;
}

/** Plain JSON value, as stored in an object's spec/status. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The object's `.spec` (or `.status`) as a record; empty when absent. */
export function section(object: { [key: string]: unknown }, key: 'spec' | 'status'): Record<string, unknown> {
  const value = object[key];
  return isJsonObject(value) ? value : {};
}

/** A string field of the object's `.spec`; '' when absent or not a string (Go's zero value). */
export function specString(object: { [key: string]: unknown } | undefined, field: string): string {
  const value = object ? section(object, 'spec')[field] : undefined;
  return typeof value === 'string' ? value : '';
}

/**
 * kcm's Credential controller for a Credential with `spec.region` (kcm v1.11.4
 * `internal/controller/credential_controller.go:99-150`): the Region's own cluster, reached through the Region's
 * kubeconfig Secret (`internal/util/kube/client.go:101-126` GetRegionalKubeconfigSecretRef, `:151-175`
 * GetRegionalClient: `spec.kubeConfig` in the system namespace, else `<cd>-kubeconfig` key `value` in the namespace
 * of `spec.clusterDeployment`), is where the identity is looked up.
 *
 * The sandbox does the same when that Secret names a reachable cluster that is not one of its own simulated ones
 * (`*.sandbox.invalid`, ./kubeconfig-secret.ts), for the one path it can model: no ProviderInterface there declares
 * the identity's kind, so kcm copies nothing (`credential/clusteridentities.go:115-124`), and the identity is
 * then found there (Ready) or not (`ClusterIdentity object of Kind=… not found`, Warning MissingClusterIdentity).
 * Everything else (no Secret, a simulated host, an unreachable cluster, an interface declaring the kind — kcm would
 * copy the identity from the management cluster, and the sandbox holds no identity objects —, any other answer)
 * keeps the sandbox's own answer (./status.ts credentialStatusFor): docs/sandbox.md "regional clients".
 */
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../apiserver/types.js';
import { KubeRest, resourcePath } from '../kube/rest.js';
import type { KcmApi, KcmReader } from './api.js';
import { CREDENTIAL_READY, FAILED, setCondition, SUCCEEDED, type ConditionInput } from './conditions.js';
import { recordEvent } from './events.js';
import { kubeconfigSecretName, SIMULATED_CHILD_HOST_SUFFIX } from './kubeconfig-secret.js';
import {
  CREDENTIALS,
  isJsonObject,
  type JsonObject,
  PROVIDER_INTERFACES,
  REGIONS,
  SECRETS,
  section,
  SYSTEM_NAMESPACE,
} from './resources.js';

export type RegionalIdentity =
  /** No Region cluster the sandbox can reach or model: its own answer stands. */
  | { outcome: 'simulated' }
  | { outcome: 'found' }
  /** kcm :131-133: NotFound, Ready=False with this message and a Warning MissingClusterIdentity. */
  | { outcome: 'missing'; message: string };

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The Region's kubeconfig Secret (client.go:101-126, :168-173), or undefined when the Region names none. */
function regionKubeconfig(reader: KcmReader, region: KubeObject): string | undefined {
  const spec = section(region, 'spec');
  const kubeConfig = spec['kubeConfig'];
  const cd = spec['clusterDeployment'];
  let namespace = SYSTEM_NAMESPACE;
  let name: string;
  let key: string;
  if (isJsonObject(kubeConfig)) {
    name = str(kubeConfig['name']);
    key = str(kubeConfig['key']) || 'value';
  } else if (isJsonObject(cd)) {
    name = kubeconfigSecretName(str(cd['name']));
    key = 'value';
    if (str(cd['namespace']) !== '') namespace = str(cd['namespace']);
  } else return undefined;
  const secret = reader.get(SECRETS, namespace, name);
  const value = (secret?.['data'] as Record<string, string> | undefined)?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}

export async function regionalIdentity(reader: KcmReader, credential: KubeObject): Promise<RegionalIdentity> {
  const simulated: RegionalIdentity = { outcome: 'simulated' };
  const regionName = str(section(credential, 'spec')['region']);
  if (regionName === '') return simulated;
  const region = reader.get(REGIONS, undefined, regionName);
  if (!region || region.metadata.deletionTimestamp) return simulated;
  const kubeconfig = regionKubeconfig(reader, region);
  if (kubeconfig === undefined) return simulated;
  const ref = section(credential, 'spec')['identityRef'];
  if (!isJsonObject(ref)) return simulated;
  const apiVersion = str(ref['apiVersion']);
  const kind = str(ref['kind']);
  const name = str(ref['name']);
  const namespace = str(ref['namespace']);
  const [group, version] = apiVersion.includes('/') ? (apiVersion.split('/') as [string, string]) : ['', apiVersion];
  try {
    const config = new KubeConfig();
    config.loadFromString(kubeconfig);
    const rest = new KubeRest(config);
    if (new URL(rest.server).hostname.endsWith(SIMULATED_CHILD_HOST_SUFFIX)) return simulated;
    // FindClusterIdentity (internal/providerinterface/util.go:42-63): an interface declaring the kind means a copy.
    const interfaces = await rest.raw({ method: 'GET', path: resourcePath(PROVIDER_INTERFACES, undefined) });
    if (interfaces.status !== 200) return simulated;
    const items = (interfaces.body as { items?: KubeObject[] }).items ?? [];
    const declares = items.some((pi) => {
      const ids = section(pi, 'spec')['clusterIdentities'];
      return (Array.isArray(ids) ? ids.filter(isJsonObject) : []).some(
        (ci) =>
          str(ci['kind']) === kind && (str(ci['group']) ? `${str(ci['group'])}/${str(ci['version'])}` : str(ci['version'])) === apiVersion,
      );
    });
    if (declares) return simulated;
    // The kind's resource, as the client's REST mapper finds it (discovery).
    const discovery = await rest.raw({ method: 'GET', path: group === '' ? `/api/${version}` : `/apis/${group}/${version}` });
    if (discovery.status !== 200) return simulated;
    const resources = (discovery.body as { resources?: { name: string; kind: string; namespaced?: boolean }[] }).resources ?? [];
    const resource = resources.find((r) => r.kind === kind && !r.name.includes('/'));
    if (!resource) return simulated;
    const got = await rest.raw({
      method: 'GET',
      path: resourcePath({ group, version, plural: resource.name }, resource.namespaced ? namespace || undefined : undefined, name),
    });
    if (got.status === 200) return { outcome: 'found' };
    if (got.status === 404) return { outcome: 'missing', message: `ClusterIdentity object of Kind=${kind} ${namespace}/${name} not found` };
    return simulated;
  } catch {
    return simulated;
  }
}

/** kcm :131-150: the Ready condition from the Region cluster's answer; a Warning MissingClusterIdentity when missing. */
export async function reconcileRegionalCredential(
  api: KcmApi,
  credential: KubeObject,
  answer: Exclude<RegionalIdentity, { outcome: 'simulated' }>,
  now: string,
): Promise<void> {
  const generation = credential.metadata.generation ?? 1;
  const condition: ConditionInput =
    answer.outcome === 'found'
      ? { type: CREDENTIAL_READY, status: 'True', reason: SUCCEEDED, message: 'Credential is ready', observedGeneration: generation }
      : { type: CREDENTIAL_READY, status: 'False', reason: FAILED, message: answer.message, observedGeneration: generation };
  if (answer.outcome === 'missing')
    await recordEvent(api, credential, {
      type: 'Warning',
      reason: 'MissingClusterIdentity',
      message: answer.message,
      action: 'GetClusterIdentity',
    });
  await api.updateStatus(CREDENTIALS, credential.metadata.namespace, credential.metadata.name, {
    ready: answer.outcome === 'found',
    conditions: setCondition([], condition, now) as unknown as JsonObject[],
  });
}

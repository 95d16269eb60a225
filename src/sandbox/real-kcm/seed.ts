/**
 * Seeds the real-kcm sandbox in kcm's own bring-up order (the study `../shared/notes/real-kcm.md` §2; kcm
 * v1.11.4 `internal/controller/release_controller.go:223-279` for the Management it would create itself):
 *
 *   namespaces → ProviderInterfaces, Release, ProviderTemplates (kcm's files) → [Release ready] → Management
 *   → [Management Ready: the ClusterDeployment controller starts] → ClusterTemplates + chains → identities,
 *   their Secrets and Credentials → ClusterDeployments.
 *
 * Names follow the embedded sandbox's seed (src/sandbox/seed/) wherever kcm v1.11.4 has the object, so the same
 * scenarios run on both: its namespaces, ClusterTemplates (kcm's own template files are a superset of the seed's
 * kcm-system templates at the same names; the seed's older and invalid versions and the team copies are added),
 * chains, Credentials and ClusterDeployments. Statuses are not seeded: kcm computes every one. Not seeded (kcm
 * v1.11.4 or this backend has no counterpart): the seed's Management (kcm-1-12-0 → built from kcm's own Release),
 * its ProviderTemplates/ProviderInterfaces (kcm's files instead), AccessManagement, ServiceTemplates, their chains
 * and the MultiClusterService (the world serves only the catalog's ingress-nginx and cert-manager charts), the schema
 * ConfigMaps (kcm writes them) and the kubeconfig Secrets (the world's CAPI writes them); a ClusterDeployment's
 * `serviceSpec.services` is dropped for the same reason.
 */
import type { KubeObject, ResourceKey } from '../apiserver/types.js';
import type { KubeRest } from '../kube/rest.js';
import { KubeApiError } from '../kube/rest.js';
import { kcmFile, readFolder, readObjects } from './assets.js';
import { KCM_SYSTEM_NAMESPACE } from './manager.js';

const FIELD_MANAGER = 'k0rdent-sandbox-seed';
const K0RDENT = 'k0rdent.mirantis.com';

export const RELEASES: ResourceKey = { group: K0RDENT, version: 'v1beta1', plural: 'releases' };
export const MANAGEMENTS: ResourceKey = { group: K0RDENT, version: 'v1beta1', plural: 'managements' };
export const CLUSTER_TEMPLATES: ResourceKey = { group: K0RDENT, version: 'v1beta1', plural: 'clustertemplates' };
export const CREDENTIALS: ResourceKey = { group: K0RDENT, version: 'v1beta1', plural: 'credentials' };
export const CLUSTER_DEPLOYMENTS_KEY: ResourceKey = { group: K0RDENT, version: 'v1beta1', plural: 'clusterdeployments' };

interface Resolved {
  key: ResourceKey;
  namespaced: boolean;
}

/** apiVersion + kind → resource, from the API server's discovery (cached per group version). */
export class Discovery {
  private readonly groups = new Map<string, { name: string; kind: string; namespaced: boolean }[]>();
  constructor(private readonly rest: KubeRest) {}
  async resolve(apiVersion: string, kind: string): Promise<Resolved> {
    let resources = this.groups.get(apiVersion);
    if (!resources) {
      const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      const list = await this.rest.json<{ resources: { name: string; kind: string; namespaced: boolean }[] }>({ method: 'GET', path });
      resources = list.resources.filter((r) => !r.name.includes('/'));
      this.groups.set(apiVersion, resources);
    }
    const found = resources.find((r) => r.kind === kind);
    if (!found) throw new Error(`the API server serves no ${kind} in ${apiVersion}`);
    const [group, version] = apiVersion.includes('/') ? (apiVersion.split('/') as [string, string]) : ['', apiVersion];
    return { key: { group, version, plural: found.name }, namespaced: found.namespaced };
  }
}

function forCreate(object: KubeObject): KubeObject {
  const {
    uid: _u,
    resourceVersion: _r,
    creationTimestamp: _c,
    generation: _g,
    managedFields: _m,
    ownerReferences: _o,
    finalizers: _f,
    ...meta
  } = object.metadata;
  const { status: _status, ...rest } = object as KubeObject & { status?: unknown };
  return { ...rest, metadata: { ...meta } };
}

/** Creates the object; an existing one (409) is left as it is. */
export async function createObject(rest: KubeRest, discovery: Discovery, object: KubeObject): Promise<void> {
  const { key, namespaced } = await discovery.resolve(object.apiVersion, object.kind);
  const body = forCreate(object);
  if (!namespaced) delete body.metadata.namespace;
  const namespace = namespaced ? (body.metadata.namespace ?? KCM_SYSTEM_NAMESPACE) : undefined;
  if (namespaced) body.metadata.namespace = namespace;
  try {
    await rest.create(key, body, FIELD_MANAGER);
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 409) return;
    throw new Error(`seeding ${object.kind} ${namespace ? `${namespace}/` : ''}${object.metadata.name}: ${(err as Error).message}`);
  }
}

export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, detail?: () => string): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`${what}: not within ${Math.round(timeoutMs / 1000)}s${detail ? `\n${detail()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function conditionTrue(object: KubeObject | undefined, type: string): boolean {
  const conditions = (object?.['status'] as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
  return conditions.some((c) => c.type === type && c.status === 'True');
}

async function getOrUndefined(
  rest: KubeRest,
  key: ResourceKey,
  namespace: string | undefined,
  name: string,
): Promise<KubeObject | undefined> {
  try {
    return await rest.get(key, namespace, name);
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 404) return undefined;
    throw err;
  }
}

export interface SeedPlan {
  /** The embedded sandbox's seed objects (src/sandbox/kube/seed.ts buildSeed), in creation order. */
  seed: KubeObject[];
  log: (line: string) => void;
  /** Bound on each wait (Release ready, Management Ready, ...); 10 min: a bound on a failure on a loaded machine, never a pause. */
  timeoutMs?: number;
  /** Diagnostics appended to a timeout (kcm's log tail). */
  detail?: () => string;
}

const SKIPPED_KINDS = new Set([
  'Management',
  'Release',
  'ProviderTemplate',
  'ProviderInterface',
  'AccessManagement',
  'ServiceTemplate',
  'ServiceTemplateChain',
  'MultiClusterService',
  'ConfigMap',
  'Secret',
  'Event',
]);

/** Identity kinds and their Secrets, from kcm's config/dev/*-credentials.yaml (the `${VAR}`s filled with placeholders). */
function devIdentities(): KubeObject[] {
  return readFolder('dev-credentials').filter((o) => o.kind !== 'Credential' && o.kind !== 'ConfigMap');
}

function withComponentLabel(object: KubeObject): KubeObject {
  return { ...object, metadata: { ...object.metadata, labels: { ...object.metadata.labels, 'k0rdent.mirantis.com/component': 'kcm' } } };
}

function fillPlaceholders(object: KubeObject, namespace: string): KubeObject {
  const text = JSON.stringify(object)
    .replace(/\$\{NAMESPACE\}/g, namespace)
    .replace(/\$\{([A-Z0-9_]+)\}/g, (_m, name: string) => `sandbox-${name.toLowerCase().replace(/_/g, '-')}`);
  return JSON.parse(text) as KubeObject;
}

/** The names of the Secrets an identity object refers to (CAPA secretRef, CAPZ clientSecret, CAPV secretName). */
function secretRefs(identity: KubeObject): { name: string; namespace?: string }[] {
  const spec = (identity['spec'] ?? {}) as Record<string, unknown>;
  const refs: { name: string; namespace?: string }[] = [];
  if (typeof spec['secretRef'] === 'string') refs.push({ name: spec['secretRef'] });
  if (typeof spec['secretName'] === 'string') refs.push({ name: spec['secretName'] });
  const clientSecret = spec['clientSecret'] as { name?: string; namespace?: string } | undefined;
  if (clientSecret?.name) refs.push({ name: clientSecret.name, ...(clientSecret.namespace ? { namespace: clientSecret.namespace } : {}) });
  return refs;
}

export async function seedRealKcm(rest: KubeRest, plan: SeedPlan): Promise<{ written: number; seconds: Record<string, number> }> {
  const discovery = new Discovery(rest);
  const timeoutMs = plan.timeoutMs ?? 600_000;
  const started = Date.now();
  const seconds: Record<string, number> = {};
  const mark = (step: string): void => {
    seconds[step] = Math.round((Date.now() - started) / 100) / 10;
    plan.log(`real kcm seed: ${step} at ${seconds[step]}s`);
  };
  let written = 0;
  const create = async (o: KubeObject): Promise<void> => {
    await createObject(rest, discovery, o);
    written += 1;
  };

  for (const o of plan.seed.filter((s) => s.kind === 'Namespace')) await create(o);

  // kcm's objects at the version built.
  for (const o of readFolder('interfaces')) await create(o);
  const release = readObjects(kcmFile('release.yaml'))[0];
  if (!release) throw new Error('.kcm/kcm/release.yaml holds no Release');
  await create(release);
  // With kcm's component label: its template controllers' first reconcile of an unlabelled template only adds it and
  // requeues (5 s: template_controller.go:99-104, :139-144), the same object a reconcile later.
  const kcmTemplates = readFolder('templates').map(withComponentLabel);
  for (const o of kcmTemplates.filter((t) => t.kind === 'ProviderTemplate')) await create(o);
  mark('Release and ProviderTemplates created');
  await waitFor(
    `Release ${release.metadata.name} ready (kcm validates its ${kcmTemplates.filter((t) => t.kind === 'ProviderTemplate').length} ProviderTemplates)`,
    timeoutMs,
    async () =>
      ((await getOrUndefined(rest, RELEASES, undefined, release.metadata.name))?.['status'] as { ready?: boolean } | undefined)?.ready ||
      undefined,
    plan.detail,
  );
  mark('Release ready');

  // The Management kcm's release controller creates with --create-management (release_controller.go:229-279).
  const providers = ((release['spec'] as { providers?: { name: string }[] }).providers ?? []).map((p) => ({ name: p.name }));
  await create({
    apiVersion: `${K0RDENT}/v1beta1`,
    kind: 'Management',
    metadata: { name: 'kcm', finalizers: [`${K0RDENT}/management`] },
    spec: { release: release.metadata.name, providers, core: { kcm: { config: {} } } },
  });
  await waitFor(
    'Management kcm Ready',
    timeoutMs,
    async () => (conditionTrue(await getOrUndefined(rest, MANAGEMENTS, undefined, 'kcm'), 'Ready') ? true : undefined),
    plan.detail,
  );
  mark('Management Ready');

  // ClusterTemplates after the Management (before it they wait for a 1-minute requeue): kcm's own, then the seed's
  // (older versions, the invalid one, the team copies), then the chains.
  const templates = [
    ...kcmTemplates
      .filter((t) => t.kind === 'ClusterTemplate')
      .map((t) => ({ ...t, metadata: { ...t.metadata, namespace: KCM_SYSTEM_NAMESPACE } })),
    ...plan.seed.filter((s) => s.kind === 'ClusterTemplate').map(withComponentLabel),
  ];
  for (const o of templates) await create(o);
  for (const o of plan.seed.filter((s) => s.kind === 'ClusterTemplateChain')) await create(o);
  const unique = new Set(templates.map((t) => `${t.metadata.namespace ?? KCM_SYSTEM_NAMESPACE}/${t.metadata.name}`)).size;
  mark(`${unique} ClusterTemplates created`);
  // Every template validated (valid true or false) before anything names one: kcm's webhook refuses a template
  // that is not yet valid with the same text as an invalid one.
  await waitFor(
    `${unique} ClusterTemplates validated by kcm`,
    timeoutMs,
    async () => {
      const list = await rest.json<{ items: KubeObject[] }>({ method: 'GET', path: '/apis/k0rdent.mirantis.com/v1beta1/clustertemplates' });
      return list.items.length >= unique &&
        list.items.every((t) => typeof (t['status'] as { valid?: boolean } | undefined)?.valid === 'boolean')
        ? true
        : undefined;
    },
    plan.detail,
  );
  mark('ClusterTemplates validated');

  // Identities (kcm's dev credentials, renamed to what each seeded Credential names) and Credentials.
  const dev = devIdentities();
  const credentials = plan.seed.filter((s) => s.kind === 'Credential');
  for (const credential of credentials) {
    const ref = (credential['spec'] as { identityRef?: { apiVersion: string; kind: string; name: string; namespace?: string } })
      .identityRef;
    if (!ref) continue;
    const namespace = ref.namespace ?? credential.metadata.namespace ?? KCM_SYSTEM_NAMESPACE;
    if (ref.name.includes('legacy')) continue; // the seed's azure-legacy-credential: its identity is gone on purpose
    if (ref.kind === 'Secret') {
      await create({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: ref.name, namespace, labels: { [`${K0RDENT}/component`]: 'kcm' } },
        type: 'Opaque',
      });
      continue;
    }
    const template = dev.find((o) => o.kind === ref.kind);
    if (!template) {
      plan.log(`real kcm seed: no ${ref.kind} in kcm's dev credentials; Credential ${credential.metadata.name} stays not ready`);
      continue;
    }
    const identity = fillPlaceholders(template, namespace);
    identity.apiVersion = ref.apiVersion;
    identity.metadata = { ...identity.metadata, name: ref.name, namespace };
    for (const secretRef of secretRefs(identity)) {
      const secret = dev.find((o) => o.kind === 'Secret' && o.metadata.name === secretRef.name);
      if (secret)
        await create({
          ...fillPlaceholders(secret, secretRef.namespace ?? namespace),
          metadata: { ...secret.metadata, namespace: secretRef.namespace ?? namespace },
        });
    }
    await create(identity);
  }
  for (const o of credentials) await create(o);
  mark(`${credentials.length} Credentials created`);

  // The scenario objects, once kcm has validated what each names (its webhook refuses a template not yet valid).
  const deployments = plan.seed.filter((s) => s.kind === 'ClusterDeployment');
  for (const o of deployments) {
    const spec = { ...(o['spec'] as Record<string, unknown>) };
    const ns = o.metadata.namespace ?? KCM_SYSTEM_NAMESPACE;
    await waitFor(
      `ClusterTemplate ${ns}/${String(spec['template'])} valid`,
      timeoutMs,
      async () =>
        ((await getOrUndefined(rest, CLUSTER_TEMPLATES, ns, String(spec['template'])))?.['status'] as { valid?: boolean } | undefined)
          ?.valid || undefined,
      plan.detail,
    );
    await waitFor(
      `Credential ${ns}/${String(spec['credential'])} ready`,
      timeoutMs,
      async () =>
        ((await getOrUndefined(rest, CREDENTIALS, ns, String(spec['credential'])))?.['status'] as { ready?: boolean } | undefined)?.ready ||
        undefined,
      plan.detail,
    );
    delete spec['serviceSpec'];
    await create({ ...o, spec });
  }
  mark('ClusterDeployments created');
  for (const o of deployments) {
    const ns = o.metadata.namespace ?? KCM_SYSTEM_NAMESPACE;
    await waitFor(
      `ClusterDeployment ${ns}/${o.metadata.name} Ready`,
      timeoutMs,
      async () => (conditionTrue(await getOrUndefined(rest, CLUSTER_DEPLOYMENTS_KEY, ns, o.metadata.name), 'Ready') ? true : undefined),
      plan.detail,
    );
  }
  for (const o of plan.seed.filter(
    (s) =>
      !SKIPPED_KINDS.has(s.kind) &&
      !['Namespace', 'ClusterTemplate', 'ClusterTemplateChain', 'Credential', 'ClusterDeployment'].includes(s.kind),
  )) {
    plan.log(`real kcm seed: ${o.kind} ${o.metadata.name} not seeded (no rule for its kind)`);
  }
  mark('ClusterDeployments Ready');
  return { written, seconds };
}

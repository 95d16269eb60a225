/**
 * The service manager: ServiceTemplates, the service entries of ClusterDeployments and
 * MultiClusterServices, as an injected Kubernetes identity inside the namespaces the policy allows.
 * An entry is written by server-side apply under its own field manager (CLUSTER_SERVICES_FIELD_OWNER)
 * without force: the applied configuration holds exactly the entries this manager owns, so it never
 * takes or drops another manager's entry, nor the deployment's other fields (the API server merges
 * `spec.serviceSpec.services` per name/namespace key). Knows Kubernetes and k0rdent, nothing of MCP.
 */
import { TOOL, toolRef } from '../tool-names.js';
import { isDeepStrictEqual } from 'node:util';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { K0rdentApi, type CallOptions, type KubeObject } from '../kube/k0rdent-api.js';
import { listAccessOf } from '../shared/list-access.js';
import { listAcross } from '../shared/listing.js';
import type { ManagerHooks } from '../clusters/manager.js';
import type { ListCommon, Page } from '../clusters/types.js';
import { waitFor, waitSettings } from '../clusters/wait.js';
import { AppError, echo } from '../errors.js';
import type { JsonObject } from '../shared/config-schema.js';
import { MAX_WRITE_ATTEMPTS, backoff, isStaleWrite } from '../shared/optimistic.js';
import { assertNamespaceExists, missingObject, NAMED_KINDS } from '../shared/not-found.js';
import { assertMayI } from '../shared/access-review.js';
import {
  K0RDENT_API_VERSION,
  CLUSTER_DEPLOYMENT,
  DEFAULT_SERVICE_NAMESPACE,
  K0RDENT_GROUP,
  MULTI_CLUSTER_SERVICE,
  SERVICE_STATE,
  SERVICE_TEMPLATE,
} from '../k0rdent/resources.js';
import type { Step } from '../k0rdent/steps.js';
import type { KubeIdentity } from '../kube/identity.js';
import type { NamespacePolicy } from '../policy/index.js';
import { assertObjectName, isDns1123Label } from '../policy/names.js';
import { MultiClusterServiceWriter } from './multi-cluster.js';
import { servicesStatus } from './status.js';
import type { ReadContext } from '../shared/read-context.js';
import { checkDependsOn, checkK8sCompatibility, checkServiceTemplate, checkValues } from './checks.js';
import { appliedEntries, findEntry, keyOf, keyText, otherOwners, ownedConfiguration, serviceEntries, type ServiceKey } from './entries.js';
import { defaultServiceName, servicesReady, stateOf, summarizeMultiClusterService, summarizeServiceTemplate } from './summaries.js';
import type {
  ApplyServiceRequest,
  ApplyServiceResult,
  MultiClusterServiceSummary,
  RemoveServiceRequest,
  RemoveServiceResult,
  ServiceTemplateSummary,
  ServicesStatusRequest,
  ServicesStatusResult,
  ServiceWaitOutcome,
} from './types.js';

export interface ServiceManagerOptions {
  kube: KubeIdentity | KubeConfig;
  namespaces: NamespacePolicy;
  /** SSA field manager of the service entries (CLUSTER_SERVICES_FIELD_OWNER). */
  fieldOwner: string;
  logger: Logger;
  requestTimeoutMs?: number;
}

function assertLabel(value: string, field: string): void {
  if (!isDns1123Label(value)) {
    throw new AppError(
      'invalidParams',
      `${field} "${value.slice(0, 100)}" is not a valid name: kcm requires a DNS-1123 label (lower case letters, digits and '-', at most 63 characters, starting and ending with a letter or digit)`,
    );
  }
}

/** A service's way through kcm's states as progress steps: Pending, Provisioning, then Deployed or Failed. */
function serviceStep(state: string | undefined): Step {
  if (state === SERVICE_STATE.deployed || state === SERVICE_STATE.failed) return { done: 2, total: 2, name: state };
  if (state === SERVICE_STATE.provisioning) return { done: 1, total: 2, name: state };
  return { done: 0, total: 2, name: state ?? SERVICE_STATE.pending };
}

/** `now` holds every field this server would write as `wanted` has it (fields others or the API server add are left aside). */
function sameEntry(now: JsonObject, wanted: Record<string, unknown>): boolean {
  return ['name', 'namespace', 'template', 'values', 'dependsOn'].every((field) => isDeepStrictEqual(now[field], wanted[field]));
}

/** Another writer changed the entry this call changes, between its read and its write. */
function entryConflict(
  namespace: string,
  cluster: string,
  key: ServiceKey,
  before: JsonObject | undefined,
  now: JsonObject | undefined,
  cause: unknown,
): AppError {
  const show = (entry: JsonObject | undefined): string => (entry === undefined ? '(absent)' : echo(entry, 300));
  return new AppError(
    'conflict',
    `service ${keyText(key)} of ClusterDeployment ${namespace}/${cluster} was changed by another writer while this call ran (${show(before)} → ${show(now)}); nothing was written. Read it with ${toolRef(TOOL.clustersGet)}, decide which entry stands and call again`,
    { reason: 'concurrentUpdate', entries: [keyText(key)] },
    { cause },
  );
}

/**
 * A removal that names the right service under the wrong serviceNamespace is no success: the entry stays
 * installed, so the answer is notFound naming the serviceNamespace(s) it is under (issue 25 item 2).
 */
function assertNotElsewhere(deployment: KubeObject, namespace: string, key: ServiceKey): void {
  const others = serviceEntries(deployment)
    .map(keyOf)
    .filter((k) => k.name === key.name && k.namespace !== key.namespace)
    .map((k) => k.namespace)
    .sort();
  if (others.length === 0) return;
  const list = others.map((ns) => `"${ns}"`).join(', ');
  throw new AppError(
    'notFound',
    `ClusterDeployment ${namespace}/${deployment.metadata?.name ?? ''} has no service "${key.name}" in serviceNamespace "${key.namespace}"; it has "${key.name}" in serviceNamespace ${list}. Nothing was removed: call again with serviceNamespace ${list.split(', ')[0]} to remove it`,
    { name: key.name, serviceNamespace: key.namespace, serviceNamespaces: others },
  );
}

export class ServiceManager {
  readonly api: K0rdentApi;
  private readonly policy: NamespacePolicy;

  constructor(private readonly options: ServiceManagerOptions) {
    this.api = new K0rdentApi(options.kube, {
      ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    });
    this.policy = options.namespaces;
  }

  /** The services view of one deployment (./status.ts). */
  async status(request: ServicesStatusRequest, hooks: ManagerHooks = {}): Promise<ServicesStatusResult> {
    const ctx: ReadContext = {
      api: this.api,
      policy: this.policy,
      logger: this.options.logger,
      readableNamespaces: (call) => this.readableNamespaces(call),
    };
    const result = await servicesStatus(ctx, request, { signal: hooks.signal });
    hooks.onNamespace?.(result.namespace);
    return result;
  }

  /** The MultiClusterService writes (./multi-cluster.ts), as this identity and under the same field manager. */
  multiClusterServices(): MultiClusterServiceWriter {
    return new MultiClusterServiceWriter(this.api, this.policy, this.options.fieldOwner);
  }

  private async readableNamespaces(call: CallOptions): Promise<string[]> {
    const global = this.policy.rules.globalNamespace;
    try {
      return this.policy.readable(await listAccessOf(this.api).namespaces(() => this.api.listNamespaces(call)));
    } catch (error) {
      if (error instanceof AppError && error.code === 'forbidden') return [global];
      throw error;
    }
  }

  async listTemplates(request: ListCommon, hooks: ManagerHooks = {}): Promise<Page<ServiceTemplateSummary>> {
    const call = { signal: hooks.signal };
    if (request.namespace !== undefined) this.policy.assertReadable(request.namespace);
    const include = (ns: string): boolean => this.policy.isReadable(ns);
    const scope = {
      namespace: request.namespace,
      include,
      namespaces: async () => (await this.readableNamespaces(call)).filter(include),
      queryKey: `${SERVICE_TEMPLATE.plural}|${request.namespace ?? '*'}`,
    };
    const page = await listAcross(this.api, SERVICE_TEMPLATE, scope, request, call);
    if (page.items.length === 0 && request.namespace !== undefined)
      await assertNamespaceExists(this.api, this.policy, request.namespace, call);
    return { items: page.items.map(summarizeServiceTemplate), ...(page.continue ? { continue: page.continue } : {}) };
  }

  /** Cluster-scoped objects: one cluster-wide LIST; matching clusters outside the readable namespaces are counted, not named. */
  async listMultiClusterServices(
    request: { limit?: number | undefined; continue?: string | undefined },
    hooks: ManagerHooks = {},
  ): Promise<Page<MultiClusterServiceSummary>> {
    const call = { signal: hooks.signal };
    const page = await this.api.list(MULTI_CLUSTER_SERVICE, { limit: request.limit ?? 100, continue: request.continue }, call);
    return {
      items: page.items.map((m) => summarizeMultiClusterService(m, (ns) => this.policy.isReadable(ns))),
      ...(page.continue ? { continue: page.continue } : {}),
    };
  }

  private async target(
    cluster: string,
    requested: string | undefined,
    call: CallOptions,
    hooks: ManagerHooks,
  ): Promise<{ namespace: string; deployment: KubeObject }> {
    assertObjectName(cluster, 'cluster');
    const namespace = await this.policy.resolveTarget(requested, () => this.api.listNamespaces(call));
    hooks.onNamespace?.(namespace);
    // Both write the deployment's serviceSpec by server-side apply: may the caller patch it? (one review, before any write)
    await assertMayI(
      this.api,
      { verb: 'patch', group: K0RDENT_GROUP, resource: CLUSTER_DEPLOYMENT.plural, namespace, name: cluster },
      `changing the services of ClusterDeployment ${namespace}/${cluster}`,
      call,
    );
    const deployment = await this.api.get(CLUSTER_DEPLOYMENT, namespace, cluster, call);
    if (deployment === undefined) {
      throw await missingObject(this.api, this.policy, { kind: NAMED_KINDS[CLUSTER_DEPLOYMENT.kind]!, name: cluster, namespace }, call);
    }
    if (deployment.metadata?.deletionTimestamp)
      throw new AppError('conflict', `ClusterDeployment ${namespace}/${cluster} is being deleted; its services go with it`);
    return { namespace, deployment };
  }

  private async applyEntries(
    deployment: KubeObject,
    namespace: string,
    services: Record<string, unknown>[],
    dryRun: boolean,
    key: ServiceKey,
    call: CallOptions,
  ): Promise<KubeObject> {
    const name = deployment.metadata?.name ?? '';
    // The resourceVersion and uid it was computed from: a deployment written meanwhile is a 409 (isStaleWrite),
    // never an apply that drops an entry this manager added in another call since.
    const { resourceVersion, uid } = deployment.metadata ?? {};
    const manifest = {
      apiVersion: K0RDENT_API_VERSION,
      kind: CLUSTER_DEPLOYMENT.kind,
      metadata: { name, namespace, ...(resourceVersion ? { resourceVersion } : {}), ...(uid ? { uid } : {}) },
      spec: { serviceSpec: { services } },
    };
    try {
      return await this.api.apply(CLUSTER_DEPLOYMENT, manifest, { fieldManager: this.options.fieldOwner, dryRun, force: false }, call);
    } catch (error) {
      if (error instanceof AppError && error.code === 'conflict' && !isStaleWrite(error)) {
        const owners = otherOwners(deployment, key, this.options.fieldOwner);
        throw new AppError(
          'conflict',
          `service ${keyText(key)} of ClusterDeployment ${namespace}/${name} is also managed by ${owners.length > 0 ? owners.map((o) => `"${o}"`).join(', ') : 'another field manager'}, which set these fields to other values; nothing was changed. Change the entry with the manager that applied it, or give this service another name. (${error.message})`,
          { owners },
          { cause: error },
        );
      }
      throw error;
    }
  }

  async apply(request: ApplyServiceRequest, hooks: ManagerHooks = {}): Promise<ApplyServiceResult> {
    const call = { signal: hooks.signal };
    if (request.template === '')
      throw new AppError('invalidParams', `template must name a ServiceTemplate; see ${toolRef(TOOL.servicesListTemplates)}`);
    if (request.name !== undefined) assertLabel(request.name, 'name');
    const serviceNamespace = request.serviceNamespace ?? DEFAULT_SERVICE_NAMESPACE;
    assertLabel(serviceNamespace, 'serviceNamespace');
    for (const d of request.dependsOn ?? []) {
      assertLabel(d.name, 'dependsOn.name');
      if (d.namespace !== undefined) assertLabel(d.namespace, 'dependsOn.namespace');
    }
    const target = await this.target(request.cluster, request.namespace, call, hooks);
    const namespace = target.namespace;
    const read = target.deployment;
    const template = await checkServiceTemplate(this.api, namespace, request.template, call);
    const name = request.name ?? defaultServiceName(template);
    assertLabel(name, 'name (from the template; pass name)');
    const key: ServiceKey = { name, namespace: serviceNamespace };
    this.assertOwnable(read, namespace, key);
    const values = await checkValues(this.api, template, request.values, call);
    await checkK8sCompatibility(this.api, read, template, call);

    const entry: Record<string, unknown> = {
      name,
      namespace: serviceNamespace,
      template: request.template,
      ...(values !== undefined && values !== '' ? { values } : {}),
      ...(request.dependsOn && request.dependsOn.length > 0
        ? { dependsOn: request.dependsOn.map((d) => ({ name: d.name, namespace: d.namespace ?? DEFAULT_SERVICE_NAMESPACE })) }
        : {}),
    };
    const result = (deployment: KubeObject, status: ApplyServiceResult['status'], after: JsonObject): ApplyServiceResult => {
      const { generation, resourceVersion } = deployment.metadata ?? {};
      return {
        cluster: request.cluster,
        namespace,
        name,
        serviceNamespace,
        template: request.template,
        status,
        entry: after,
        ...(generation !== undefined ? { generation } : {}),
        ...(resourceVersion !== undefined ? { resourceVersion } : {}),
      };
    };
    let deployment = read;
    let applied: KubeObject | undefined;
    for (let attempt = 1; applied === undefined; attempt++) {
      if (request.dependsOn && request.dependsOn.length > 0) checkDependsOn(deployment, key, request.dependsOn);
      const services = [...ownedConfiguration(deployment, this.options.fieldOwner, key), entry];
      try {
        applied = await this.applyEntries(deployment, namespace, services, request.dryRun === true, key, call);
      } catch (error) {
        if (!isStaleWrite(error)) throw error;
        deployment = await this.reread(request.cluster, namespace, read, attempt, key, error, hooks);
        const now = findEntry(deployment, key);
        if (!isDeepStrictEqual(now, findEntry(read, key))) {
          // Another writer changed this very entry meanwhile: done already when it is now what this call asks for.
          if (now !== undefined && sameEntry(now, entry)) return result(deployment, 'unchanged', now);
          throw entryConflict(namespace, request.cluster, key, findEntry(read, key), now, error);
        }
        this.assertOwnable(deployment, namespace, key);
      }
    }
    const before = findEntry(deployment, key);
    const after = findEntry(applied, key) ?? entry;
    // Not the resourceVersion: kcm's status writes move it between the read and the apply.
    const unchanged =
      before !== undefined && applied.metadata?.generation === deployment.metadata?.generation && isDeepStrictEqual(before, after);
    const status = request.dryRun ? 'dryRun' : before === undefined ? 'created' : unchanged ? 'unchanged' : 'updated';
    const out = result(applied, status, after);
    if (request.wait && !request.dryRun)
      out.wait = await this.waitForService(namespace, request.cluster, key, out.generation ?? 1, request.wait, hooks);
    return out;
  }

  /**
   * After a 409 from a concurrent write: the deployment read again (bounded attempts), still the same
   * object (uid) — or a conflict that says nothing was written.
   */
  private async reread(
    cluster: string,
    namespace: string,
    read: KubeObject,
    attempt: number,
    key: ServiceKey,
    error: unknown,
    hooks: ManagerHooks,
  ): Promise<KubeObject> {
    const ref = `${namespace}/${cluster}`;
    if (attempt >= MAX_WRITE_ATTEMPTS) {
      throw new AppError(
        'conflict',
        `ClusterDeployment ${ref} changed under each of ${MAX_WRITE_ATTEMPTS} attempts to write service ${keyText(key)} (other writers are busy with it); nothing was written. Call again`,
        { reason: 'busy', attempts: MAX_WRITE_ATTEMPTS },
        { cause: error },
      );
    }
    await backoff(attempt);
    const { deployment } = await this.target(cluster, namespace, { signal: hooks.signal }, {});
    if (deployment.metadata?.uid !== read.metadata?.uid) {
      throw new AppError(
        'conflict',
        `ClusterDeployment ${ref} was deleted and created anew by someone else while this call ran; nothing was written. Look at it with ${toolRef(TOOL.clustersGet)} and call again`,
        { reason: 'replaced' },
        { cause: error },
      );
    }
    return deployment;
  }

  /** An entry that another field manager applied is theirs: this server neither changes nor co-owns it. */
  private assertOwnable(deployment: KubeObject, namespace: string, key: ServiceKey): void {
    if (findEntry(deployment, key) === undefined) return;
    if (appliedEntries(deployment, this.options.fieldOwner).some((e) => keyText(e.key) === keyText(key))) return;
    const owners = otherOwners(deployment, key, this.options.fieldOwner);
    throw new AppError(
      'conflict',
      `service ${keyText(key)} of ClusterDeployment ${namespace}/${deployment.metadata?.name ?? ''} exists and was applied by ${owners.length > 0 ? owners.map((o) => `"${o}"`).join(', ') : 'another client'}, not by this server (field manager "${this.options.fieldOwner}"); nothing was changed. Change it with the manager that applied it, or add this service under another name or serviceNamespace.`,
      { owners },
    );
  }

  async remove(request: RemoveServiceRequest, hooks: ManagerHooks = {}): Promise<RemoveServiceResult> {
    const call = { signal: hooks.signal };
    assertLabel(request.name, 'name');
    const serviceNamespace = request.serviceNamespace ?? DEFAULT_SERVICE_NAMESPACE;
    assertLabel(serviceNamespace, 'serviceNamespace');
    const { namespace, deployment: read } = await this.target(request.cluster, request.namespace, call, hooks);
    const key: ServiceKey = { name: request.name, namespace: serviceNamespace };
    const base = { cluster: request.cluster, namespace, name: request.name, serviceNamespace };
    const first = findEntry(read, key);
    if (first === undefined) {
      assertNotElsewhere(read, namespace, key);
      return { ...base, status: 'not_found' };
    }
    let deployment = read;
    let applied: KubeObject | undefined;
    for (let attempt = 1; applied === undefined; attempt++) {
      const owned = appliedEntries(deployment, this.options.fieldOwner).some((e) => keyText(e.key) === keyText(key));
      if (!owned) {
        const owners = otherOwners(deployment, key, this.options.fieldOwner);
        throw new AppError(
          'conflict',
          `service ${keyText(key)} of ClusterDeployment ${namespace}/${request.cluster} was not applied by this server (field manager "${this.options.fieldOwner}")${owners.length > 0 ? ` but by ${owners.map((o) => `"${o}"`).join(', ')}` : ''}; nothing was changed. Remove it with the manager that applied it.`,
          { owners },
        );
      }
      try {
        applied = await this.applyEntries(
          deployment,
          namespace,
          ownedConfiguration(deployment, this.options.fieldOwner, key),
          request.dryRun === true,
          key,
          call,
        );
      } catch (error) {
        if (!isStaleWrite(error)) throw error;
        deployment = await this.reread(request.cluster, namespace, read, attempt, key, error, hooks);
        const now = findEntry(deployment, key);
        // Someone else removed it meanwhile: nothing left to remove.
        if (now === undefined) return { ...base, status: 'not_found' };
        if (!isDeepStrictEqual(now, first)) throw entryConflict(namespace, request.cluster, key, first, now, error);
      }
    }
    if (request.dryRun) return { ...base, status: 'dryRun' };
    if (findEntry(applied, key) === undefined) return { ...base, status: 'removed' };
    return { ...base, status: 'released', keptBy: otherOwners(applied, key, this.options.fieldOwner) };
  }

  /** Follows status.services for the entry until kcm reports it Deployed or Failed (for `generation` or later). */
  private async waitForService(
    namespace: string,
    cluster: string,
    key: ServiceKey,
    generation: number,
    wait: NonNullable<ApplyServiceRequest['wait']>,
    hooks: ManagerHooks,
  ): Promise<ServiceWaitOutcome> {
    const outcome = await waitFor({
      api: this.api,
      resource: CLUSTER_DEPLOYMENT,
      namespace,
      name: cluster,
      ...waitSettings(wait, hooks),
      logger: this.options.logger,
      evaluate: (object) => {
        if (object === undefined) return { done: true, fingerprint: 'gone', message: 'the ClusterDeployment was deleted while waiting' };
        const observed = typeof object.status?.observedGeneration === 'number' ? object.status.observedGeneration : 0;
        if (observed < generation)
          return {
            done: false,
            fingerprint: `stale|${observed}`,
            message: `Pending (kcm has not yet observed generation ${generation})`,
            step: serviceStep(undefined),
          };
        const state = stateOf(object, key);
        const ready = servicesReady(object);
        const suffix = ready !== undefined ? ` (services ready: ${ready})` : '';
        if (state === undefined)
          return {
            done: false,
            fingerprint: `absent|${ready ?? ''}`,
            message: `Pending (kcm has not reported service ${keyText(key)} yet)${suffix}`,
            step: serviceStep(undefined),
          };
        const done = state.state === SERVICE_STATE.deployed || state.state === SERVICE_STATE.failed;
        return {
          done,
          fingerprint: `${state.state}|${state.failureMessage ?? ''}|${ready ?? ''}`,
          message: `${state.state}${state.failureMessage ? `: ${state.failureMessage}` : ''}${suffix}`,
          step: serviceStep(state.state),
        };
      },
    });
    const last = outcome.last;
    const observed = typeof last?.status?.observedGeneration === 'number' ? last.status.observedGeneration : 0;
    const state = observed >= generation ? stateOf(last, key) : undefined;
    const ready = servicesReady(last);
    if (outcome.error)
      this.options.logger.warn(
        { namespace, cluster, service: keyText(key), errorCode: outcome.error.code },
        `the wait for service ${keyText(key)} ended early: ${outcome.error.code}`,
      );
    return {
      deployed: state?.state === SERVICE_STATE.deployed,
      timedOut: outcome.timedOut,
      state: last === undefined ? 'Gone' : (state?.state ?? SERVICE_STATE.pending),
      ...(state?.failureMessage ? { failureMessage: state.failureMessage } : {}),
      ...(ready !== undefined ? { servicesReady: ready } : {}),
      ...(outcome.error ? { waitError: { code: outcome.error.code, message: outcome.error.message } } : {}),
      ...(outcome.interrupted
        ? {
            interrupted: true,
            note: `the server is shutting down and stopped waiting; kcm continues installing the service: follow it with ${toolRef(TOOL.clustersGet)}`,
          }
        : {}),
    };
  }
}

/**
 * The cluster manager: credentials, templates and ClusterDeployments as an injected Kubernetes
 * identity, inside the namespaces the policy allows. Knows Kubernetes and k0rdent, nothing of MCP.
 */
import { TOOL, toolRef } from '../tool-names.js';
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeIdentity } from '../kube/identity.js';
import type { Logger } from 'pino';
import { AppError, echo } from '../errors.js';
import type { WaitTarget } from '../k0rdent/judge.js';
import { CLUSTER_DEPLOYMENT, CLUSTER_TEMPLATE, CREDENTIAL, K0RDENT_GROUP, type K0rdentResource } from '../k0rdent/resources.js';
import type { NamespacePolicy } from '../policy/index.js';
import { assertObjectName } from '../policy/names.js';
import { describeChange } from './changes.js';
import { assertStructure } from '../shared/config-guard.js';
import type { JsonObject } from '../shared/config-schema.js';
import {
  assertLabels,
  buildClusterDeployment,
  checkReferences,
  checkTemplateConfig,
  deploymentDifferences,
  plainReference,
} from './deploy.js';
import { K0rdentApi, type CallOptions, type KubeObject } from '../kube/k0rdent-api.js';
import { providerInterfaces } from '../providers/catalog.js';
import { assertCredentialFits } from '../providers/fit-check.js';
import { listAccessOf } from '../shared/list-access.js';
import { assertMayI } from '../shared/access-review.js';
import {
  assertFieldNames,
  assertKcmKnows,
  checkDeployFields,
  pausedRegionRefusal,
  pausedRegionWarning,
  regionOf,
  regionState,
  type DeployFields,
} from './deploy-fields.js';
import type { ReadContext } from '../shared/read-context.js';
import { listAcross, type ListScope } from '../shared/listing.js';
import { templateSchema } from './template-schemas.js';
import { hasStatus, summarizeCredential, summarizeDeployment, summarizeTemplate, briefTemplate } from './summaries.js';
import type {
  CredentialSummary,
  DeleteRequest,
  DeleteResult,
  DeployRequest,
  DeployResult,
  DeploymentStatus,
  DeploymentSummary,
  ListCommon,
  OperationHooks,
  Page,
  TemplateScope,
  TemplateSummary,
  UpdateRequest,
  UpdateResult,
  WaitOptions,
  WaitOutcome,
} from './types.js';
import { assertNamespaceExists, missingDetails, missingFacts, missingHints, NAMED_KINDS } from '../shared/not-found.js';
import { isAlreadyExists, isPreconditionFailed } from '../shared/optimistic.js';
import { updateDeployment } from './update.js';
import { waitForDeletion, waitForGeneration } from './wait-ready.js';

export interface ClusterManagerOptions {
  /** The session's Kubernetes identity (tests may pass a ready KubeConfig). */
  kube: KubeIdentity | KubeConfig;
  namespaces: NamespacePolicy;
  /** SSA field manager (CLUSTER_DEPLOY_FIELD_OWNER). */
  fieldOwner: string;
  logger: Logger;
  requestTimeoutMs?: number;
}

/** Hooks plus a way to learn the namespace the operation resolved to (for the caller's log line). */
export interface ManagerHooks extends OperationHooks {
  onNamespace?: (namespace: string) => void;
}

const SCHEMA_CONCURRENCY = 8;

async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** The deployment a declined delete left in place, as the answer names it. */
function declinedObject(object: KubeObject): NonNullable<DeleteResult['object']> {
  const spec = object.spec ?? {};
  const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  return Object.fromEntries(
    Object.entries({
      uid: text(object.metadata?.uid),
      template: text(spec.template),
      credential: text(spec.credential),
      createdAt: text(object.metadata?.creationTimestamp),
    }).filter(([, v]) => v !== undefined),
  );
}

/** The confirmation text of a deletion: what goes, made from what, since when. */
function describeDeletion(object: KubeObject, namespace: string, name: string): string {
  const spec = object.spec ?? {};
  const facts = [
    typeof spec.template === 'string' ? `template ${spec.template}` : undefined,
    typeof spec.credential === 'string' ? `credential ${spec.credential}` : undefined,
    object.metadata?.creationTimestamp ? `created ${String(object.metadata.creationTimestamp)}` : undefined,
  ].filter((fact) => fact !== undefined);
  return `Delete ClusterDeployment ${namespace}/${name}${facts.length > 0 ? `, ${facts.join(', ')}` : ''}. The cluster and its cloud resources are removed.`;
}

/** The day-one fields of a deploy request (only those given). */
function deployFieldsOf(request: DeployFields): DeployFields {
  const { cleanupOnDeletion, propagateCredentials, services, ipamClaim, clusterAuth, auditPolicy, dataSource } = request;
  return Object.fromEntries(
    Object.entries({ cleanupOnDeletion, propagateCredentials, services, ipamClaim, clusterAuth, auditPolicy, dataSource }).filter(
      ([, v]) => v !== undefined,
    ),
  ) as DeployFields;
}

export class ClusterManager {
  readonly api: K0rdentApi;
  private readonly policy: NamespacePolicy;
  private readonly globalNamespace: string;

  constructor(private readonly options: ClusterManagerOptions) {
    this.api = new K0rdentApi(options.kube, {
      ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    });
    this.policy = options.namespaces;
    this.globalNamespace = options.namespaces.rules.globalNamespace;
  }

  /** What the day-two read modules need (src/shared/read-context.ts). */
  readContext(): ReadContext {
    return { api: this.api, policy: this.policy, logger: this.options.logger, readableNamespaces: (call) => this.readableNamespaces(call) };
  }

  /** Existing readable namespaces (G always); when namespaces cannot be listed, only G. The names are remembered for a short TTL (list-access.ts). */
  async readableNamespaces(call: CallOptions): Promise<string[]> {
    try {
      return this.policy.readable(await listAccessOf(this.api).namespaces(() => this.api.listNamespaces(call)));
    } catch (error) {
      if (error instanceof AppError && error.code === 'forbidden') {
        this.options.logger.warn(
          { namespace: this.globalNamespace },
          'namespaces cannot be listed with this identity; listing only the global namespace',
        );
        return [this.globalNamespace];
      }
      throw error;
    }
  }

  /** An empty first page of one namespace: is it empty, or does the namespace not exist (notFound)? */
  private async assertListedNamespace(request: ListCommon, count: number, call: CallOptions): Promise<void> {
    if (request.namespace === undefined || count > 0 || request.continue !== undefined) return;
    await assertNamespaceExists(this.api, this.policy, request.namespace, call);
  }

  private scope(
    kind: K0rdentResource,
    namespace: string | undefined,
    include: (ns: string) => boolean,
    call: CallOptions,
    extraKey = '',
  ): ListScope {
    return {
      namespace,
      include,
      namespaces: async () => (await this.readableNamespaces(call)).filter(include),
      queryKey: `${kind.plural}|${namespace ?? '*'}|${extraKey}`,
    };
  }

  async listCredentials(request: ListCommon, hooks: ManagerHooks = {}): Promise<Page<CredentialSummary>> {
    const call = { signal: hooks.signal };
    if (request.namespace !== undefined) this.policy.assertReadable(request.namespace);
    const [page, catalog] = await Promise.all([
      listAcross(
        this.api,
        CREDENTIAL,
        this.scope(CREDENTIAL, request.namespace, (ns) => this.policy.isReadable(ns), call),
        request,
        call,
      ),
      providerInterfaces(this.api, call, this.options.logger),
    ]);
    await this.assertListedNamespace(request, page.items.length, call);
    return {
      items: page.items.map((c) => summarizeCredential(c, catalog.interfaces)),
      ...(page.continue ? { continue: page.continue } : {}),
    };
  }

  async listTemplates(
    request: ListCommon & { scope?: TemplateScope | undefined; detail?: 'summary' | 'full' | undefined },
    hooks: ManagerHooks = {},
  ): Promise<Page<TemplateSummary>> {
    const call = { signal: hooks.signal };
    const scope = request.scope ?? 'all';
    const G = this.globalNamespace;
    let namespace = request.namespace;
    if (namespace !== undefined) {
      this.policy.assertReadable(namespace);
      if (scope === 'global' && namespace !== G) {
        throw new AppError(
          'invalidParams',
          `scope "global" means the global namespace "${G}", but namespace "${namespace}" was given; drop one of them`,
        );
      }
      if (scope === 'local' && namespace === G) {
        throw new AppError('invalidParams', `scope "local" excludes the global namespace "${G}"; use scope "global" or "all" for it`);
      }
    } else if (scope === 'global') {
      namespace = G;
    }
    const include = scope === 'local' ? (ns: string) => ns !== G && this.policy.isReadable(ns) : (ns: string) => this.policy.isReadable(ns);
    const page = await listAcross(this.api, CLUSTER_TEMPLATE, this.scope(CLUSTER_TEMPLATE, namespace, include, call, scope), request, call);
    await this.assertListedNamespace({ ...request, namespace }, page.items.length, call);
    // The summary (default) reads no schema: the outline is what makes a list large (issue 25 item 4).
    if (request.detail !== 'full') return { items: page.items.map(briefTemplate), ...(page.continue ? { continue: page.continue } : {}) };
    // Copies of a template in many namespaces (AccessManagement, chains) share one chart and schema:
    // read each distinct schema once, so the cost follows the templates, not the namespaces.
    const schemas = new Map<string, Promise<Record<string, unknown> | undefined>>();
    const schemaOf = (template: KubeObject): Promise<Record<string, unknown> | undefined> => {
      const key = `${template.metadata?.name ?? ''}|${String(template.status?.chartVersion ?? '')}|${String(template.status?.schemaConfigMapName ?? '')}`;
      let schema = schemas.get(key);
      if (!schema) {
        schema = this.templateSchema(template, call);
        schemas.set(key, schema);
      }
      return schema;
    };
    const items = await mapBounded(page.items, SCHEMA_CONCURRENCY, async (template) =>
      summarizeTemplate(template, await schemaOf(template)),
    );
    return { items, ...(page.continue ? { continue: page.continue } : {}) };
  }

  /** The template's chart JSON Schema from its `schema-ct-*` ConfigMap (cached per identity); undefined when absent or unreadable. */
  private templateSchema(template: KubeObject, call: CallOptions): Promise<Record<string, unknown> | undefined> {
    return templateSchema(this.api, template, call, this.options.logger);
  }

  async listDeployments(
    request: ListCommon & { labelSelector?: string | undefined; status?: DeploymentStatus | undefined },
    hooks: ManagerHooks = {},
  ): Promise<Page<DeploymentSummary>> {
    const call = { signal: hooks.signal };
    if (request.namespace !== undefined) this.policy.assertReadable(request.namespace);
    const wanted = request.status;
    const scope: ListScope = {
      ...this.scope(
        CLUSTER_DEPLOYMENT,
        request.namespace,
        (ns) => this.policy.isReadable(ns),
        call,
        `${request.labelSelector ?? ''}|${wanted ?? ''}`,
      ),
      // The state filter runs on each listed object: no request per deployment, pages fill with matches.
      ...(wanted !== undefined ? { keep: (o: KubeObject) => hasStatus(o, wanted) } : {}),
    };
    const page = await listAcross(this.api, CLUSTER_DEPLOYMENT, scope, request, call);
    await this.assertListedNamespace(request, page.items.length, call);
    return { items: page.items.map(summarizeDeployment), ...(page.continue ? { continue: page.continue } : {}) };
  }

  private async resolveTarget(requested: string | undefined, call: CallOptions, hooks: ManagerHooks): Promise<string> {
    const namespace = await this.policy.resolveTarget(requested, () => this.api.listNamespaces(call));
    hooks.onNamespace?.(namespace);
    return namespace;
  }

  /** Checks of the caller's config and labels that come before any API call. */
  private assertInput(request: { name: string; labels?: Record<string, string> | undefined; config?: JsonObject | undefined }): void {
    assertObjectName(request.name, 'name');
    if (request.labels) assertLabels(request.labels);
    if (request.config !== undefined) assertStructure(request.config, 'config');
  }

  async deploy(request: DeployRequest, hooks: ManagerHooks = {}): Promise<DeployResult> {
    const call = { signal: hooks.signal };
    this.assertInput(request);
    assertFieldNames(request);
    const namespace = await this.resolveTarget(request.namespace, call, hooks);
    // May I? One review (remembered per identity), before any reference is read or anything written.
    await assertMayI(this.api, { verb: 'create', group: K0RDENT_GROUP, resource: CLUSTER_DEPLOYMENT.plural, namespace }, 'deploy', call);
    const templateName = plainReference(request.template, 'template', namespace);
    const credentialName = plainReference(request.credential, 'credential', namespace);
    const { template, credential } = await checkReferences(
      this.api,
      namespace,
      this.globalNamespace,
      templateName,
      credentialName,
      call,
      () => assertNamespaceExists(this.api, this.policy, namespace, call),
    );
    const config = request.config ?? {};
    await checkTemplateConfig(this.api, template, config, call);
    await assertCredentialFits(this.api, template, credential, call);
    const fields = deployFieldsOf(request);
    await assertKcmKnows(this.api, fields, call);
    const warnings = await checkDeployFields(this.api, namespace, request.name, fields, call);
    // Where the credential takes the cluster, and a paused Region named before a write that would wait on it.
    const region = regionOf(credential);
    if (region !== undefined && (await regionState(this.api, region, call))?.paused === true) {
      if (request.wait && !request.dryRun) throw pausedRegionRefusal(region, request.name, namespace);
      warnings.push(pausedRegionWarning(region));
    }
    const extra = { ...(region !== undefined ? { region } : {}), ...(warnings.length > 0 ? { warnings } : {}) };
    const manifest = buildClusterDeployment({
      name: request.name,
      namespace,
      template: templateName,
      credential: credentialName,
      labels: request.labels,
      config,
      fields,
    });

    const existing = await this.api.get(CLUSTER_DEPLOYMENT, namespace, request.name, call);
    if (existing !== undefined) return { ...(await this.deployOverExisting(existing, manifest, request, hooks)), ...extra };

    // A create (POST), never an apply: when another caller created the name first the API server answers
    // AlreadyExists and this deploy compares with what they stored (unchanged or conflict), so two
    // concurrent deploys of one name can never both be `created`.
    let applied: KubeObject;
    try {
      applied = await this.api.create(
        CLUSTER_DEPLOYMENT,
        manifest,
        { fieldManager: this.options.fieldOwner, dryRun: request.dryRun === true },
        call,
      );
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
      const winner = await this.api.get(CLUSTER_DEPLOYMENT, namespace, request.name, call);
      if (winner !== undefined) return { ...(await this.deployOverExisting(winner, manifest, request, hooks)), ...extra };
      throw new AppError(
        'conflict',
        `ClusterDeployment ${namespace}/${request.name} was created and deleted by someone else while this deploy ran; nothing was written. Check with ${toolRef(TOOL.clustersList)}, then deploy again`,
        { reason: 'concurrentCreate' },
        { cause: error },
      );
    }
    const base = {
      name: request.name,
      namespace,
      ...(applied.metadata?.uid ? { uid: applied.metadata.uid } : {}),
      ...(applied.metadata?.resourceVersion ? { resourceVersion: applied.metadata.resourceVersion } : {}),
      ...extra,
    };
    if (request.dryRun) {
      return {
        ...base,
        status: 'dryRun',
        object: {
          metadata: { name: request.name, namespace, labels: { ...(applied.metadata?.labels ?? {}) } },
          spec: { ...(applied.spec ?? {}) },
        },
      };
    }
    const uid = applied.metadata?.uid;
    if (uid) hooks.onWritten?.({ namespace, name: request.name, uid, generation: applied.metadata?.generation ?? 1 });
    const result: DeployResult = { ...base, status: 'created' };
    if (request.wait)
      result.wait = await this.waitForReady(
        namespace,
        request.name,
        { generation: applied.metadata?.generation ?? 1, uid },
        request.wait,
        hooks,
      );
    return result;
  }

  /** Deploy creates: the same deployment again is `unchanged` (nothing written); anything else is `conflict`. */
  private async deployOverExisting(
    existing: KubeObject,
    manifest: KubeObject,
    request: DeployRequest,
    hooks: ManagerHooks,
  ): Promise<DeployResult> {
    const namespace = existing.metadata?.namespace ?? '';
    const ref = `${namespace}/${request.name}`;
    if (existing.metadata?.deletionTimestamp) {
      throw new AppError(
        'conflict',
        `ClusterDeployment ${ref} is being deleted; wait until it is gone (${toolRef(TOOL.clustersDelete)} with wait=true), then deploy again`,
        { reason: 'deleting' },
      );
    }
    const differences = deploymentDifferences(existing, manifest);
    if (differences.length > 0) {
      const paths = differences.map(describeChange);
      throw new AppError(
        'conflict',
        `ClusterDeployment ${ref} already exists and differs from this deploy in ${paths.join('; ')}. deploy only creates: change it with ${toolRef(TOOL.clustersUpdate)} (config is a merge patch), or deploy under another name`,
        { reason: 'exists', differences: paths },
      );
    }
    const base = {
      name: request.name,
      namespace,
      ...(existing.metadata?.uid ? { uid: existing.metadata.uid } : {}),
      ...(existing.metadata?.resourceVersion ? { resourceVersion: existing.metadata.resourceVersion } : {}),
    };
    const result: DeployResult = { ...base, status: 'unchanged' };
    if (existing.metadata?.uid && !request.dryRun)
      hooks.onWritten?.({ namespace, name: request.name, uid: existing.metadata.uid, generation: existing.metadata.generation ?? 1 });
    if (request.wait && !request.dryRun)
      result.wait = await this.waitForReady(
        namespace,
        request.name,
        { generation: existing.metadata?.generation ?? 1, uid: existing.metadata?.uid },
        request.wait,
        hooks,
      );
    return result;
  }

  /** Follows a deployment until kcm reconciled `target` and it is Ready or failed for it. */
  waitForReady(
    namespace: string,
    name: string,
    target: WaitTarget & { uid?: string | undefined },
    wait: WaitOptions,
    hooks: ManagerHooks,
  ): Promise<WaitOutcome> {
    return waitForGeneration({ api: this.api, logger: this.options.logger }, namespace, name, target, wait, hooks);
  }

  async update(request: UpdateRequest, hooks: ManagerHooks = {}): Promise<UpdateResult> {
    this.assertInput(request);
    return updateDeployment(
      {
        api: this.api,
        policy: this.policy,
        globalNamespace: this.globalNamespace,
        fieldOwner: this.options.fieldOwner,
        resolveTarget: (requested, call) => this.resolveTarget(requested, call, hooks),
        waitForReady: (namespace, name, target, wait) => this.waitForReady(namespace, name, target, wait, hooks),
        onWritten: hooks.onWritten,
        confirm: hooks.confirm,
      },
      request,
      { signal: hooks.signal },
    );
  }

  /**
   * Nothing to delete is a success (a retried delete finds nothing), but not a silent one: a missing
   * namespace is notFound; the exact name in another readable namespace is notFound saying where (the
   * caller meant that one, and nothing was deleted); a near miss in this namespace is named in `hint`.
   */
  private async notDeleted(namespace: string, name: string, call: CallOptions): Promise<DeleteResult> {
    const kind = NAMED_KINDS[CLUSTER_DEPLOYMENT.kind]!;
    const facts = await missingFacts(this.api, this.policy, kind, name, namespace, call);
    if (facts.existsIn.length > 0)
      throw new AppError(
        'notFound',
        `ClusterDeployment ${echo(name)} does not exist in namespace "${namespace}"; nothing was deleted. ${missingHints(facts, kind)}`,
        missingDetails(facts),
      );
    return {
      name,
      namespace,
      status: 'not_found',
      ...(facts.suggestion !== undefined
        ? { hint: `nothing named "${name}" in namespace "${namespace}", nothing was deleted. ${missingHints(facts, kind)}` }
        : {}),
    };
  }

  async delete(request: DeleteRequest, hooks: ManagerHooks = {}): Promise<DeleteResult> {
    const call = { signal: hooks.signal };
    assertObjectName(request.name, 'name');
    const namespace = await this.resolveTarget(request.namespace, call, hooks);
    await assertMayI(
      this.api,
      { verb: 'delete', group: K0RDENT_GROUP, resource: CLUSTER_DEPLOYMENT.plural, namespace, name: request.name },
      'delete',
      call,
    );
    // The object is read first when the user is asked (what will go) or a task follows it (its uid).
    const existing = hooks.confirm || hooks.onWritten ? await this.api.get(CLUSTER_DEPLOYMENT, namespace, request.name, call) : undefined;
    if ((hooks.confirm || hooks.onWritten) && existing === undefined) return this.notDeleted(namespace, request.name, call);
    // Nothing to confirm for an object that is already being deleted: the call changes nothing.
    if (hooks.confirm && existing !== undefined && !existing.metadata?.deletionTimestamp) {
      const answer = await hooks.confirm({ message: describeDeletion(existing, namespace, request.name), name: request.name });
      if (!answer.confirmed)
        return {
          name: request.name,
          namespace,
          status: 'cancelled',
          reason: `${answer.reason}; nothing was deleted`,
          object: declinedObject(existing),
        };
    }
    // The object read (and confirmed) is the one deleted: its uid is a precondition of the DELETE, so one
    // re-created under the same name meanwhile is a conflict, not deleted.
    const confirmedUid = existing?.metadata?.uid;
    let status: 'deleted' | 'not_found';
    try {
      status = await this.api.delete(CLUSTER_DEPLOYMENT, namespace, request.name, call, { uid: confirmedUid });
    } catch (error) {
      if (!isPreconditionFailed(error)) throw error;
      throw new AppError(
        'conflict',
        `ClusterDeployment ${namespace}/${request.name} was replaced by another object of the same name (uid ${confirmedUid ?? ''} was ${hooks.confirm ? 'confirmed' : 'read'}); nothing was deleted. Look at the new one with ${toolRef(TOOL.clustersGet)} and call ${toolRef(TOOL.clustersDelete)} again to delete it`,
        { reason: 'replaced', uid: confirmedUid },
        { cause: error },
      );
    }
    if (status === 'not_found') return this.notDeleted(namespace, request.name, call);
    const uid = existing?.metadata?.uid;
    if (uid) hooks.onWritten?.({ namespace, name: request.name, uid, generation: existing?.metadata?.generation ?? 1 });
    const result: DeleteResult = { name: request.name, namespace, status };
    if (status === 'deleted' && request.wait) {
      result.wait = await waitForDeletion(
        { api: this.api, logger: this.options.logger },
        namespace,
        request.name,
        { uid, spec: existing?.spec },
        request.wait,
        hooks,
      );
    }
    return result;
  }
}

/**
 * The cluster manager: credentials, templates and ClusterDeployments as an injected Kubernetes
 * identity, inside the namespaces the policy allows. Knows Kubernetes and k0rdent, nothing of MCP.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeIdentity } from '../kube/identity.js';
import type { Logger } from 'pino';
import { AppError } from '../errors.js';
import { conditionsAreStale, conditionsFingerprint, describePhase, failedCondition, isReady, readConditions } from '../k0rdent/conditions.js';
import { CLUSTER_DEPLOYMENT, CLUSTER_TEMPLATE, CREDENTIAL, type K0rdentResource } from '../k0rdent/resources.js';
import type { NamespacePolicy } from '../policy/index.js';
import { assertObjectName } from '../policy/names.js';
import { appliedNothing, assertLabels, assertUpgradeAllowed, buildClusterDeployment, checkReferences, checkTemplateConfig, plainReference } from './deploy.js';
import { K0rdentApi, type CallOptions, type KubeObject } from './kube-api.js';
import { listAccessOf } from './list-access.js';
import { listAcross, type ListScope } from './listing.js';
import { templateSchema } from './template-schemas.js';
import { compactConditions, summarizeCredential, summarizeDeployment, summarizeTemplate } from './summaries.js';
import type {
  CredentialSummary,
  DeleteRequest,
  DeleteResult,
  DeployRequest,
  DeployResult,
  DeploymentSummary,
  ListCommon,
  OperationHooks,
  Page,
  TemplateScope,
  TemplateSummary,
  WaitError,
  WaitOutcome,
} from './types.js';
import { waitFor, type WaitResult } from './wait.js';

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

/** What a wait ended by the server's shutdown tells the caller: the object carries on without it. */
function interruption(outcome: WaitResult, continues: string): { interrupted?: true; note?: string } {
  if (!outcome.interrupted) return {};
  return { interrupted: true, note: `the server is shutting down and stopped waiting; ${continues}: follow it with k0.clusters.get, k0.clusters.list or its task` };
}

export class ClusterManager {
  readonly api: K0rdentApi;
  private readonly policy: NamespacePolicy;
  private readonly globalNamespace: string;

  constructor(private readonly options: ClusterManagerOptions) {
    this.api = new K0rdentApi(options.kube, { ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}) });
    this.policy = options.namespaces;
    this.globalNamespace = options.namespaces.rules.globalNamespace;
  }

  /** Existing readable namespaces (G always); when namespaces cannot be listed, only G. The names are remembered for a short TTL (list-access.ts). */
  private async readableNamespaces(call: CallOptions): Promise<string[]> {
    try {
      return this.policy.readable(await listAccessOf(this.api).namespaces(() => this.api.listNamespaces(call)));
    } catch (error) {
      if (error instanceof AppError && error.code === 'forbidden') {
        this.options.logger.warn({ namespace: this.globalNamespace }, 'namespaces cannot be listed with this identity; listing only the global namespace');
        return [this.globalNamespace];
      }
      throw error;
    }
  }

  private scope(kind: K0rdentResource, namespace: string | undefined, include: (ns: string) => boolean, call: CallOptions, extraKey = ''): ListScope {
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
    const page = await listAcross(this.api, CREDENTIAL, this.scope(CREDENTIAL, request.namespace, (ns) => this.policy.isReadable(ns), call), request, call);
    return { items: page.items.map(summarizeCredential), ...(page.continue ? { continue: page.continue } : {}) };
  }

  async listTemplates(request: ListCommon & { scope?: TemplateScope | undefined }, hooks: ManagerHooks = {}): Promise<Page<TemplateSummary>> {
    const call = { signal: hooks.signal };
    const scope = request.scope ?? 'all';
    const G = this.globalNamespace;
    let namespace = request.namespace;
    if (namespace !== undefined) {
      this.policy.assertReadable(namespace);
      if (scope === 'global' && namespace !== G) {
        throw new AppError('invalidParams', `scope "global" means the global namespace "${G}", but namespace "${namespace}" was given; drop one of them`);
      }
      if (scope === 'local' && namespace === G) {
        throw new AppError('invalidParams', `scope "local" excludes the global namespace "${G}"; use scope "global" or "all" for it`);
      }
    } else if (scope === 'global') {
      namespace = G;
    }
    const include = scope === 'local' ? (ns: string) => ns !== G && this.policy.isReadable(ns) : (ns: string) => this.policy.isReadable(ns);
    const page = await listAcross(this.api, CLUSTER_TEMPLATE, this.scope(CLUSTER_TEMPLATE, namespace, include, call, scope), request, call);
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
    const items = await mapBounded(page.items, SCHEMA_CONCURRENCY, async (template) => summarizeTemplate(template, await schemaOf(template)));
    return { items, ...(page.continue ? { continue: page.continue } : {}) };
  }

  /** The template's chart JSON Schema from its `schema-ct-*` ConfigMap (cached per identity); undefined when absent or unreadable. */
  private templateSchema(template: KubeObject, call: CallOptions): Promise<Record<string, unknown> | undefined> {
    return templateSchema(this.api, template, call, this.options.logger);
  }

  async listDeployments(request: ListCommon & { labelSelector?: string | undefined }, hooks: ManagerHooks = {}): Promise<Page<DeploymentSummary>> {
    const call = { signal: hooks.signal };
    if (request.namespace !== undefined) this.policy.assertReadable(request.namespace);
    const scope = this.scope(CLUSTER_DEPLOYMENT, request.namespace, (ns) => this.policy.isReadable(ns), call, request.labelSelector ?? '');
    const page = await listAcross(this.api, CLUSTER_DEPLOYMENT, scope, request, call);
    return { items: page.items.map(summarizeDeployment), ...(page.continue ? { continue: page.continue } : {}) };
  }

  private async resolveTarget(requested: string | undefined, call: CallOptions, hooks: ManagerHooks): Promise<string> {
    const namespace = await this.policy.resolveTarget(requested, () => this.api.listNamespaces(call));
    hooks.onNamespace?.(namespace);
    return namespace;
  }

  async deploy(request: DeployRequest, hooks: ManagerHooks = {}): Promise<DeployResult> {
    const call = { signal: hooks.signal };
    assertObjectName(request.name, 'name');
    if (request.labels) assertLabels(request.labels);
    const namespace = await this.resolveTarget(request.namespace, call, hooks);
    const templateName = plainReference(request.template, 'template', namespace);
    const credentialName = plainReference(request.credential, 'credential', namespace);
    const { template } = await checkReferences(this.api, namespace, this.globalNamespace, templateName, credentialName, call);

    const existing = await this.api.get(CLUSTER_DEPLOYMENT, namespace, request.name, call);
    if (existing?.metadata?.deletionTimestamp) {
      throw new AppError('conflict', `ClusterDeployment ${namespace}/${request.name} is being deleted; wait until it is gone (k0.clusters.delete with wait=true), then deploy again`);
    }
    if (existing) assertUpgradeAllowed(existing, templateName);
    const config = request.config ?? {};
    await checkTemplateConfig(this.api, template, config, call);
    const manifest = buildClusterDeployment({ name: request.name, namespace, template: templateName, credential: credentialName, labels: request.labels, config });
    const applied = await this.api.apply(CLUSTER_DEPLOYMENT, manifest, { fieldManager: this.options.fieldOwner, dryRun: request.dryRun === true }, call);
    const uid = applied.metadata?.uid;
    const resourceVersion = applied.metadata?.resourceVersion;
    const base = { name: request.name, namespace, ...(uid ? { uid } : {}), ...(resourceVersion ? { resourceVersion } : {}) };
    if (request.dryRun) {
      return {
        ...base,
        status: 'dryRun',
        object: { metadata: { name: request.name, namespace, labels: { ...(applied.metadata?.labels ?? {}) } }, spec: { ...(applied.spec ?? {}) } },
      };
    }
    const status = existing === undefined ? 'created' : appliedNothing(existing, applied) ? 'unchanged' : 'updated';
    if (uid) hooks.onWritten?.({ namespace, name: request.name, uid, generation: applied.metadata?.generation ?? 1 });
    const result: DeployResult = { ...base, status };
    if (request.wait) result.wait = await this.waitForReady(namespace, request.name, request.wait, hooks);
    return result;
  }

  private async waitForReady(namespace: string, name: string, wait: NonNullable<DeployRequest['wait']>, hooks: ManagerHooks): Promise<WaitOutcome> {
    const outcome = await waitFor({
      api: this.api,
      resource: CLUSTER_DEPLOYMENT,
      namespace,
      name,
      pollIntervalMs: wait.pollIntervalMs,
      timeoutMs: wait.timeoutMs,
      stallThresholdMs: wait.stallThresholdMs,
      signal: hooks.signal,
      interrupt: hooks.interrupt,
      onProgress: hooks.onProgress,
      onWarning: hooks.onWarning,
      logger: this.options.logger,
      evaluate: (object) => {
        if (object === undefined) return { done: true, fingerprint: 'gone', message: 'the ClusterDeployment was deleted while waiting' };
        const conditions = readConditions(object.status);
        const deleting = Boolean(object.metadata?.deletionTimestamp);
        const generation = object.metadata?.generation;
        if (!deleting && conditionsAreStale(generation, object.status, conditions)) {
          return { done: false, fingerprint: `stale|${generation}|${conditionsFingerprint(conditions)}`, message: `Pending (kcm has not yet observed generation ${generation})` };
        }
        return {
          done: isReady(conditions) || failedCondition(conditions) !== undefined || deleting,
          fingerprint: `${deleting}|${conditionsFingerprint(conditions)}`,
          message: describePhase(conditions, deleting),
        };
      },
    });
    const conditions = readConditions(outcome.last?.status);
    const stale = conditionsAreStale(outcome.last?.metadata?.generation, outcome.last?.status, conditions);
    const failed = stale ? undefined : failedCondition(conditions);
    return {
      ready: !stale && isReady(conditions),
      timedOut: outcome.timedOut,
      phase: outcome.message,
      conditions: compactConditions(conditions),
      ...(failed ? { failure: `${failed.type}: ${failed.message ?? failed.reason ?? 'failed'}` } : {}),
      ...this.waitError(outcome, namespace, name),
      ...interruption(outcome, 'the deployment continues'),
    };
  }

  /**
   * The apply/delete already succeeded when a wait ends on an API failure (an expired token, RBAC without
   * `watch`): the result says so, with the failure, instead of the call failing. Logged as a warning.
   */
  private waitError(outcome: WaitResult, namespace: string, name: string): { waitError?: WaitError } {
    if (!outcome.error) return {};
    const { code, message } = outcome.error;
    this.options.logger.warn({ namespace, cluster: name, errorCode: code, error: message }, `the wait for ClusterDeployment ${namespace}/${name} ended early: ${code}`);
    return { waitError: { code, message } };
  }

  async delete(request: DeleteRequest, hooks: ManagerHooks = {}): Promise<DeleteResult> {
    const call = { signal: hooks.signal };
    assertObjectName(request.name, 'name');
    const namespace = await this.resolveTarget(request.namespace, call, hooks);
    // The object is read first when the user is asked (what will go) or a task follows it (its uid).
    const existing = hooks.confirm || hooks.onWritten ? await this.api.get(CLUSTER_DEPLOYMENT, namespace, request.name, call) : undefined;
    // Nothing to confirm for an object that is absent or already being deleted: the call changes nothing.
    if (hooks.confirm && existing !== undefined && !existing.metadata?.deletionTimestamp) {
      const answer = await hooks.confirm({ message: describeDeletion(existing, namespace, request.name), name: request.name });
      if (!answer.confirmed) return { name: request.name, namespace, status: 'cancelled', reason: answer.reason };
    }
    const status = await this.api.delete(CLUSTER_DEPLOYMENT, namespace, request.name, call);
    const uid = existing?.metadata?.uid;
    if (status === 'deleted' && uid) hooks.onWritten?.({ namespace, name: request.name, uid, generation: existing?.metadata?.generation ?? 1 });
    const result: DeleteResult = { name: request.name, namespace, status };
    if (status === 'deleted' && request.wait) {
      const outcome = await waitFor({
        api: this.api,
        resource: CLUSTER_DEPLOYMENT,
        namespace,
        name: request.name,
        pollIntervalMs: request.wait.pollIntervalMs,
        timeoutMs: request.wait.timeoutMs,
        stallThresholdMs: request.wait.stallThresholdMs,
        signal: hooks.signal,
        interrupt: hooks.interrupt,
        onProgress: hooks.onProgress,
        onWarning: hooks.onWarning,
        logger: this.options.logger,
        evaluate: (object) => {
          if (object === undefined) return { done: true, fingerprint: 'gone', message: 'Deleted' };
          const conditions = readConditions(object.status);
          return { done: false, fingerprint: conditionsFingerprint(conditions), message: describePhase(conditions, true) };
        },
      });
      const conditions = readConditions(outcome.last?.status);
      result.wait = {
        gone: outcome.done,
        timedOut: outcome.timedOut,
        phase: outcome.message,
        conditions: compactConditions(conditions),
        ...this.waitError(outcome, namespace, request.name),
        ...interruption(outcome, 'the deletion continues'),
      };
    }
    return result;
  }
}

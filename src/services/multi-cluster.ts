/**
 * MultiClusterServices written (issue 22 item 5): create or change one (clusterSelector, serviceSpec.services,
 * dependsOn) and delete one. A MultiClusterService is cluster-scoped, so the namespace rules gate it through
 * the clusters it reaches: every ClusterDeployment its selector matches now (and, for a change, matched before)
 * must be in a namespace this server may change. Every call first computes the clusters the selector matches
 * (`matchingClusters`, a dry run sends nothing); a change that removes services or takes them off clusters,
 * and every delete, asks for confirmation; the write carries the resourceVersion it was computed from.
 * kcm v1.11.4 shapes: api/v1beta1/multiclusterservice_types.go:316-336 (spec), :84-142 (Service); the
 * services' templates live in the system namespace (internal/controller/multiclusterservice_controller.go).
 */
import { isDeepStrictEqual } from 'node:util';
import { TOOL, toolRef } from '../tool-names.js';
import { AppError, echo } from '../errors.js';
import type { CallOptions, K0rdentApi, KubeObject } from '../kube/k0rdent-api.js';
import type { ManagerHooks } from '../clusters/manager.js';
import type { NamespacePolicy } from '../policy/index.js';
import { assertObjectName, isDns1123Label } from '../policy/names.js';
import { nearestName } from '../shared/suggest.js';
import { isJsonObject, type JsonObject } from '../shared/config-schema.js';
import { MAX_WRITE_ATTEMPTS, backoff, isAlreadyExists, isPreconditionFailed, isStaleWrite } from '../shared/optimistic.js';
import {
  CLUSTER_DEPLOYMENT,
  DEFAULT_SERVICE_NAMESPACE,
  DEPLOYMENT_MANAGED_LABELS,
  K0RDENT_API_VERSION,
  MULTI_CLUSTER_SERVICE,
} from '../k0rdent/resources.js';
import { checkServiceTemplate, checkValues } from './checks.js';
import { assertSelector, selectorQuery, type ClusterSelector } from './cluster-selector.js';
import { defaultServiceName } from './summaries.js';
import type {
  ApplyMultiClusterServiceRequest,
  ApplyMultiClusterServiceResult,
  DeleteMultiClusterServiceRequest,
  DeleteMultiClusterServiceResult,
} from './types.js';

interface ClusterRef {
  name: string;
  namespace: string;
}

interface Matching {
  /** Readable ones. */
  clusters: ClusterRef[];
  hidden: number;
  /** Every matching cluster, readable or not (for the write check). */
  all: ClusterRef[];
}

const refText = (c: ClusterRef): string => `${c.namespace}/${c.name}`;
const MAX_PAGES = 20;

function label(value: string, field: string): void {
  if (!isDns1123Label(value))
    throw new AppError(
      'invalidParams',
      `${field} "${value.slice(0, 100)}" is not a valid name: kcm requires a DNS-1123 label (lower case letters, digits and '-', at most 63 characters)`,
    );
}

function selectorOf(object: KubeObject | undefined): ClusterSelector {
  const raw = object?.spec?.clusterSelector;
  if (!isJsonObject(raw)) return {};
  return {
    ...(isJsonObject(raw.matchLabels) ? { matchLabels: raw.matchLabels as Record<string, string> } : {}),
    ...(Array.isArray(raw.matchExpressions) ? { matchExpressions: raw.matchExpressions as ClusterSelector['matchExpressions'] } : {}),
  };
}

function servicesOf(object: KubeObject | undefined): JsonObject[] {
  const spec = object?.spec?.serviceSpec;
  return isJsonObject(spec) && Array.isArray(spec.services) ? spec.services.filter(isJsonObject) : [];
}

const serviceKey = (s: JsonObject): string =>
  `${typeof s.namespace === 'string' && s.namespace !== '' ? s.namespace : DEFAULT_SERVICE_NAMESPACE}/${String(s.name)}`;

function dependsOnOf(object: KubeObject | undefined): string[] {
  const raw = object?.spec?.dependsOn;
  return Array.isArray(raw) ? raw.filter((d): d is string => typeof d === 'string') : [];
}

/** A clean selector for the manifest (no empty members). */
function selectorManifest(selector: ClusterSelector): JsonObject {
  return {
    ...(Object.keys(selector.matchLabels ?? {}).length > 0 ? { matchLabels: selector.matchLabels } : {}),
    ...((selector.matchExpressions ?? []).length > 0
      ? {
          matchExpressions: (selector.matchExpressions ?? []).map((e) => ({
            key: e.key,
            operator: e.operator,
            ...(e.values && e.values.length > 0 ? { values: e.values } : {}),
          })),
        }
      : {}),
  };
}

export class MultiClusterServiceWriter {
  constructor(
    private readonly api: K0rdentApi,
    private readonly policy: NamespacePolicy,
    private readonly fieldOwner: string,
  ) {}

  /** The ClusterDeployments `selector` matches now (not being deleted), split by what this caller may see. */
  async matching(selector: ClusterSelector, call: CallOptions): Promise<Matching> {
    const query = selectorQuery(selector);
    if (query === undefined) return { clusters: [], hidden: 0, all: [] };
    const items: KubeObject[] = [];
    try {
      let next: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const got = await this.api.list(CLUSTER_DEPLOYMENT, { labelSelector: query, limit: 500, continue: next }, call);
        items.push(...got.items);
        next = got.continue;
        if (next === undefined) break;
      }
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'forbidden') throw error;
      // Every matching cluster must be checked against the rules; without a cluster-wide list that is only possible with no filter.
      if (this.policy.rules.filter !== undefined)
        throw new AppError(
          'forbidden',
          `a MultiClusterService reaches every ClusterDeployment its selector matches in any namespace, and this identity may not list ClusterDeployments in all namespaces, so the clusters it would reach cannot be checked against the namespaces this server may change; nothing was written`,
          { cause: error.message },
        );
      const namespaces = this.policy.readable(await this.api.listNamespaces(call).catch(() => [this.policy.rules.globalNamespace]));
      for (const ns of namespaces) {
        const got = await this.api
          .list(CLUSTER_DEPLOYMENT, { namespace: ns, labelSelector: query, limit: 500 }, call)
          .catch(() => undefined);
        if (got) items.push(...got.items);
      }
    }
    const all = items
      .filter((d) => !d.metadata?.deletionTimestamp)
      .map((d) => ({ name: d.metadata?.name ?? '', namespace: d.metadata?.namespace ?? '' }))
      .sort((a, b) => refText(a).localeCompare(refText(b)));
    const clusters = all.filter((c) => this.policy.isReadable(c.namespace));
    return { clusters, hidden: all.length - clusters.length, all };
  }

  /** The rules gate a cluster-scoped write through the clusters it reaches. */
  private assertReachable(name: string, reached: ClusterRef[]): void {
    const blocked = reached.filter((c) => !this.policy.isWritable(c.namespace));
    if (blocked.length === 0) return;
    const shown = blocked.filter((c) => this.policy.isReadable(c.namespace)).slice(0, 10);
    throw new AppError(
      'forbidden',
      `MultiClusterService ${name} would reach ${blocked.length} ClusterDeployment(s) in namespaces this server may not change${shown.length > 0 ? ` (${shown.map(refText).join(', ')})` : ''}; narrow clusterSelector to clusters in namespaces it may change. Nothing was written`,
      { clusters: blocked.length },
    );
  }

  private async existingNames(call: CallOptions): Promise<string[]> {
    const page = await this.api.list(MULTI_CLUSTER_SERVICE, { limit: 500 }, call).catch(() => ({ items: [] as KubeObject[] }));
    return page.items.map((m) => m.metadata?.name ?? '').filter((n) => n !== '');
  }

  /** The entries as kcm stores them, each checked as kcm's webhook and Helm will (templates in the system namespace). */
  private async entries(request: ApplyMultiClusterServiceRequest, call: CallOptions): Promise<JsonObject[]> {
    const global = this.policy.rules.globalNamespace;
    if (request.services.length === 0)
      throw new AppError(
        'invalidParams',
        `services is empty: a MultiClusterService needs at least one service; to remove it use ${toolRef(TOOL.multiClusterServicesDelete)}`,
      );
    const out: JsonObject[] = [];
    for (const [i, s] of request.services.entries()) {
      const at = `services[${i}]`;
      if (s.name !== undefined) label(s.name, `${at}.name`);
      const namespace = s.namespace ?? DEFAULT_SERVICE_NAMESPACE;
      label(namespace, `${at}.namespace`);
      const dependsOn = (s.dependsOn ?? []).map((d) => {
        const [ns, name] = d.includes('/') ? d.split('/', 2) : [DEFAULT_SERVICE_NAMESPACE, d];
        label(ns ?? '', `${at}.dependsOn namespace`);
        label(name ?? '', `${at}.dependsOn name`);
        return { name: name ?? '', namespace: ns ?? DEFAULT_SERVICE_NAMESPACE };
      });
      const template = await checkServiceTemplate(this.api, global, s.template, call);
      const values = await checkValues(this.api, template, s.values, call);
      const name = s.name ?? defaultServiceName(template);
      label(name, `${at}.name (from the template; pass name)`);
      out.push({
        name,
        namespace,
        template: s.template,
        ...(values !== undefined && values !== '' ? { values } : {}),
        ...(dependsOn.length > 0 ? { dependsOn } : {}),
      });
    }
    const keys = out.map(serviceKey);
    const twice = keys.find((k, i) => keys.indexOf(k) !== i);
    if (twice !== undefined)
      throw new AppError(
        'invalidParams',
        `services names ${twice} twice: each service needs its own name/namespace; pass name to tell them apart`,
      );
    // kcm internal/util/validation/services.go ValidateServiceDependencyOverall: dependencies are services of the same spec.
    for (const s of out) {
      for (const d of (s.dependsOn as JsonObject[] | undefined) ?? []) {
        const key = serviceKey(d);
        if (key === serviceKey(s))
          throw new AppError('invalidParams', `service ${key} cannot depend on itself; remove it from its dependsOn`);
        if (!keys.includes(key)) {
          const nearest = nearestName(key, keys);
          throw new AppError(
            'invalidParams',
            `service ${serviceKey(s)} depends on ${key}, which is not a service of this MultiClusterService (its services: ${keys.join(', ')}).${nearest ? ` Did you mean "${nearest}"?` : ''}`,
          );
        }
      }
    }
    return out;
  }

  private async checkDependsOn(name: string, dependsOn: string[], call: CallOptions): Promise<void> {
    if (dependsOn.includes(name))
      throw new AppError('invalidParams', `MultiClusterService ${name} cannot depend on itself; remove it from dependsOn`);
    if (dependsOn.length === 0) return;
    const names = await this.existingNames(call);
    const missing = dependsOn.filter((d) => !names.includes(d));
    if (missing.length === 0) return;
    const nearest = nearestName(missing[0]!, names);
    throw new AppError(
      'invalidParams',
      `dependsOn names ${missing.map((m) => `"${m}"`).join(', ')}, not an existing MultiClusterService (there are: ${names.slice(0, 20).join(', ') || 'none'}; see ${toolRef(TOOL.multiClusterServicesList)}).${nearest ? ` Did you mean "${nearest}"?` : ''}`,
      { missing, ...(nearest ? { nearest } : {}) },
    );
  }

  /** What applying `services`/`selector`/`dependsOn` over `existing` changes, and whether any of it takes services away. */
  private changes(
    existing: KubeObject | undefined,
    selector: ClusterSelector,
    services: JsonObject[],
    dependsOn: string[],
    before: Matching,
    after: Matching,
  ): { changes: string[]; destructive: string[] } {
    const changes: string[] = [];
    const destructive: string[] = [];
    const oldSelector = selectorQuery(selectorOf(existing)) ?? '(empty: no cluster)';
    const newSelector = selectorQuery(selector) ?? '(empty: no cluster)';
    if (existing === undefined) changes.push(`create MultiClusterService with clusterSelector ${newSelector}`);
    else if (oldSelector !== newSelector) changes.push(`clusterSelector: ${oldSelector} → ${newSelector}`);
    const old = new Map(servicesOf(existing).map((s) => [serviceKey(s), s]));
    const now = new Map(services.map((s) => [serviceKey(s), s]));
    for (const [key, s] of now) {
      const was = old.get(key);
      if (was === undefined) changes.push(`+ service ${key} (${String(s.template)})`);
      else
        for (const field of ['template', 'values', 'dependsOn'])
          if (!isDeepStrictEqual(was[field], s[field]))
            changes.push(`~ service ${key} ${field}: ${echo(was[field] ?? '(none)', 120)} → ${echo(s[field] ?? '(none)', 120)}`);
    }
    for (const key of old.keys())
      if (!now.has(key)) {
        const line = `- service ${key} (kcm uninstalls it from every matching cluster)`;
        changes.push(line);
        destructive.push(line);
      }
    const oldDeps = dependsOnOf(existing);
    if (!isDeepStrictEqual([...oldDeps].sort(), [...dependsOn].sort()))
      changes.push(`dependsOn: [${oldDeps.join(', ')}] → [${dependsOn.join(', ')}]`);
    const beforeKeys = new Set(before.all.map(refText));
    const afterKeys = new Set(after.all.map(refText));
    for (const c of after.clusters) if (!beforeKeys.has(refText(c))) changes.push(`+ cluster ${refText(c)} gets the services`);
    for (const c of before.clusters)
      if (!afterKeys.has(refText(c))) {
        const line = `- cluster ${refText(c)} no longer matches: kcm uninstalls the services there`;
        changes.push(line);
        destructive.push(line);
      }
    const hiddenLeaving = before.all.filter((c) => !afterKeys.has(refText(c)) && !this.policy.isReadable(c.namespace)).length;
    if (hiddenLeaving > 0) {
      const line = `- ${hiddenLeaving} cluster(s) in namespaces this server may not show no longer match`;
      changes.push(line);
      destructive.push(line);
    }
    return { changes, destructive };
  }

  async apply(request: ApplyMultiClusterServiceRequest, hooks: ManagerHooks = {}): Promise<ApplyMultiClusterServiceResult> {
    const call = { signal: hooks.signal };
    assertObjectName(request.name, 'name');
    const selector = request.clusterSelector ?? {};
    assertSelector(selector);
    const dependsOn = [...new Set(request.dependsOn ?? [])];
    for (const d of dependsOn) assertObjectName(d, 'dependsOn');
    const services = await this.entries(request, call);
    await this.checkDependsOn(request.name, dependsOn, call);
    const after = await this.matching(selector, call);
    this.assertReachable(request.name, after.all);

    let existing = await this.api.getClusterScoped(MULTI_CLUSTER_SERVICE, request.name, call);
    const spec: JsonObject = {
      clusterSelector: selectorManifest(selector),
      serviceSpec: { services },
      ...(dependsOn.length > 0 ? { dependsOn } : {}),
    };
    const base = (matching: Matching) => ({
      name: request.name,
      matchingClusters: matching.clusters.map(refText),
      hiddenClusters: matching.hidden,
    });

    let confirmed: string[] | undefined;
    for (let attempt = 1; ; attempt++) {
      if (existing?.metadata?.deletionTimestamp)
        throw new AppError('conflict', `MultiClusterService ${request.name} is being deleted; wait until it is gone, then apply again`);
      const before = existing ? await this.matching(selectorOf(existing), call) : { clusters: [], hidden: 0, all: [] };
      this.assertReachable(request.name, before.all);
      const { changes, destructive } = this.changes(existing, selector, services, dependsOn, before, after);
      if (request.dryRun) return { ...base(after), status: 'dryRun', changes };
      if (existing !== undefined && changes.length === 0) return { ...base(after), status: 'unchanged', changes };
      // A retry after kcm's status moved asks again only when what it takes away changed.
      if (destructive.length > 0 && hooks.confirm && !isDeepStrictEqual(confirmed, destructive)) {
        const answer = await hooks.confirm({
          message: `Change MultiClusterService ${request.name}:\n${destructive.join('\n')}`,
          name: request.name,
        });
        if (!answer.confirmed) return { ...base(after), status: 'cancelled', changes, reason: answer.reason };
        confirmed = destructive;
      }
      const { uid, resourceVersion } = existing?.metadata ?? {};
      const manifest = {
        apiVersion: K0RDENT_API_VERSION,
        kind: MULTI_CLUSTER_SERVICE.kind,
        metadata: {
          name: request.name,
          ...(existing === undefined ? { labels: { ...DEPLOYMENT_MANAGED_LABELS } } : {}),
          ...(uid ? { uid } : {}),
          ...(resourceVersion ? { resourceVersion } : {}),
        },
        spec,
      };
      try {
        // A create is a POST, so two creators of one name never both hear `created`; a change is an apply that carries
        // the resourceVersion it was computed (and confirmed) from.
        const written =
          existing === undefined
            ? await this.api.createClusterScoped(MULTI_CLUSTER_SERVICE, manifest, { fieldManager: this.fieldOwner }, call)
            : await this.api.applyClusterScoped(MULTI_CLUSTER_SERVICE, manifest, { fieldManager: this.fieldOwner, force: true }, call);
        const status =
          existing === undefined ? 'created' : written.metadata?.generation === existing.metadata?.generation ? 'unchanged' : 'updated';
        return { ...base(after), status, changes };
      } catch (error) {
        if (!isStaleWrite(error) && !isAlreadyExists(error)) throw error;
        const now = await this.api.getClusterScoped(MULTI_CLUSTER_SERVICE, request.name, call);
        // Only kcm's status moved (same object, same generation): compute again and retry; anything else is a lost race.
        const statusOnly =
          existing !== undefined &&
          now?.metadata?.uid === existing.metadata?.uid &&
          now?.metadata?.generation === existing.metadata?.generation;
        if (!statusOnly || attempt >= MAX_WRITE_ATTEMPTS)
          throw new AppError(
            'conflict',
            `MultiClusterService ${request.name} was ${existing === undefined ? 'created' : now === undefined ? 'deleted' : 'changed'} by another writer while this call ran; nothing was written. Look at it with ${toolRef(TOOL.multiClusterServicesList)} and call again`,
            { reason: 'concurrentUpdate' },
            { cause: error },
          );
        await backoff(attempt);
        existing = now;
      }
    }
  }

  async delete(request: DeleteMultiClusterServiceRequest, hooks: ManagerHooks = {}): Promise<DeleteMultiClusterServiceResult> {
    const call = { signal: hooks.signal };
    assertObjectName(request.name, 'name');
    let existing = await this.api.getClusterScoped(MULTI_CLUSTER_SERVICE, request.name, call);
    const services = (object: KubeObject | undefined) => servicesOf(object).map((s) => `${serviceKey(s)} (${String(s.template ?? '')})`);
    if (existing === undefined) {
      const names = await this.existingNames(call);
      const nearest = nearestName(request.name, names);
      if (nearest !== undefined)
        throw new AppError(
          'notFound',
          `MultiClusterService ${echo(request.name)} does not exist; nothing was deleted. Did you mean "${nearest}"? ${toolRef(TOOL.multiClusterServicesList)} lists the MultiClusterServices there are.`,
          // The details of the one not-found shape (src/shared/not-found.ts); cluster-scoped, so no existsIn.
          {
            kind: MULTI_CLUSTER_SERVICE.kind,
            name: request.name,
            suggestion: nearest,
            nearest,
            listTool: toolRef(TOOL.multiClusterServicesList),
          },
        );
      return { name: request.name, status: 'not_found', matchingClusters: [], hiddenClusters: 0, services: [] };
    }
    let confirmed = false;
    for (let attempt = 1; ; attempt++) {
      const matching = await this.matching(selectorOf(existing), call);
      this.assertReachable(request.name, matching.all);
      const base = {
        name: request.name,
        matchingClusters: matching.clusters.map(refText),
        hiddenClusters: matching.hidden,
        services: services(existing),
      };
      if (request.dryRun) return { ...base, status: 'dryRun' };
      if (hooks.confirm && !confirmed && !existing.metadata?.deletionTimestamp) {
        const list = matching.clusters.map(refText).join(', ') || 'none';
        const answer = await hooks.confirm({
          message: `Delete MultiClusterService ${request.name}: kcm uninstalls ${base.services.join(', ') || 'its services'} from ${matching.all.length} cluster(s) (${list}${matching.hidden > 0 ? ` and ${matching.hidden} not shown` : ''}).`,
          name: request.name,
        });
        if (!answer.confirmed) return { ...base, status: 'cancelled', reason: answer.reason };
        confirmed = true;
      }
      try {
        const status = await this.api.deleteClusterScoped(
          MULTI_CLUSTER_SERVICE,
          request.name,
          { uid: existing.metadata?.uid, resourceVersion: existing.metadata?.resourceVersion },
          call,
        );
        return { ...base, status };
      } catch (error) {
        const resourceVersionMoved =
          error instanceof AppError && error.code === 'conflict' && /ResourceVersion in (the )?precondition/.test(error.message);
        if (!resourceVersionMoved && !isPreconditionFailed(error)) throw error;
        const now = await this.api.getClusterScoped(MULTI_CLUSTER_SERVICE, request.name, call);
        if (now === undefined) return { ...base, status: 'not_found' };
        const statusOnly = now.metadata?.uid === existing.metadata?.uid && now.metadata?.generation === existing.metadata?.generation;
        if (!statusOnly || attempt >= MAX_WRITE_ATTEMPTS)
          throw new AppError(
            'conflict',
            `MultiClusterService ${request.name} was ${now.metadata?.uid === existing.metadata?.uid ? 'changed' : 'replaced'} by another writer after it was read${hooks.confirm ? ' and confirmed' : ''}; nothing was deleted. Look at it with ${toolRef(TOOL.multiClusterServicesList)} and call again`,
            { reason: 'concurrentUpdate' },
            { cause: error },
          );
        await backoff(attempt);
        existing = now;
      }
    }
  }
}

/**
 * Resource endpoints: dispatch by method and path shape, authorization, list (selectors, limit/continue),
 * get, watch and delete (propagationPolicy, preconditions, dryRun). Writes live in ./writes.ts.
 */
import { authorize } from './auth.js';
import { ApiError, badRequest, conflict, expired, methodNotAllowed, notFound, unsupportedMediaType } from './errors.js';
import type { Faults } from './faults.js';
import type { ApiServerMetrics } from './metrics.js';
import { mediaType, parseBody, readBody, sendJson, truthy, type RequestContext } from './http.js';
import { PROTOBUF } from './protobuf.js';
import { apiVersionOf, dryRunOf, invalidOptions, nowTimestamp, type Target } from './request-options.js';
import {
  fieldSelectorAllowed,
  fieldSelectorPath,
  matchesFieldSelector,
  matchesLabelSelector,
  parseFieldSelector,
  parseLabelSelector,
} from './selectors.js';
import type { MemoryStore } from './store.js';
import type { KubeObject } from './types.js';
import { clone, isObject } from './util.js';
import type { SchemaValidator } from './validation.js';
import { listOptions, startWatch } from './watch.js';
import { partialContentType, partialList, partialObject, wantsPartialMetadata } from './partial-metadata.js';
import { checkIncludeObject, tableContentType, tableRenderer, toTable, wantsTable } from './table.js';
import { WriteHandlers } from './writes.js';

export type { Target } from './request-options.js';

const APPLY = 'application/apply-patch+yaml';

/** A pod's log as kubelet would give it, or the error; undefined for a pod nobody writes a log for (empty log). */
export type PodLogSource = (
  namespace: string,
  pod: string,
  query: URLSearchParams,
) => { text: string } | { status: number; reason: string; message: string } | undefined;

export class ResourceHandlers {
  private readonly writes: WriteHandlers;

  constructor(
    private readonly store: MemoryStore,
    validator: SchemaValidator,
    private readonly faults: Faults,
    private readonly metrics?: ApiServerMetrics,
    private readonly podLogs?: PodLogSource,
  ) {
    this.writes = new WriteHandlers(store, validator);
  }

  /** GET pods/{name}/log: text/plain, after the pod and container checks kube-apiserver makes (pkg/registry/core/pod/strategy.go LogLocation). */
  private podLog(ctx: RequestContext, t: Target): void {
    if ((ctx.req.method ?? 'GET') !== 'GET') throw methodNotAllowed(ctx.req.method ?? 'GET');
    ctx.verb = 'get';
    ctx.resource = 'pods/log';
    authorize(ctx.user, {
      verb: 'get',
      group: '',
      plural: 'pods/log',
      ...(t.namespace !== undefined ? { namespace: t.namespace } : {}),
      name: t.name!,
    });
    const pod = this.mustGet(t);
    const containers = ((pod.spec as { containers?: { name?: string }[] } | undefined)?.containers ?? []).map((c) => c.name ?? '');
    const container = ctx.query.get('container') ?? (containers.length === 1 ? containers[0] : undefined);
    if (container === undefined)
      throw badRequest(`a container name must be specified for pod ${t.name!}, choose one of: [${containers.join(' ')}]`);
    if (!containers.includes(container)) throw badRequest(`container ${container} is not valid for pod ${t.name!}`);
    const query = new URLSearchParams(ctx.query);
    query.set('container', container);
    const answer = this.podLogs?.(t.namespace ?? '', t.name!, query) ?? { text: '' };
    if ('status' in answer) throw new ApiError(answer.status, answer.reason, answer.message, {});
    ctx.res.writeHead(200, { 'Content-Type': 'text/plain' });
    ctx.res.end(answer.text);
  }

  async handle(ctx: RequestContext, t: Target): Promise<void> {
    const method = ctx.req.method ?? 'GET';
    const { def } = t;
    ctx.resource = def.plural;
    if (t.subresource === 'log' && def.group === '' && def.plural === 'pods' && t.name !== undefined) return this.podLog(ctx, t);
    if (t.subresource !== undefined && !(t.subresource === 'status' && def.statusSubresource))
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
    if (t.name === undefined) {
      if (method === 'GET') {
        const watch = truthy(ctx.query.get('watch'));
        ctx.verb = watch ? 'watch' : 'list';
        this.authz(ctx, t, ctx.verb);
        return watch ? this.watch(ctx, t) : this.list(ctx, t);
      }
      if (method === 'POST') {
        ctx.verb = 'create';
        this.authz(ctx, t, 'create');
        return this.writes.create(ctx, t);
      }
      if (method === 'DELETE') {
        ctx.verb = 'deletecollection';
        this.authz(ctx, t, 'deletecollection');
        return this.deleteCollection(ctx, t);
      }
      throw methodNotAllowed(method);
    }
    switch (method) {
      case 'GET': {
        ctx.verb = 'get';
        this.authz(ctx, t, 'get');
        const object = this.mustGet(t);
        const accept = ctx.req.headers.accept;
        // One object as a Table too (k8s.io/apiserver pkg/endpoints/handlers/get.go GetResource → transformResponseObject).
        if (wantsTable(accept)) {
          const includeObject = ctx.query.get('includeObject');
          checkIncludeObject(includeObject);
          return sendJson(
            ctx,
            200,
            toTable(t.def, [object], { resourceVersion: object.metadata.resourceVersion }, includeObject),
            tableContentType(accept),
          );
        }
        if (wantsPartialMetadata(accept, 'PartialObjectMetadata'))
          return sendJson(ctx, 200, partialObject(object), partialContentType('PartialObjectMetadata'));
        return sendJson(ctx, 200, object);
      }
      case 'PUT':
        ctx.verb = 'update';
        this.authz(ctx, t, 'update');
        return this.writes.replace(ctx, t);
      case 'PATCH': {
        const isApply = mediaType(ctx.req.headers['content-type']) === APPLY;
        ctx.verb = isApply ? 'apply' : 'patch';
        this.authz(ctx, t, 'patch');
        return this.writes.patch(ctx, t, isApply);
      }
      case 'DELETE':
        ctx.verb = 'delete';
        this.authz(ctx, t, 'delete');
        if (t.subresource) throw methodNotAllowed(method);
        return this.remove(ctx, t);
      default:
        throw methodNotAllowed(method);
    }
  }

  private authz(ctx: RequestContext, t: Target, verb: string): void {
    authorize(ctx.user, {
      verb,
      group: t.def.group,
      plural: t.def.plural,
      ...(t.namespace !== undefined ? { namespace: t.namespace } : {}),
      ...(t.name !== undefined ? { name: t.name } : {}),
    });
    // Then a verb the resource does not serve (the read-only CustomResourceDefinitions): 405, as kube-apiserver
    // answers a method no handler is installed for — after its authorization filter (k8s.io/apiserver
    // pkg/endpoints/filters/authorization.go runs before the handler), so an unauthorized user still gets 403.
    if (!t.def.verbs.includes(verb === 'apply' ? 'patch' : verb)) throw methodNotAllowed(ctx.req.method ?? 'GET');
  }

  private mustGet(t: Target): KubeObject {
    const obj = this.store.peek(t.def, t.namespace, t.name!);
    if (!obj) throw notFound(t.def.group, t.def.plural, t.name!);
    return obj;
  }

  // ---- list & watch ------------------------------------------------------------------------------

  private matcher(ctx: RequestContext, t: Target): (obj: KubeObject) => boolean {
    const ls = ctx.query.get('labelSelector');
    const fs = ctx.query.get('fieldSelector');
    const labels = ls ? parseLabelSelector(ls) : undefined;
    const fields = fs
      ? parseFieldSelector(fs, fieldSelectorAllowed(t.def.plural, t.def.group), fieldSelectorPath(t.def.plural, t.def.group))
      : undefined;
    return (obj) => (!labels || matchesLabelSelector(labels, obj.metadata.labels)) && (!fields || matchesFieldSelector(fields, obj));
  }

  private list(ctx: RequestContext, t: Target): void {
    listOptions(ctx.query, false);
    const matches = this.matcher(ctx, t);
    const filtered = ctx.query.has('labelSelector') || ctx.query.has('fieldSelector');
    const limitRaw = ctx.query.get('limit');
    const limit = limitRaw ? Number(limitRaw) : 0;
    if (!Number.isInteger(limit) || limit < 0) throw badRequest(`invalid limit: ${limitRaw}`);
    const token = ctx.query.get('continue');
    let after: [string, string] | undefined;
    if (token) after = this.decodeContinue(token);
    const all = this.store.peekList(t.def, t.namespace);
    const items: KubeObject[] = [];
    let next: string | undefined;
    let remaining = 0;
    for (const obj of all) {
      const k: [string, string] = [obj.metadata.namespace ?? '', obj.metadata.name];
      if (after && (k[0] < after[0] || (k[0] === after[0] && k[1] <= after[1]))) continue;
      if (!matches(obj)) continue;
      if (limit > 0 && items.length >= limit) {
        if (next === undefined) {
          const last = items[items.length - 1]!;
          next = Buffer.from(
            JSON.stringify({
              v: 'meta.k8s.io/v1',
              rv: Number(this.store.currentResourceVersion()),
              after: [last.metadata.namespace ?? '', last.metadata.name],
            }),
          ).toString('base64url');
        }
        remaining += 1;
        if (filtered) break;
        continue;
      }
      items.push(obj);
    }
    const metadata: Record<string, unknown> = { resourceVersion: this.store.currentResourceVersion() };
    if (next !== undefined) {
      metadata.continue = next;
      if (!filtered) metadata.remainingItemCount = remaining;
    }
    const accept = ctx.req.headers.accept;
    if (wantsTable(accept)) {
      checkIncludeObject(ctx.query.get('includeObject'));
      return sendJson(ctx, 200, toTable(t.def, items, metadata, ctx.query.get('includeObject')), tableContentType(accept));
    }
    if (wantsPartialMetadata(accept, 'PartialObjectMetadataList'))
      return sendJson(ctx, 200, partialList(items, metadata), partialContentType('PartialObjectMetadataList'));
    sendJson(ctx, 200, { kind: t.def.listKind, apiVersion: apiVersionOf(t.def), metadata, items });
  }

  /**
   * A token that does not decode is 400 "invalid continue token" and one that decodes but is too old 410,
   * as kube-apiserver answers (k8s.io/apiserver/pkg/storage/etcd3/store.go GetList: DecodeContinue error →
   * apierrors.NewBadRequest; a compacted revision → ResourceExpired).
   */
  private decodeContinue(token: string): [string, string] {
    let parsed: { rv?: unknown; after?: unknown };
    try {
      parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { rv?: unknown; after?: unknown };
    } catch {
      parsed = {};
    }
    if (
      typeof parsed !== 'object' ||
      parsed === null ||
      typeof parsed.rv !== 'number' ||
      !Array.isArray(parsed.after) ||
      parsed.after.length !== 2
    ) {
      throw badRequest('invalid continue token: continue key is not valid');
    }
    if (parsed.rv < this.store.oldestResumableVersion()) {
      throw expired(
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
      );
    }
    return [String(parsed.after[0]), String(parsed.after[1])];
  }

  private watch(ctx: RequestContext, t: Target): void {
    const { sendInitialEvents } = listOptions(ctx.query, true);
    if (wantsTable(ctx.req.headers.accept)) checkIncludeObject(ctx.query.get('includeObject'));
    const timeout = ctx.query.get('timeoutSeconds');
    const open = this.metrics?.longRunning.labels({ verb: 'WATCH', resource: t.def.plural });
    open?.inc();
    ctx.res.on('close', () => open?.dec());
    startWatch(ctx, this.store, this.faults, {
      def: t.def,
      ...(t.namespace !== undefined ? { namespace: t.namespace } : {}),
      matches: this.matcher(ctx, t),
      ...(ctx.query.get('resourceVersion') !== null ? { resourceVersion: ctx.query.get('resourceVersion')! } : {}),
      ...(timeout ? { timeoutSeconds: Number(timeout) } : {}),
      allowBookmarks: truthy(ctx.query.get('allowWatchBookmarks')),
      ...(sendInitialEvents !== undefined ? { sendInitialEvents } : {}),
      ...(wantsTable(ctx.req.headers.accept) ? { render: tableRenderer(t.def, ctx.query.get('includeObject')) } : {}),
    });
  }

  private async deleteOptions(ctx: RequestContext): Promise<{
    policy?: 'Foreground' | 'Background' | 'Orphan';
    dryRun: boolean;
    preconditions?: { uid?: string; resourceVersion?: string };
  }> {
    const raw = await readBody(ctx.req);
    let body: unknown;
    if (raw.toString('utf8').trim().length > 0) {
      const type = mediaType(ctx.req.headers['content-type']);
      if (type !== '' && type !== 'application/json' && type !== 'application/yaml' && type !== PROTOBUF)
        throw unsupportedMediaType(['application/json', 'application/yaml', PROTOBUF]);
      body = parseBody(raw, type || 'application/json', 'DeleteOptions');
      if (!isObject(body)) throw badRequest('DeleteOptions must be an object');
    }
    const b = isObject(body) ? body : {};
    let policy = ctx.query.get('propagationPolicy') ?? (typeof b.propagationPolicy === 'string' ? b.propagationPolicy : undefined);
    const orphan = ctx.query.get('orphanDependents') ?? (typeof b.orphanDependents === 'boolean' ? String(b.orphanDependents) : null);
    if (!policy && orphan === 'true') policy = 'Orphan';
    if (policy !== undefined && !['Foreground', 'Background', 'Orphan'].includes(policy)) {
      throw invalidOptions(
        'propagationPolicy',
        `Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`,
        'DeleteOptions',
      );
    }
    const pre = isObject(b.preconditions) ? (b.preconditions as { uid?: string; resourceVersion?: string }) : undefined;
    return {
      ...(policy ? { policy: policy as 'Foreground' | 'Background' | 'Orphan' } : {}),
      dryRun: dryRunOf(ctx.query, b),
      ...(pre ? { preconditions: pre } : {}),
    };
  }

  private async remove(ctx: RequestContext, t: Target): Promise<void> {
    const opts = await this.deleteOptions(ctx);
    const old = this.mustGet(t);
    // kube-apiserver checks the preconditions first in rest.BeforeDelete, naming the kind, not the resource
    // (k8s.io/apiserver pkg/registry/rest/delete.go:83-90, GroupResource{Group, Resource: gvk.Kind}); the
    // storage layer's "Precondition failed: ..." only answers a change that races the delete itself.
    if (opts.preconditions?.uid && opts.preconditions.uid !== old.metadata.uid) {
      throw conflict(
        t.def.group,
        t.def.kind,
        t.name!,
        `the UID in the precondition (${opts.preconditions.uid}) does not match the UID in record (${old.metadata.uid}). The object might have been deleted and then recreated`,
      );
    }
    if (opts.preconditions?.resourceVersion && opts.preconditions.resourceVersion !== old.metadata.resourceVersion) {
      throw conflict(
        t.def.group,
        t.def.kind,
        t.name!,
        `the ResourceVersion in the precondition (${opts.preconditions.resourceVersion}) does not match the ResourceVersion in record (${old.metadata.resourceVersion}). The object might have been modified`,
      );
    }
    const admission = this.store.admitValidating({
      operation: 'DELETE',
      resource: { group: t.def.group, version: t.def.version, plural: t.def.plural },
      oldObject: clone(old),
      dryRun: opts.dryRun,
      user: ctx.user.name,
    });
    ctx.warnings.push(...(admission.warnings ?? []));
    if (!admission.allowed) throw new ApiError(admission.code, admission.reason, admission.message, admission.details);
    if (opts.dryRun) {
      const out = clone(old);
      if (old.metadata.finalizers?.length || opts.policy === 'Foreground') {
        out.metadata.deletionTimestamp ??= nowTimestamp();
        if (opts.policy === 'Foreground' && !out.metadata.finalizers?.includes('foregroundDeletion'))
          out.metadata.finalizers = [...(out.metadata.finalizers ?? []), 'foregroundDeletion'];
      }
      return sendJson(ctx, 200, out);
    }
    const remaining = this.store.delete(t.def, t.namespace, t.name!, opts.policy);
    if (remaining) return sendJson(ctx, 200, remaining);
    sendJson(ctx, 200, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name: t.name!, group: t.def.group, kind: t.def.plural, uid: old.metadata.uid },
    });
  }

  private async deleteCollection(ctx: RequestContext, t: Target): Promise<void> {
    const opts = await this.deleteOptions(ctx);
    const matches = this.matcher(ctx, t);
    const victims = this.store.peekList(t.def, t.namespace).filter(matches);
    const items: KubeObject[] = [];
    for (const v of victims) {
      const admission = this.store.admitValidating({
        operation: 'DELETE',
        resource: { group: t.def.group, version: t.def.version, plural: t.def.plural },
        oldObject: clone(v),
        dryRun: opts.dryRun,
        user: ctx.user.name,
      });
      ctx.warnings.push(...(admission.warnings ?? []));
      if (!admission.allowed) throw new ApiError(admission.code, admission.reason, admission.message, admission.details);
      items.push(clone(v));
      if (!opts.dryRun) {
        try {
          this.store.delete(t.def, v.metadata.namespace, v.metadata.name, opts.policy);
        } catch {
          // raced with another deletion
        }
      }
    }
    sendJson(ctx, 200, {
      kind: t.def.listKind,
      apiVersion: apiVersionOf(t.def),
      metadata: { resourceVersion: this.store.currentResourceVersion() },
      items,
    });
  }
}

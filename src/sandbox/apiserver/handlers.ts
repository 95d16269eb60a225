/**
 * Resource endpoints: list/watch/get/create/update/patch(apply, merge, json)/delete, the status
 * subresource, dryRun, validation, managedFields and admission, in the API server's order:
 * decode → (apply/patch) → validate → managedFields → admission → persist.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import jsonMergePatch from 'json-merge-patch';
import fastJsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { authorize } from './auth.js';
import {
  ApiError,
  badRequest,
  conflict,
  expired,
  invalid,
  methodNotAllowed,
  notFound,
  unsupportedMediaType,
  forbidden,
} from './errors.js';
import { mediaType, parseBody, readBody, sendJson, truthy, type RequestContext } from './http.js';
import { managerFromUserAgent, recordUpdate, serverSideApply } from './managed-fields.js';
import { NAMESPACES, type ResourceDef } from './resources.js';
import { fieldSelectorAllowed, matchesFieldSelector, matchesLabelSelector, parseFieldSelector, parseLabelSelector } from './selectors.js';
import type { MemoryStore } from './store.js';
import type { AdmissionOperation, KubeObject } from './types.js';
import { clone, deepEqual, isObject } from './util.js';
import { pruneUnknown, type FieldValidation, type SchemaValidator } from './validation.js';
import { PROTOBUF } from './protobuf.js';
import { startWatch } from './watch.js';
import type { Faults } from './faults.js';

export interface Target {
  def: ResourceDef;
  namespace?: string;
  name?: string;
  subresource?: string;
}

const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];
const CORE_PATCH_TYPES = [...PATCH_TYPES, 'application/strategic-merge-patch+json'];
const APPLY = 'application/apply-patch+yaml';
const STRATEGIC = 'application/strategic-merge-patch+json';

interface WriteOptions {
  dryRun: boolean;
  fieldValidation: FieldValidation;
  manager: string;
  /** The object was produced by server-side apply (managedFields already computed). */
  applied: boolean;
}

function apiVersionOf(def: ResourceDef): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

function fieldValidationOf(query: URLSearchParams): FieldValidation {
  const v = query.get('fieldValidation');
  if (v === null || v === '') return 'Ignore';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw badRequest(`fieldValidation parameter unsupported: ${v}`);
}

function dryRunOf(query: URLSearchParams, body?: unknown): boolean {
  const values = query.getAll('dryRun');
  if (isObject(body) && Array.isArray(body.dryRun)) values.push(...body.dryRun.map(String));
  for (const v of values) if (v !== 'All') throw badRequest(`Invalid dryRun value: "${v}"; valid values are: "All"`);
  return values.length > 0;
}

function nowTimestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class ResourceHandlers {
  constructor(
    private readonly store: MemoryStore,
    private readonly validator: SchemaValidator,
    private readonly faults: Faults,
  ) {}

  async handle(ctx: RequestContext, t: Target): Promise<void> {
    const method = ctx.req.method ?? 'GET';
    const { def } = t;
    ctx.resource = def.plural;
    if (t.subresource !== undefined && !(t.subresource === 'status' && def.statusSubresource)) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
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
        return this.create(ctx, t);
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
        return sendJson(ctx, 200, this.mustGet(t));
      }
      case 'PUT':
        ctx.verb = 'update';
        this.authz(ctx, t, 'update');
        return this.replace(ctx, t);
      case 'PATCH': {
        const isApply = mediaType(ctx.req.headers['content-type']) === APPLY;
        ctx.verb = isApply ? 'apply' : 'patch';
        this.authz(ctx, t, 'patch');
        return this.patch(ctx, t, isApply);
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
    const fields = fs ? parseFieldSelector(fs, fieldSelectorAllowed(t.def.plural, t.def.group)) : undefined;
    return (obj) => (!labels || matchesLabelSelector(labels, obj.metadata.labels)) && (!fields || matchesFieldSelector(fields, obj));
  }

  private list(ctx: RequestContext, t: Target): void {
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
          next = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: Number(this.store.currentResourceVersion()), after: [last.metadata.namespace ?? '', last.metadata.name] })).toString('base64url');
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
    sendJson(ctx, 200, { kind: t.def.listKind, apiVersion: apiVersionOf(t.def), metadata, items });
  }

  private decodeContinue(token: string): [string, string] {
    try {
      const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { rv?: unknown; after?: unknown };
      if (typeof parsed.rv !== 'number' || !Array.isArray(parsed.after) || parsed.after.length !== 2) throw new Error('shape');
      if (parsed.rv < this.store.oldestResumableVersion()) throw new Error('expired');
      return [String(parsed.after[0]), String(parsed.after[1])];
    } catch {
      throw expired('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
    }
  }

  private watch(ctx: RequestContext, t: Target): void {
    const timeout = ctx.query.get('timeoutSeconds');
    startWatch(ctx, this.store, this.faults, {
      def: t.def,
      ...(t.namespace !== undefined ? { namespace: t.namespace } : {}),
      matches: this.matcher(ctx, t),
      ...(ctx.query.get('resourceVersion') !== null ? { resourceVersion: ctx.query.get('resourceVersion')! } : {}),
      ...(timeout ? { timeoutSeconds: Number(timeout) } : {}),
      allowBookmarks: truthy(ctx.query.get('allowWatchBookmarks')),
    });
  }

  // ---- writes ------------------------------------------------------------------------------------

  private async readObject(ctx: RequestContext, t: Target): Promise<KubeObject> {
    const type = mediaType(ctx.req.headers['content-type']);
    const protobufOk = !t.def.custom && type === PROTOBUF;
    if (type !== '' && type !== 'application/json' && type !== 'application/yaml' && !protobufOk) {
      throw unsupportedMediaType(t.def.custom ? ['application/json', 'application/yaml'] : ['application/json', 'application/yaml', PROTOBUF]);
    }
    const body = parseBody(await readBody(ctx.req), type || 'application/json', t.def.kind);
    if (!isObject(body)) throw badRequest(`the object provided is unrecognized (must be of type ${t.def.kind})`);
    if (!isObject(body.metadata)) body.metadata = {};
    return body as KubeObject;
  }

  private managerOf(ctx: RequestContext): string {
    const fm = ctx.query.get('fieldManager');
    if (fm !== null && fm !== '') {
      if (fm.length > 128) throw invalidOptions('fieldManager', `Too long: may not be longer than 128`);
      return fm;
    }
    return managerFromUserAgent(ctx.req.headers['user-agent']);
  }

  private checkIdentity(t: Target, obj: KubeObject, forCreate: boolean): void {
    const expectedApiVersion = apiVersionOf(t.def);
    if (obj.apiVersion === undefined || obj.apiVersion === '') obj.apiVersion = expectedApiVersion;
    if (obj.kind === undefined || obj.kind === '') obj.kind = t.def.kind;
    if (obj.apiVersion !== expectedApiVersion || obj.kind !== t.def.kind) {
      if (obj.apiVersion !== expectedApiVersion) {
        throw badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${expectedApiVersion})`);
      }
      throw badRequest(`the kind in the data (${obj.kind}) does not match the expected kind (${t.def.kind})`);
    }
    if (forCreate && !obj.metadata.name && typeof obj.metadata.generateName === 'string' && obj.metadata.generateName) {
      obj.metadata.name = obj.metadata.generateName + randomBytes(3).toString('hex').slice(0, 5);
    }
    if (t.name !== undefined && obj.metadata.name !== undefined && obj.metadata.name !== t.name) {
      throw badRequest(`the name of the object (${String(obj.metadata.name)}) does not match the name on the URL (${t.name})`);
    }
    if (t.name !== undefined && !obj.metadata.name) obj.metadata.name = t.name;
    if (t.def.namespaced) {
      if (obj.metadata.namespace !== undefined && obj.metadata.namespace !== '' && obj.metadata.namespace !== t.namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      obj.metadata.namespace = t.namespace;
    } else {
      delete obj.metadata.namespace;
    }
  }

  private async create(ctx: RequestContext, t: Target): Promise<void> {
    const obj = await this.readObject(ctx, t);
    const dryRun = dryRunOf(ctx.query);
    if (ctx.query.has('force')) throw invalidOptions('force', 'Forbidden: may not be specified for non-apply patch');
    this.checkIdentity(t, obj, true);
    const stored = this.commit(ctx, t, 'CREATE', undefined, obj, { dryRun, fieldValidation: fieldValidationOf(ctx.query), manager: this.managerOf(ctx), applied: false });
    sendJson(ctx, 201, stored);
  }

  private async replace(ctx: RequestContext, t: Target): Promise<void> {
    const obj = await this.readObject(ctx, t);
    const dryRun = dryRunOf(ctx.query);
    this.checkIdentity(t, obj, false);
    const old = this.mustGet(t);
    if (t.def.custom && !obj.metadata.resourceVersion) {
      throw invalid(t.def.kind, t.def.group, t.name!, [{ reason: 'FieldValueInvalid', message: 'Invalid value: 0x0: must be specified for an update', field: 'metadata.resourceVersion' }]);
    }
    const stored = this.commit(ctx, t, 'UPDATE', old, obj, { dryRun, fieldValidation: fieldValidationOf(ctx.query), manager: this.managerOf(ctx), applied: false });
    sendJson(ctx, 200, stored);
  }

  private async patch(ctx: RequestContext, t: Target, isApply: boolean): Promise<void> {
    const type = mediaType(ctx.req.headers['content-type']);
    // Custom resources refuse strategic merge (as real CRs do); the core kinds served here have no
    // merge-keyed lists that matter, so their strategic merge patches are applied as merge patches.
    if (type === STRATEGIC && t.def.custom) throw unsupportedMediaType(PATCH_TYPES);
    if (!(t.def.custom ? PATCH_TYPES : CORE_PATCH_TYPES).includes(type)) throw unsupportedMediaType(t.def.custom ? PATCH_TYPES : CORE_PATCH_TYPES);
    const force = ctx.query.get('force');
    if (!isApply && force !== null) throw invalidOptions('force', 'Forbidden: may not be specified for non-apply patch');
    const fieldManager = ctx.query.get('fieldManager');
    if (isApply && (fieldManager === null || fieldManager === '')) throw invalidOptions('fieldManager', 'Required value: is required for apply patch');
    const body = parseBody(await readBody(ctx.req), type, t.def.kind);
    const dryRun = dryRunOf(ctx.query);
    const fieldValidation = fieldValidationOf(ctx.query);
    const manager = this.managerOf(ctx);
    const old = this.store.peek(t.def, t.namespace, t.name!);

    if (isApply) {
      if (!isObject(body)) throw badRequest('the apply configuration must be an object');
      const config = clone(body) as KubeObject;
      if (!isObject(config.metadata)) config.metadata = { name: t.name! };
      if (!config.apiVersion || !config.kind) {
        throw badRequest(`invalid object type: ${!config.apiVersion ? 'apiVersion' : 'kind'} must be set`);
      }
      this.checkIdentity(t, config, !old);
      // Unknown fields are judged on the configuration itself (a partial object), then pruned.
      if (t.def.schema) {
        const unknown: string[] = [];
        const { apiVersion: _a, kind: _k, metadata: _m, ...rest } = config;
        const topSchema = { ...t.def.schema, properties: { ...(t.def.schema.properties as Record<string, unknown>) } };
        delete (topSchema.properties as Record<string, unknown>).metadata;
        delete (topSchema.properties as Record<string, unknown>).apiVersion;
        delete (topSchema.properties as Record<string, unknown>).kind;
        pruneUnknown(rest, topSchema, [], unknown);
        if (unknown.length > 0 && fieldValidation === 'Strict') {
          throw invalid(t.def.kind, t.def.group, t.name!, unknown.map((f) => ({ reason: 'FieldValueInvalid', message: `Invalid value: unknown field "${f}": field not declared in schema`, field: f })));
        }
        if (fieldValidation === 'Warn') ctx.warnings.push(...unknown.map((f) => `unknown field "${f}"`));
        for (const key of Object.keys(config)) if (!['apiVersion', 'kind', 'metadata'].includes(key) && !(key in rest)) delete config[key];
      }
      if (old && config.metadata.resourceVersion && config.metadata.resourceVersion !== old.metadata.resourceVersion) {
        throw conflict(t.def.group, t.def.plural, t.name!, 'the object has been modified; please apply your changes to the latest version and try again');
      }
      // Type errors in the configuration are reported before ownership conflicts, as the API server does.
      const trial = serverSideApply(old, config, {
        manager,
        force: true,
        apiVersion: apiVersionOf(t.def),
        ignoreStatus: t.def.statusSubresource,
        ...(t.subresource === 'status' ? { subresource: 'status' as const } : {}),
      });
      if (t.def.statusSubresource && t.subresource !== 'status') delete trial.status;
      this.validator.validate(t.def, trial, 'Ignore');
      const merged = serverSideApply(old, config, {
        manager,
        force: truthy(force),
        apiVersion: apiVersionOf(t.def),
        ignoreStatus: t.def.statusSubresource,
        ...(t.subresource === 'status' ? { subresource: 'status' as const } : {}),
      });
      if (!old && t.subresource === 'status') throw notFound(t.def.group, t.def.plural, t.name!);
      if (old) merged.metadata.resourceVersion = old.metadata.resourceVersion;
      const stored = this.commit(ctx, t, old ? 'UPDATE' : 'CREATE', old, merged, { dryRun, fieldValidation: 'Ignore', manager, applied: true });
      return sendJson(ctx, old ? 200 : 201, stored);
    }

    if (!old) throw notFound(t.def.group, t.def.plural, t.name!);
    let patched: unknown;
    if (type === 'application/merge-patch+json' || type === STRATEGIC) {
      if (!isObject(body)) throw badRequest('merge patch must be a JSON object');
      patched = jsonMergePatch.apply(clone(old), type === STRATEGIC ? stripDirectives(body) : body);
    } else {
      if (!Array.isArray(body)) throw badRequest('json patch must be an array of operations');
      try {
        patched = fastJsonPatch.applyPatch(clone(old), body as Operation[], true, false).newDocument;
      } catch (err) {
        const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
        throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${message}`, { name: t.name!, group: t.def.group, kind: t.def.plural });
      }
    }
    if (!isObject(patched) || !isObject(patched.metadata)) throw badRequest('the patched object is not a valid object');
    const obj = patched as KubeObject;
    this.checkIdentity(t, obj, false);
    const stored = this.commit(ctx, t, 'UPDATE', old, obj, { dryRun, fieldValidation, manager, applied: false });
    sendJson(ctx, 200, stored);
  }

  /** validate → managedFields → namespace checks → admission → persist (or dry-run). */
  private commit(ctx: RequestContext, t: Target, op: AdmissionOperation, old: KubeObject | undefined, input: KubeObject, opts: WriteOptions): KubeObject {
    const { def } = t;
    let obj = input;
    if (def.namespaced) obj.metadata.namespace = t.namespace;
    else delete obj.metadata.namespace;
    const statusWrite = t.subresource === 'status';
    if (statusWrite && old) {
      // /status changes only .status (plus managedFields bookkeeping).
      const next = clone(old);
      if (obj.status === undefined) delete next.status;
      else next.status = obj.status;
      if (opts.applied) next.metadata.managedFields = obj.metadata.managedFields;
      if (obj.metadata.resourceVersion !== undefined) next.metadata.resourceVersion = obj.metadata.resourceVersion;
      obj = next;
    } else if (def.statusSubresource) {
      if (old && old.status !== undefined) obj.status = clone(old.status);
      else delete obj.status;
    }
    if (old) {
      if (obj.metadata.resourceVersion !== undefined && obj.metadata.resourceVersion !== '' && obj.metadata.resourceVersion !== old.metadata.resourceVersion) {
        throw conflict(def.group, def.plural, t.name!, 'the object has been modified; please apply your changes to the latest version and try again');
      }
      if (old.metadata.uid && obj.metadata.uid && obj.metadata.uid !== old.metadata.uid) {
        throw conflict(def.group, def.plural, t.name!, `Precondition failed: UID in precondition: ${String(obj.metadata.uid)}, UID in object meta: ${old.metadata.uid}`);
      }
      for (const f of ['uid', 'creationTimestamp', 'generation', 'resourceVersion', 'deletionTimestamp', 'deletionGracePeriodSeconds'] as const) {
        if (old.metadata[f] === undefined) delete obj.metadata[f];
        else (obj.metadata as Record<string, unknown>)[f] = old.metadata[f];
      }
      if (old.metadata.deletionTimestamp) {
        const added = (obj.metadata.finalizers ?? []).filter((f) => !(old.metadata.finalizers ?? []).includes(f));
        if (added.length > 0) {
          throw forbidden(`${def.kind} "${t.name!}" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`, { name: t.name!, group: def.group, kind: def.plural });
        }
      }
    } else {
      for (const f of ['uid', 'creationTimestamp', 'generation', 'resourceVersion', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink'] as const) delete obj.metadata[f];
    }

    const { warnings } = this.validator.validate(def, obj, opts.fieldValidation);
    ctx.warnings.push(...warnings);

    if (!opts.applied) {
      obj = recordUpdate(old, obj, {
        manager: opts.manager,
        apiVersion: apiVersionOf(def),
        ignoreStatus: def.statusSubresource,
        ...(statusWrite ? { subresource: 'status' as const } : {}),
      });
    }

    if (op === 'CREATE') {
      if (def.namespaced) {
        const ns = this.store.peek(NAMESPACES, undefined, t.namespace!);
        if (!ns) throw notFound('', 'namespaces', t.namespace!);
        if (ns.metadata.deletionTimestamp) {
          throw forbidden(`${def.plural}${def.group ? '.' + def.group : ''} "${obj.metadata.name}" is forbidden: unable to create new content in namespace ${t.namespace!} because it is being terminated`, { name: obj.metadata.name, group: def.group, kind: def.plural });
        }
      }
      if (this.store.peek(def, t.namespace, obj.metadata.name)) {
        throw new ApiError(409, 'AlreadyExists', `${def.plural}${def.group ? '.' + def.group : ''} "${obj.metadata.name}" already exists`, { name: obj.metadata.name, group: def.group, kind: def.plural });
      }
      if (def.group === '' && def.plural === 'namespaces') obj.status = { phase: 'Active' };
    }

    const admission = this.store.admit({
      operation: op,
      resource: { group: def.group, version: def.version, plural: def.plural },
      object: clone(obj),
      ...(old ? { oldObject: clone(old) } : {}),
      dryRun: opts.dryRun,
      user: ctx.user.name,
    });
    if (!admission.allowed) {
      throw new ApiError(admission.code, admission.reason, admission.message, { name: obj.metadata.name, group: def.group, kind: def.plural });
    }
    if (admission.object) obj = admission.object;

    if (op === 'UPDATE' && old) {
      const comparable = (o: KubeObject): KubeObject => ({ ...o, metadata: { ...o.metadata, resourceVersion: '' } });
      if (deepEqual(comparable(obj), comparable(old))) return old;
    }
    if (opts.dryRun) return this.dryRunResult(old, obj);
    if (op === 'CREATE') return this.store.create(def, obj);
    return this.store.update(def, obj);
  }

  private dryRunResult(old: KubeObject | undefined, obj: KubeObject): KubeObject {
    const out = clone(obj);
    if (!old) {
      out.metadata.uid = randomUUID();
      out.metadata.creationTimestamp = nowTimestamp();
      out.metadata.generation = 1;
      delete out.metadata.resourceVersion;
      return out;
    }
    const strip = (o: KubeObject): Record<string, unknown> => {
      const { metadata: _m, status: _s, ...rest } = o;
      return rest;
    };
    out.metadata.resourceVersion = old.metadata.resourceVersion;
    out.metadata.generation = (old.metadata.generation ?? 1) + (deepEqual(strip(old), strip(out)) ? 0 : 1);
    return out;
  }

  // ---- delete ------------------------------------------------------------------------------------

  private async deleteOptions(ctx: RequestContext): Promise<{ policy?: 'Foreground' | 'Background' | 'Orphan'; dryRun: boolean; preconditions?: { uid?: string; resourceVersion?: string } }> {
    const raw = await readBody(ctx.req);
    let body: unknown;
    if (raw.toString('utf8').trim().length > 0) {
      const type = mediaType(ctx.req.headers['content-type']);
      if (type !== '' && type !== 'application/json' && type !== 'application/yaml' && type !== PROTOBUF) throw unsupportedMediaType(['application/json', 'application/yaml', PROTOBUF]);
      body = parseBody(raw, type || 'application/json', 'DeleteOptions');
      if (!isObject(body)) throw badRequest('DeleteOptions must be an object');
    }
    const b = isObject(body) ? body : {};
    let policy = ctx.query.get('propagationPolicy') ?? (typeof b.propagationPolicy === 'string' ? b.propagationPolicy : undefined);
    const orphan = ctx.query.get('orphanDependents') ?? (typeof b.orphanDependents === 'boolean' ? String(b.orphanDependents) : null);
    if (!policy && orphan === 'true') policy = 'Orphan';
    if (policy !== undefined && !['Foreground', 'Background', 'Orphan'].includes(policy)) {
      throw invalidOptions('propagationPolicy', `Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`, 'DeleteOptions');
    }
    const pre = isObject(b.preconditions) ? (b.preconditions as { uid?: string; resourceVersion?: string }) : undefined;
    return { ...(policy ? { policy: policy as 'Foreground' | 'Background' | 'Orphan' } : {}), dryRun: dryRunOf(ctx.query, b), ...(pre ? { preconditions: pre } : {}) };
  }

  private async remove(ctx: RequestContext, t: Target): Promise<void> {
    const opts = await this.deleteOptions(ctx);
    const old = this.mustGet(t);
    if (opts.preconditions?.uid && opts.preconditions.uid !== old.metadata.uid) {
      throw conflict(t.def.group, t.def.plural, t.name!, `Precondition failed: UID in precondition: ${opts.preconditions.uid}, UID in object meta: ${old.metadata.uid}`);
    }
    if (opts.preconditions?.resourceVersion && opts.preconditions.resourceVersion !== old.metadata.resourceVersion) {
      throw conflict(t.def.group, t.def.plural, t.name!, `Precondition failed: ResourceVersion in precondition: ${opts.preconditions.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}`);
    }
    const admission = this.store.admit({
      operation: 'DELETE',
      resource: { group: t.def.group, version: t.def.version, plural: t.def.plural },
      oldObject: clone(old),
      dryRun: opts.dryRun,
      user: ctx.user.name,
    });
    if (!admission.allowed) throw new ApiError(admission.code, admission.reason, admission.message, { name: t.name!, group: t.def.group, kind: t.def.plural });
    if (opts.dryRun) {
      const out = clone(old);
      if (old.metadata.finalizers?.length || opts.policy === 'Foreground') {
        out.metadata.deletionTimestamp ??= nowTimestamp();
        if (opts.policy === 'Foreground' && !out.metadata.finalizers?.includes('foregroundDeletion')) out.metadata.finalizers = [...(out.metadata.finalizers ?? []), 'foregroundDeletion'];
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
      const admission = this.store.admit({
        operation: 'DELETE',
        resource: { group: t.def.group, version: t.def.version, plural: t.def.plural },
        oldObject: clone(v),
        dryRun: opts.dryRun,
        user: ctx.user.name,
      });
      if (!admission.allowed) throw new ApiError(admission.code, admission.reason, admission.message, { name: v.metadata.name, group: t.def.group, kind: t.def.plural });
      items.push(clone(v));
      if (!opts.dryRun) {
        try {
          this.store.delete(t.def, v.metadata.namespace, v.metadata.name, opts.policy);
        } catch {
          // raced with another deletion
        }
      }
    }
    sendJson(ctx, 200, { kind: t.def.listKind, apiVersion: apiVersionOf(t.def), metadata: { resourceVersion: this.store.currentResourceVersion() }, items });
  }
}

/** Drops strategic-merge directives (`$patch`, `$retainKeys`, `$setElementOrder/...`). */
function stripDirectives(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith('$')) continue;
    out[k] = isObject(v) ? stripDirectives(v) : v;
  }
  return out;
}

function invalidOptions(field: string, message: string, kind = 'PatchOptions'): ApiError {
  return new ApiError(422, 'Invalid', `${kind}.meta.k8s.io "" is invalid: ${field}: ${message}`, {
    group: 'meta.k8s.io',
    kind,
    causes: [{ reason: message.startsWith('Required') ? 'FieldValueRequired' : 'FieldValueForbidden', message, field }],
  });
}

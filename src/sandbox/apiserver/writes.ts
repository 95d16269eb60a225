/**
 * The write path of the resource endpoints — create (POST), replace (PUT), patch (apply, merge, json,
 * strategic on core kinds) — in the API server's order: decode (prune, default) → (apply/patch) →
 * managedFields → mutating admission → validation (schema, CEL) → validating admission → persist (or dry-run).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import jsonMergePatch from 'json-merge-patch';
import fastJsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { ApiError, badRequest, conflict, forbidden, invalid, notFound, unsupportedMediaType } from './errors.js';
import { mediaType, parseBody, readBody, sendJson, truthy, type RequestContext } from './http.js';
import { managerFromUserAgent, recordUpdate, serverSideApply } from './managed-fields.js';
import { PROTOBUF } from './protobuf.js';
import { apiVersionOf, dryRunOf, fieldValidationOf, invalidOptions, nowTimestamp, type Target } from './request-options.js';
import { NAMESPACES } from './resources.js';
import type { MemoryStore } from './store.js';
import type { AdmissionOperation, KubeObject } from './types.js';
import { clone, deepEqual, isObject } from './util.js';
import { pruneUnknown, type FieldValidation, type SchemaValidator } from './validation.js';

const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];
const CORE_PATCH_TYPES = [...PATCH_TYPES, 'application/strategic-merge-patch+json'];
const STRATEGIC = 'application/strategic-merge-patch+json';

interface WriteOptions {
  dryRun: boolean;
  fieldValidation: FieldValidation;
  manager: string;
  /** The object was produced by server-side apply (managedFields already computed). */
  applied: boolean;
}

export class WriteHandlers {
  constructor(
    private readonly store: MemoryStore,
    private readonly validator: SchemaValidator,
  ) {}

  private mustGet(t: Target): KubeObject {
    const obj = this.store.peek(t.def, t.namespace, t.name!);
    if (!obj) throw notFound(t.def.group, t.def.plural, t.name!);
    return obj;
  }

  private async readObject(ctx: RequestContext, t: Target): Promise<KubeObject> {
    const type = mediaType(ctx.req.headers['content-type']);
    const protobufOk = !t.def.custom && type === PROTOBUF;
    if (type !== '' && type !== 'application/json' && type !== 'application/yaml' && !protobufOk) {
      throw unsupportedMediaType(
        t.def.custom ? ['application/json', 'application/yaml'] : ['application/json', 'application/yaml', PROTOBUF],
      );
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

  async create(ctx: RequestContext, t: Target): Promise<void> {
    const obj = await this.readObject(ctx, t);
    const dryRun = dryRunOf(ctx.query);
    if (ctx.query.has('force')) throw invalidOptions('force', 'Forbidden: may not be specified for non-apply patch');
    this.checkIdentity(t, obj, true);
    const stored = this.commit(ctx, t, 'CREATE', undefined, obj, {
      dryRun,
      fieldValidation: fieldValidationOf(ctx.query),
      manager: this.managerOf(ctx),
      applied: false,
    });
    sendJson(ctx, 201, stored);
  }

  async replace(ctx: RequestContext, t: Target): Promise<void> {
    const obj = await this.readObject(ctx, t);
    const dryRun = dryRunOf(ctx.query);
    this.checkIdentity(t, obj, false);
    const old = this.mustGet(t);
    if (t.def.custom && !obj.metadata.resourceVersion) {
      throw invalid(t.def.kind, t.def.group, t.name!, [
        { reason: 'FieldValueInvalid', message: 'Invalid value: 0x0: must be specified for an update', field: 'metadata.resourceVersion' },
      ]);
    }
    const stored = this.commit(ctx, t, 'UPDATE', old, obj, {
      dryRun,
      fieldValidation: fieldValidationOf(ctx.query),
      manager: this.managerOf(ctx),
      applied: false,
    });
    sendJson(ctx, 200, stored);
  }

  async patch(ctx: RequestContext, t: Target, isApply: boolean): Promise<void> {
    const type = mediaType(ctx.req.headers['content-type']);
    // Custom resources refuse strategic merge (as real CRs do); the core kinds served here have no
    // merge-keyed lists that matter, so their strategic merge patches are applied as merge patches.
    if (type === STRATEGIC && t.def.custom) throw unsupportedMediaType(PATCH_TYPES);
    if (!(t.def.custom ? PATCH_TYPES : CORE_PATCH_TYPES).includes(type))
      throw unsupportedMediaType(t.def.custom ? PATCH_TYPES : CORE_PATCH_TYPES);
    const force = ctx.query.get('force');
    if (!isApply && force !== null) throw invalidOptions('force', 'Forbidden: may not be specified for non-apply patch');
    const fieldManager = ctx.query.get('fieldManager');
    if (isApply && (fieldManager === null || fieldManager === ''))
      throw invalidOptions('fieldManager', 'Required value: is required for apply patch');
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
          throw invalid(
            t.def.kind,
            t.def.group,
            t.name!,
            unknown.map((f) => ({
              reason: 'FieldValueInvalid',
              message: `Invalid value: unknown field "${f}": field not declared in schema`,
              field: f,
            })),
          );
        }
        if (fieldValidation === 'Warn') ctx.warnings.push(...unknown.map((f) => `unknown field "${f}"`));
        for (const key of Object.keys(config)) if (!['apiVersion', 'kind', 'metadata'].includes(key) && !(key in rest)) delete config[key];
      }
      // Type errors in the configuration are reported before ownership conflicts, as the API server does.
      const trial = serverSideApply(old, config, {
        manager,
        force: true,
        apiVersion: apiVersionOf(t.def),
        ignoreStatus: t.def.statusSubresource,
        ...(t.subresource === 'status' ? { subresource: 'status' as const } : {}),
        ...(t.def.schema ? { schema: t.def.schema } : {}),
      });
      // (the structured-merge typed conversion: schema types only, no CEL rules — those run in commit)
      const trialOptions = { skipStatus: t.def.statusSubresource && t.subresource !== 'status' };
      this.validator.prepare(t.def, trial, 'Ignore', trialOptions);
      this.validator.check(t.def, trial, { ...trialOptions, rules: false });
      // An apply that names a uid when no object exists creates nothing (k8s.io/apiserver
      // pkg/endpoints/handlers/patch.go applyPatch: "uid mismatch ... no existing object was found").
      if (!old && typeof config.metadata.uid === 'string' && config.metadata.uid !== '') {
        throw conflict(
          t.def.group,
          t.def.plural,
          t.name!,
          `uid mismatch: the provided object specified uid ${config.metadata.uid}, and no existing object was found`,
        );
      }
      const merged = serverSideApply(old, config, {
        manager,
        force: truthy(force),
        apiVersion: apiVersionOf(t.def),
        ignoreStatus: t.def.statusSubresource,
        ...(t.subresource === 'status' ? { subresource: 'status' as const } : {}),
        ...(t.def.schema ? { schema: t.def.schema } : {}),
      });
      // A stale resourceVersion only after the apply itself (type errors, ownership conflicts): kube-apiserver
      // compares it once the patch produced the object (k8s.io/apiserver pkg/registry/generic/registry/store.go
      // Update: objInfo.UpdatedObject, then newResourceVersion != existingResourceVersion → Conflict).
      if (old && config.metadata.resourceVersion && config.metadata.resourceVersion !== old.metadata.resourceVersion) {
        throw conflict(
          t.def.group,
          t.def.plural,
          t.name!,
          'the object has been modified; please apply your changes to the latest version and try again',
        );
      }
      if (!old && t.subresource === 'status') throw notFound(t.def.group, t.def.plural, t.name!);
      if (old) merged.metadata.resourceVersion = old.metadata.resourceVersion;
      const stored = this.commit(ctx, t, old ? 'UPDATE' : 'CREATE', old, merged, {
        dryRun,
        fieldValidation: 'Ignore',
        manager,
        applied: true,
      });
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
        // A failed `test` operation: kube-apiserver answers 422 with this bare text and empty details
        // (k8s.io/apiserver pkg/endpoints/handlers/patch.go; seen in test/integration/sandbox-differential).
        if ((err as { name?: string } | undefined)?.name === 'TEST_OPERATION_FAILED') {
          throw new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
        }
        const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
        throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${message}`, {
          name: t.name!,
          group: t.def.group,
          kind: t.def.plural,
        });
      }
    }
    if (!isObject(patched) || !isObject(patched.metadata)) throw badRequest('the patched object is not a valid object');
    const obj = patched as KubeObject;
    this.checkIdentity(t, obj, false);
    const stored = this.commit(ctx, t, 'UPDATE', old, obj, { dryRun, fieldValidation, manager, applied: false });
    sendJson(ctx, 200, stored);
  }

  /**
   * kube-apiserver's order: prune/default → managedFields → mutating admission (namespace lifecycle, hooks)
   * → validation (schema, CEL) → validating admission → storage (AlreadyExists) → persist (or dry-run).
   */
  private commit(
    ctx: RequestContext,
    t: Target,
    op: AdmissionOperation,
    old: KubeObject | undefined,
    input: KubeObject,
    opts: WriteOptions,
  ): KubeObject {
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
      if (
        obj.metadata.resourceVersion !== undefined &&
        obj.metadata.resourceVersion !== '' &&
        obj.metadata.resourceVersion !== old.metadata.resourceVersion
      ) {
        throw conflict(
          def.group,
          def.plural,
          t.name!,
          'the object has been modified; please apply your changes to the latest version and try again',
        );
      }
      if (old.metadata.uid && obj.metadata.uid && obj.metadata.uid !== old.metadata.uid) {
        throw conflict(
          def.group,
          def.plural,
          t.name!,
          `Precondition failed: UID in precondition: ${String(obj.metadata.uid)}, UID in object meta: ${old.metadata.uid}`,
        );
      }
      for (const f of [
        'uid',
        'creationTimestamp',
        'generation',
        'resourceVersion',
        'deletionTimestamp',
        'deletionGracePeriodSeconds',
      ] as const) {
        if (old.metadata[f] === undefined) delete obj.metadata[f];
        else (obj.metadata as Record<string, unknown>)[f] = old.metadata[f];
      }
      if (old.metadata.deletionTimestamp) {
        const added = (obj.metadata.finalizers ?? []).filter((f) => !(old.metadata.finalizers ?? []).includes(f));
        if (added.length > 0) {
          throw forbidden(
            `${def.kind} "${t.name!}" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
            { name: t.name!, group: def.group, kind: def.plural },
          );
        }
      }
    } else {
      for (const f of [
        'uid',
        'creationTimestamp',
        'generation',
        'resourceVersion',
        'deletionTimestamp',
        'deletionGracePeriodSeconds',
        'selfLink',
      ] as const)
        delete obj.metadata[f];
    }

    // Decoding: unknown fields pruned (or refused under Strict), the schema's defaults applied.
    const skipStatus = { skipStatus: def.statusSubresource && !statusWrite };
    const { warnings } = this.validator.prepare(def, obj, opts.fieldValidation, skipStatus);
    ctx.warnings.push(...warnings);

    // managedFields are computed before admission, so a mutating hook's changes are not attributed to the
    // writer (k8s.io/apiserver pkg/endpoints/handlers/create.go: FieldManager.UpdateNoErrors, then
    // mutatingAdmission.Admit; update.go: the same two transformers in that order).
    if (!opts.applied) {
      obj = recordUpdate(old, obj, {
        manager: opts.manager,
        apiVersion: apiVersionOf(def),
        ignoreStatus: def.statusSubresource,
        ...(statusWrite ? { subresource: 'status' as const } : {}),
        ...(def.schema ? { schema: def.schema } : {}),
      });
    }

    // Mutating admission. NamespaceLifecycle comes first in the plugin order and is a mutating plugin
    // (k8s.io/apiserver pkg/admission/plugin/namespace/lifecycle/admission.go: Lifecycle.Admit), then the
    // mutating hooks (webhooks).
    if (op === 'CREATE' && def.namespaced) {
      const ns = this.store.peek(NAMESPACES, undefined, t.namespace!);
      if (!ns) throw notFound('', 'namespaces', t.namespace!);
      if (ns.metadata.deletionTimestamp) {
        throw forbidden(
          `${def.plural}${def.group ? '.' + def.group : ''} "${obj.metadata.name}" is forbidden: unable to create new content in namespace ${t.namespace!} because it is being terminated`,
          { name: obj.metadata.name, group: def.group, kind: def.plural },
        );
      }
    }
    const request = {
      operation: op,
      resource: { group: def.group, version: def.version, plural: def.plural },
      ...(old ? { oldObject: clone(old) } : {}),
      dryRun: opts.dryRun,
      user: ctx.user.name,
    };
    const mutation = this.store.admitMutating({ ...request, object: clone(obj) });
    // Webhook warnings reach the client with an allowed write and with a denial alike. A denial carries the
    // webhook's own status details, none when it sent none (statuserror.go ToStatusErr keeps its Status as is).
    ctx.warnings.push(...(mutation.warnings ?? []));
    if (!mutation.allowed) {
      throw new ApiError(mutation.code, mutation.reason, mutation.message, mutation.details);
    }
    if (mutation.object) {
      obj = mutation.object;
      // The mutated object is decoded and defaulted again (mutating/dispatcher.go:390); the strategy's
      // PrepareForCreate/PrepareForUpdate (which run after admission) keep status out of main-resource writes.
      if (def.statusSubresource && !statusWrite) {
        if (old && old.status !== undefined) obj.status = clone(old.status);
        else delete obj.status;
      }
      this.validator.prepare(def, obj, 'Ignore', skipStatus);
    }
    if (op === 'CREATE' && def.group === '' && def.plural === 'namespaces') obj.status = { phase: 'Active' };

    // The strategy's validation — metadata, OpenAPI schema, CEL rules — after mutation
    // (k8s.io/apiserver pkg/registry/generic/registry/store.go:501 rest.BeforeCreate, :753 rest.BeforeUpdate) ...
    ctx.warnings.push(...this.validator.check(def, obj, { ...skipStatus, ...(old ? { old } : {}) }));

    // ... then validating admission on the final object (store.go:507 createValidation, :768 updateValidation).
    const validation = this.store.admitValidating({ ...request, object: clone(obj) });
    ctx.warnings.push(...(validation.warnings ?? []));
    if (!validation.allowed) {
      throw new ApiError(validation.code, validation.reason, validation.message, validation.details);
    }

    // Storage: a create of an existing name fails only here, after validation and admission.
    if (op === 'CREATE' && this.store.peek(def, t.namespace, obj.metadata.name)) {
      throw new ApiError(409, 'AlreadyExists', `${def.plural}${def.group ? '.' + def.group : ''} "${obj.metadata.name}" already exists`, {
        name: obj.metadata.name,
        group: def.group,
        kind: def.plural,
      });
    }

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
      if (out.apiVersion.includes('/')) out.metadata.generation = 1;
      delete out.metadata.resourceVersion;
      return out;
    }
    const strip = (o: KubeObject): Record<string, unknown> => {
      const { metadata: _m, status: _s, ...rest } = o;
      return rest;
    };
    out.metadata.resourceVersion = old.metadata.resourceVersion;
    if (old.metadata.generation !== undefined)
      out.metadata.generation = old.metadata.generation + (deepEqual(strip(old), strip(out)) ? 0 : 1);
    return out;
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

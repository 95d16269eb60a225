/**
 * OpenAPI v3: the index (/openapi/v3) and one document per group-version. kubectl's `apply --server-side`
 * needs the patch operations with `x-kubernetes-group-version-kind` and a `fieldValidation` parameter;
 * `kubectl explain` reads the component schemas (the CRD schemas, carrying their GVK).
 */
import { createHash } from 'node:crypto';
import type { JsonSchema, ResourceDef, ResourceRegistry } from './resources.js';
import { AUTHN_GROUP, AUTHZ_GROUP, REVIEW_RESOURCES } from './reviews.js';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

export function schemaName(def: Pick<ResourceDef, 'group' | 'version'>, kind: string): string {
  if (def.group === '') return `io.k8s.api.core.${def.version}.${kind}`;
  if (def.group === AUTHZ_GROUP) return `io.k8s.api.authorization.${def.version}.${kind}`;
  if (def.group === AUTHN_GROUP) return `io.k8s.api.authentication.${def.version}.${kind}`;
  if (def.group === 'apiextensions.k8s.io') return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${def.version}.${kind}`;
  return `${def.group.split('.').reverse().join('.')}.${def.version}.${kind}`;
}

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

const json = (schema: JsonSchema): JsonSchema => ({ content: { 'application/json': { schema }, 'application/yaml': { schema } } });

function queryParam(name: string, description: string, type = 'string'): JsonSchema {
  return { name, in: 'query', description, schema: { type, uniqueItems: true } };
}

const WRITE_PARAMS = [
  queryParam('dryRun', 'When present, indicates that modifications should not be persisted.'),
  queryParam('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes.'),
  queryParam(
    'fieldValidation',
    'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: Ignore, Warn, Strict.',
  ),
];

function metaSchemas(): Record<string, JsonSchema> {
  const str = { type: 'string' };
  const strMap = { type: 'object', additionalProperties: { type: 'string', default: '' } };
  return {
    [`${META}.ObjectMeta`]: {
      description: 'ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.',
      type: 'object',
      properties: {
        name: str,
        generateName: str,
        namespace: str,
        uid: str,
        resourceVersion: str,
        generation: { type: 'integer', format: 'int64' },
        creationTimestamp: { type: 'string', format: 'date-time' },
        deletionTimestamp: { type: 'string', format: 'date-time' },
        deletionGracePeriodSeconds: { type: 'integer', format: 'int64' },
        labels: strMap,
        annotations: strMap,
        finalizers: { type: 'array', items: { type: 'string', default: '' }, 'x-kubernetes-list-type': 'set' },
        ownerReferences: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        managedFields: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    },
    [`${META}.ListMeta`]: {
      type: 'object',
      properties: { resourceVersion: str, continue: str, remainingItemCount: { type: 'integer', format: 'int64' } },
    },
    [`${META}.Patch`]: {
      description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
      type: 'object',
    },
    [`${META}.DeleteOptions`]: { type: 'object', properties: { propagationPolicy: str, dryRun: { type: 'array', items: str } } },
    [`${META}.Status`]: {
      type: 'object',
      properties: { status: str, message: str, reason: str, code: { type: 'integer', format: 'int32' } },
    },
  };
}

function coreSchema(kind: string): JsonSchema {
  const common: Record<string, JsonSchema> = {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { allOf: [ref(`${META}.ObjectMeta`)], default: {} },
  };
  switch (kind) {
    case 'ConfigMap':
      return {
        type: 'object',
        properties: {
          ...common,
          data: { type: 'object', additionalProperties: { type: 'string' } },
          binaryData: { type: 'object', additionalProperties: { type: 'string', format: 'byte' } },
          immutable: { type: 'boolean' },
        },
      };
    case 'Secret':
      return {
        type: 'object',
        properties: {
          ...common,
          data: { type: 'object', additionalProperties: { type: 'string', format: 'byte' } },
          stringData: { type: 'object', additionalProperties: { type: 'string' } },
          type: { type: 'string' },
          immutable: { type: 'boolean' },
        },
      };
    case 'Namespace':
      return {
        type: 'object',
        properties: {
          ...common,
          spec: { type: 'object', properties: { finalizers: { type: 'array', items: { type: 'string' } } } },
          status: { type: 'object', properties: { phase: { type: 'string' } } },
        },
      };
    default:
      return { type: 'object', properties: common, 'x-kubernetes-preserve-unknown-fields': true };
  }
}

function resourceSchema(def: ResourceDef): JsonSchema {
  const gvk = [{ group: def.group, version: def.version, kind: def.kind }];
  if (!def.schema) return { ...coreSchema(def.kind), 'x-kubernetes-group-version-kind': gvk };
  const props = { ...(def.schema.properties as Record<string, JsonSchema> | undefined) };
  props.metadata = { allOf: [ref(`${META}.ObjectMeta`)], description: "Standard object's metadata." };
  return { ...def.schema, properties: props, 'x-kubernetes-group-version-kind': gvk };
}

function listSchema(def: ResourceDef): JsonSchema {
  return {
    type: 'object',
    required: ['items'],
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { allOf: [ref(`${META}.ListMeta`)] },
      items: { type: 'array', items: ref(schemaName(def, def.kind)) },
    },
    'x-kubernetes-group-version-kind': [{ group: def.group, version: def.version, kind: def.listKind }],
  };
}

function operation(def: ResourceDef, action: string, id: string, extra: JsonSchema = {}): JsonSchema {
  return {
    operationId: id,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: def.group, version: def.version, kind: def.kind },
    responses: { '200': { description: 'OK', ...json(ref(schemaName(def, action === 'list' ? def.listKind : def.kind))) } },
    ...extra,
  };
}

function resourcePaths(def: ResourceDef): Record<string, JsonSchema> {
  const base = def.group ? `/apis/${def.group}/${def.version}` : `/api/${def.version}`;
  const scoped = def.namespaced ? `${base}/namespaces/{namespace}/${def.plural}` : `${base}/${def.plural}`;
  const nsParam = def.namespaced ? [{ name: 'namespace', in: 'path', required: true, schema: { type: 'string', uniqueItems: true } }] : [];
  const nameParam = { name: 'name', in: 'path', required: true, schema: { type: 'string', uniqueItems: true } };
  const obj = ref(schemaName(def, def.kind));
  const id = def.kind;
  const patchBody = {
    content: Object.fromEntries(
      [
        'application/apply-patch+yaml',
        'application/json-patch+json',
        'application/merge-patch+json',
        ...(def.custom ? [] : ['application/strategic-merge-patch+json']),
      ].map((t) => [t, { schema: ref(`${META}.Patch`) }]),
    ),
    required: true,
  };
  // Only the operations the resource serves (the CustomResourceDefinitions are read-only here).
  const writable = def.verbs.includes('create');
  const paths: Record<string, JsonSchema> = {
    [scoped]: {
      get: operation(def, 'list', `list${id}`, {
        parameters: [
          queryParam('labelSelector', 'label selector'),
          queryParam('fieldSelector', 'field selector'),
          queryParam('limit', 'limit', 'integer'),
          queryParam('continue', 'continue'),
          queryParam('watch', 'watch', 'boolean'),
        ],
      }),
      ...(writable
        ? { post: operation(def, 'post', `create${id}`, { parameters: WRITE_PARAMS, requestBody: { ...json(obj), required: true } }) }
        : {}),
      parameters: nsParam,
    },
    [`${scoped}/{name}`]: {
      get: operation(def, 'get', `read${id}`),
      ...(writable
        ? {
            put: operation(def, 'put', `replace${id}`, { parameters: WRITE_PARAMS, requestBody: { ...json(obj), required: true } }),
            patch: operation(def, 'patch', `patch${id}`, {
              parameters: [...WRITE_PARAMS, queryParam('force', 'Force is going to "force" Apply requests.', 'boolean')],
              requestBody: patchBody,
            }),
            delete: operation(def, 'delete', `delete${id}`, {
              parameters: [queryParam('dryRun', 'dry run'), queryParam('propagationPolicy', 'propagation policy')],
            }),
          }
        : {}),
      parameters: [nameParam, ...nsParam],
    },
  };
  if (def.statusSubresource) {
    paths[`${scoped}/{name}/status`] = {
      get: operation(def, 'get', `read${id}Status`),
      put: operation(def, 'put', `replace${id}Status`, { parameters: WRITE_PARAMS, requestBody: { ...json(obj), required: true } }),
      patch: operation(def, 'patch', `patch${id}Status`, {
        parameters: [...WRITE_PARAMS, queryParam('force', 'force', 'boolean')],
        requestBody: patchBody,
      }),
      parameters: [nameParam, ...nsParam],
    };
  }
  if (def.namespaced) paths[`${base}/${def.plural}`] = { get: operation(def, 'list', `list${id}ForAllNamespaces`) };
  return paths;
}

/** The create-only review kinds of one group (./reviews.ts). */
function reviewDocument(group: string): JsonSchema {
  const paths: Record<string, JsonSchema> = {};
  const schemas: Record<string, JsonSchema> = metaSchemas();
  for (const r of REVIEW_RESOURCES.filter((x) => x.group === group)) {
    const name = schemaName(r, r.kind);
    const gvk = { group: r.group, version: r.version, kind: r.kind };
    paths[`/apis/${r.group}/${r.version}/${r.plural}`] = {
      post: {
        operationId: `create${r.kind}`,
        'x-kubernetes-action': 'post',
        'x-kubernetes-group-version-kind': gvk,
        parameters: WRITE_PARAMS,
        requestBody: { ...json(ref(name)), required: true },
        responses: { '201': { description: 'Created', ...json(ref(name)) } },
      },
    };
    schemas[name] = {
      type: 'object',
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: { allOf: [ref(`${META}.ObjectMeta`)] },
        spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
      'x-kubernetes-group-version-kind': [gvk],
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.4' }, paths, components: { schemas } };
}

/** Builds and caches the per-group-version documents and their hashes. */
export class OpenApiV3 {
  private readonly docs = new Map<string, { body: string; hash: string }>();

  constructor(registry: ResourceRegistry) {
    for (const [group, versions] of registry.groupVersions()) {
      for (const [version, defs] of versions) {
        const paths: Record<string, JsonSchema> = {};
        const schemas: Record<string, JsonSchema> = metaSchemas();
        for (const def of defs) {
          Object.assign(paths, resourcePaths(def));
          schemas[schemaName(def, def.kind)] = resourceSchema(def);
          schemas[schemaName(def, def.listKind)] = listSchema(def);
        }
        this.add(group ? `apis/${group}/${version}` : `api/${version}`, {
          openapi: '3.0.0',
          info: { title: 'Kubernetes', version: 'v1.32.4' },
          paths,
          components: { schemas },
        });
      }
    }
    for (const group of new Set(REVIEW_RESOURCES.map((r) => r.group))) this.add(`apis/${group}/v1`, reviewDocument(group));
  }

  private add(key: string, doc: JsonSchema): void {
    const body = JSON.stringify(doc);
    const hash = createHash('sha512').update(body).digest('hex').slice(0, 128).toUpperCase();
    this.docs.set(key, { body, hash });
  }

  index(): unknown {
    const paths: Record<string, { serverRelativeURL: string }> = {};
    for (const [key, { hash }] of this.docs) paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
    return { paths };
  }

  /** The serialized document for `apis/<g>/<v>` or `api/v1`. */
  document(key: string): string | undefined {
    return this.docs.get(key)?.body;
  }
}

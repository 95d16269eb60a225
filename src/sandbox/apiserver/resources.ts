/**
 * The resources the sandbox serves: core v1 kinds (namespaces, configmaps, secrets, events) and every
 * CustomResourceDefinition found in data/k0rdent/crds, parsed from the real CRD YAML (never hand-written).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { KubeObject, ResourceKey } from './types.js';

export type JsonSchema = Record<string, unknown>;

export interface ResourceDef {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  categories: string[];
  namespaced: boolean;
  /** The CRD's openAPIV3Schema (undefined for core kinds: they are not schema-validated). */
  schema?: JsonSchema;
  /** Writes to the main resource ignore .status; /status writes change only .status. */
  statusSubresource: boolean;
  verbs: string[];
  /** True for CRDs (strategic merge patch is refused with 415, as for real custom resources). */
  custom: boolean;
  /** Columns of `kubectl get` (Table responses): the CRD's additionalPrinterColumns, or the built-in ones. */
  printerColumns: PrinterColumn[];
  /** The CustomResourceDefinition this kind comes from (served read-only under apiextensions.k8s.io/v1). */
  crd?: CrdDocument;
}

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
  /**
   * How a built-in printer fills the cell (k8s.io/kubernetes pkg/printers/internalversion/printers.go):
   * `age` (HumanDuration of a timestamp), `count` (number of keys), `object` (kind/name), `timestamp`
   * (RFC 3339, k8s.io/apiserver pkg/registry/rest/table.go). Unset: a CRD column, filled as
   * k8s.io/apiextensions-apiserver pkg/registry/customresource/tableconvertor does from its `type`.
   */
  cell?: 'age' | 'count' | 'object' | 'timestamp';
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** Walks up from this module to the directory holding package.json. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

export function defaultCrdDir(): string {
  return join(packageRoot(), 'data', 'k0rdent', 'crds');
}

export interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  schema?: { openAPIV3Schema?: JsonSchema };
  subresources?: { status?: unknown };
  additionalPrinterColumns?: PrinterColumn[];
}

export interface CrdDocument {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec?: {
    group: string;
    names: { kind: string; listKind?: string; plural: string; singular?: string; shortNames?: string[]; categories?: string[] };
    scope: 'Namespaced' | 'Cluster';
    versions: CrdVersion[];
  };
}

/** Parses every CRD in `dir` into one ResourceDef per served version. */
export function loadCrds(dir: string = defaultCrdDir()): ResourceDef[] {
  const defs: ResourceDef[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()) {
    const text = readFileSync(join(dir, file), 'utf8');
    // A file of JSON (data/world/crds) is read as JSON: the same document, parsed ten times faster than YAML.
    const docs: unknown[] = text.trimStart().startsWith('{') ? [JSON.parse(text)] : parseAllDocuments(text).map((d) => d.toJS());
    for (const doc of docs) {
      const crd = doc as CrdDocument | null;
      if (!crd || crd.kind !== 'CustomResourceDefinition' || !crd.spec) continue;
      const { group, names, scope, versions } = crd.spec;
      for (const v of versions) {
        if (v.served === false) continue;
        defs.push({
          group,
          version: v.name,
          kind: names.kind,
          listKind: names.listKind ?? `${names.kind}List`,
          plural: names.plural,
          singular: names.singular ?? names.kind.toLowerCase(),
          shortNames: names.shortNames ?? [],
          categories: names.categories ?? [],
          namespaced: scope === 'Namespaced',
          schema: v.schema?.openAPIV3Schema,
          statusSubresource: v.subresources?.status !== undefined,
          verbs: ALL_VERBS,
          custom: true,
          // No columns: Age (k8s.io/apiextensions-apiserver pkg/apiserver/customresource_handler.go serveDefaultColumnsIfEmpty).
          printerColumns: v.additionalPrinterColumns ?? [
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: CREATION_TIMESTAMP_DOC },
          ],
          crd,
        });
      }
    }
  }
  return defs;
}

/** metav1.ObjectMeta's swagger docs, the descriptions kube-apiserver gives its Name and age columns. */
export const NAME_DOC =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
export const CREATION_TIMESTAMP_DOC =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

// Built-in printers declare every column `string` (k8s.io/kubernetes pkg/printers/internalversion/printers.go).
const AGE: PrinterColumn = {
  name: 'Age',
  type: 'string',
  jsonPath: '.metadata.creationTimestamp',
  cell: 'age',
  description: CREATION_TIMESTAMP_DOC,
};

const CORE_COLUMNS: Record<string, PrinterColumn[]> = {
  Namespace: [{ name: 'Status', type: 'string', jsonPath: '.status.phase', description: 'The status of the namespace' }, AGE],
  ConfigMap: [{ name: 'Data', type: 'string', jsonPath: '.data', cell: 'count' }, AGE],
  Secret: [{ name: 'Type', type: 'string', jsonPath: '.type' }, { name: 'Data', type: 'string', jsonPath: '.data', cell: 'count' }, AGE],
  // As the API server prints events: the name only under -o wide.
  Event: [
    { name: 'Last Seen', type: 'string', jsonPath: '.lastTimestamp', cell: 'age' },
    { name: 'Type', type: 'string', jsonPath: '.type' },
    { name: 'Reason', type: 'string', jsonPath: '.reason' },
    { name: 'Object', type: 'string', jsonPath: '.involvedObject', cell: 'object' },
    { name: 'Message', type: 'string', jsonPath: '.message' },
    { name: 'Name', type: 'string', jsonPath: '.metadata.name', format: 'name', priority: 1, description: NAME_DOC },
  ],
};

/** events.k8s.io/v1 Events print like core ones, from their own field names. */
const EVENTS_V1_COLUMNS: PrinterColumn[] = [
  { name: 'Last Seen', type: 'string', jsonPath: '.eventTime', cell: 'age' },
  { name: 'Type', type: 'string', jsonPath: '.type' },
  { name: 'Reason', type: 'string', jsonPath: '.reason' },
  { name: 'Object', type: 'string', jsonPath: '.regarding', cell: 'object' },
  { name: 'Message', type: 'string', jsonPath: '.note' },
  { name: 'Name', type: 'string', jsonPath: '.metadata.name', format: 'name', priority: 1, description: NAME_DOC },
];

function core(kind: string, plural: string, namespaced: boolean, shortNames: string[], verbs = ALL_VERBS): ResourceDef {
  return {
    group: '',
    version: 'v1',
    kind,
    listKind: `${kind}List`,
    plural,
    singular: kind.toLowerCase(),
    shortNames,
    categories: [],
    namespaced,
    statusSubresource: kind === 'Namespace' || kind === 'Pod',
    verbs,
    custom: false,
    printerColumns: CORE_COLUMNS[kind] ?? [AGE],
  };
}

export function coreResources(): ResourceDef[] {
  return [
    core('Namespace', 'namespaces', false, ['ns'], ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']),
    core('ConfigMap', 'configmaps', true, ['cm']),
    core('Secret', 'secrets', true, []),
    core('Event', 'events', true, ['ev']),
    // The controllers' pods (their `log` subresource: ../pods/controller-logs.ts).
    core('Pod', 'pods', true, ['po']),
    // Served from the core Events' storage (MemoryStore view, ./event-conversion.ts), as kube-apiserver does.
    { ...core('Event', 'events', true, ['ev']), group: 'events.k8s.io', printerColumns: EVENTS_V1_COLUMNS },
  ];
}

export function resourceId(key: ResourceKey): string {
  return `${key.group}/${key.version}/${key.plural}`;
}

export const NAMESPACES: ResourceKey = { group: '', version: 'v1', plural: 'namespaces' };

/** Lookup of served resources by group/version/plural and by group/version. */
export class ResourceRegistry {
  private readonly byId = new Map<string, ResourceDef>();

  constructor(readonly defs: ResourceDef[]) {
    for (const d of defs) this.byId.set(resourceId(d), d);
  }

  find(group: string, version: string, plural: string): ResourceDef | undefined {
    return this.byId.get(`${group}/${version}/${plural}`);
  }

  get(key: ResourceKey): ResourceDef | undefined {
    return this.byId.get(resourceId(key));
  }

  /** Ordered group → versions → resources (core group first, as '' ). */
  groupVersions(): Map<string, Map<string, ResourceDef[]>> {
    const groups = new Map<string, Map<string, ResourceDef[]>>();
    for (const d of this.defs) {
      let versions = groups.get(d.group);
      if (!versions) groups.set(d.group, (versions = new Map()));
      let list = versions.get(d.version);
      if (!list) versions.set(d.version, (list = []));
      list.push(d);
    }
    return groups;
  }

  findByKind(apiVersion: string, kind: string): ResourceDef | undefined {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
    return this.defs.find((d) => d.group === group && d.version === version && d.kind === kind);
  }
}

export const CUSTOM_RESOURCE_DEFINITIONS: ResourceKey = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  plural: 'customresourcedefinitions',
};

/**
 * apiextensions.k8s.io/v1 CustomResourceDefinitions, served READ-ONLY (get, list, watch): the sandbox's
 * kinds are fixed at start, so a CRD cannot be created, changed or deleted here (405). Printed with the
 * default table convertor's columns, NAME and CREATED AT (k8s.io/apiserver pkg/registry/rest/table.go,
 * used by k8s.io/apiextensions-apiserver pkg/registry/customresourcedefinition/etcd.go).
 */
export function customResourceDefinitionResource(): ResourceDef {
  return {
    ...CUSTOM_RESOURCE_DEFINITIONS,
    kind: 'CustomResourceDefinition',
    listKind: 'CustomResourceDefinitionList',
    singular: 'customresourcedefinition',
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
    namespaced: false,
    statusSubresource: false,
    verbs: ['get', 'list', 'watch'],
    custom: false,
    printerColumns: [
      { name: 'Created At', type: 'date', jsonPath: '.metadata.creationTimestamp', cell: 'timestamp', description: CREATION_TIMESTAMP_DOC },
    ],
  };
}

/** The registry plus the CustomResourceDefinitions resource, when it serves custom kinds from CRD documents. */
export function withCustomResourceDefinitions(registry: ResourceRegistry): ResourceRegistry {
  if (registry.get(CUSTOM_RESOURCE_DEFINITIONS) || !registry.defs.some((d) => d.crd)) return registry;
  return new ResourceRegistry([...registry.defs, customResourceDefinitionResource()]);
}

/**
 * The CustomResourceDefinition objects behind the registry's custom kinds, as kube-apiserver stores and
 * serves them: the document's spec with `conversion.strategy: None` defaulted
 * (k8s.io/apiextensions-apiserver pkg/apis/apiextensions/v1/defaults.go SetDefaults_CustomResourceDefinitionSpec),
 * and the status its controllers write — NamesAccepted (pkg/controller/status/naming_controller.go),
 * Established (pkg/controller/establish/establishing_controller.go), acceptedNames and storedVersions.
 */
export function customResourceDefinitionObjects(registry: ResourceRegistry, now: string): KubeObject[] {
  const seen = new Map<string, KubeObject>();
  for (const def of registry.defs) {
    const crd = def.crd;
    if (!crd?.spec) continue;
    const name = crd.metadata?.name ?? `${crd.spec.names.plural}.${crd.spec.group}`;
    if (seen.has(name)) continue;
    const { group, names, scope, versions } = crd.spec;
    const spec = { ...structuredClone(crd.spec), conversion: (crd.spec as { conversion?: unknown }).conversion ?? { strategy: 'None' } };
    const acceptedNames: Record<string, unknown> = { plural: names.plural, singular: names.singular ?? names.kind.toLowerCase() };
    if (names.shortNames?.length) acceptedNames.shortNames = names.shortNames;
    acceptedNames.kind = names.kind;
    acceptedNames.listKind = names.listKind ?? `${names.kind}List`;
    if (names.categories?.length) acceptedNames.categories = names.categories;
    seen.set(name, {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: {
        name,
        ...(crd.metadata?.labels ? { labels: { ...crd.metadata.labels } } : {}),
        ...(crd.metadata?.annotations ? { annotations: { ...crd.metadata.annotations } } : {}),
      },
      spec: { group, names: spec.names, scope, versions: spec.versions, conversion: spec.conversion },
      status: {
        conditions: [
          { type: 'NamesAccepted', status: 'True', lastTransitionTime: now, reason: 'NoConflicts', message: 'no conflicts found' },
          {
            type: 'Established',
            status: 'True',
            lastTransitionTime: now,
            reason: 'InitialNamesAccepted',
            message: 'the initial names have been accepted',
          },
        ],
        acceptedNames,
        storedVersions: versions.filter((v) => v.storage).map((v) => v.name),
      },
    });
  }
  return [...seen.values()];
}

/** Core kinds plus the k0rdent CRDs from `crdDir`. */
export function defaultRegistry(crdDir?: string): ResourceRegistry {
  return new ResourceRegistry([...coreResources(), ...loadCrds(crdDir)]);
}

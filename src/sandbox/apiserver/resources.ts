/**
 * The resources the sandbox serves: core v1 kinds (namespaces, configmaps, secrets, events) and every
 * CustomResourceDefinition found in data/k0rdent/crds, parsed from the real CRD YAML (never hand-written).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { ResourceKey } from './types.js';

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
}

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
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

interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  schema?: { openAPIV3Schema?: JsonSchema };
  subresources?: { status?: unknown };
  additionalPrinterColumns?: PrinterColumn[];
}

interface CrdDocument {
  kind?: string;
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
  for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      const crd = doc.toJS() as CrdDocument | null;
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
          printerColumns: v.additionalPrinterColumns ?? [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }],
        });
      }
    }
  }
  return defs;
}

const AGE: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

const CORE_COLUMNS: Record<string, PrinterColumn[]> = {
  Namespace: [{ name: 'Status', type: 'string', jsonPath: '.status.phase' }, AGE],
  ConfigMap: [{ name: 'Data', type: 'integer', jsonPath: '.data', format: 'count' }, AGE],
  Secret: [{ name: 'Type', type: 'string', jsonPath: '.type' }, { name: 'Data', type: 'integer', jsonPath: '.data', format: 'count' }, AGE],
  // As the API server prints events: the name only under -o wide.
  Event: [
    { name: 'Last Seen', type: 'date', jsonPath: '.lastTimestamp' },
    { name: 'Type', type: 'string', jsonPath: '.type' },
    { name: 'Reason', type: 'string', jsonPath: '.reason' },
    { name: 'Object', type: 'string', jsonPath: '.involvedObject', format: 'object' },
    { name: 'Message', type: 'string', jsonPath: '.message' },
    { name: 'Name', type: 'string', jsonPath: '.metadata.name', format: 'name', priority: 1 },
  ],
};

/** events.k8s.io/v1 Events print like core ones, from their own field names. */
const EVENTS_V1_COLUMNS: PrinterColumn[] = [
  { name: 'Last Seen', type: 'date', jsonPath: '.eventTime' },
  { name: 'Type', type: 'string', jsonPath: '.type' },
  { name: 'Reason', type: 'string', jsonPath: '.reason' },
  { name: 'Object', type: 'string', jsonPath: '.regarding', format: 'object' },
  { name: 'Message', type: 'string', jsonPath: '.note' },
  { name: 'Name', type: 'string', jsonPath: '.metadata.name', format: 'name', priority: 1 },
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
    statusSubresource: kind === 'Namespace',
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

/** Core kinds plus the k0rdent CRDs from `crdDir`. */
export function defaultRegistry(crdDir?: string): ResourceRegistry {
  return new ResourceRegistry([...coreResources(), ...loadCrds(crdDir)]);
}

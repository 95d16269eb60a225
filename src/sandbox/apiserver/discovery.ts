/**
 * Discovery documents: /version, legacy /api, /apis and group-version APIResourceLists, and aggregated
 * discovery (apidiscovery.k8s.io v2/v2beta1), served only when the Accept header asks for it — kubectl
 * accepts the aggregated form only with its exact Content-Type.
 */
import type { ResourceDef, ResourceRegistry } from './resources.js';
import { REVIEW_RESOURCES, type ReviewResource } from './reviews.js';

/** The groups of the self reviews (./reviews.ts), each with its create-only kinds, in discovery's order. */
function reviewGroups(): Map<string, ReviewResource[]> {
  const groups = new Map<string, ReviewResource[]>();
  for (const r of REVIEW_RESOURCES) groups.set(r.group, [...(groups.get(r.group) ?? []), r]);
  return groups;
}

export function versionInfo(): Record<string, string> {
  return {
    major: '1',
    minor: '32',
    gitVersion: 'v1.32.4',
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2025-04-22T00:00:00Z',
    goVersion: 'go1.23.8',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

interface MediaType {
  type: string;
  params: Record<string, string>;
}

export function parseAccept(accept: string | undefined): MediaType[] {
  if (!accept) return [];
  return accept.split(',').map((part) => {
    const [type, ...rest] = part.split(';').map((s) => s.trim());
    const params: Record<string, string> = {};
    for (const p of rest) {
      const i = p.indexOf('=');
      if (i > 0) params[p.slice(0, i).trim()] = p.slice(i + 1).trim();
    }
    return { type: type ?? '', params };
  });
}

/** 'v2' | 'v2beta1' when the client's first acceptable type is aggregated discovery, else undefined. */
export function aggregatedVersion(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  for (const m of parseAccept(accept)) {
    if (
      m.params.as === 'APIGroupDiscoveryList' &&
      m.params.g === 'apidiscovery.k8s.io' &&
      (m.params.v === 'v2' || m.params.v === 'v2beta1')
    ) {
      return m.params.v;
    }
    if (m.type === 'application/json' || m.type === '*/*' || m.type === 'application/*') return undefined;
  }
  return undefined;
}

export function aggregatedContentType(version: 'v2' | 'v2beta1'): string {
  return `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;
}

export function apiVersions(serverAddress: string): unknown {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupNames(registry: ResourceRegistry): string[] {
  return [...registry.groupVersions().keys()].filter((g) => g !== '');
}

export function apiGroupList(registry: ResourceRegistry): unknown {
  const groups = registry.groupVersions();
  const out = groupNames(registry).map((name) => {
    const versions = [...groups.get(name)!.keys()].map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
    return { name, versions, preferredVersion: versions[0] };
  });
  for (const name of reviewGroups().keys()) {
    out.push({
      name,
      versions: [{ groupVersion: `${name}/v1`, version: 'v1' }],
      preferredVersion: { groupVersion: `${name}/v1`, version: 'v1' },
    });
  }
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: out };
}

/** APIGroup for /apis/<group>; undefined when the group is not served. */
export function apiGroup(registry: ResourceRegistry, name: string): unknown {
  const list = apiGroupList(registry) as { groups: { name: string }[] };
  const group = list.groups.find((g) => g.name === name);
  return group ? { kind: 'APIGroup', apiVersion: 'v1', ...group } : undefined;
}

function legacyResources(def: ResourceDef): unknown[] {
  const main: Record<string, unknown> = {
    name: def.plural,
    singularName: def.singular,
    namespaced: def.namespaced,
    kind: def.kind,
    verbs: def.verbs,
  };
  if (def.shortNames.length > 0) main.shortNames = def.shortNames;
  if (def.categories.length > 0) main.categories = def.categories;
  const out: unknown[] = [main];
  if (def.statusSubresource) {
    out.push({
      name: `${def.plural}/status`,
      singularName: '',
      namespaced: def.namespaced,
      kind: def.kind,
      verbs: ['get', 'patch', 'update'],
    });
  }
  return out;
}

/** APIResourceList for /api/v1 or /apis/<group>/<version>; undefined when not served. */
export function apiResourceList(registry: ResourceRegistry, group: string, version: string): unknown {
  const groupVersion = group ? `${group}/${version}` : version;
  const reviews = reviewGroups().get(group);
  if (reviews && version === 'v1') {
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion,
      resources: reviews.map((r) => ({ name: r.plural, singularName: r.singular, namespaced: false, kind: r.kind, verbs: ['create'] })),
    };
  }
  const defs = registry.groupVersions().get(group)?.get(version);
  if (!defs) return undefined;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources: defs.flatMap(legacyResources) };
}

function aggregatedResource(def: ResourceDef): unknown {
  const r: Record<string, unknown> = {
    resource: def.plural,
    responseKind: { group: def.group, version: def.version, kind: def.kind },
    scope: def.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: def.singular,
    verbs: def.verbs,
  };
  if (def.shortNames.length > 0) r.shortNames = def.shortNames;
  if (def.categories.length > 0) r.categories = def.categories;
  if (def.statusSubresource) {
    r.subresources = [
      {
        subresource: 'status',
        responseKind: { group: def.group, version: def.version, kind: def.kind },
        verbs: ['get', 'patch', 'update'],
      },
    ];
  }
  return r;
}

/** Aggregated discovery: the core group for /api, every other group for /apis. */
export function aggregatedDiscovery(registry: ResourceRegistry, core: boolean, version: 'v2' | 'v2beta1'): unknown {
  const groups = registry.groupVersions();
  const items: unknown[] = [];
  const names = core ? [''] : groupNames(registry);
  for (const name of names) {
    const versions = groups.get(name);
    if (!versions) continue;
    items.push({
      metadata: { name, creationTimestamp: null },
      versions: [...versions.entries()].map(([v, defs]) => ({ version: v, resources: defs.map(aggregatedResource), freshness: 'Current' })),
    });
  }
  if (!core) {
    for (const [name, reviews] of reviewGroups()) {
      items.push({
        metadata: { name, creationTimestamp: null },
        versions: [
          {
            version: 'v1',
            resources: reviews.map((r) => ({
              resource: r.plural,
              responseKind: { group: r.group, version: r.version, kind: r.kind },
              scope: 'Cluster',
              singularResource: r.singular,
              verbs: ['create'],
            })),
            freshness: 'Current',
          },
        ],
      });
    }
  }
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
}

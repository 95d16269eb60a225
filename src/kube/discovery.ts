/**
 * Which kinds the API server serves, and at which version: aggregated discovery (`/apis` with
 * apidiscovery.k8s.io/v2, one request for every group, kube-apiserver ≥ 1.30 and the sandbox), falling back
 * to the legacy `/apis` group list plus one APIResourceList per group asked about. Remembered per identity
 * for a short time: CRDs come and go rarely, and a walk below a ClusterDeployment asks about a dozen kinds.
 * The preferred version wins (the first one discovery lists), so nothing here names a version literally.
 */
import type { KubeIdentity } from './identity.js';
import { rawGet } from './raw-get.js';

export interface ServedKind {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  /** Subresources discovery lists (status, log, scale, ...). */
  subresources: string[];
}

interface AggregatedResource {
  resource?: string;
  responseKind?: { kind?: string };
  scope?: string;
  subresources?: { subresource?: string }[];
}

interface AggregatedList {
  kind?: string;
  items?: { metadata?: { name?: string }; versions?: { version?: string; resources?: AggregatedResource[] }[] }[];
}

interface LegacyGroupList {
  groups?: { name?: string; preferredVersion?: { version?: string }; versions?: { version?: string }[] }[];
}

interface LegacyResourceList {
  resources?: { name?: string; kind?: string; namespaced?: boolean }[];
}

const AGGREGATED_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

/** How long an identity trusts what discovery said. */
export const DISCOVERY_TTL_MS = 30_000;

export interface DiscoveryCall {
  signal?: AbortSignal | undefined;
  timeoutMs: number;
  /** Called before each request (the walk's budget). */
  onRequest?: () => void;
}

/** Kinds by group, preferred version first; or, for the legacy form, the preferred version of each group. */
class DiscoveryData {
  constructor(
    readonly at: number,
    /** group → kinds at the preferred version (aggregated), or undefined until read (legacy). */
    readonly byGroup: Map<string, ServedKind[] | undefined>,
    /** legacy only: group → its versions, preferred first */
    readonly preferred: Map<string, string[]>,
  ) {}
}

function parseAggregated(body: AggregatedList, at: number): DiscoveryData {
  const byGroup = new Map<string, ServedKind[] | undefined>();
  for (const item of body.items ?? []) {
    const group = item.metadata?.name ?? '';
    // Versions come in preference order (kube-apiserver's priority): a kind served at several versions is taken
    // at the first, and a kind only some versions serve (a group whose CRDs sit at different versions, as
    // infrastructure.cluster.x-k8s.io does: AWSCluster v1beta2, AzureCluster v1beta1) at the one that has it.
    const kinds: ServedKind[] = [];
    const seen = new Set<string>();
    for (const version of item.versions ?? []) {
      if (version.version === undefined) continue;
      for (const r of version.resources ?? []) {
        if (r.resource === undefined || r.responseKind?.kind === undefined || seen.has(r.responseKind.kind)) continue;
        seen.add(r.responseKind.kind);
        kinds.push({
          group,
          version: version.version,
          kind: r.responseKind.kind,
          plural: r.resource,
          namespaced: r.scope === 'Namespaced',
          subresources: (r.subresources ?? []).map((sub) => sub.subresource ?? '').filter((sub) => sub !== ''),
        });
      }
    }
    byGroup.set(group, kinds);
  }
  return new DiscoveryData(at, byGroup, new Map());
}

export class Discovery {
  constructor(private readonly identity: KubeIdentity) {}

  private get slot(): { data?: DiscoveryData; loading?: Promise<DiscoveryData> } {
    return this.identity.memo('discovery', () => ({}));
  }

  private async load(call: DiscoveryCall): Promise<DiscoveryData> {
    const slot = this.slot;
    if (slot.data !== undefined && Date.now() - slot.data.at < DISCOVERY_TTL_MS) return slot.data;
    call.onRequest?.();
    const loading = (async () => {
      const answer = await rawGet(this.identity, '/apis', {
        accept: AGGREGATED_ACCEPT,
        signal: call.signal,
        timeoutMs: call.timeoutMs,
        action: 'discover the API groups (/apis)',
      });
      const body = JSON.parse(answer.body) as AggregatedList & LegacyGroupList;
      if (body.kind === 'APIGroupDiscoveryList' || answer.contentType.includes('APIGroupDiscoveryList'))
        return parseAggregated(body, Date.now());
      const preferred = new Map<string, string[]>();
      const byGroup = new Map<string, ServedKind[] | undefined>();
      for (const g of body.groups ?? []) {
        const first = g.preferredVersion?.version ?? g.versions?.[0]?.version;
        if (g.name === undefined || first === undefined) continue;
        const others = (g.versions ?? []).map((v) => v.version).filter((v): v is string => v !== undefined && v !== first);
        preferred.set(g.name, [first, ...others]);
        byGroup.set(g.name, undefined);
      }
      return new DiscoveryData(Date.now(), byGroup, preferred);
    })();
    slot.loading = loading;
    try {
      slot.data = await loading;
      return slot.data;
    } finally {
      if (slot.loading === loading) delete slot.loading;
    }
  }

  /** The kinds a group serves at its preferred version; [] when the group is not served. */
  async groupKinds(group: string, call: DiscoveryCall): Promise<ServedKind[]> {
    const data = await this.load(call);
    if (!data.byGroup.has(group)) return [];
    const known = data.byGroup.get(group);
    if (known !== undefined) return known;
    const kinds: ServedKind[] = [];
    for (const version of data.preferred.get(group) ?? []) {
      call.onRequest?.();
      const answer = await rawGet(this.identity, `/apis/${group}/${version}`, {
        signal: call.signal,
        timeoutMs: call.timeoutMs,
        action: `discover the kinds of ${group}/${version}`,
      });
      const list = JSON.parse(answer.body) as LegacyResourceList;
      const subresources = new Map<string, string[]>();
      const found: ServedKind[] = [];
      for (const r of list.resources ?? []) {
        const [plural, sub] = (r.name ?? '').split('/');
        if (plural === undefined || plural === '') continue;
        if (sub !== undefined) subresources.set(plural, [...(subresources.get(plural) ?? []), sub]);
        else if (r.kind !== undefined && !kinds.some((k) => k.kind === r.kind))
          found.push({ group, version, kind: r.kind, plural, namespaced: r.namespaced === true, subresources: [] });
      }
      for (const k of found) k.subresources = subresources.get(k.plural) ?? [];
      kinds.push(...found);
    }
    data.byGroup.set(group, kinds);
    return kinds;
  }

  /** The served kind `kind` of `group`, or undefined when its CRD is absent. */
  async find(group: string, kind: string, call: DiscoveryCall): Promise<ServedKind | undefined> {
    return (await this.groupKinds(group, call)).find((k) => k.kind === kind);
  }
}

/** The API group of an `apiVersion` (`cluster.x-k8s.io/v1beta2` → `cluster.x-k8s.io`, `v1` → ''). */
export function groupOf(apiVersion: string | undefined): string {
  if (apiVersion === undefined) return '';
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** The path of a collection or an object of a served kind. */
export function kindPath(kind: ServedKind, namespace: string | undefined, name?: string): string {
  const base = kind.group === '' ? `/api/${kind.version}` : `/apis/${kind.group}/${kind.version}`;
  const ns = kind.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${kind.plural}${name !== undefined ? `/${encodeURIComponent(name)}` : ''}`;
}

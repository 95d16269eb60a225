/**
 * Which infrastructure providers a Credential can serve, from the ProviderInterfaces kcm installs
 * (`spec.clusterIdentities`, labelled `cluster.x-k8s.io/provider: infrastructure-<p>`; kcm
 * `internal/util/validation/cd.go` getProviderClusterIdentityKinds, and `infrastructure-internal`, the
 * adopted-cluster provider, accepts only a Secret: cd.go:109). Pure.
 *
 * kcm itself accepts any credential whose identity kind the provider lists, so a plain `Secret` (listed
 * by gcp, docker, openstack, ...) fits every such provider. This server is stricter, and says on what
 * evidence (`basis`):
 *  - `identityKind`: only one provider accepts the kind (AzureClusterIdentity → azure);
 *  - `label`: the Credential carries `cluster.x-k8s.io/provider: infrastructure-<p>[,...]`;
 *  - `name`: the Credential's or its identity's name has a provider's name as a word
 *    (`gcp-cluster-credential`, `docker-cluster-secret`; `adopted` names the internal provider);
 *  - `interfaces`: nothing narrows it: every provider whose interface accepts the kind (listed, not guessed);
 *  - `none`: no interface accepts the kind.
 */
import { LABEL_CAPI_PROVIDER } from './resources.js';

export interface IdentityKind {
  kind: string;
  /** `group/version` or `v1`; undefined when the interface gives none. */
  apiVersion?: string;
}

export interface ProviderInterfaceInfo {
  /** The ProviderInterface's name, e.g. `cluster-api-provider-aws`. */
  name: string;
  /** `infrastructure-aws`. */
  infrastructure: string;
  /** `aws` (the infrastructure provider without its prefix). */
  provider: string;
  identityKinds: IdentityKind[];
  description?: string;
}

export type FitBasis = 'identityKind' | 'label' | 'name' | 'interfaces' | 'none';

export interface CredentialFit {
  /** The one provider it serves; `ambiguous` when several remain (see `providers`); `unknown` when none. */
  provider: string;
  /** Every provider it may serve, short names (`aws`, `internal`), sorted. */
  providers: string[];
  basis: FitBasis;
}

export interface CredentialFacts {
  name: string;
  labels?: Record<string, string> | undefined;
  identityKind?: string | undefined;
  identityName?: string | undefined;
}

export const INTERNAL_PROVIDER = 'internal';
const INFRA_PREFIX = 'infrastructure-';

export function shortProvider(infrastructure: string): string {
  return infrastructure.startsWith(INFRA_PREFIX) ? infrastructure.slice(INFRA_PREFIX.length) : infrastructure;
}

type Raw = Record<string, unknown>;
const isRecord = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/** ProviderInterface objects as read from the API → what the fit needs; objects without the label are skipped. */
export function interfacesFrom(objects: readonly unknown[]): ProviderInterfaceInfo[] {
  const out: ProviderInterfaceInfo[] = [];
  for (const object of objects) {
    if (!isRecord(object) || !isRecord(object.metadata)) continue;
    const labels = isRecord(object.metadata.labels) ? object.metadata.labels : {};
    const infrastructure = labels[LABEL_CAPI_PROVIDER];
    if (typeof infrastructure !== 'string' || !infrastructure.startsWith(INFRA_PREFIX)) continue;
    const spec = isRecord(object.spec) ? object.spec : {};
    const identities = Array.isArray(spec.clusterIdentities) ? spec.clusterIdentities.filter(isRecord) : [];
    const identityKinds: IdentityKind[] = identities
      .filter((c) => typeof c.kind === 'string')
      .map((c) => {
        const group = typeof c.group === 'string' ? c.group : '';
        const version = typeof c.version === 'string' ? c.version : undefined;
        return { kind: c.kind as string, ...(version !== undefined ? { apiVersion: group === '' ? version : `${group}/${version}` } : {}) };
      });
    // Deprecated spec.clusterIdentityKinds, which kcm still reads when clusterIdentities is empty.
    if (identityKinds.length === 0 && Array.isArray(spec.clusterIdentityKinds)) {
      for (const kind of spec.clusterIdentityKinds) if (typeof kind === 'string') identityKinds.push({ kind });
    }
    out.push({
      name: typeof object.metadata.name === 'string' ? object.metadata.name : infrastructure,
      infrastructure,
      provider: shortProvider(infrastructure),
      identityKinds,
      ...(typeof spec.description === 'string' ? { description: spec.description } : {}),
    });
  }
  return out.sort((a, b) => a.provider.localeCompare(b.provider));
}

/** The internal (adopted-cluster) provider has no ProviderInterface; kcm accepts a Secret for it. */
const INTERNAL: ProviderInterfaceInfo = {
  name: 'kcm (built in)',
  infrastructure: `${INFRA_PREFIX}${INTERNAL_PROVIDER}`,
  provider: INTERNAL_PROVIDER,
  identityKinds: [{ kind: 'Secret', apiVersion: 'v1' }],
  description: 'Adopted clusters (infrastructure-internal, built into kcm)',
};

/** The interfaces plus the built-in internal provider. */
export function withInternal(interfaces: readonly ProviderInterfaceInfo[]): ProviderInterfaceInfo[] {
  return interfaces.some((i) => i.provider === INTERNAL_PROVIDER) ? [...interfaces] : [...interfaces, INTERNAL];
}

/** Words of a name: `gcp-cluster-credential` → gcp, cluster, credential. */
function words(name: string | undefined): string[] {
  return name === undefined
    ? []
    : name
        .toLowerCase()
        .split(/[^a-z0-9]+/)
        .filter((w) => w !== '');
}

/** The words that name a provider: its short name's last word (`k0smotron`), and `adopted` for internal. */
function providerWords(provider: string): string[] {
  const all = words(provider);
  const own = all.length > 0 ? [all[all.length - 1] as string, provider] : [provider];
  return provider === INTERNAL_PROVIDER ? [...own, 'adopted'] : own;
}

export function credentialFit(credential: CredentialFacts, interfaces: readonly ProviderInterfaceInfo[]): CredentialFit {
  const kind = credential.identityKind;
  const accepting =
    kind === undefined
      ? []
      : withInternal(interfaces)
          .filter((i) => i.identityKinds.some((k) => k.kind === kind))
          .map((i) => i.provider);
  const result = (providers: string[], basis: FitBasis): CredentialFit => {
    const sorted = [...new Set(providers)].sort();
    return {
      provider: sorted.length === 1 ? (sorted[0] as string) : sorted.length === 0 ? 'unknown' : 'ambiguous',
      providers: sorted,
      basis,
    };
  };
  if (accepting.length === 0) return result([], 'none');
  if (accepting.length === 1) return result(accepting, 'identityKind');
  const label = credential.labels?.[LABEL_CAPI_PROVIDER];
  if (label !== undefined) {
    const pinned = label
      .split(',')
      .map((p) => shortProvider(p.trim()))
      .filter((p) => accepting.includes(p));
    if (pinned.length > 0) return result(pinned, 'label');
  }
  const named = new Set([...words(credential.name), ...words(credential.identityName)]);
  const byName = accepting.filter((p) => providerWords(p).some((w) => named.has(w)));
  if (byName.length > 0) return result(byName, 'name');
  return result(accepting, 'interfaces');
}

/** The infrastructure providers (short names) a template needs, from `status.providers`. */
export function templateInfrastructure(providers: readonly string[]): string[] {
  return providers
    .map((p) => p.trim())
    .filter((p) => p.startsWith(INFRA_PREFIX))
    .map(shortProvider);
}

/** Whether a credential of this fit can serve a template needing these providers (all of them). */
export function fitsTemplate(fit: CredentialFit, templateProviders: readonly string[]): boolean {
  const needed = templateInfrastructure(templateProviders);
  return needed.length > 0 && needed.every((p) => fit.providers.includes(p));
}

/**
 * Provider inference for Credentials from `spec.identityRef.kind`, as kcm matches it against the
 * ProviderInterfaces' `clusterIdentities` (DOMAIN.md section 1). A plain `Secret` serves several
 * providers, so it is reported as ambiguous rather than guessed.
 */

const IDENTITY_KINDS: Readonly<Record<string, readonly string[]>> = {
  AWSClusterStaticIdentity: ['aws'],
  AWSClusterRoleIdentity: ['aws'],
  AWSClusterControllerIdentity: ['aws'],
  AzureClusterIdentity: ['azure'],
  OpenStackClusterIdentity: ['openstack'],
  VSphereClusterIdentity: ['vsphere'],
  Secret: ['azure', 'openstack', 'vsphere', 'gcp', 'docker', 'kubevirt', 'k0smotron', 'internal'],
};

export interface ProviderInference {
  /** The provider when the kind names exactly one; `ambiguous` or `unknown` otherwise. */
  provider: string;
  /** Every provider that accepts this identity kind (empty when the kind is unknown). */
  candidates: string[];
}

export function inferProvider(identityKind: string | undefined): ProviderInference {
  const candidates = identityKind === undefined ? [] : [...(IDENTITY_KINDS[identityKind] ?? [])];
  if (candidates.length === 1) return { provider: candidates[0] as string, candidates };
  if (candidates.length > 1) return { provider: 'ambiguous', candidates };
  return { provider: 'unknown', candidates };
}

/** The cloud of a template: the `infrastructure-<p>` entry of `status.providers`, without the prefix. */
export function cloudFromProviders(providers: readonly string[]): string | undefined {
  const infra = providers.map((p) => p.trim()).find((p) => p.startsWith('infrastructure-'));
  return infra === undefined ? undefined : infra.slice('infrastructure-'.length);
}

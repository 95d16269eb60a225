// The one place the project writes CRDs by hand: k0smotron's kinds, which no Go module the proxy serves carries
// (kcm v1.11.4 ships k0smotron v2.0.4, whose module path github.com/k0sproject/k0smotron has no /v2 suffix, so
// the proxy refuses its v2 tags; the v1 tags tried are refused too). A stub is schemaless
// (`x-kubernetes-preserve-unknown-fields`) with a status subresource, labelled with CAPI's contract label (k0smotron
// v2 implements CAPI's v1beta2 contract with API version v1beta2, what the charts write; CAPI and kcm find a provider
// object's API version by it) and with the provider label of k0smotron's own CRDs.
// Used by scripts/world-crds.mjs (data/world/crds, the world's kinds on every backend) and scripts/kcm-build.mjs
// (.kcm/crds/stubs, for the kinds kcm's charts render that no module carries).

/** Why there is no module CRD for these kinds (the stubs' annotation). */
export const STUB_SOURCE = 'no Go module serves github.com/k0sproject/k0smotron v2';

/** The stub of one kind. */
export function k0smotronStubCrd({ group, kind, plural, version }) {
  const provider =
    group === 'bootstrap.cluster.x-k8s.io'
      ? 'bootstrap-k0sproject-k0smotron'
      : group === 'controlplane.cluster.x-k8s.io'
        ? 'control-plane-k0sproject-k0smotron'
        : 'infrastructure-k0sproject-k0smotron';
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${plural}.${group}`,
      annotations: { 'k0rdent-mcp.io/generated': 'stub', 'k0rdent-mcp.io/source': STUB_SOURCE },
      labels: { 'cluster.x-k8s.io/provider': provider, 'cluster.x-k8s.io/v1beta2': version },
    },
    spec: {
      group,
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
      scope: 'Namespaced',
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          subresources: { status: {} },
        },
      ],
    },
  };
}

/** The plural a stub is served under (lower-case kind + s, es after an s), as controller-gen names k0smotron's. */
export function stubPlural(kind) {
  const lower = kind.toLowerCase();
  return lower.endsWith('s') ? `${lower}es` : `${lower}s`;
}

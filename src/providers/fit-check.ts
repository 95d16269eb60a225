/**
 * Deploy's own check that the credential can serve the template's infrastructure provider, before
 * anything is written. kcm's webhook checks only that the provider's interface lists the credential's
 * identity kind (kcm `internal/util/validation/cd.go` isCredIdentitySupportsClusterTemplate), so it would
 * accept a gcp Secret for a docker template; this check uses the stricter fit of src/k0rdent/provider-fit.ts.
 */
import { TOOL, toolRef } from '../tool-names.js';
import type { CallOptions, K0rdentApi, KubeObject } from '../kube/k0rdent-api.js';
import { AppError } from '../errors.js';
import { credentialFit, fitsTemplate, templateInfrastructure } from '../k0rdent/provider-fit.js';
import { providerInterfaces } from './catalog.js';

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** invalidParams when `credential` cannot serve `template`; silent when the template names no infrastructure provider (kcm reports that). */
export async function assertCredentialFits(
  api: K0rdentApi,
  template: KubeObject,
  credential: KubeObject,
  call: CallOptions,
): Promise<void> {
  const providers = strings(template.status?.providers);
  const needed = templateInfrastructure(providers);
  if (needed.length === 0) return;
  const ref = (credential.spec?.identityRef ?? {}) as { kind?: unknown; name?: unknown };
  const { interfaces } = await providerInterfaces(api, call);
  const fit = credentialFit(
    {
      name: credential.metadata?.name ?? '',
      labels: credential.metadata?.labels,
      identityKind: typeof ref.kind === 'string' ? ref.kind : undefined,
      identityName: typeof ref.name === 'string' ? ref.name : undefined,
    },
    interfaces,
  );
  if (fitsTemplate(fit, providers)) return;
  const ns = credential.metadata?.namespace ?? '';
  const why =
    fit.basis === 'none'
      ? `no provider accepts its identity kind ${String(ref.kind)}`
      : `it serves ${fit.providers.join(', ')} (${fit.basis === 'identityKind' ? `its identity kind ${String(ref.kind)}` : fit.basis === 'label' ? 'its cluster.x-k8s.io/provider label' : 'its name'})`;
  throw new AppError(
    'invalidParams',
    `Credential ${ns}/${credential.metadata?.name ?? ''} does not fit ClusterTemplate ${template.metadata?.name ?? ''}, which needs infrastructure provider ${needed.join(', ')}: ${why}. Choose a credential for ${needed.join(', ')} (${toolRef(TOOL.providersList)} or ${toolRef(TOOL.templatesGet)} list the ones that fit); if this one really is for ${needed.join(', ')}, label it cluster.x-k8s.io/provider=infrastructure-${needed[0] ?? ''}`,
    { credentialProviders: fit.providers, providerBasis: fit.basis, templateProviders: needed },
  );
}

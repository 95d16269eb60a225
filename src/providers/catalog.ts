/**
 * The ProviderInterfaces as one identity reads them, remembered for a minute per identity (they change
 * only when a provider is installed or upgraded). When they cannot be read (an older kcm without the
 * CRD, RBAC without `list providerinterfaces`), the kinds of kcm's shipped interfaces (src/k0rdent/
 * providers.ts) stand in, and the answer says so (`source: "builtin"`).
 */
import type { Logger } from 'pino';
import type { CallOptions, K0rdentApi } from '../kube/k0rdent-api.js';
import { AppError } from '../errors.js';
import { interfacesFrom, type ProviderInterfaceInfo } from '../k0rdent/provider-fit.js';
import { builtinInterfaces } from '../k0rdent/providers.js';
import { PROVIDER_INTERFACE } from '../k0rdent/resources.js';

export const INTERFACES_TTL_MS = 60_000;

export interface InterfaceCatalog {
  interfaces: ProviderInterfaceInfo[];
  /** `cluster`: read from the ProviderInterface objects; `builtin`: kcm's shipped kinds (they could not be read). */
  source: 'cluster' | 'builtin';
}

interface Memo {
  value?: { catalog: InterfaceCatalog; until: number };
  pending?: Promise<InterfaceCatalog>;
}

/** The identity's ProviderInterfaces (cached, see the module comment). */
export async function providerInterfaces(api: K0rdentApi, call: CallOptions, logger?: Logger): Promise<InterfaceCatalog> {
  const memo = api.identity.memo<Memo>('providers.interfaces', () => ({}));
  if (memo.value !== undefined && memo.value.until > Date.now()) return memo.value.catalog;
  memo.pending ??= (async () => {
    try {
      const page = await api.list(PROVIDER_INTERFACE, {}, call);
      const catalog: InterfaceCatalog = { interfaces: interfacesFrom(page.items), source: 'cluster' };
      memo.value = { catalog, until: Date.now() + INTERFACES_TTL_MS };
      return catalog;
    } catch (error) {
      if (!(error instanceof AppError) || !['forbidden', 'notFound'].includes(error.code)) throw error;
      logger?.debug({ error: error.message }, 'ProviderInterfaces cannot be read; using the kinds kcm ships');
      const catalog: InterfaceCatalog = { interfaces: builtinInterfaces(), source: 'builtin' };
      memo.value = { catalog, until: Date.now() + INTERFACES_TTL_MS };
      return catalog;
    } finally {
      memo.pending = undefined;
    }
  })();
  return memo.pending;
}

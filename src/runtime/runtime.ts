/**
 * Runtime (built once at startup) and Session (one per MCP session, or per request when stateless).
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeIdentities } from '../kube/identity.js';
import { namespacePolicyFromSettings } from '../policy/index.js';
import type { Runtime, Session, Settings } from './types.js';

const shutdowns = new WeakMap<Runtime, AbortController>();

/** `kube`: the identities (startup), or a ready KubeConfig as the operator's (tests). */
export function createRuntime(settings: Settings, identities: KubeIdentities | KubeConfig, logger: Logger, metrics: Registry): Runtime {
  const kube = identities instanceof KubeIdentities ? identities : new KubeIdentities({ loadBase: async () => identities, metrics });
  const stopping = new AbortController();
  const runtime: Runtime = { settings, kube, logger, metrics, stopping: stopping.signal };
  shutdowns.set(runtime, stopping);
  return runtime;
}

/** Starts the shutdown: every waiting call of this runtime answers now with its current state. */
export function beginShutdown(runtime: Runtime): void {
  shutdowns.get(runtime)?.abort();
}

export interface SessionInit {
  id: string;
  /** The HTTP caller's bearer token; its credentials are used only in OIDC_REQUIRED. */
  bearerToken?: string;
}

/**
 * A session's identity: in OIDC_REQUIRED with a bearer, the caller's identity holding only that token;
 * otherwise (DEV_ALLOW_ANY, stdio) the operator's kubeconfig.
 */
export function createSession(runtime: Runtime, init: SessionInit): Session {
  const useCallerToken = runtime.settings.authMode === 'OIDC_REQUIRED' && init.bearerToken !== undefined;
  const caller = useCallerToken ? runtime.kube.acquire(init.bearerToken as string) : undefined;
  return {
    id: init.id,
    logger: runtime.logger.child({ sessionId: init.id }),
    kube: caller ?? runtime.kube.base(),
    namespaces: namespacePolicyFromSettings(runtime.settings),
    close: () => caller?.release(),
  };
}

/**
 * The Management's unhealthy-component fault: a Management labelled `sandbox.k0rdent-mcp.io/fault:
 * component-failure` gets the status kcm writes when one component's HelmRelease fails to upgrade — the
 * component `cluster-api-provider-aws` with `success: false` and kcm's error (kcm internal/controller/
 * components/reconciler.go:468-470, checkProviderStatus: "HelmRelease <ns>/<name> is not yet ready: <Ready
 * message>", the Ready message being Flux's upgrade failure as the world's `helm-upgrade-failure` fault writes it,
 * ../world/faults.ts — the simulated kcm creates no component HelmReleases, so the label goes on the Management
 * here and on the component's HelmRelease with real kcm, docs/sandbox.md "Fault injection"), and Ready False NotAllComponentsHealthy
 * "Components not ready: [<names>]" (management_controller.go:762-773). Removing the label restores both.
 * Any client can ask for it (kubectl label management kcm ...), on every backend with the simulated kcm.
 */
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../apiserver/types.js';
import { upgradeFailedMessage } from '../world/faults.js';
import type { KcmApi } from './api.js';
import { MANAGEMENTS, SYSTEM_NAMESPACE, sameResource } from './resources.js';

export const MANAGEMENT_FAULT_LABEL = 'sandbox.k0rdent-mcp.io/fault';
export const COMPONENT_FAILURE = 'component-failure';
/** The component the fault fails, and Flux's message for a failed install of its chart. */
export const FAILED_COMPONENT = 'cluster-api-provider-aws';
/** The world's `helm-upgrade-failure` text, so the fault reads the same as on real kcm (where that fault causes it). */
const FLUX_UPGRADE_FAILED = upgradeFailedMessage(SYSTEM_NAMESPACE, FAILED_COMPONENT, FAILED_COMPONENT, '1.0.26');
export const FAILED_COMPONENT_ERROR = `HelmRelease ${SYSTEM_NAMESPACE}/${FAILED_COMPONENT} is not yet ready: ${FLUX_UPGRADE_FAILED}`;

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Rec) : {});

/** The status the fault (or its absence) calls for; undefined when the current one is already right. */
export function faultedStatus(management: KubeObject, now: () => string = () => new Date().toISOString()): Rec | undefined {
  const status = rec(management.status);
  const components = { ...rec(status.components) };
  const faulted = management.metadata.labels?.[MANAGEMENT_FAULT_LABEL] === COMPONENT_FAILURE;
  const current = rec(components[FAILED_COMPONENT]);
  if (Object.keys(current).length === 0) return undefined;
  const { error: _error, ...rest } = current;
  components[FAILED_COMPONENT] = faulted ? { ...rest, success: false, error: FAILED_COMPONENT_ERROR } : { ...rest, success: true };
  const failing = Object.entries(components)
    .filter(([, c]) => rec(c).success !== true)
    .map(([name]) => name)
    .sort();
  const previous = (Array.isArray(status.conditions) ? (status.conditions as Rec[]) : []).find((c) => c.type === 'Ready');
  const ready =
    failing.length > 0
      ? { status: 'False', reason: 'NotAllComponentsHealthy', message: `Components not ready: [${failing.join(' ')}]` }
      : { status: 'True', reason: 'AllComponentsHealthy', message: 'All components are successfully installed' };
  const readyCondition = {
    type: 'Ready',
    ...ready,
    lastTransitionTime: previous?.status === ready.status ? previous.lastTransitionTime : now(),
    observedGeneration: management.metadata.generation ?? 1,
  };
  const conditions = [
    ...(Array.isArray(status.conditions) ? (status.conditions as Rec[]) : []).filter((c) => c.type !== 'Ready'),
    readyCondition,
  ];
  // Only a change of the components or of Ready's status, reason or message is written (never a reordering).
  const unchanged =
    isDeepStrictEqual(components, rec(status.components)) &&
    previous?.status === ready.status &&
    previous?.reason === ready.reason &&
    previous?.message === ready.message;
  return unchanged ? undefined : { ...status, components, conditions };
}

/** Watches the Management and writes the fault's status; returns the stop function. */
export function startManagementFaults(api: KcmApi, log: (line: string) => void = () => undefined): () => void {
  const reconcile = (management: KubeObject): void => {
    const next = faultedStatus(management);
    if (next === undefined) return;
    api.updateStatus(MANAGEMENTS, undefined, management.metadata.name, next).catch((error: unknown) => {
      log(`management fault: status write failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  };
  for (const management of api.list(MANAGEMENTS)) setImmediate(() => reconcile(management));
  return api.subscribe((event) => {
    if (event.type === 'DELETED' || !sameResource(event.resource, MANAGEMENTS)) return;
    // Outside the write path, as a controller reconciles.
    setImmediate(() => {
      const latest = api.get(MANAGEMENTS, undefined, event.object.metadata.name);
      if (latest) reconcile(latest);
    });
  });
}

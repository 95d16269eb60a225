/** Kubernetes objects → compact summaries. Pure. */
import { CONDITION, describePhase, findCondition, isReady, readConditions, type Condition } from '../k0rdent/conditions.js';
import { cloudFromProviders, inferProvider } from '../k0rdent/providers.js';
import { isJsonObject, outlineConfig, type JsonObject } from './config-schema.js';
import type { KubeObject } from './kube-api.js';
import type { CompactCondition, CredentialSummary, DeploymentSummary, IdentityRef, TemplateSummary } from './types.js';

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function meta(object: KubeObject): { name: string; namespace: string; labels: Record<string, string>; createdAt?: string } {
  const m = object.metadata ?? {};
  const createdAt = str(m.creationTimestamp);
  return { name: m.name ?? '', namespace: m.namespace ?? '', labels: { ...(m.labels ?? {}) }, ...(createdAt ? { createdAt } : {}) };
}

/** Removes undefined members so summaries stay small and schema-clean. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** kcm's reason a Credential is not ready: its CredentialReady condition's message (or reason). */
export function notReadyReason(object: KubeObject): string | undefined {
  const condition = findCondition(readConditions(object.status), CONDITION.CredentialReady);
  if (condition === undefined || condition.status === 'True') return object.status?.ready === true ? undefined : 'kcm has not reported it ready yet (no CredentialReady condition)';
  return str(condition.message) ?? str(condition.reason) ?? `CredentialReady=${condition.status}`;
}

export function summarizeCredential(object: KubeObject): CredentialSummary {
  const spec = object.spec ?? {};
  const ready = object.status?.ready === true;
  const ref = isJsonObject(spec.identityRef) ? spec.identityRef : {};
  const identityRef: IdentityRef = compact({ apiVersion: str(ref.apiVersion), kind: str(ref.kind), name: str(ref.name), namespace: str(ref.namespace) });
  const inference = inferProvider(identityRef.kind);
  return compact({
    ...meta(object),
    provider: inference.provider,
    providerCandidates: inference.candidates,
    identityRef,
    region: str(spec.region),
    description: str(spec.description),
    ready,
    notReadyReason: ready ? undefined : notReadyReason(object),
  });
}

/** `schema` is the parsed `schema-ct-*` ConfigMap content when it could be read. */
export function summarizeTemplate(object: KubeObject, schema: JsonObject | undefined): TemplateSummary {
  const status = object.status ?? {};
  const spec = object.spec ?? {};
  const providers = strings(status.providers).length > 0 ? strings(status.providers) : strings(spec.providers);
  const defaults = isJsonObject(status.config) ? status.config : undefined;
  return compact({
    ...meta(object),
    description: str(status.description),
    providers,
    cloud: cloudFromProviders(providers),
    version: str(status.chartVersion),
    k8sVersion: str(spec.k8sVersion) ?? str(status.k8sVersion),
    valid: status.valid === true,
    validationError: str(status.validationError),
    configSchema: outlineConfig(schema, defaults),
  });
}

export function compactConditions(conditions: readonly Condition[]): CompactCondition[] {
  return conditions.map((c) =>
    compact({ type: c.type, status: c.status, reason: str(c.reason), message: str(c.message), observedGeneration: typeof c.observedGeneration === 'number' ? c.observedGeneration : undefined }),
  );
}

export function summarizeDeployment(object: KubeObject): DeploymentSummary {
  const spec = object.spec ?? {};
  const conditions = readConditions(object.status);
  const deleting = str(object.metadata?.deletionTimestamp) !== undefined;
  return compact({
    ...meta(object),
    template: str(spec.template),
    credential: str(spec.credential),
    ready: isReady(conditions),
    phase: describePhase(conditions, deleting),
    deleting,
  });
}

/** Parses the `schema` key of a schema ConfigMap; undefined when absent or not a JSON object. */
export function parseSchema(data: Record<string, string> | undefined, key: string): JsonObject | undefined {
  const text = data?.[key];
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return isJsonObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

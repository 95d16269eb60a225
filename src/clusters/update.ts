/**
 * Update: changes an existing ClusterDeployment (scale, config, template upgrade, credential, labels).
 * `config` is a JSON merge patch (RFC 7386) over the current spec.config; the merged config is checked like
 * deploy's, a template change only to one of `status.availableUpgrades` (kcm's rule), a deployment this
 * server did not create only with `adopt`. Then a server-side apply under the deploy field owner.
 */
import { TOOL, toolRef } from '../tool-names.js';
import jsonMergePatch from 'json-merge-patch';
import { isDeepStrictEqual } from 'node:util';
import { AppError, echo } from '../errors.js';
import { CONDITION, findCondition, readConditions } from '../k0rdent/conditions.js';
import type { WaitTarget } from '../k0rdent/judge.js';
import { machineTarget } from './wait-ready.js';
import { CLUSTER_DEPLOYMENT, DEPLOYMENT_MANAGED_LABELS, K0RDENT_GROUP, LABEL_MANAGED_BY, MANAGED_BY_VALUE } from '../k0rdent/resources.js';
import { assertMayI } from '../shared/access-review.js';
import { assertFieldNames, assertKcmKnows, checkDeployFields, givenFields, type DeployFields } from './deploy-fields.js';
import type { NamespacePolicy } from '../policy/index.js';
import { assertCredentialFits } from '../providers/fit-check.js';
import { describeChange, diffLabels, diffValues, type Change } from './changes.js';
import { assertStructure } from '../shared/config-guard.js';
import { isJsonObject, type JsonObject } from '../shared/config-schema.js';
import { assertUpgradeAllowed, buildClusterDeployment, checkReferences, checkTemplateConfig, plainReference } from './deploy.js';
import type { CallOptions, K0rdentApi, KubeObject } from '../kube/k0rdent-api.js';
import { missingObject, NAMED_KINDS } from '../shared/not-found.js';
import { MAX_WRITE_ATTEMPTS, backoff, isStaleWrite, overlappingPaths, pathsOverlap } from '../shared/optimistic.js';
import type { ConfirmRequest, Confirmation, UpdateRequest, UpdateResult, WaitOptions, WaitOutcome, Written } from './types.js';

export interface UpdateDeps {
  api: K0rdentApi;
  policy: NamespacePolicy;
  globalNamespace: string;
  fieldOwner: string;
  resolveTarget: (requested: string | undefined, call: CallOptions) => Promise<string>;
  waitForReady: (namespace: string, name: string, target: WaitTarget, wait: WaitOptions) => Promise<WaitOutcome>;
  /** Told what the write left to follow (a task follows the target generation). */
  onWritten?: ((written: Written) => void) | undefined;
  /** Asks the user before a destructive change (a template change, a lowered count); absent: nobody to ask. */
  confirm?: ((request: ConfirmRequest) => Promise<Confirmation>) | undefined;
}

/** Changes that take something away: another template (a chart upgrade), or a count (`...Number`, `replicas`, `count`) lowered. */
export function destructiveChanges(changes: readonly Change[]): Change[] {
  return changes.filter((c) => {
    if (c.path === 'template' || c.path === 'clusterAuth' || c.path === 'auditPolicy') return true;
    const leaf = c.path.split('.').at(-1) ?? '';
    const counted = /(Number|Count|count|replicas|Replicas)$/.test(leaf);
    return counted && typeof c.before === 'number' && (typeof c.after !== 'number' || c.after < c.before);
  });
}

/** RFC 7386 over a copy (the library patches its target in place). */
export function mergePatch(current: JsonObject, patch: JsonObject): JsonObject {
  const merged: unknown = jsonMergePatch.apply(structuredClone(current), patch);
  return isJsonObject(merged) ? merged : {};
}

/** The chart a template's release must name once upgraded: `chart@version` (or `@version` when only the version is known). */
export function chartOf(template: KubeObject): string | undefined {
  const version = template.status?.chartVersion;
  if (typeof version !== 'string' || version === '') return undefined;
  const helm = isJsonObject(template.spec?.helm) ? template.spec.helm : {};
  const chart = isJsonObject(helm.chartSpec) && typeof helm.chartSpec.chart === 'string' ? helm.chartSpec.chart : '';
  return `${chart}@${version}`;
}

async function existingDeployment(deps: UpdateDeps, namespace: string, name: string, call: CallOptions): Promise<KubeObject> {
  const existing = await deps.api.get(CLUSTER_DEPLOYMENT, namespace, name, call);
  if (existing !== undefined) return existing;
  // A near miss or the name elsewhere is a slip to fix, never a reason to create a second deployment.
  throw await missingObject(
    deps.api,
    deps.policy,
    {
      kind: NAMED_KINDS[CLUSTER_DEPLOYMENT.kind]!,
      name,
      namespace,
      otherwise: `To create a new deployment, use ${toolRef(TOOL.clustersDeploy)}.`,
    },
    call,
  );
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** What an update writes over one read of the deployment, and what that write changes. */
interface Plan {
  /** The day-one fields to send: the current ones carried forward, with the caller's over them. */
  fields: DeployFields;
  /** Warnings the caller sees (an IPAM claim not bound, a control-plane roll). */
  warnings: string[];
  templateName: string;
  credentialName: string;
  currentTemplate: string;
  template: KubeObject;
  config: JsonObject;
  /** Every label to send: the live ones plus the caller's and the managed ones. */
  labels: Record<string, string>;
  changes: Change[];
  managed: boolean;
}

/** The checks and the merge of `request` over `existing` (one read): everything deploy checks, then the changes. */
async function planUpdate(
  deps: UpdateDeps,
  request: UpdateRequest,
  namespace: string,
  existing: KubeObject,
  call: CallOptions,
): Promise<Plan> {
  const ref = `${namespace}/${request.name}`;
  if (existing.metadata?.deletionTimestamp) {
    throw new AppError('conflict', `ClusterDeployment ${ref} is being deleted; it cannot be updated`, { reason: 'deleting' });
  }
  const labels = existing.metadata?.labels ?? {};
  const managed = labels[LABEL_MANAGED_BY] === MANAGED_BY_VALUE;
  if (!managed && request.adopt !== true) {
    const by = labels[LABEL_MANAGED_BY];
    throw new AppError(
      'conflict',
      `ClusterDeployment ${ref} was not created by this server (label ${LABEL_MANAGED_BY} is ${by === undefined ? 'absent' : echo(by)}); pass adopt: true to take it over (it is then labelled ${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE})`,
      { reason: 'notManaged' },
    );
  }

  const spec = existing.spec ?? {};
  const currentTemplate = text(spec.template) ?? '';
  const currentCredential = text(spec.credential) ?? '';
  const templateName = request.template !== undefined ? plainReference(request.template, 'template', namespace) : currentTemplate;
  const credentialName = request.credential !== undefined ? plainReference(request.credential, 'credential', namespace) : currentCredential;
  if (templateName !== currentTemplate) assertUpgradeAllowed(existing, templateName);
  const { template, credential } = await checkReferences(deps.api, namespace, deps.globalNamespace, templateName, credentialName, call);
  // The same provider fit as deploy, whenever the pair changes (kcm checks only the identity kind).
  if (templateName !== currentTemplate || credentialName !== currentCredential)
    await assertCredentialFits(deps.api, template, credential, call);

  const currentConfig = isJsonObject(spec.config) ? spec.config : {};
  const config = request.config !== undefined ? mergePatch(currentConfig, request.config) : currentConfig;
  assertStructure(config, 'config');
  await checkTemplateConfig(deps.api, template, config, call);

  const current = currentFields(spec);
  const given = requestedFields(request);
  if (given.dataSource !== undefined && current.dataSource === undefined) {
    throw new AppError(
      'invalidParams',
      `dataSource: ClusterDeployment ${ref} has no dataSource, and kcm does not allow adding one to an existing deployment (only at creation); nothing was written`,
      { field: 'dataSource' },
    );
  }
  const changedFields = Object.fromEntries(
    givenFields(given)
      .filter((f) => !isDeepStrictEqual(given[f], current[f]))
      .map((f) => [f, given[f]]),
  ) as DeployFields;
  await assertKcmKnows(deps.api, changedFields, call);
  const warnings = await checkDeployFields(deps.api, namespace, request.name, changedFields, call);
  const fields = { ...current, ...given };

  const wantedLabels = { ...(request.labels ?? {}), ...DEPLOYMENT_MANAGED_LABELS };
  const changes: Change[] = [];
  diffValues(currentTemplate, templateName, 'template', changes);
  diffValues(currentCredential, credentialName, 'credential', changes);
  diffValues(currentConfig, config, 'config', changes);
  for (const f of givenFields(changedFields)) diffValues(current[f], given[f], f, changes);
  diffLabels(labels, wantedLabels, changes);
  const roll = controlPlaneRoll(changes, config);
  if (roll !== undefined) warnings.push(roll);
  // Every label already there is sent too: an apply drops the labels this field manager set before and omits now.
  return {
    fields,
    warnings,
    templateName,
    credentialName,
    currentTemplate,
    template,
    config,
    labels: { ...labels, ...wantedLabels },
    changes,
    managed,
  };
}

/** The day-one fields of an existing spec, as this server writes them (an inline ipamClaim spec is not ours: left out). */
function currentFields(spec: Record<string, unknown>): DeployFields {
  const fields: DeployFields = {};
  if (typeof spec.cleanupOnDeletion === 'boolean') fields.cleanupOnDeletion = spec.cleanupOnDeletion;
  if (typeof spec.propagateCredentials === 'boolean') fields.propagateCredentials = spec.propagateCredentials;
  for (const f of ['clusterAuth', 'auditPolicy', 'dataSource'] as const) {
    const value = spec[f];
    if (typeof value === 'string' && value !== '') fields[f] = value;
  }
  const ipam = isJsonObject(spec.ipamClaim) ? spec.ipamClaim : {};
  if (typeof ipam.ref === 'string' && ipam.ref !== '') fields.ipamClaim = ipam.ref;
  return fields;
}

function requestedFields(request: UpdateRequest): DeployFields {
  const { cleanupOnDeletion, propagateCredentials, ipamClaim, clusterAuth, auditPolicy, dataSource } = request;
  const all: DeployFields = { cleanupOnDeletion, propagateCredentials, ipamClaim, clusterAuth, auditPolicy, dataSource };
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined)) as DeployFields;
}

/**
 * Changing clusterAuth or auditPolicy changes the API server's configuration on every control-plane node: the
 * control plane rolls. With one control-plane node etcd has no quorum while it restarts.
 */
export function controlPlaneRoll(changes: readonly Change[], config: JsonObject): string | undefined {
  const rolled = changes.filter((c) => c.path === 'clusterAuth' || c.path === 'auditPolicy').map((c) => c.path);
  if (rolled.length === 0) return undefined;
  const count = config.controlPlaneNumber;
  const single =
    count === 1
      ? 'This cluster has a single control-plane node (controlPlaneNumber 1): etcd loses quorum while it restarts and the cluster API is down until it is back.'
      : typeof count === 'number'
        ? `With ${count} control-plane nodes they roll one at a time; a single-control-plane cluster would lose etcd quorum.`
        : 'A single-control-plane cluster loses etcd quorum while its node restarts.';
  return `Changing ${rolled.join(' and ')} rolls the control plane (every control-plane node restarts its API server with the new configuration). ${single}`;
}

/** What another writer changed between two reads, in the paths `changes` uses (spec fields, config leaves, labels). */
function changedBetween(before: KubeObject, after: KubeObject): Change[] {
  const out: Change[] = [];
  const a = before.spec ?? {};
  const b = after.spec ?? {};
  diffValues(a.template, b.template, 'template', out);
  diffValues(a.credential, b.credential, 'credential', out);
  diffValues(isJsonObject(a.config) ? a.config : {}, isJsonObject(b.config) ? b.config : {}, 'config', out);
  const la = before.metadata?.labels ?? {};
  const lb = after.metadata?.labels ?? {};
  for (const key of [...new Set([...Object.keys(la), ...Object.keys(lb)])].sort())
    if (la[key] !== lb[key]) out.push({ path: `labels[${JSON.stringify(key)}]`, before: la[key], after: lb[key] });
  return out;
}

export async function updateDeployment(deps: UpdateDeps, request: UpdateRequest, call: CallOptions): Promise<UpdateResult> {
  assertFieldNames(request);
  const namespace = await deps.resolveTarget(request.namespace, call);
  await assertMayI(
    deps.api,
    { verb: 'patch', group: K0RDENT_GROUP, resource: CLUSTER_DEPLOYMENT.plural, namespace, name: request.name },
    'update',
    call,
  );
  const ref = `${namespace}/${request.name}`;
  const read = await existingDeployment(deps, namespace, request.name, call);
  let existing = read;
  let plan = await planUpdate(deps, request, namespace, read, call);
  /** The caller's change: what it asks for over the object it read first (and the user confirmed). */
  const ours = plan.changes;
  const adopted = !plan.managed ? { adopted: true } : {};

  const base = (object: KubeObject) => ({
    name: request.name,
    namespace,
    ...(object.metadata?.uid ? { uid: object.metadata.uid } : {}),
    ...(object.metadata?.resourceVersion ? { resourceVersion: object.metadata.resourceVersion } : {}),
    ...(object.metadata?.generation !== undefined ? { generation: object.metadata.generation } : {}),
  });
  const unchanged = async (object: KubeObject): Promise<UpdateResult> => {
    const result: UpdateResult = { ...base(object), status: 'unchanged', changes: [] };
    if (object.metadata?.uid && !request.dryRun)
      deps.onWritten?.({ namespace, name: request.name, uid: object.metadata.uid, generation: object.metadata.generation ?? 1 });
    if (request.wait && !request.dryRun)
      result.wait = await deps.waitForReady(namespace, request.name, { generation: object.metadata?.generation ?? 1 }, request.wait);
    return result;
  };
  if (ours.length === 0) return unchanged(read);

  const destructive = request.dryRun ? [] : destructiveChanges(ours);
  if (destructive.length > 0 && deps.confirm) {
    const facts = destructive.map(describeChange).join('; ');
    const roll = controlPlaneRoll(destructive, plan.config);
    const answer = await deps.confirm({
      message: `Update ClusterDeployment ${ref}: ${facts}${ours.length > destructive.length ? ` (and ${ours.length - destructive.length} other change(s))` : ''}.${roll !== undefined ? ` ${roll}` : ''}`,
      name: request.name,
    });
    // What was declined, so the caller can tell the user: the whole change, nothing of it written.
    if (!answer.confirmed)
      return { ...base(read), status: 'cancelled', reason: `${answer.reason}; nothing was written`, changes: ours.map(describeChange) };
  }

  // The apply carries the resourceVersion (and uid) it was merged onto: when anyone wrote the deployment
  // meanwhile (kcm's status included) the API server answers 409 and the merge is done again over the new
  // object — unless the other writer changed what this call changes, which is a conflict naming those paths.
  let applied: KubeObject | undefined;
  for (let attempt = 1; applied === undefined; attempt++) {
    const manifest = buildClusterDeployment({
      name: request.name,
      namespace,
      template: plan.templateName,
      credential: plan.credentialName,
      labels: plan.labels,
      config: plan.config,
      fields: plan.fields,
    });
    manifest.metadata = {
      ...manifest.metadata,
      ...(existing.metadata?.resourceVersion ? { resourceVersion: existing.metadata.resourceVersion } : {}),
      ...(existing.metadata?.uid ? { uid: existing.metadata.uid } : {}),
    };
    try {
      applied = await deps.api.apply(
        CLUSTER_DEPLOYMENT,
        manifest,
        { fieldManager: deps.fieldOwner, dryRun: request.dryRun === true },
        call,
      );
    } catch (error) {
      if (!isStaleWrite(error)) throw error;
      if (attempt >= MAX_WRITE_ATTEMPTS) {
        throw new AppError(
          'conflict',
          `ClusterDeployment ${ref} changed under each of ${MAX_WRITE_ATTEMPTS} attempts to write this update (other writers are busy with it); nothing was written. Read it with ${toolRef(TOOL.clustersGet)} and call ${toolRef(TOOL.clustersUpdate)} again`,
          { reason: 'busy', attempts: MAX_WRITE_ATTEMPTS },
          { cause: error },
        );
      }
      await backoff(attempt);
      existing = await existingDeployment(deps, namespace, request.name, call);
      if (existing.metadata?.uid !== read.metadata?.uid) {
        throw new AppError(
          'conflict',
          `ClusterDeployment ${ref} was deleted and created anew by someone else while this update ran; nothing was written. Look at the new one with ${toolRef(TOOL.clustersGet)}, then call ${toolRef(TOOL.clustersUpdate)} again`,
          { reason: 'replaced' },
          { cause: error },
        );
      }
      plan = await planUpdate(deps, request, namespace, existing, call);
      const theirs = changedBetween(read, existing);
      // Both changed a path, and the object no longer has the caller's value there: the caller's change would overwrite theirs.
      const contested = overlappingPaths(ours, theirs).filter((path) => plan.changes.some((c) => pathsOverlap(c.path, path)));
      if (contested.length > 0) {
        const what = theirs.filter((t) => contested.some((p) => pathsOverlap(t.path, p)));
        throw new AppError(
          'conflict',
          `ClusterDeployment ${ref} was changed by another writer while this update ran, in what this update changes: ${what.map(describeChange).join('; ')}; nothing was written. Read it with ${toolRef(TOOL.clustersGet)} and decide which value stands, then call ${toolRef(TOOL.clustersUpdate)} again`,
          { reason: 'concurrentUpdate', paths: contested, theirs: what.map(describeChange) },
          { cause: error },
        );
      }
      // The other writer already made this call's change: nothing left to write.
      if (plan.changes.length === 0) return unchanged(existing);
    }
  }
  const described = plan.changes.map(describeChange);
  const warned = plan.warnings.length > 0 ? { warnings: plan.warnings } : {};
  if (request.dryRun) return { ...base(applied), status: 'dryRun', changes: described, ...adopted, ...warned };

  const result: UpdateResult = { ...base(applied), status: 'updated', changes: described, ...adopted, ...warned };
  const releaseChanged = plan.changes.some((c) => c.path === 'template' || c.path === 'credential' || c.path.startsWith('config'));
  const previousRelease = releaseChanged ? findCondition(readConditions(existing.status), CONDITION.HelmReleaseReady)?.message : undefined;
  // A change of the machine counts or the template also waits for Cluster API's counters (./wait-ready.ts machineTarget).
  const machines = machineTarget(plan.changes, plan.templateName !== plan.currentTemplate);
  const target: WaitTarget = {
    generation: applied.metadata?.generation ?? (existing.metadata?.generation ?? 0) + 1,
    ...(previousRelease ? { previousRelease } : {}),
    ...(plan.templateName !== plan.currentTemplate ? { chart: chartOf(plan.template) } : {}),
    ...(machines !== undefined ? { machines } : {}),
  };
  const uid = applied.metadata?.uid;
  if (uid) deps.onWritten?.({ namespace, name: request.name, uid, ...target });
  if (request.wait) result.wait = await deps.waitForReady(namespace, request.name, target, request.wait);
  return result;
}

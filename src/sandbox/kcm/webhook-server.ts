/**
 * kcm's admission webhooks served over HTTPS for a real API server: AdmissionReview v1 in, AdmissionReview
 * v1 out (a JSON Patch for the mutating one), with a CA of its own that the webhook configurations carry.
 * The checks are the ones the embedded sandbox runs in its write path (./admission.ts, ./template-admission.ts).
 * kcm registers the same webhooks under these names and paths (kcm `templates/provider/kcm/templates/webhooks.yaml`;
 * controller-runtime's `/mutate-<group>-<version>-<kind>` convention). Denials carry the status
 * controller-runtime would answer (404 with the NotFound's details, or 403), and every answer its
 * admission warnings (AdmissionReview `response.warnings`).
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import fastJsonPatch from 'fast-json-patch';
import type { AdmissionOperation, AdmissionRequest, AdmissionResult, KubeObject, ResourceKey } from '../apiserver/types.js';
import { generateServingCerts } from '../apiserver/tls.js';
import type { KcmReader } from './api.js';
import {
  CLUSTER_DEPLOYMENT_MUTATING_WEBHOOK,
  CLUSTER_DEPLOYMENT_WEBHOOK,
  mutateClusterDeployment,
  validateClusterDeployment,
} from './admission.js';
import {
  ACCESS_MANAGEMENTS,
  CLUSTER_DEPLOYMENTS,
  CLUSTER_TEMPLATES,
  K0RDENT_GROUP,
  K0RDENT_VERSION,
  MANAGEMENTS,
  REGIONS,
  SERVICE_TEMPLATES,
} from './resources.js';
import {
  CLUSTER_TEMPLATE_MUTATING_WEBHOOK,
  CLUSTER_TEMPLATE_WEBHOOK,
  PROVIDER_TEMPLATE_MUTATING_WEBHOOK,
  PROVIDER_TEMPLATE_WEBHOOK,
  SERVICE_TEMPLATE_MUTATING_WEBHOOK,
  SERVICE_TEMPLATE_WEBHOOK,
  validateProviderTemplate,
  validateServiceTemplate,
  defaultTemplate,
  validateClusterTemplate,
} from './template-admission.js';

const PROVIDER_TEMPLATES: ResourceKey = { group: K0RDENT_GROUP, version: K0RDENT_VERSION, plural: 'providertemplates' };
import {
  ACCESS_MANAGEMENT_MUTATING_WEBHOOK,
  ACCESS_MANAGEMENT_WEBHOOK,
  mutateAccessManagement,
  validateAccessManagement,
} from './access-management-webhook.js';
import { MANAGEMENT_WEBHOOK, validateManagement } from './management-webhook.js';
import { REGION_WEBHOOK, validateRegion } from './region-webhook.js';

type Check = (request: AdmissionRequest, reader: KcmReader) => AdmissionResult;

interface Endpoint {
  path: string;
  webhook: string;
  resource: ResourceKey;
  operations: AdmissionOperation[];
  mutating: boolean;
  check: Check;
}

/** kcm `templates/provider/kcm/templates/webhooks.yaml` (names, paths, operations) for the kinds simulated here. */
const ENDPOINTS: Endpoint[] = [
  {
    path: '/mutate-k0rdent-mirantis-com-v1beta1-clusterdeployment',
    webhook: CLUSTER_DEPLOYMENT_MUTATING_WEBHOOK,
    resource: CLUSTER_DEPLOYMENTS,
    operations: ['CREATE', 'UPDATE', 'DELETE'],
    mutating: true,
    check: mutateClusterDeployment,
  },
  {
    path: '/mutate-k0rdent-mirantis-com-v1beta1-clustertemplate',
    webhook: CLUSTER_TEMPLATE_MUTATING_WEBHOOK,
    resource: CLUSTER_TEMPLATES,
    operations: ['CREATE', 'UPDATE'],
    mutating: true,
    check: defaultTemplate,
  },
  {
    path: '/mutate-k0rdent-mirantis-com-v1beta1-servicetemplate',
    webhook: SERVICE_TEMPLATE_MUTATING_WEBHOOK,
    resource: SERVICE_TEMPLATES,
    operations: ['CREATE', 'UPDATE'],
    mutating: true,
    check: defaultTemplate,
  },
  {
    path: '/mutate-k0rdent-mirantis-com-v1beta1-providertemplate',
    webhook: PROVIDER_TEMPLATE_MUTATING_WEBHOOK,
    resource: PROVIDER_TEMPLATES,
    operations: ['CREATE', 'UPDATE'],
    mutating: true,
    check: defaultTemplate,
  },
  {
    path: '/validate-k0rdent-mirantis-com-v1beta1-clusterdeployment',
    webhook: CLUSTER_DEPLOYMENT_WEBHOOK,
    resource: CLUSTER_DEPLOYMENTS,
    operations: ['CREATE', 'UPDATE', 'DELETE'],
    mutating: false,
    check: validateClusterDeployment,
  },
  {
    path: '/validate-k0rdent-mirantis-com-v1beta1-clustertemplate',
    webhook: CLUSTER_TEMPLATE_WEBHOOK,
    resource: CLUSTER_TEMPLATES,
    operations: ['DELETE'],
    mutating: false,
    check: validateClusterTemplate,
  },
  // kcm v1.11.4 templates/provider/kcm/templates/webhooks.yaml:243-284 (DELETE only).
  {
    path: '/validate-k0rdent-mirantis-com-v1beta1-servicetemplate',
    webhook: SERVICE_TEMPLATE_WEBHOOK,
    resource: SERVICE_TEMPLATES,
    operations: ['DELETE'],
    mutating: false,
    check: validateServiceTemplate,
  },
  {
    path: '/validate-k0rdent-mirantis-com-v1beta1-providertemplate',
    webhook: PROVIDER_TEMPLATE_WEBHOOK,
    resource: PROVIDER_TEMPLATES,
    operations: ['DELETE'],
    mutating: false,
    check: validateProviderTemplate,
  },
  // AccessManagement (i11-delete; kcm templates/provider/kcm/templates/webhooks.yaml:98-120, :305-330).
  {
    path: '/mutate-k0rdent-mirantis-com-v1beta1-accessmanagement',
    webhook: ACCESS_MANAGEMENT_MUTATING_WEBHOOK,
    resource: ACCESS_MANAGEMENTS,
    operations: ['CREATE', 'UPDATE'],
    mutating: true,
    check: mutateAccessManagement,
  },
  {
    path: '/validate-k0rdent-mirantis-com-v1beta1-accessmanagement',
    webhook: ACCESS_MANAGEMENT_WEBHOOK,
    resource: ACCESS_MANAGEMENTS,
    operations: ['CREATE', 'UPDATE', 'DELETE'],
    mutating: false,
    check: validateAccessManagement,
  },
  // Management (kcm templates/provider/kcm/templates/webhooks.yaml:176-198): its Release and DELETE checks.
  {
    path: '/validate-k0rdent-mirantis-com-v1beta1-management',
    webhook: MANAGEMENT_WEBHOOK,
    resource: MANAGEMENTS,
    operations: ['CREATE', 'UPDATE', 'DELETE'],
    mutating: false,
    check: validateManagement,
  },
  // Region (kcm templates/provider/kcm/templates/webhooks.yaml:198-220).
  {
    path: '/validate-k0rdent-mirantis-com-v1beta1-region',
    webhook: REGION_WEBHOOK,
    resource: REGIONS,
    operations: ['CREATE', 'UPDATE', 'DELETE'],
    mutating: false,
    check: validateRegion,
  },
];

/** A reader that notes what it could not find, so the webhook can fetch it and look again. */
export interface ReadThrough {
  reader: KcmReader;
  /** Fetches the objects `get` missed into the cache; resolves true when any was found. */
  refresh(misses: { resource: ResourceKey; namespace: string | undefined; name: string }[]): Promise<boolean>;
}

export interface WebhookServer {
  readonly url: string;
  readonly caPem: string;
  /** The MutatingWebhookConfiguration and ValidatingWebhookConfiguration objects for this server. */
  configurations(): { mutating: KubeObject; validating: KubeObject };
  close(): Promise<void>;
}

interface AdmissionReviewRequest {
  uid: string;
  operation: AdmissionOperation | 'CONNECT';
  resource?: { group: string; version: string; resource: string };
  object?: KubeObject | null;
  oldObject?: KubeObject | null;
  dryRun?: boolean;
  userInfo?: { username?: string };
}

/** The denial text without the prefix the API server adds itself (`admission webhook "…" denied the request: `). */
function detailOf(message: string, webhook: string): string {
  const prefix = `admission webhook "${webhook}" denied the request: `;
  return message.startsWith(prefix) ? message.slice(prefix.length) : message;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startWebhookServer(options: {
  host?: string;
  readThrough: ReadThrough;
  log?: (line: string) => void;
}): Promise<WebhookServer> {
  const log = options.log ?? ((): void => undefined);
  const certs = await generateServingCerts();
  const review = async (endpoint: Endpoint, request: AdmissionReviewRequest): Promise<Record<string, unknown>> => {
    if (request.operation === 'CONNECT') return { uid: request.uid, allowed: true };
    const admission: AdmissionRequest = {
      operation: request.operation,
      resource: endpoint.resource,
      ...(request.object ? { object: request.object } : {}),
      ...(request.oldObject ? { oldObject: request.oldObject } : {}),
      dryRun: request.dryRun === true,
      user: request.userInfo?.username ?? '',
    };
    const misses: { resource: ResourceKey; namespace: string | undefined; name: string }[] = [];
    const recording: KcmReader = {
      get: (resource, namespace, name) => {
        const found = options.readThrough.reader.get(resource, namespace, name);
        if (!found) misses.push({ resource, namespace, name });
        return found;
      },
      list: (resource, listOptions) => options.readThrough.reader.list(resource, listOptions),
    };
    let result = endpoint.check(admission, recording);
    // kcm reads through a cache too; an object created a moment ago may not be in it yet. Look again live.
    if (misses.length > 0 && (await options.readThrough.refresh(misses))) result = endpoint.check(admission, options.readThrough.reader);
    // AdmissionReview response.warnings: kube-apiserver relays them as Warning headers (k8s.io/apiserver
    // v0.34.4 pkg/admission/plugin/webhook/validating/dispatcher.go:326-328), denied or not.
    const warnings = result.warnings && result.warnings.length > 0 ? { warnings: result.warnings } : {};
    if (!result.allowed) {
      // The status as controller-runtime answers it (validator_custom.go:143-150): an API status whole
      // (a NotFound keeps its details), else Denied's 403; kube-apiserver adds the "denied the request" prefix.
      const status = {
        status: 'Failure',
        code: result.code,
        reason: result.reason,
        message: detailOf(result.message, endpoint.webhook),
        ...(result.details ? { details: result.details } : {}),
      };
      return { uid: request.uid, allowed: false, status, ...warnings };
    }
    if (endpoint.mutating && result.object && request.object) {
      const patch = fastJsonPatch.compare(request.object, result.object);
      if (patch.length > 0) {
        return {
          uid: request.uid,
          allowed: true,
          patchType: 'JSONPatch',
          patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
          ...warnings,
        };
      }
    }
    return { uid: request.uid, allowed: true, ...warnings };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const endpoint = ENDPOINTS.find((e) => e.path === (req.url ?? '').split('?')[0]);
    if (!endpoint || req.method !== 'POST') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    const body = JSON.parse(await readBody(req)) as { request?: AdmissionReviewRequest };
    if (!body.request) {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end('AdmissionReview without request');
      return;
    }
    const response = await review(endpoint, body.request);
    log(
      `kcm webhook ${endpoint.webhook} ${body.request.operation} ${body.request.object?.metadata?.name ?? body.request.oldObject?.metadata?.name ?? ''}: ${response['allowed'] ? 'allowed' : 'denied'}`,
    );
    res
      .writeHead(200, { 'Content-Type': 'application/json' })
      .end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response }));
  };

  const server: Server = createServer({ key: certs.keyPem, cert: certs.certPem }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      log(`kcm webhook failed: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' }).end('webhook failed');
    });
  });
  // kube-apiserver keeps its webhook connections for the Go transport's 90 s idle timeout (net/http transport.go:54,
  // k8s.io/apimachinery pkg/util/net/http.go:123-124); controller-runtime's webhook server keeps them as long
  // (sigs.k8s.io/controller-runtime v0.24.1 pkg/internal/httpserver/server.go:16, "matches http.DefaultTransport").
  // Node's 5 s default closed a socket the API server was reusing: its AdmissionReview POST read ECONNRESET and the
  // write failed with 500 "failed calling webhook" (concurrent-writers in a concurrent pair of suites at load 20).
  server.keepAliveTimeout = 90_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `https://${options.host ?? '127.0.0.1'}:${address.port}`;
  const caBundle = Buffer.from(certs.caPem).toString('base64');

  const webhookEntry = (endpoint: Endpoint): Record<string, unknown> => ({
    name: endpoint.webhook,
    clientConfig: { url: url + endpoint.path, caBundle },
    rules: [
      {
        apiGroups: [K0RDENT_GROUP],
        apiVersions: [K0RDENT_VERSION],
        operations: endpoint.operations,
        resources: [endpoint.resource.plural],
      },
    ],
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    failurePolicy: 'Fail',
    timeoutSeconds: 10,
  });
  return {
    url,
    caPem: certs.caPem,
    configurations: () => ({
      mutating: {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'MutatingWebhookConfiguration',
        metadata: { name: 'kcm-mutating-webhook-configuration' },
        webhooks: ENDPOINTS.filter((e) => e.mutating).map(webhookEntry),
      },
      validating: {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingWebhookConfiguration',
        metadata: { name: 'kcm-validating-webhook-configuration' },
        webhooks: ENDPOINTS.filter((e) => !e.mutating).map(webhookEntry),
      },
    }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

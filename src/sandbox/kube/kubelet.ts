/**
 * A simulated kubelet for the controller pods on the real kube-apiserver. kube-apiserver serves
 * `pods/{name}/log` by proxying to the kubelet of the pod's node (k8s.io/kubernetes pkg/registry/core/pod
 * strategy.go LogLocation → `https://<node address>:<daemonEndpoints.kubeletEndpoint.Port>/containerLogs/
 * <namespace>/<pod>/<container>?tailLines=…`): so the sandbox registers a Node whose only address is
 * 127.0.0.1 and whose kubelet port is this HTTPS server, binds the controller pods to it, and answers
 * `/containerLogs` from the same logs the embedded API server serves (../pods/controller-logs.ts). Without
 * --kubelet-certificate-authority kube-apiserver does not verify the kubelet's serving certificate
 * (pkg/kubelet/client/kubelet_client.go: no CA → Insecure), so a throwaway one is enough. Loopback only.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { KubeObject, ResourceKey } from '../apiserver/types.js';
import { generateServingCerts } from '../apiserver/tls.js';
import { type ControllerLogs, PODS, SANDBOX_NODE, parsePodLogQuery } from '../pods/controller-logs.js';
import { KubeApiError, type KubeRest } from './rest.js';

const NODES: ResourceKey = { group: '', version: 'v1', plural: 'nodes' };
const SERVICE_ACCOUNTS: ResourceKey = { group: '', version: 'v1', plural: 'serviceaccounts' };
const FIELD_MANAGER = 'sandbox-kubelet';

export interface Kubelet {
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the kubelet endpoint on 127.0.0.1 and registers its Node and the controller pods through `rest` (admin). */
export async function startKubelet(rest: KubeRest, logs: ControllerLogs, log: (line: string) => void = () => undefined): Promise<Kubelet> {
  const certs = await generateServingCerts();
  const sockets = new Set<Socket>();
  const server: Server = createServer({ cert: certs.certPem, key: certs.keyPem }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const parts = url.pathname
      .split('/')
      .filter((p) => p !== '')
      .map(decodeURIComponent);
    if (req.method !== 'GET' || parts[0] !== 'containerLogs' || parts.length !== 4) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 page not found\n');
      return;
    }
    const [, namespace, pod, container] = parts as [string, string, string, string];
    const query = parsePodLogQuery(url.searchParams);
    const answer = logs.read(namespace, pod, { ...query, container });
    log(`kubelet: GET ${url.pathname}${url.search} → ${answer === undefined ? 404 : 'status' in answer ? answer.status : 200}`);
    if (answer === undefined) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`pod ${namespace}/${pod} not found on this node\n`);
      return;
    }
    if ('status' in answer) {
      res.writeHead(answer.status, { 'Content-Type': 'text/plain' }).end(answer.message);
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end(answer.text);
  });
  server.on('secureConnection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const close = (): Promise<void> =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  try {
    await registerNode(rest, port);
    await createPods(rest, logs);
  } catch (error) {
    await close();
    throw error;
  }
  return { port, close };
}

const exists = (error: unknown): boolean => error instanceof KubeApiError && error.status === 409;

async function registerNode(rest: KubeRest, port: number): Promise<void> {
  const node: KubeObject = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: SANDBOX_NODE, labels: { 'kubernetes.io/hostname': SANDBOX_NODE, 'node-role.kubernetes.io/control-plane': '' } },
    spec: {},
  };
  await rest.create(NODES, node, FIELD_MANAGER).catch((error: unknown) => {
    if (!exists(error)) throw error;
  });
  await rest.replaceStatus(
    NODES,
    undefined,
    SANDBOX_NODE,
    {
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
      daemonEndpoints: { kubeletEndpoint: { Port: port } },
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status (simulated)' }],
      nodeInfo: {
        machineID: '',
        systemUUID: '',
        bootID: '',
        kernelVersion: '',
        osImage: 'k0rdent sandbox',
        containerRuntimeVersion: 'sandbox://0',
        kubeletVersion: 'v1.34.4',
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
    FIELD_MANAGER,
  );
}

async function createPods(rest: KubeRest, logs: ControllerLogs): Promise<void> {
  // A seed without the system namespace has no controllers to show.
  const namespace = await rest
    .get({ group: '', version: 'v1', plural: 'namespaces' }, undefined, logs.systemNamespace)
    .catch(() => undefined);
  if (namespace === undefined) return;
  // The ServiceAccount admission plugin wants the pods' service account to exist (no controller makes it here).
  await rest
    .create(
      SERVICE_ACCOUNTS,
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: logs.systemNamespace } },
      FIELD_MANAGER,
    )
    .catch((error: unknown) => {
      if (!exists(error)) throw error;
    });
  for (const pod of logs.pods()) {
    const { status, ...spec } = pod as KubeObject & { status?: unknown };
    await rest.create(PODS, spec as KubeObject, FIELD_MANAGER).catch((error: unknown) => {
      if (!exists(error)) throw error;
    });
    await rest.replaceStatus(PODS, pod.metadata.namespace, pod.metadata.name, status, FIELD_MANAGER);
  }
}

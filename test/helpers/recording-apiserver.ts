/**
 * A tiny HTTPS "API server" that records, per request, the Authorization header and whether the client
 * presented a TLS certificate — to prove which credentials a Kubernetes client really sends.
 * The CA/certificates are generated with `selfsigned`.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { generate } from 'selfsigned';

/** A DNS name in the server certificate besides 127.0.0.1, for kubeconfigs that set `tls-server-name`. */
export const RECORDING_SERVER_NAME = 'mgmt.k0rdent.test';

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  clientCertificate: boolean;
  /** The TLS server name (SNI) the client asked for; undefined when it sent none (an IP address). */
  servername: string | undefined;
}

export interface RecordingApiServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** TLS connections accepted so far (keep-alive clients reuse one). */
  readonly connections: () => number;
  /** PEM of the server certificate (self-signed: it is its own CA). */
  readonly caPem: string;
  /** A client certificate + key the kubeconfig's user can carry. */
  readonly clientCertPem: string;
  readonly clientKeyPem: string;
  close(): Promise<void>;
}

export async function startRecordingApiServer(): Promise<RecordingApiServer> {
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: RECORDING_SERVER_NAME },
        ],
      },
    ],
    clientCertificate: { cn: 'operator' },
  });
  const requests: RecordedRequest[] = [];
  const server: Server = createServer({ key: pems.private, cert: pems.cert, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    const path = (req.url ?? '/').split('?')[0]!;
    const servername = (req.socket as TLSSocket & { servername?: string | false }).servername;
    requests.push({
      method: req.method ?? 'GET',
      path,
      authorization: req.headers.authorization,
      clientCertificate: Boolean(peer && Object.keys(peer).length > 0),
      servername: typeof servername === 'string' ? servername : undefined,
    });
    res.writeHead(200, { 'content-type': 'application/json' });
    if (path === '/version') res.end(JSON.stringify({ major: '1', minor: '32', gitVersion: 'v1.32.4' }));
    else if (path.endsWith('/namespaces'))
      res.end(JSON.stringify({ kind: 'NamespaceList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [] }));
    else res.end(JSON.stringify({ kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [] }));
  });
  let connections = 0;
  server.on('secureConnection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    requests,
    connections: () => connections,
    caPem: pems.cert,
    clientCertPem: pems.clientcert!,
    clientKeyPem: pems.clientprivate!,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Kubeconfig YAML for `api` whose user carries BOTH a client certificate and a token (and, optionally, a tls-server-name). */
export function operatorKubeconfig(api: RecordingApiServer, operatorToken: string, tlsServerName?: string): string {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: mgmt',
    '  cluster:',
    `    server: ${api.url}`,
    `    certificate-authority-data: ${b64(api.caPem)}`,
    ...(tlsServerName !== undefined ? [`    tls-server-name: ${tlsServerName}`] : []),
    'users:',
    '- name: operator',
    '  user:',
    `    client-certificate-data: ${b64(api.clientCertPem)}`,
    `    client-key-data: ${b64(api.clientKeyPem)}`,
    `    token: ${operatorToken}`,
    'contexts:',
    '- name: mgmt',
    '  context: {cluster: mgmt, user: operator}',
    'current-context: mgmt',
    '',
  ].join('\n');
}

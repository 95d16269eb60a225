/**
 * The API ping behind /readyz and the startup check: an API server that accepts connections and never
 * answers must not make each probe leave a socket behind.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { pingApi } from '../../src/kube/client.js';
import { until } from '../helpers/until.js';

function kubeConfigFor(port: number): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'silent', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'c', cluster: 'silent', user: 'u' }],
    currentContext: 'c',
  });
  return kc;
}

describe('pingApi against an API server that never answers', () => {
  let server: Server;
  const open = new Set<Socket>();
  let accepted = 0;

  before(async () => {
    server = createServer((socket) => {
      accepted++;
      open.add(socket);
      socket.resume(); // read (and drop) the request, so the client's FIN is seen
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    for (const socket of open) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('reports the timeout and closes every connection it opened', async () => {
    const port = (server.address() as { port: number }).port;
    const kc = kubeConfigFor(port);
    for (let i = 0; i < 5; i++) {
      const result = await pingApi(kc, 150);
      assert.deepEqual(result, { ok: false, error: 'no answer within 150 ms' });
    }
    assert.ok(accepted >= 5, `the probes reached the server (${accepted} connections)`);
    await until('every connection closed', () => open.size === 0, 5000);
  });
});

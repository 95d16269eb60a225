/**
 * The serve process bounds slow and numerous clients (issue 7 item 9): a request whose body stalls is cut
 * at HTTP_REQUEST_TIMEOUT (408), and connections beyond HTTP_MAX_CONNECTIONS are closed at once — both
 * configurable, both through the real CLI.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startServe, stopAll, unreachableKubeconfig, type CliProcess } from '../helpers/cli-process.js';
import { until, within } from '../helpers/until.js';

after(stopAll);

/** A raw connection: what it received and when it closed. */
function open(port: number): Promise<{ socket: Socket; received: () => string; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    let data = '';
    const started = Date.now();
    const socket = connect(port, '127.0.0.1', () => resolve({ socket, received: () => data, closed }));
    const closed = new Promise<number>((done) => socket.on('close', () => done(Date.now() - started)));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('error', () => undefined);
    socket.once('error', reject);
  });
}

describe('serve: HTTP request timeout and connection cap', () => {
  let proc: CliProcess;
  let port: number;

  before(async () => {
    let base: string;
    ({ proc, base } = await startServe([], {
      K0RDENT_MGMT_KUBECONFIG_PATH: unreachableKubeconfig(),
      HTTP_REQUEST_TIMEOUT: '3s',
      HTTP_HEADERS_TIMEOUT: '3s',
      HTTP_MAX_CONNECTIONS: '3',
    }));
    port = Number(new URL(base).port);
  });

  after(async () => {
    await proc.stop();
  });

  it('a request body that stalls is cut with 408 (HTTP_REQUEST_TIMEOUT)', async () => {
    const conn = await open(port);
    conn.socket.write(
      `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"jsonrpc":`,
    );
    await within('the stalled request to be cut', conn.closed, 30_000);
    assert.match(conn.received(), /^HTTP\/1\.1 408 /);
  });

  it('connections beyond HTTP_MAX_CONNECTIONS are closed at once; the cap frees up when they go', async () => {
    const held = await Promise.all([open(port), open(port), open(port)]);
    try {
      const extra = await open(port);
      await within('the connection over the cap to be closed', extra.closed, 2000);
      assert.equal(extra.received(), '', 'closed without an answer');
      await proc.waitForLog(/connection refused: HTTP_MAX_CONNECTIONS reached/);
    } finally {
      for (const conn of held) conn.socket.destroy();
      await Promise.all(held.map((c) => c.closed));
    }
    // The server notices the closes asynchronously: a new request succeeds once it has.
    await until(
      '/healthz to answer after the held connections closed',
      () =>
        fetch(`http://127.0.0.1:${port}/healthz`).then(
          (r) => r.ok,
          () => false,
        ),
      { timeoutMs: 5000, everyMs: 100 },
    );
  });
});

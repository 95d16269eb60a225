/**
 * `k0rdent-mcp stdio`: MCP over stdin/stdout for desktop clients. stdout carries protocol only, so
 * console output is rerouted to stderr before anything else runs. Always the kubeconfig's identity.
 */
import { randomUUID } from 'node:crypto';
import { bootstrap } from './bootstrap.js';
import { onShutdownSignal } from './signals.js';

export async function runStdio(flags: Record<string, unknown>): Promise<void> {
  // Any stray console.log from a dependency would corrupt the protocol stream.
  console.log = console.error;
  console.info = console.error;
  console.debug = console.error;
  const { runtime, sandbox } = await bootstrap('stdio', flags);
  const { StdioServerTransport } = await import('@modelcontextprotocol/sdk/server/stdio.js');
  const { createMcpServer } = await import('../mcp/server.js');
  const { createSession } = await import('../runtime/runtime.js');
  const session = createSession(runtime, { id: randomUUID() });
  const server = createMcpServer(runtime, session);
  const transport = new StdioServerTransport();
  const stop = async (): Promise<void> => {
    await server.close();
    await sandbox?.close();
  };
  onShutdownSignal(runtime.logger, stop);
  process.stdin.on('end', () => {
    runtime.logger.info('stdin closed, exiting');
    void stop().finally(() => process.exit(0));
  });
  await server.connect(transport);
  session.logger.info('serving MCP over stdio');
}

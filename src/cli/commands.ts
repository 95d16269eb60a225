/**
 * The commands of the `k0rdent-mcp` binary (serve, stdio, sandbox, tools, call), wiring only; ./main.ts runs them,
 * from the build's bundle of this start path when there is a fresh one.
 */
import { TOOL } from '../tool-names.js';
import { Command } from 'commander';
import { packageVersion } from '../config/package.js';
import { exitOnStartupError } from './startup-check.js';
import { addConfigOptions } from './options.js';
import type { SandboxFlags } from './sandbox.js';
import type { ClientFlags } from './client.js';

function fatal(error: unknown): never {
  exitOnStartupError(error);
}

const program = new Command()
  .name('k0rdent-mcp')
  .description('MCP server for the k0rdent create-a-cluster workflow on a k0rdent management cluster')
  .version(packageVersion());

addConfigOptions(
  program
    .command('serve')
    .description('MCP over Streamable HTTP at /mcp, plus /healthz, /readyz and /metrics')
    .option('--stateless', 'keep no per-session state (a fresh server per request), for replicas behind any load balancer'),
  'http',
).action((flags: Record<string, unknown>) => import('./serve.js').then(({ runServe }) => runServe(flags)).catch(fatal));

addConfigOptions(
  program.command('stdio').description('MCP over stdio for desktop clients (stdout carries protocol only; logs go to stderr)'),
  'stdio',
).action((flags: Record<string, unknown>) =>
  // The front answers initialize and tools/list while the server loads (issue 24 item 4).
  import('./stdio-front.js').then(({ runStdioFront }) => runStdioFront(flags)).catch(fatal),
);

program
  .command('sandbox')
  .description('run only the embedded sandbox management cluster and write a kubeconfig for kubectl')
  .option('--listen <host:port>', 'loopback address to bind (port 0 = free port)', '127.0.0.1:0')
  .requiredOption('--kubeconfig <file>', 'where to write the kubeconfig for this sandbox')
  .option(
    '--api <embedded|kube|kcm>',
    'embedded: the in-process API server; kube: the real kube-apiserver test control plane (npm run kube:build; always https); kcm: that control plane with the real kcm v1.11.4 and a simulated Flux/CAPI below it (npm run kcm:build)',
    'embedded',
  )
  .option('--tls', 'serve HTTPS with a generated self-signed CA (written into the kubeconfig)')
  .option('--tokens <file>', 'YAML/JSON file mapping bearer tokens to users and their namespaces')
  .option('--seed <file>', 'file replacing the default seed data')
  .option('--scale <n>', 'add N generated namespaces with objects (benchmarks)')
  .option('--provision-seconds <s>', 'seconds the simulated kcm takes to bring a ClusterDeployment to Ready')
  .option('--delete-seconds <s>', 'seconds the simulated kcm takes to finish a deletion')
  .option('--verbose', 'log every sandbox request (stderr)')
  .action((flags: SandboxFlags) => import('./sandbox.js').then(({ runSandbox }) => runSandbox(flags)).catch(fatal));

const clientOptions = (command: Command): Command =>
  command
    .option('--url <url>', 'a running server (e.g. http://127.0.0.1:6767/mcp); without it, this command starts `stdio --sandbox` itself')
    .option('--header <name: value>', 'an HTTP header for --url, repeatable (e.g. "Authorization: Bearer $TOKEN")', collect, [])
    .option('--json', 'print JSON even on a terminal')
    .option('--timeout <seconds>', 'give up on the call after this long (default 1800)');

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Client commands: a usage mistake exits 2 with one line, any other failure 1. */
function clientFailure(error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`k0rdent-mcp: ${message}\n`);
  process.exit(error instanceof Error && error.name === 'UsageError' ? 2 : 1);
}

clientOptions(program.command('tools').description('list the tools of a server: name, read or write, one line')).action(
  (flags: ClientFlags) => import('./client.js').then(({ runTools }) => runTools(flags)).catch(clientFailure),
);

clientOptions(
  program
    .command('call')
    .description('call one tool and print its structured result (JSON; YAML on a terminal)')
    .argument('<tool>', `tool name, e.g. ${TOOL.clustersList}`)
    .argument('[arguments]', 'the tool\'s arguments: JSON (\'{"namespace":"team-alpha"}\'), @file or @- for standard input')
    .option('--wait-progress', 'print progress notifications of a long call (always on when stderr is a terminal)'),
).action((tool: string, args: string | undefined, flags: ClientFlags) =>
  import('./client.js')
    .then(({ runCall }) => runCall(tool, args, flags))
    .then((code) => process.exit(code))
    .catch(clientFailure),
);

program.parseAsync(process.argv).catch(fatal);

#!/usr/bin/env node
/** Entry point of the `k0rdent-mcp` binary: commands serve, stdio and sandbox (wiring only). */
import { Command } from 'commander';
import { packageVersion } from '../config/package.js';
import { exitOnStartupError } from './bootstrap.js';
import { addConfigOptions } from './options.js';
import type { SandboxFlags } from './sandbox.js';

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
).action((flags: Record<string, unknown>) => import('./serve.js').then(({ runServe }) => runServe(flags)).catch(fatal));

addConfigOptions(
  program.command('stdio').description('MCP over stdio for desktop clients (stdout carries protocol only; logs go to stderr)'),
).action((flags: Record<string, unknown>) => import('./stdio.js').then(({ runStdio }) => runStdio(flags)).catch(fatal));

program
  .command('sandbox')
  .description('run only the embedded sandbox management cluster and write a kubeconfig for kubectl')
  .option('--listen <host:port>', 'loopback address to bind (port 0 = free port)', '127.0.0.1:0')
  .requiredOption('--kubeconfig <file>', 'where to write the kubeconfig for this sandbox')
  .option(
    '--api <embedded|kube>',
    'embedded: the in-process API server; kube: the real kube-apiserver test control plane (npm run kube:build; always https)',
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

program.parseAsync(process.argv).catch(fatal);

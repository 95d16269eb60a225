/**
 * Reads and checks the management cluster's kubeconfig from its one source (PATH, B64 or TEXT) before
 * client-node is even loaded: readable, base64, YAML, a clusters list, the chosen context present.
 * Problems become one-line ConfigErrors; the kubeconfig's contents never appear in a message.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './errors.js';
import type { KubeconfigSourceSpec } from './settings.js';

/** The sources that are kubeconfigs (in-cluster config is checked by ./in-cluster.ts). */
type Kind = Exclude<KubeconfigSourceSpec['kind'], 'in-cluster'>;

const ENV_OF = {
  path: 'K0RDENT_MGMT_KUBECONFIG_PATH',
  b64: 'K0RDENT_MGMT_KUBECONFIG_B64',
  text: 'K0RDENT_MGMT_KUBECONFIG_TEXT',
  sandbox: '--sandbox',
} as const;
const FLAG_OF = { path: '--kubeconfig-path', b64: '--kubeconfig-b64', text: '--kubeconfig-text', sandbox: '--sandbox' } as const;

function fail(kind: Kind, message: string): never {
  throw new ConfigError(ENV_OF[kind], `${ENV_OF[kind]} (${FLAG_OF[kind]}) ${message}`);
}

/** A kubeconfig that passed the checks, ready for client-node. */
export interface CheckedKubeconfig {
  kind: Kind;
  /** The YAML text (never logged). */
  text: string;
  /** Set for PATH sources: client-node resolves relative certificate paths against it. */
  path?: string;
  /** The context to use (explicit or current-context). */
  context: string;
  /** The API server URL of that context's cluster (for the startup line; client-node loads later). */
  server: string;
}

function decodeBase64(value: string): string {
  const compact = value.replace(/\s+/g, '');
  if (compact.length === 0 || compact.length % 4 === 1 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(compact)) {
    fail('b64', 'is not valid base64; set it to the output of: base64 -w0 <kubeconfig-file>');
  }
  return Buffer.from(compact, 'base64').toString('utf8');
}

function readPath(path: string): string {
  try {
    if (!statSync(path).isFile()) fail('path', `"${path}" is not a file; point it at a readable kubeconfig file`);
    accessSync(path, constants.R_OK);
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    fail('path', `"${path}" cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}); point it at a readable kubeconfig file`);
  }
}

function names(list: unknown): string[] {
  return Array.isArray(list) ? list.map((e) => (e as { name?: unknown })?.name).filter((n): n is string => typeof n === 'string') : [];
}

/** Reads the source and validates it as a kubeconfig with a usable context. */
export function checkKubeconfig(source: { kind: Kind; value: string }, context: string | undefined): CheckedKubeconfig {
  const text = source.kind === 'path' ? readPath(source.value) : source.kind === 'b64' ? decodeBase64(source.value) : source.value;
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    const where = (error as { linePos?: Array<{ line: number }> }).linePos?.[0]?.line;
    fail(
      source.kind,
      `is not valid YAML${where ? ` (line ${where})` : ''}; provide a kubeconfig file as written by kubectl config view --raw`,
    );
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || !Array.isArray((doc as Record<string, unknown>).clusters)) {
    fail(source.kind, 'is not a kubeconfig (no clusters list); provide a kubeconfig file as written by kubectl config view --raw');
  }
  const record = doc as Record<string, unknown>;
  const contexts = names(record.contexts);
  const current = typeof record['current-context'] === 'string' ? record['current-context'] : undefined;
  if (context !== undefined && !contexts.includes(context)) {
    throw new ConfigError(
      'K0RDENT_MGMT_CONTEXT',
      `K0RDENT_MGMT_CONTEXT (--context) "${context}" is not a context of the kubeconfig; use one of: ${contexts.join(', ') || '(none)'}`,
    );
  }
  const chosen = context ?? current;
  if (chosen === undefined || !contexts.includes(chosen)) {
    throw new ConfigError(
      'K0RDENT_MGMT_CONTEXT',
      `the kubeconfig has no usable current-context; set K0RDENT_MGMT_CONTEXT (--context) to one of: ${contexts.join(', ') || '(none)'}`,
    );
  }
  const server = contextServer(record, chosen);
  if (server === undefined) {
    fail(source.kind, `has no cluster server for context "${chosen}"; fix the kubeconfig's clusters entry`);
  }
  return { kind: source.kind, text, context: chosen, server, ...(source.kind === 'path' ? { path: source.value } : {}) };
}

/** The `server` of the context's cluster; checked here because client-node is loaded only after startup. */
function contextServer(doc: Record<string, unknown>, context: string): string | undefined {
  const entry = (list: unknown, name: string): Record<string, unknown> | undefined => {
    const found = Array.isArray(list) ? list.find((e) => (e as { name?: unknown })?.name === name) : undefined;
    return typeof found === 'object' && found !== null ? (found as Record<string, unknown>) : undefined;
  };
  const ctx = entry(doc.contexts, context)?.context as { cluster?: unknown } | undefined;
  const cluster =
    typeof ctx?.cluster === 'string' ? (entry(doc.clusters, ctx.cluster)?.cluster as { server?: unknown } | undefined) : undefined;
  return typeof cluster?.server === 'string' && cluster.server !== '' ? cluster.server : undefined;
}

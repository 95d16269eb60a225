/**
 * Loads the management cluster's kubeconfig from its one source (PATH, B64 or TEXT) with client-node's
 * KubeConfig and switches to the configured context. Problems become one-line ConfigErrors; the
 * kubeconfig's contents never appear in a message.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './errors.js';
import type { KubeconfigSourceSpec } from './settings.js';

const ENV_OF = { path: 'K0RDENT_MGMT_KUBECONFIG_PATH', b64: 'K0RDENT_MGMT_KUBECONFIG_B64', text: 'K0RDENT_MGMT_KUBECONFIG_TEXT', sandbox: '--sandbox' } as const;
const FLAG_OF = { path: '--kubeconfig-path', b64: '--kubeconfig-b64', text: '--kubeconfig-text', sandbox: '--sandbox' } as const;

function fail(kind: KubeconfigSourceSpec['kind'], message: string): never {
  throw new ConfigError(ENV_OF[kind], `${ENV_OF[kind]} (${FLAG_OF[kind]}) ${message}`);
}

function decodeBase64(value: string): string {
  const compact = value.replace(/\s+/g, '');
  if (compact.length === 0 || compact.length % 4 === 1 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(compact)) {
    fail('b64', 'is not valid base64; set it to the output of: base64 -w0 <kubeconfig-file>');
  }
  return Buffer.from(compact, 'base64').toString('utf8');
}

function checkYaml(kind: KubeconfigSourceSpec['kind'], text: string): void {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    const where = (error as { linePos?: Array<{ line: number }> }).linePos?.[0]?.line;
    fail(kind, `is not valid YAML${where ? ` (line ${where})` : ''}; provide a kubeconfig file as written by kubectl config view --raw`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || !Array.isArray((doc as Record<string, unknown>).clusters)) {
    fail(kind, 'is not a kubeconfig (no clusters list); provide a kubeconfig file as written by kubectl config view --raw');
  }
}

/** Reads, validates and loads the kubeconfig; sets `context` (or keeps current-context). */
export function loadKubeConfig(source: Exclude<KubeconfigSourceSpec, { kind: 'sandbox' }> | { kind: 'sandbox'; value: string }, context: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  let text: string;
  if (source.kind === 'path') {
    try {
      if (!statSync(source.value).isFile()) fail('path', `"${source.value}" is not a file; point it at a readable kubeconfig file`);
      accessSync(source.value, constants.R_OK);
      text = readFileSync(source.value, 'utf8');
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      fail('path', `"${source.value}" cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}); point it at a readable kubeconfig file`);
    }
  } else if (source.kind === 'b64') {
    text = decodeBase64(source.value);
  } else {
    text = source.value;
  }
  checkYaml(source.kind, text);
  try {
    if (source.kind === 'path') kc.loadFromFile(source.value);
    else kc.loadFromString(text);
  } catch (error) {
    fail(source.kind, `could not be loaded as a kubeconfig (${(error as Error).message.split('\n')[0]}); check its clusters/users/contexts entries`);
  }

  const contexts = kc.getContexts().map((c) => c.name);
  if (context !== undefined) {
    if (!contexts.includes(context)) {
      throw new ConfigError(
        'K0RDENT_MGMT_CONTEXT',
        `K0RDENT_MGMT_CONTEXT (--context) "${context}" is not a context of the kubeconfig; use one of: ${contexts.join(', ') || '(none)'}`,
      );
    }
    kc.setCurrentContext(context);
  } else if (!kc.getCurrentContext() || !contexts.includes(kc.getCurrentContext())) {
    throw new ConfigError(
      'K0RDENT_MGMT_CONTEXT',
      `the kubeconfig has no usable current-context; set K0RDENT_MGMT_CONTEXT (--context) to one of: ${contexts.join(', ') || '(none)'}`,
    );
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster || !cluster.server) {
    fail(source.kind, `has no cluster server for context "${kc.getCurrentContext()}"; fix the kubeconfig's clusters entry`);
  }
  return kc;
}

/**
 * kcm's webhook configurations from its Helm template (`templates/provider/kcm/templates/webhooks.yaml` of the
 * module built): the same webhooks (names, paths, rules, failurePolicy, sideEffects), with each
 * `clientConfig.service` replaced by `url: https://127.0.0.1:PORT<path>` and the serving CA, since the manager
 * runs beside the API server rather than behind a Service. The template's `{{ }}` lines and the cert-manager
 * annotation are dropped; the configurations are named `kcm-mutating-webhook-configuration` /
 * `kcm-validating-webhook-configuration` (the chart's names with the release name `kcm`).
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../apiserver/types.js';

interface WebhookEntry {
  name: string;
  clientConfig: { service?: { path?: string }; url?: string; caBundle?: string };
  [key: string]: unknown;
}

export function renderWebhookConfigurations(templateFile: string, port: number, caPem: string): KubeObject[] {
  const text = readFileSync(templateFile, 'utf8')
    .split('\n')
    .filter((line) => !/^\s*\{\{-/.test(line))
    .join('\n')
    .replace(/\{\{\s*include "kcm\.fullname" \.\s*\}\}/g, 'kcm')
    .replace(/\{\{[^}]*\}\}/g, 'x');
  const caBundle = Buffer.from(caPem).toString('base64');
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    const object = doc.toJSON() as (KubeObject & { webhooks?: WebhookEntry[] }) | null;
    if (!object?.kind) continue;
    delete object.metadata.annotations;
    for (const hook of object.webhooks ?? []) {
      const path = hook.clientConfig.service?.path;
      if (!path) throw new Error(`webhooks.yaml: webhook ${hook.name} has no service path`);
      hook.clientConfig = { url: `https://127.0.0.1:${port}${path}`, caBundle };
    }
    out.push(object);
  }
  if (out.length !== 2) throw new Error(`webhooks.yaml: expected a mutating and a validating configuration, found ${out.length}`);
  return out;
}

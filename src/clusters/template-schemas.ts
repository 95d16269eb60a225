/**
 * ClusterTemplate chart schemas, read once. A ClusterTemplate's spec is immutable, and kcm writes its
 * `schema-ct-*` ConfigMap from the chart (kcm internal/controller/template_controller.go:329
 * ensureSchemaConfigmap), so the schema changes only with the template (its uid) or the ConfigMap's
 * resourceVersion. listTemplates, deploy's config check and templates.get all read it here:
 *  - per identity (src/kube/identity.ts memo), what it read is remembered by template uid + ConfigMap
 *    name, re-checked after SCHEMA_RECHECK_MS; a steady listTemplates makes no ConfigMap GET, and an
 *    identity only ever gets a schema it could read itself;
 *  - process-wide, parsed schemas are kept by ConfigMap uid + resourceVersion, so a re-check or another
 *    identity reading the same ConfigMap reuses the parsed object (and the compiled validator keyed on it).
 * Both bounded. A schema that cannot be read (404, 403) counts as absent until the re-check; transport
 * failures are not remembered.
 */
import type { Logger } from 'pino';
import { AppError } from '../errors.js';
import { SCHEMA_CONFIGMAP_KEY } from '../k0rdent/resources.js';
import type { JsonObject } from '../shared/config-schema.js';
import type { CallOptions, K0rdentApi, KubeObject } from '../kube/k0rdent-api.js';
import { parseSchema } from './summaries.js';

export const SCHEMA_RECHECK_MS = 10 * 60_000;
const MAX_PER_IDENTITY = 512;
const MAX_PARSED = 256;

/** What the cache needs from the API (K0rdentApi has it). */
export interface ConfigMapReader {
  getConfigMap(
    namespace: string,
    name: string,
    call?: CallOptions,
  ): Promise<{ uid?: string; resourceVersion?: string; data: Record<string, string> } | undefined>;
}

interface Entry {
  templateUid: string | undefined;
  version: string | undefined;
  schema: JsonObject | undefined;
  until: number;
}

/** Parsed schemas by ConfigMap uid/resourceVersion, shared by every identity of the process. */
const parsedByVersion = new Map<string, JsonObject | undefined>();

function bounded<K, V>(map: Map<K, V>, max: number, key: K, value: V): void {
  map.delete(key);
  if (map.size >= max) map.delete(map.keys().next().value as K);
  map.set(key, value);
}

export class TemplateSchemas {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<JsonObject | undefined>>();

  constructor(
    private readonly recheckMs = SCHEMA_RECHECK_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The template's chart JSON Schema, or undefined when it has none or it cannot be read. */
  async schemaOf(api: ConfigMapReader, template: KubeObject, call: CallOptions, logger?: Logger): Promise<JsonObject | undefined> {
    const name = template.status?.schemaConfigMapName;
    const namespace = template.metadata?.namespace;
    if (typeof name !== 'string' || name === '' || namespace === undefined) return undefined;
    const key = `${namespace}/${name}`;
    const templateUid = template.metadata?.uid;
    const known = this.entries.get(key);
    if (known !== undefined && known.templateUid === templateUid && known.until > this.now()) return known.schema;
    const inFlight = this.pending.get(key);
    if (inFlight !== undefined) return inFlight;
    const reading = this.read(api, namespace, name, key, templateUid, call, logger).finally(() => this.pending.delete(key));
    this.pending.set(key, reading);
    return reading;
  }

  private async read(
    api: ConfigMapReader,
    namespace: string,
    name: string,
    key: string,
    templateUid: string | undefined,
    call: CallOptions,
    logger: Logger | undefined,
  ): Promise<JsonObject | undefined> {
    let schema: JsonObject | undefined;
    let version: string | undefined;
    try {
      const cm = await api.getConfigMap(namespace, name, call);
      if (cm !== undefined) {
        version = cm.uid !== undefined && cm.resourceVersion !== undefined ? `${cm.uid}/${cm.resourceVersion}` : undefined;
        if (version !== undefined && parsedByVersion.has(version)) {
          schema = parsedByVersion.get(version);
        } else {
          schema = parseSchema(cm.data, SCHEMA_CONFIGMAP_KEY);
          if (version !== undefined) bounded(parsedByVersion, MAX_PARSED, version, schema);
        }
      }
    } catch (error) {
      logger?.debug(
        { namespace, configMap: name, error: (error as Error).message },
        'schema ConfigMap unreadable; outlining from status.config',
      );
      // A refusal is a fact about this identity (remembered like a 404); an outage is not.
      if (!(error instanceof AppError && error.code === 'forbidden')) return undefined;
    }
    bounded(this.entries, MAX_PER_IDENTITY, key, { templateUid, version, schema, until: this.now() + this.recheckMs });
    return schema;
  }
}

/** The template schema cache of the identity behind `api`. */
export function templateSchemasOf(api: K0rdentApi): TemplateSchemas {
  return api.identity.memo('clusters.templateSchemas', () => new TemplateSchemas());
}

/** The chart JSON Schema of `template` as its identity reads it (cached; see the module comment). */
export function templateSchema(api: K0rdentApi, template: KubeObject, call: CallOptions, logger?: Logger): Promise<JsonObject | undefined> {
  return templateSchemasOf(api).schemaOf(api, template, call, logger);
}

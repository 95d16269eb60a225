/**
 * The top level of a service's `values` against what its chart defines (issue 22 item 4): the keys of the chart's
 * values schema and of its defaults (the ServiceTemplate's status.config), plus Helm's `global`. A catalog chart is
 * a wrapper around its upstream chart, whose settings nest under the upstream dependency name (the catalog's
 * nestingKey, src/catalog/index-data.ts): a top-level key there is the usual slip, answered with the nested path.
 * Deeper levels are the schema's to check (../shared/config-schema.ts). Pure.
 */
import { nearestName } from '../shared/suggest.js';
import { isJsonObject, type JsonObject } from '../shared/config-schema.js';
import { bundledIndex } from '../catalog/index-data.js';

/** The values nesting key of catalog chart `chart` at `version`, when the bundled catalog lists that version. */
export function catalogNestingKey(chart: string | undefined, version: string | undefined): string | undefined {
  if (chart === undefined || version === undefined) return undefined;
  for (const addon of bundledIndex().addons)
    for (const c of addon.charts) if (c.name === chart && c.versions.includes(version) && c.nestingKey) return c.nestingKey;
  return undefined;
}

const pathOf = (key: string): string => (/^[A-Za-z_$][\w$]*$/.test(key) ? `values.${key}` : `values[${JSON.stringify(key)}]`);

/** A problem per top-level key the chart does not define; none when nothing is known about its keys. */
export function unknownTopLevelKeys(
  values: JsonObject,
  schema: JsonObject | undefined,
  defaults: JsonObject | undefined,
  nestingKey: string | undefined,
  template: string,
): string[] {
  const schemaKeys = schema && isJsonObject(schema.properties) ? Object.keys(schema.properties) : [];
  const schemaOpen =
    schema !== undefined &&
    (schema.additionalProperties === true || isJsonObject(schema.additionalProperties) || isJsonObject(schema.patternProperties));
  if (schemaOpen) return [];
  const chartKeys = [...new Set([...schemaKeys, ...Object.keys(defaults ?? {})])];
  // A chart of the catalog's name whose own settings do not nest is the upstream chart itself, not the wrapper.
  if (nestingKey !== undefined && chartKeys.length > 0 && !chartKeys.includes(nestingKey)) nestingKey = undefined;
  const known = [...new Set([...chartKeys, ...(nestingKey ? [nestingKey] : [])])];
  if (known.length === 0) return [];
  const problems: string[] = [];
  for (const key of Object.keys(values)) {
    if (known.includes(key) || key === 'global') continue;
    if (nestingKey !== undefined) {
      problems.push(
        `${pathOf(key)} is not a top-level setting of ServiceTemplate ${template}: it is a catalog chart wrapping the upstream chart "${nestingKey}", whose settings nest under ${pathOf(nestingKey)} — did you mean ${pathOf(nestingKey)}.${key}?`,
      );
      continue;
    }
    const nearest = nearestName(key, known);
    problems.push(
      `${pathOf(key)} is not a setting of ServiceTemplate ${template}${nearest !== undefined ? `; did you mean ${pathOf(nearest)}?` : `; its top-level settings are ${known.sort().join(', ')}`}`,
    );
  }
  return problems;
}

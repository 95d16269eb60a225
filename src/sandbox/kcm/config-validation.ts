/**
 * What kcm's Helm dry run does with a ClusterDeployment's `spec.config`: merge it over the chart's
 * default values and validate the result against the chart's values.schema.json (draft 2020-12).
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { isJsonObject, type JsonObject, type JsonValue } from './resources.js';

type AddFormats = (ajv: Ajv2020) => unknown;
const addFormats: AddFormats =
  (addFormatsPlugin as unknown as { default?: AddFormats }).default ?? (addFormatsPlugin as unknown as AddFormats);

const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);

const compiled = new Map<string, ValidateFunction | Error>();

function validatorFor(schemaText: string): ValidateFunction | Error {
  let validator = compiled.get(schemaText);
  if (validator === undefined) {
    try {
      const schema = JSON.parse(schemaText) as JsonObject;
      // A schema may carry $id; compiling it twice under one Ajv would clash, so drop it.
      delete schema['$id'];
      validator = ajv.compile(schema);
    } catch (err) {
      validator = err instanceof Error ? err : new Error(String(err));
    }
    compiled.set(schemaText, validator);
  }
  return validator;
}

/** Helm's values merge: objects merge recursively, a null in the override removes the key. */
export function mergeValues(defaults: JsonObject, overrides: JsonObject): JsonObject {
  const out: JsonObject = { ...defaults };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === null) {
      delete out[key];
    } else if (isJsonObject(value) && isJsonObject(out[key])) {
      out[key] = mergeValues(out[key] as JsonObject, value);
    } else {
      out[key] = value as JsonValue;
    }
  }
  return out;
}

function describe(error: ErrorObject): string {
  return `at '${error.instancePath === '' ? '/' : error.instancePath}': ${error.message ?? 'is invalid'}`;
}

/**
 * Validates `config` merged over `defaults` against the chart schema; returns the Helm-style error
 * text, or undefined when the values are valid.
 */
export function validateChartValues(chart: string, schemaText: string, defaults: JsonObject, config: JsonObject): string | undefined {
  const validator = validatorFor(schemaText);
  if (validator instanceof Error) return `failed to load values.schema.json of chart ${chart}: ${validator.message}`;
  const values = mergeValues(defaults, config);
  if (validator(values)) return undefined;
  const problems = (validator.errors ?? []).map(describe);
  return `values don't meet the specifications of the schema(s) in the following chart(s): ${chart}: ${problems.join('; ')}`;
}

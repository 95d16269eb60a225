/**
 * One JSON-Schema validator for every session. The SDK's Server builds its own Ajv instance (about
 * 20 KiB) per server unless given one, and Ajv caches every schema it compiles by object identity, so a
 * single shared instance would grow with each new schema object (elicitation schemas built per call).
 * This one compiles each distinct schema (by its JSON text) once, keeps at most MAX_SCHEMAS, and removes
 * evicted ones from Ajv. The Ajv instance is created on first use, not at startup.
 */
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { JsonSchemaType, JsonSchemaValidator, jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation';

const MAX_SCHEMAS = 128;

interface Compiled {
  schema: JsonSchemaType;
  validate: JsonSchemaValidator<unknown>;
}

class SharedJsonSchemaValidator implements jsonSchemaValidator {
  private inner: AjvJsonSchemaValidator | undefined;
  private ajv: { removeSchema(schema: object): unknown } | undefined;
  private readonly compiled = new Map<string, Compiled>();

  getValidator<T>(schema: JsonSchemaType): JsonSchemaValidator<T> {
    const key = JSON.stringify(schema);
    let entry = this.compiled.get(key);
    if (entry === undefined) {
      if (this.inner === undefined) {
        this.inner = new AjvJsonSchemaValidator();
        this.ajv = (this.inner as unknown as { _ajv?: { removeSchema(schema: object): unknown } })._ajv;
      }
      entry = { schema, validate: this.inner.getValidator(schema) };
      if (this.compiled.size >= MAX_SCHEMAS) {
        const [oldestKey, oldest] = this.compiled.entries().next().value as [string, Compiled];
        this.compiled.delete(oldestKey);
        this.ajv?.removeSchema(oldest.schema as object);
      }
    } else {
      this.compiled.delete(key);
    }
    this.compiled.set(key, entry);
    return entry.validate as JsonSchemaValidator<T>;
  }
}

/** The process-wide validator passed to every Server (`jsonSchemaValidator` option). */
export const sharedJsonSchemaValidator: jsonSchemaValidator = new SharedJsonSchemaValidator();

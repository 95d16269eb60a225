/**
 * The tool reference generated from the declarations (TOOLS): one snapshot per tool (name, title, annotations,
 * input and output JSON Schemas, execution — what tools/list says but the description), checked in under
 * test/snapshots/tools/, and the generated sections of docs/tools.md (the tool table and the schema
 * reference). `npm run docs:tools` writes both (scripts/docs-tools.mjs); test/unit/tool-reference.test.ts
 * fails when either is stale. Pure: no file access here.
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { toolName, toolShape, writesOf, type AnyToolDefinition } from './registry.js';

export type ToolSnapshot = Omit<Tool, 'description'>;

/** The snapshot of one tool, under its dotted name. */
export function toolSnapshot(definition: AnyToolDefinition): ToolSnapshot {
  const { title, ...rest } = toolShape(definition);
  return { name: definition.name, title, ...rest };
}

/** The snapshot's file name under test/snapshots/tools/. */
export function snapshotFile(definition: AnyToolDefinition): string {
  return `${definition.name}.json`;
}

/** A snapshot as it is written to disk: two-space JSON and a final newline. */
export function snapshotText(definition: AnyToolDefinition): string {
  return `${JSON.stringify(toolSnapshot(definition), null, 2)}\n`;
}

type JsonSchema = Record<string, unknown>;

const asSchema = (value: unknown): JsonSchema => (typeof value === 'object' && value !== null ? (value as JsonSchema) : {});

/** A short type for a table cell: `string`, `"a" \| "b"`, `object[]`, `string \| object`, ... */
function typeOf(schema: JsonSchema): string {
  if (Array.isArray(schema.enum)) return schema.enum.map((value) => JSON.stringify(value)).join(' \\| ');
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  for (const key of ['anyOf', 'oneOf'] as const) {
    if (Array.isArray(schema[key])) return (schema[key] as unknown[]).map((item) => typeOf(asSchema(item))).join(' \\| ');
  }
  if (schema.type === 'array') return `${typeOf(asSchema(schema.items))}[]`;
  if (schema.type === 'object' && schema.properties === undefined && typeof schema.additionalProperties === 'object') {
    return `map of ${typeOf(asSchema(schema.additionalProperties))}`;
  }
  if (typeof schema.type === 'string') return schema.type === 'integer' ? 'integer' : schema.type;
  if (Array.isArray(schema.type)) return schema.type.join(' \\| ');
  return 'any';
}

/** Bounds and formats worth a reader's eye: `1..500`, `≤ 64 chars`, at most 2 items. */
function boundsOf(schema: JsonSchema): string[] {
  const out: string[] = [];
  // zod's safe-integer bounds on every integer say nothing to a reader.
  const min = schema.minimum === -Number.MAX_SAFE_INTEGER ? undefined : schema.minimum;
  const max = schema.maximum === Number.MAX_SAFE_INTEGER ? undefined : schema.maximum;
  if (min !== undefined || max !== undefined) out.push(`${min ?? ''}..${max ?? ''}`);
  if (schema.minLength !== undefined || schema.maxLength !== undefined) {
    out.push(`length ${schema.minLength ?? 0}..${schema.maxLength ?? ''}`);
  }
  if (schema.minItems !== undefined || schema.maxItems !== undefined) out.push(`${schema.minItems ?? 0}..${schema.maxItems ?? ''} items`);
  return out;
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** One row per field, nested object members and array items as dotted paths (`items[].name`). */
function fieldRows(schema: JsonSchema, prefix = '', depth = 0): string[] {
  const properties = asSchema(schema.properties);
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  return Object.entries(properties).flatMap(([key, value]) => {
    const field = asSchema(value);
    const path = `${prefix}${key}`;
    const notes = [...boundsOf(field)];
    const description = typeof field.description === 'string' ? field.description : '';
    const row = `| \`${path}\` | ${typeOf(field)} | ${required.has(key) ? 'yes' : ''} | ${cell([description, ...notes].filter(Boolean).join('; '))} |`;
    if (depth >= 4) return [row];
    const nested = field.type === 'array' ? asSchema(field.items) : field;
    const nestedPrefix = field.type === 'array' ? `${path}[].` : `${path}.`;
    return nested.properties !== undefined ? [row, ...fieldRows(nested, nestedPrefix, depth + 1)] : [row];
  });
}

function fieldTable(schema: JsonSchema): string {
  const rows = fieldRows(schema);
  if (rows.length === 0) return '(no fields)';
  return ['| field | type | required | description |', '|---|---|---|---|', ...rows].join('\n');
}

/** The tool table: every tool, its snake name, whether it writes, its hints and task support. */
export function renderToolTable(tools: readonly AnyToolDefinition[]): string {
  const rows = tools.map((definition) => {
    const a = definition.annotations;
    return `| \`${definition.name}\` | \`${toolName(definition.name, 'snake')}\` | ${definition.title} | ${writesOf(definition) ? 'yes' : ''} | ${a.readOnlyHint} | ${a.destructiveHint} | ${a.idempotentHint} | ${a.openWorldHint} | ${definition.task !== undefined ? 'optional' : ''} |`;
  });
  return [
    '| tool | snake name | title | writes | readOnlyHint | destructiveHint | idempotentHint | openWorldHint | task |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** The schema reference: per tool, its input fields and the fields of a successful result. */
export function renderSchemaReference(tools: readonly AnyToolDefinition[]): string {
  return tools
    .map((definition) => {
      // The zod schemas in full (bounds, nested descriptions): tools/list carries a compact form (registry.ts).
      const input = asSchema(z.toJSONSchema(definition.input.strict(), { target: 'draft-7', io: 'input', unrepresentable: 'any' }));
      const success = asSchema(z.toJSONSchema(definition.output, { target: 'draft-7', io: 'output', unrepresentable: 'any' }));
      return [
        `### \`${definition.name}\` schemas`,
        '',
        'Input (closed: no other argument is accepted):',
        '',
        fieldTable(input),
        '',
        'Result of a success (`structuredContent`; an error result carries only `error`, see [Errors](#errors)):',
        '',
        fieldTable(success),
      ].join('\n');
    })
    .join('\n\n');
}

/** The generated sections of docs/tools.md, by marker name. */
export function generatedSections(tools: readonly AnyToolDefinition[]): Record<string, string> {
  return { 'tool-table': renderToolTable(tools), 'tool-schemas': renderSchemaReference(tools) };
}

const begin = (name: string): string => `<!-- BEGIN GENERATED ${name}: npm run docs:tools -->`;
const end = (name: string): string => `<!-- END GENERATED ${name} -->`;

/** docs/tools.md with its generated sections replaced; throws when a marker pair is missing. */
export function withGeneratedSections(markdown: string, sections: Record<string, string>): string {
  let out = markdown;
  for (const [name, body] of Object.entries(sections)) {
    const from = out.indexOf(begin(name));
    const to = out.indexOf(end(name));
    if (from < 0 || to < from) throw new Error(`docs/tools.md has no "${begin(name)}" … "${end(name)}" pair`);
    out = `${out.slice(0, from)}${begin(name)}\n\n${body}\n\n${out.slice(to)}`;
  }
  return out;
}

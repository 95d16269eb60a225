/**
 * The tool registry: every tool is a declaration (`defineTool`) — name, zod input and output schemas,
 * annotations, metrics and a thin handler over a manager — and this module lists and calls them through
 * the SDK's low-level `Server`, so that every way a call can go wrong (an unknown tool, a tool hidden by
 * READ_ONLY, arguments that are not an object, an argument the tool does not define, a schema mismatch, a
 * handler's own error) gets the one envelope of ./run.ts: a coded tool result, a log line and the metrics.
 *
 * Why not McpServer.registerTool: McpServer answers a schema mismatch itself with a bare text error and
 * ignores unknown arguments (zod strips them), and offers no public hook to change either.
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { Protocol } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolResult, CreateTaskResult, ListToolsResult, Tool, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { Registry } from 'prom-client';
import { ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { structureProblems } from '../../shared/config-guard.js';
import { nearestName } from '../../shared/suggest.js';
import { nearestTool } from '../../shared/not-found-tool.js';
import { AppError } from '../../errors.js';
import { toolErrorSchema } from '../errors.js';
import type { KubeAccess } from '../../kube/access.js';
import { initToolCallSeries, type ToolMetrics } from '../../observability/tool-metrics.js';
import { asksForTask, taskCall, type TaskDeclaration } from '../../tasks/tool-tasks.js';
import type { Settings, ToolNameStyle } from '../../runtime/types.js';
import { renderToolNames, toolName, withToolNameStyle } from '../../tool-names.js';
import type { ToolContext } from '../context.js';
import type { ToolExtra } from '../context.js';
import { runTool, type CallFields, type ToolCall } from './run.js';

/**
 * One tool, declared once. `I` is the zod input (closed, strict, when listed and validated); `O` the success
 * shape of the result: the handler must return `z.infer<O>`, so `tsc` refuses a result the output schema does
 * not allow. tools/list shows `O` with every member optional plus `error` (listedOutput), because the SDK
 * client checks error results against the output schema too.
 */
export interface ToolDefinition<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  /** The dotted name (`k0.clusters.list`, docs/tools.md); the snake form is derived. */
  readonly name: string;
  /** The `operation` field of the log line. */
  readonly operation: string;
  readonly title: string;
  readonly description: string | ((settings: Settings) => string);
  readonly input: I;
  readonly output: O;
  /**
   * The MCP hints. `readOnlyHint: false` is also what READ_ONLY reads: such a tool writes to the cluster, so it
   * is not offered and is refused as `forbidden` (writesOf).
   */
  readonly annotations: Required<Pick<ToolAnnotations, 'readOnlyHint' | 'destructiveHint' | 'idempotentHint' | 'openWorldHint'>>;
  /**
   * Every Kubernetes request the tool may make, as RBAC rules (declared next to its manager, e.g.
   * clusters/access.ts). The manifests' ClusterRole grants exactly the union; test/integration/rbac.test.ts
   * checks both against the requests the tools really make.
   */
  readonly access: readonly KubeAccess[];
  /** The tool family's own metrics (e.g. clusters_deploy_total), besides mcp_tool_calls_total. */
  readonly metrics?: ToolMetrics;
  /** What the log line says about the call, from its (valid) arguments. */
  readonly logFields?: (args: z.infer<I>) => CallFields;
  /** Runs as an MCP task when the client asks (`execution.taskSupport: "optional"`; src/tasks/tool-tasks.ts). */
  readonly task?: TaskDeclaration<z.infer<I>>;
  /** The handler: parse nothing (the registry did), call one manager method, return its result as `O` says. */
  readonly run: (args: z.infer<I>, call: ToolCall) => Promise<ToolResult<O>>;
}

/** What a handler returns: the type the output schema describes. */
export type ToolResult<O extends z.ZodObject> = z.infer<O>;

/** A definition with its generic types erased, as the registry stores them. */
export type AnyToolDefinition = ToolDefinition<z.ZodObject, z.ZodObject>;

/** Declares a tool; the identity function that keeps the handler's argument and result types tied to `input` and `output`. */
export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(definition: ToolDefinition<I, O>): AnyToolDefinition {
  return definition as unknown as AnyToolDefinition;
}

/** Whether a tool writes to the cluster: its annotations say it is not read-only. */
export function writesOf(definition: AnyToolDefinition): boolean {
  return definition.annotations.readOnlyHint === false;
}

/** The output schema tools/list shows: the success shape with every member optional, and the optional `error`. */
export function listedOutput(success: z.ZodObject): z.ZodObject {
  return success.partial().extend({ error: toolErrorSchema.optional() });
}

export { toolName };

/** The log fields a call can tell before its arguments are known to be valid: only string values. */
function looseFields(args: unknown): CallFields {
  const record = typeof args === 'object' && args !== null ? (args as Record<string, unknown>) : {};
  const text = (key: string): string | undefined => (typeof record[key] === 'string' ? (record[key] as string).slice(0, 253) : undefined);
  return {
    namespace: text('namespace'),
    template: text('template'),
    credential: text('credential'),
    cluster: text('name') ?? text('cluster'),
  };
}

const jsonSchemas = new Map<ToolNameStyle, WeakMap<AnyToolDefinition, Pick<Tool, 'inputSchema' | 'outputSchema'>>>();

/** Every `description` in a JSON Schema with the tool names it mentions in `style`. */
function renderDescriptions(json: unknown, style: ToolNameStyle): unknown {
  if (Array.isArray(json)) return json.map((item) => renderDescriptions(item, style));
  if (typeof json !== 'object' || json === null) return json;
  return Object.fromEntries(
    Object.entries(json).map(([key, value]) => [
      key,
      key === 'description' && typeof value === 'string' ? renderToolNames(value, style) : renderDescriptions(value, style),
    ]),
  );
}

const SAFE = Number.MAX_SAFE_INTEGER;

/**
 * A JSON Schema without what says nothing to a client or a model: zod's safe-integer bounds on every integer,
 * `propertyNames: {type: string}` (JSON keys are strings), `additionalProperties: {}` (the default) and string
 * lengths (the server checks them and names the bound). With `open`, the output schema a tools/list entry
 * carries (issue 24 item 5: each entry ≤ 2.5 KB): also without `additionalProperties: false`, nested `required`
 * lists and descriptions, and the members of objects below the second level (`{type: object}` stays). Every
 * field is documented in docs/tools.md (generated from the zod schemas, ./reference.ts).
 */
function compactSchema(json: unknown, open: boolean, depth = 0): unknown {
  if (Array.isArray(json)) return json.map((item) => compactSchema(item, open, depth));
  if (typeof json !== 'object' || json === null) return json;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) {
    if ((key === 'minimum' && value === -SAFE) || (key === 'maximum' && value === SAFE)) continue;
    if (key === 'propertyNames' && JSON.stringify(value) === '{"type":"string"}') continue;
    if (key === 'additionalProperties' && (JSON.stringify(value) === '{}' || (open && value === false))) continue;
    if (open && depth > 0 && (key === 'required' || key === 'description')) continue;
    if (open && depth > 1 && key === 'properties') continue;
    // String lengths (names ≤ 253, ...) are checked by the server with a message naming the bound.
    if (key === 'minLength' || key === 'maxLength') continue;
    out[key] =
      key === 'properties' && typeof value === 'object' && value !== null
        ? Object.fromEntries(Object.entries(value).map(([name, member]) => [name, compactSchema(member, open, depth + 1)]))
        : key === 'required' || key === 'enum'
          ? value
          : compactSchema(value, open, depth);
  }
  return out;
}

/** The `error` member of every listed output schema, short: docs/tools.md "Errors" has the codes. */
const LISTED_ERROR = {
  type: 'object',
  description: 'Only on failure (isError): {code, message, details}',
} as const;

/** The JSON Schemas of a definition, converted once per process and name style (they do not depend on the session). */
function jsonSchemasOf(definition: AnyToolDefinition, style: ToolNameStyle = 'dotted'): Pick<Tool, 'inputSchema' | 'outputSchema'> {
  let byDefinition = jsonSchemas.get(style);
  if (byDefinition === undefined) jsonSchemas.set(style, (byDefinition = new WeakMap()));
  let schemas = byDefinition.get(definition);
  if (schemas === undefined) {
    const convert = (schema: z.ZodObject, io: 'input' | 'output'): Record<string, unknown> => {
      const { $schema: _ignored, ...json } = z.toJSONSchema(schema, { target: 'draft-7', io, unrepresentable: 'any' }) as Record<
        string,
        unknown
      >;
      return compactSchema(renderDescriptions(json, style), io === 'output') as Record<string, unknown>;
    };
    const output = convert(definition.output.partial(), 'output');
    const properties = (output.properties ?? {}) as Record<string, unknown>;
    schemas = {
      inputSchema: { ...convert(definition.input.strict(), 'input'), type: 'object' } as Tool['inputSchema'],
      outputSchema: { ...output, type: 'object', properties: { ...properties, error: LISTED_ERROR } } as Tool['outputSchema'],
    };
    byDefinition.set(definition, schemas);
  }
  return schemas;
}

/**
 * `initialize.instructions`: what the server is for and the tools it offers (by the session's name style; under
 * READ_ONLY without the writing ones), from the declarations, so it never names a tool that is not there.
 */
export function serverInstructions(settings: Settings, tools: readonly AnyToolDefinition[]): string {
  const offered = tools.filter((definition) => !(settings.readOnly && writesOf(definition)));
  return [
    'k0rdent management-cluster tools: find the credentials, cluster templates, providers and namespaces to use; deploy, update and delete ClusterDeployments and follow them to Ready (wait=true with progress, or as a task); add services to them; troubleshoot them with their conditions and events. Everything happens in the namespaces the operator allowed.',
    ...(settings.readOnly ? ['This server runs read-only (READ_ONLY=true): the tools that write are not offered.'] : []),
    'Tools:',
    ...offered.map((definition) => `- ${toolName(definition.name, settings.toolNameStyle)}: ${definition.title}`),
  ].join('\n');
}

/**
 * What tools/list says of a tool, but its name and description: the part a snapshot pins (src/mcp/tools/reference.ts,
 * in dotted style). Tool names in the schemas' descriptions are in `style`.
 */
export function toolShape(definition: AnyToolDefinition, style: ToolNameStyle = 'dotted'): Omit<Tool, 'name' | 'description'> {
  return {
    title: definition.title,
    ...jsonSchemasOf(definition, style),
    // The title once, at the top level (annotations.title is its older place; clients read either).
    annotations: { ...definition.annotations },
    ...(definition.task !== undefined ? { execution: { taskSupport: 'optional' as const } } : {}),
  };
}

/** One entry of tools/list, under the name the session's style gives it; the tools its texts name, in that style too. */
export function listedTool(definition: AnyToolDefinition, name: string, settings: Settings): Tool {
  const description = typeof definition.description === 'function' ? definition.description(settings) : definition.description;
  const { title, ...rest } = toolShape(definition, settings.toolNameStyle);
  return { name, title, description: renderToolNames(description, settings.toolNameStyle), ...rest };
}

/** One line per zod issue: `path: message`. */
function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'arguments'}: ${issue.message}`).join('; ');
}

/**
 * The arguments checked against the tool's input: an object, no undefined key (named with the nearest
 * defined one), then the zod schema. Throws invalidParams; nothing has been sent anywhere yet.
 */
export function parseArguments(definition: AnyToolDefinition, displayName: string, args: unknown): Record<string, unknown> {
  const value = args === undefined ? {} : args;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AppError(
      'invalidParams',
      `the arguments of ${displayName} must be a JSON object, not ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}; see its input schema in tools/list`,
    );
  }
  const defined = Object.keys(definition.input.shape);
  const unknown = Object.keys(value).filter((key) => !Object.hasOwn(definition.input.shape, key));
  if (unknown.length > 0) {
    const problems = unknown.map((key) => {
      const nearest = nearestName(key, defined) ?? defined.find((name) => name.toLowerCase() === key.toLowerCase());
      return `"${key.slice(0, 100)}" is not an argument of ${displayName}${nearest !== undefined ? `; did you mean "${nearest}"?` : ''}`;
    });
    const listed = problems.join('; ');
    throw new AppError(
      'invalidParams',
      `${listed}${/[.?!]$/.test(listed) ? '' : '.'} ${defined.length > 0 ? `Its arguments are: ${defined.join(', ')}` : 'It takes no arguments: call it with {}'}`,
      {
        unknownArguments: unknown.map((key) => key.slice(0, 100)),
        arguments: defined,
      },
    );
  }
  // Before zod, which would drop a `__proto__` key silently: reserved keys, depth and size of every argument.
  const structural = Object.entries(value as Record<string, unknown>).flatMap(([key, item]) => structureProblems(item, key.slice(0, 100)));
  if (structural.length > 0) {
    throw new AppError('invalidParams', `the arguments of ${displayName} are not acceptable: ${structural.join('; ')}`, {
      problems: structural,
    });
  }
  const parsed = definition.input.strict().safeParse(value);
  if (!parsed.success) {
    throw new AppError(
      'invalidParams',
      `the arguments do not match the input schema of ${displayName}: ${describeIssues(parsed.error)}. Fix them as the input schema in tools/list describes and call again`,
    );
  }
  return parsed.data as Record<string, unknown>;
}

/** The tools/call request as the registry reads it: `arguments` is checked by the registry, not by the protocol. */
const LooseCallToolRequestSchema = z.object({
  method: z.literal('tools/call'),
  params: z.looseObject({ name: z.string(), arguments: z.unknown().optional() }),
});

/**
 * Installs tools/list and tools/call on `server` for `tools` (READ_ONLY hides the writing ones).
 * The server must have declared the `tools` capability.
 */
export function installTools(server: Server, context: ToolContext, tools: readonly AnyToolDefinition[]): void {
  const { settings } = context.runtime;
  const byName = new Map(tools.map((definition) => [toolName(definition.name, settings.toolNameStyle), definition]));
  const offered = [...byName].filter(([, definition]) => !(settings.readOnly && writesOf(definition)));
  const listed: ListToolsResult = { tools: offered.map(([name, definition]) => listedTool(definition, name, settings)) };
  server.setRequestHandler(ListToolsRequestSchema, () => listed);

  const call = async (
    request: z.infer<typeof LooseCallToolRequestSchema>,
    extra: ToolExtra,
  ): Promise<CallToolResult | CreateTaskResult> => {
    const name = request.params.name;
    const args = request.params.arguments;
    const definition = byName.get(name);
    if (definition === undefined) {
      const nearest = nearestTool(
        name,
        offered.map(([offeredName]) => offeredName),
      );
      const error = new AppError(
        'invalidParams',
        `there is no tool "${name.slice(0, 100)}"${nearest !== undefined ? `; did you mean "${nearest}"?` : '.'} tools/list names the tools this server offers`,
      );
      return runTool(context, { tool: 'unknown', operation: 'unknown', fields: looseFields(args) }, extra, () => Promise.reject(error));
    }
    const spec = {
      tool: definition.name,
      operation: definition.operation,
      writes: writesOf(definition),
      metrics: definition.metrics,
      fields: looseFields(args),
    };
    // Asked as a task (params.task): the same envelope, then a CreateTaskResult (src/tasks/tool-tasks.ts).
    const task =
      definition.task !== undefined && asksForTask(request.params)
        ? taskCall<Record<string, unknown>, ToolCall>(definition.task)
        : undefined;
    // Messages built during the call name tools as this session lists them (toolRef, src/tool-names.ts).
    const result = await withToolNameStyle(settings.toolNameStyle, () =>
      runTool(context, spec, extra, async (toolCall) => {
        if (settings.readOnly && writesOf(definition)) {
          throw new AppError(
            'forbidden',
            `the server runs read-only (READ_ONLY=true): ${name} is not offered; ask the operator for a server that may write`,
          );
        }
        const valid = parseArguments(definition, name, args);
        if (definition.logFields !== undefined) Object.assign(spec.fields, definition.logFields(valid));
        return task ? task.run(valid, toolCall, definition.run) : definition.run(valid, toolCall);
      }),
    );
    return task ? task.created(result) : result;
  };
  // Server.setRequestHandler would first parse the request with the SDK's CallToolRequestSchema, which
  // answers non-object `arguments` with a protocol error instead of a tool result; the base class's
  // method installs the handler with our looser request schema, and the registry checks `arguments` itself.
  const installBase = Protocol.prototype.setRequestHandler as (
    this: Server,
    schema: typeof LooseCallToolRequestSchema,
    handler: typeof call,
  ) => void;
  installBase.call(server, LooseCallToolRequestSchema, call);
}

const initialised = new WeakSet<Registry>();

/** Every series of every tool's metrics exists (at 0) from startup, so rate() and alerts work at once. */
export function initToolMetrics(registry: Registry, tools: readonly AnyToolDefinition[]): void {
  if (initialised.has(registry)) return;
  initialised.add(registry);
  for (const definition of tools) {
    initToolCallSeries(registry, definition.name);
    definition.metrics?.init(registry);
  }
}

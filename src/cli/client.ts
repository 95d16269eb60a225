/**
 * `k0rdent-mcp tools` and `k0rdent-mcp call`: a client in the box, so a newcomer can see a tool answer
 * without a desktop client. Both speak MCP through the SDK's Client: to a running server with `--url`
 * (Streamable HTTP), or, without it, to a server they start themselves (`stdio --sandbox`, this same binary).
 * `call` prints the structured result (JSON; YAML on a terminal), progress notifications as progress lines
 * on stderr, and exits 1 when the tool answers an error (its coded text on stderr), 2 on a usage mistake.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { packageVersion } from '../config/package.js';

export interface ClientFlags {
  url?: string;
  header?: string[];
  json?: boolean;
  waitProgress?: boolean;
  /** Request timeout in seconds (long waits need more than the SDK's 60 s default). */
  timeout?: string;
}

/** A mistake in how the command was called: exit 2 with one line saying what to do. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** How long a call may take before the client gives up (a deploy with wait can take many minutes). */
const DEFAULT_TIMEOUT_S = 1800;

export function parseHeaders(values: readonly string[] = []): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf(':');
    if (at <= 0)
      throw new UsageError(`--header "${value.slice(0, 80)}" is not "Name: value"; e.g. --header "Authorization: Bearer $TOKEN"`);
    headers[value.slice(0, at).trim()] = value.slice(at + 1).trim();
  }
  return headers;
}

/** The call's arguments: inline JSON, `@file` (JSON), `@-` (stdin), or nothing (`{}`). */
export function parseArguments(text: string | undefined, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): object {
  if (text === undefined || text.trim() === '') return {};
  let source = text;
  let where = 'the arguments';
  if (text.startsWith('@')) {
    const path = text.slice(1);
    where = path === '-' ? 'standard input' : `file ${path}`;
    try {
      source = readFile(path === '-' ? '/dev/stdin' : path);
    } catch (error) {
      throw new UsageError(`cannot read ${where}: ${(error as Error).message}`);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch (error) {
    throw new UsageError(`${where} are not JSON (${(error as Error).message}); write them like '{"namespace":"team-alpha"}'`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new UsageError(`${where} must be a JSON object like '{"namespace":"team-alpha"}'`);
  return parsed;
}

function timeoutMs(flags: ClientFlags): number {
  if (flags.timeout === undefined) return DEFAULT_TIMEOUT_S * 1000;
  const seconds = Number(flags.timeout);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--timeout "${flags.timeout}" is not a number of seconds`);
  return seconds * 1000;
}

async function transportFor(flags: ClientFlags): Promise<Transport> {
  if (flags.url !== undefined) {
    let url: URL;
    try {
      url = new URL(flags.url);
    } catch {
      throw new UsageError(`--url "${flags.url.slice(0, 200)}" is not a URL; e.g. --url http://127.0.0.1:6767/mcp`);
    }
    const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
    return new StreamableHTTPClientTransport(url, { requestInit: { headers: parseHeaders(flags.header) } });
  }
  if ((flags.header ?? []).length > 0) throw new UsageError('--header needs --url (a server started by this command takes no headers)');
  const { StdioClientTransport, getDefaultEnvironment } = await import('@modelcontextprotocol/sdk/client/stdio.js');
  // This same binary, as a stdio server on a fresh embedded sandbox; its log lines go nowhere unless asked.
  const main = fileURLToPath(new URL('./main.js', import.meta.url));
  const env: Record<string, string> = { ...getDefaultEnvironment() };
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  env.LOG_LEVEL ??= 'warn';
  return new StdioClientTransport({ command: process.execPath, args: [main, 'stdio', '--sandbox'], env, stderr: 'ignore' });
}

async function connect(flags: ClientFlags): Promise<Client> {
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const client = new Client({ name: 'k0rdent-mcp-cli', version: packageVersion() });
  await client.connect(await transportFor(flags));
  return client;
}

/** First sentence of a description, for one-line listings. */
export function firstSentence(text: string | undefined, max = 110): string {
  const line = (text ?? '').split('\n')[0] ?? '';
  const sentence = /^(.*?[.:])(\s|$)/.exec(line)?.[1] ?? line;
  return sentence.length > max ? `${sentence.slice(0, max - 1)}…` : sentence;
}

export async function runTools(flags: ClientFlags, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const client = await connect(flags);
  try {
    const { tools } = await client.listTools(undefined, { timeout: timeoutMs(flags) });
    if (flags.json === true) {
      out.write(
        JSON.stringify(
          tools.map((t) => ({ name: t.name, readOnly: t.annotations?.readOnlyHint === true, summary: firstSentence(t.description) })),
          null,
          2,
        ) + '\n',
      );
      return;
    }
    const width = Math.max(...tools.map((t) => t.name.length));
    for (const tool of tools) {
      const access = tool.annotations?.readOnlyHint === true ? 'read ' : 'WRITE';
      out.write(`${tool.name.padEnd(width)}  ${access}  ${firstSentence(tool.description)}\n`);
    }
  } finally {
    await client.close();
  }
}

interface ProgressLine {
  progress: number;
  total?: number | undefined;
  message?: string | undefined;
}

export function formatProgress(p: ProgressLine): string {
  const round = (n: number): string => String(Math.round(n * 100) / 100);
  const count = p.total !== undefined ? `${round(p.progress)}/${round(p.total)}` : round(p.progress);
  return `progress ${count}${p.message !== undefined ? `: ${p.message}` : ''}`;
}

/** Returns the process exit code: 0 success, 1 the tool answered an error. */
export async function runCall(
  tool: string,
  argsText: string | undefined,
  flags: ClientFlags,
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
): Promise<number> {
  const args = parseArguments(argsText);
  const timeout = timeoutMs(flags);
  const client = await connect(flags);
  try {
    const showProgress = flags.waitProgress === true || err.isTTY === true;
    const result = await client.callTool({ name: tool, arguments: args as Record<string, unknown> }, undefined, {
      timeout,
      resetTimeoutOnProgress: true,
      ...(showProgress ? { onprogress: (p: ProgressLine) => err.write(`${formatProgress(p)}\n`) } : {}),
    });
    const text = (Array.isArray(result.content) ? result.content : [])
      .filter((c): c is { type: 'text'; text: string } => typeof c === 'object' && c !== null && (c as { type?: unknown }).type === 'text')
      .map((c) => c.text)
      .join('\n');
    if (result.isError === true) {
      err.write(`${tool}: ${text}\n`);
      return 1;
    }
    const structured = result.structuredContent ?? (text !== '' ? safeJson(text) : {});
    const terminal = (out as { isTTY?: boolean }).isTTY === true && flags.json !== true;
    if (terminal) {
      const { stringify } = await import('yaml');
      out.write(stringify(structured, { lineWidth: 0 }));
    } else {
      out.write(JSON.stringify(structured, null, 2) + '\n');
    }
    return 0;
  } finally {
    await client.close();
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { text };
  }
}

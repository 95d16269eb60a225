/**
 * The start of `k0rdent-mcp stdio` (issue 24 item 4): the configuration is checked (a mistake still exits 2 before
 * the client hears anything), then `initialize`, `tools/list`, `prompts/list`, `resources/templates/list` and
 * `ping` are answered from the answers the build
 * computed (./start-cache.ts) while the server itself (./stdio.ts: the SDK, the tools, the managers) loads behind.
 * Every other message waits, in order, for that server; so does everything once it runs.
 *
 * The hand-over: the server reads a stream fed by this front. It gets the client's `initialize` first, so it
 * knows the client's capabilities and version as if it had answered; its answer is not sent again, only
 * compared with the one sent (a difference is logged: the build's answers are stale). Without answers for these
 * settings (another variant, or a build without them) nothing is answered here and the server answers all.
 */
import { PassThrough } from 'node:stream';
import { packageVersion } from '../config/package.js';
import { cachedStartAnswers, type StartAnswers, type StartAnswersFile } from './start-cache.js';
import { checkStartup, exitOnStartupError } from './startup-check.js';
import type { FrontHandOver } from './stdio.js';
import { holdYoungGeneration } from './young-generation.js';

/** If the client sends nothing, the server still starts (logs, sandbox, API ping) after this long. */
const LOAD_FALLBACK_MS = 1000;

type Json = Record<string, unknown>;

/** The lists answered from the build's answers once initialize was: method → its answer in StartAnswers. */
const LISTS: Partial<Record<string, 'toolsList' | 'promptsList' | 'resourceTemplatesList'>> = {
  'tools/list': 'toolsList',
  'prompts/list': 'promptsList',
  'resources/templates/list': 'resourceTemplatesList',
};
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const isId = (value: unknown): value is string | number => typeof value === 'string' || typeof value === 'number';

/** An initialize the SDK's InitializeRequestSchema accepts in its essentials; anything else is left to the SDK. */
function plainInitialize(message: Json): boolean {
  const params = message.params;
  return (
    isObject(params) &&
    typeof params.protocolVersion === 'string' &&
    isObject(params.capabilities) &&
    isObject(params.clientInfo) &&
    typeof params.clientInfo.name === 'string' &&
    typeof params.clientInfo.version === 'string'
  );
}

function initializeResult(answers: StartAnswers, protocol: StartAnswersFile['protocol'], requested: string): Json {
  // As the SDK's Server negotiates: the client's version when supported, else the latest.
  const protocolVersion = protocol.supported.includes(requested) ? requested : protocol.latest;
  return { ...answers.initialize, protocolVersion };
}

export async function runStdioFront(flags: Record<string, unknown>): Promise<void> {
  // Any stray console.log from a dependency would corrupt the protocol stream.
  console.log = console.error;
  console.info = console.error;
  console.debug = console.error;
  // The server loads with V8's new space held small; ./stdio.ts releases it before serving (./young-generation.ts).
  holdYoungGeneration();
  const check = checkStartup('stdio', flags);
  const cached = cachedStartAnswers(check.parsed.settings, packageVersion());
  if (cached === undefined) return (await import('./stdio.js')).runStdio(flags, check);

  const input = new PassThrough();
  let handedOver = false;
  const handOver: FrontHandOver = {
    input,
    initializeId: undefined,
    initializeResult: undefined,
    connected: () => void (handedOver = true),
  };
  let loading = false;
  const load = (): void => {
    if (loading) return;
    loading = true;
    clearTimeout(fallback);
    // After the answer is written: the loading (module evaluation) never delays it.
    setImmediate(() => {
      import('./stdio.js').then(({ runStdio: run }) => run(flags, check, handOver)).catch(exitOnStartupError);
    });
  };
  const fallback = setTimeout(load, LOAD_FALLBACK_MS);
  const answer = (id: string | number, result: Json): void => {
    process.stdout.write(`${JSON.stringify({ result, jsonrpc: '2.0', id })}\n`);
  };

  /** One line from the client: answered here (before the hand-over, when the answer is known) or forwarded. */
  const receive = (line: string): void => {
    if (!handedOver && line.trim() !== '') {
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        message = undefined;
      }
      if (isObject(message) && message.jsonrpc === '2.0' && isId(message.id)) {
        if (message.method === 'initialize' && handOver.initializeId === undefined && plainInitialize(message)) {
          const result = initializeResult(cached.answers, cached.protocol, (message.params as Json).protocolVersion as string);
          answer(message.id, result);
          handOver.initializeId = message.id;
          handOver.initializeResult = result;
          input.write(`${line}\n`);
          load();
          return;
        }
        // The registry lists every tool on one page whatever the params (a cursor) say; so does McpServer its
        // prompts and resource templates (SDK 1.32 dist/esm/server/mcp.js:422 and :462 read no params).
        const listParams = message.params === undefined || isObject(message.params);
        const listed = typeof message.method === 'string' ? LISTS[message.method] : undefined;
        if (listed !== undefined && handOver.initializeId !== undefined && listParams) {
          answer(message.id, cached.answers[listed]);
          return;
        }
        if (message.method === 'ping') {
          answer(message.id, {});
          return;
        }
      }
    }
    input.write(`${line}\n`);
    load();
  };

  let buffer = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    buffer += chunk;
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
      receive(line);
    }
  });
  process.stdin.on('end', () => {
    if (buffer !== '') input.write(buffer);
    input.end();
    load();
  });
}

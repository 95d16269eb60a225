/**
 * docs/tools.md's examples, produced by running the product (issue 24 item 2): one embedded sandbox, one MCP client
 * (the SDK's Client over an in-memory transport, ./clusters-harness.ts), each tool called with the input shown,
 * its structured result shown as it came back — normalised (times, uids, resourceVersions, generated name suffixes)
 * so a second run writes the same bytes, long lists and strings cut visibly — then the errors of the common mistakes,
 * and k0.clusters.diagnose of a healthy deployment and of each fault of the sandbox world
 * (label sandbox.k0rdent-mcp.io/fault, docs/sandbox.md "Faults").
 *
 * `npm run docs:tools` writes the sections (scripts/docs-examples.mjs); test/unit/tool-examples.test.ts generates
 * them afresh and fails when docs/tools.md differs.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { TOOLS } from '../../src/mcp/tools/index.js';
import { startSandbox } from '../../src/sandbox/sandbox.js';
import { AZURE_BASELINE, startHarness, type Harness } from './clusters-harness.js';
import { quietPoint } from './quiet.js';
import { scaled } from './until.js';

const NS = 'team-alpha';
const TEMPLATE = 'azure-standalone-cp-1-0-15';
const CREDENTIAL = 'azure-cluster-credential';
const FAULT_LABEL = 'sandbox.k0rdent-mcp.io/fault';

interface Example {
  tool: string;
  /** What the example shows, when the input alone does not say. */
  note?: string;
  args: Record<string, unknown>;
}

/** One call per tool, in the order of TOOLS; a write acts on a deployment of its own (docs-example). */
const EXAMPLES: Example[] = [
  { tool: 'k0.clusters.listCredentials', args: { namespace: NS } },
  { tool: 'k0.clusters.listTemplates', args: { scope: 'global', limit: 2 } },
  { tool: 'k0.clusters.list', args: { namespace: NS } },
  {
    tool: 'k0.clusters.deploy',
    args: { name: 'docs-example', namespace: NS, template: TEMPLATE, credential: CREDENTIAL, config: AZURE_BASELINE },
  },
  {
    tool: 'k0.clusters.update',
    note: 'a dry run of a config change',
    args: { name: 'docs-example', namespace: NS, config: { workersNumber: 2 }, dryRun: true },
  },
  { tool: 'k0.clusters.delete', args: { name: 'docs-example', namespace: NS } },
  { tool: 'k0.clusters.get', args: { name: 'alpha-dev-cluster', namespace: NS } },
  { tool: 'k0.events.list', args: { namespace: NS, forName: 'alpha-dev-cluster', limit: 3 } },
  { tool: 'k0.templates.get', args: { name: TEMPLATE } },
  { tool: 'k0.namespaces.list', args: { limit: 3 } },
  { tool: 'k0.providers.list', args: { limit: 2 } },
  {
    tool: 'k0.clusters.diagnose',
    note: 'the full answer for a healthy deployment (each fault below)',
    args: { name: 'alpha-dev-cluster', namespace: NS },
  },
  { tool: 'k0.logs.get', args: { for: { kind: 'AWSCluster', name: 'alpha-dev-cluster', namespace: NS }, tailLines: 3 } },
  { tool: 'k0.services.listTemplates', args: { limit: 2 } },
  {
    tool: 'k0.clusters.services.apply',
    note: 'a dry run',
    args: { cluster: 'alpha-dev-cluster', namespace: NS, template: 'cert-manager-1-16-2', serviceNamespace: 'cert-manager', dryRun: true },
  },
  {
    tool: 'k0.clusters.services.remove',
    note: 'a dry run',
    args: { cluster: 'alpha-dev-cluster', namespace: NS, name: 'cert-manager', serviceNamespace: 'cert-manager', dryRun: true },
  },
  { tool: 'k0.clusters.services.status', args: { cluster: 'alpha-dev-cluster', namespace: NS } },
  { tool: 'k0.multiClusterServices.list', args: {} },
  {
    tool: 'k0.multiClusterServices.apply',
    note: 'a dry run',
    args: {
      name: 'team-alpha-certs',
      clusterSelector: { matchLabels: { team: 'alpha' } },
      services: [{ template: 'cert-manager-1-16-2', namespace: 'cert-manager' }],
      dryRun: true,
    },
  },
  { tool: 'k0.multiClusterServices.delete', note: 'a dry run', args: { name: 'platform-monitoring', dryRun: true } },
  { tool: 'k0.platform.status', args: {} },
  { tool: 'k0.regions.list', args: {} },
  { tool: 'k0.catalog.list', args: { query: 'cert-manager' } },
  { tool: 'k0.catalog.get', args: { app: 'ingress-nginx' } },
  { tool: 'k0.catalog.install', note: 'a dry run', args: { app: 'ingress-nginx', dryRun: true } },
  { tool: 'k0.catalog.uninstall', note: 'a dry run', args: { app: 'ingress-nginx', dryRun: true } },
];

/** The examples that write (run one after the other, after every read). */
const WRITES = new Set(['k0.clusters.deploy', 'k0.clusters.update', 'k0.clusters.delete']);

/** The common mistakes and what they get back (none of them writes). */
const MISTAKES: (Example & { title: string })[] = [
  { title: 'A name with a typo', tool: 'k0.clusters.get', args: { name: 'alpha-dev-clustr', namespace: NS } },
  { title: 'The right name in the wrong namespace', tool: 'k0.clusters.get', args: { name: 'alpha-dev-cluster', namespace: 'team-beta' } },
  { title: 'A namespace that does not exist', tool: 'k0.clusters.list', args: { namespace: 'team-alfa' } },
  { title: 'An argument the tool does not have', tool: 'k0.clusters.list', args: { namespaces: NS } },
  {
    title: 'A template name with a typo',
    tool: 'k0.clusters.deploy',
    args: { name: 'docs-typo', namespace: NS, template: 'azure-standalone-cp-1-0-51', credential: CREDENTIAL, config: AZURE_BASELINE },
  },
  {
    title: 'A bad config: an unknown setting and a wrong type',
    tool: 'k0.clusters.deploy',
    args: {
      name: 'docs-bad-config',
      namespace: NS,
      template: TEMPLATE,
      credential: CREDENTIAL,
      config: { ...AZURE_BASELINE, workerNumber: 2, controlPlaneNumber: 'one' },
    },
  },
];

/**
 * Each fault, and the firstBroken (kind and reason) its diagnosis settles on: on the way there it passes through
 * other states (a deletion shows its objects going, the controllers' log before the condition says it).
 */
const FAULTS = [
  { name: 'healthy', fault: undefined, settlesOn: undefined },
  { name: 'helm-install-failure', fault: 'helm-install-failure', settlesOn: 'HelmRelease InstallFailed' },
  { name: 'infra-error', fault: 'infra-error', settlesOn: 'AzureCluster Failed' },
  { name: 'machine-without-provider-id', fault: 'machine-without-provider-id', settlesOn: 'Machine NoProviderID' },
  { name: 'control-plane-not-initialized', fault: 'control-plane-not-initialized', settlesOn: 'K0sControlPlane ReconcilerError' },
  { name: 'deletion-blocked', fault: 'deletion-blocked', settlesOn: 'AzureCluster DeletingFailed', deleteFirst: true },
] as const;

// ---- normalising and cutting ----

const TIME = /\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)\b/g;
/** A uid (not the all-zero subscription id of the example config). */
const UUID = /\b(?!00000000-0000-0000-0000-000000000000)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g;
/** Generated name suffixes (k8s.io/apimachinery rand.String's alphabet), after the -cp / -md of a CAPI name. */
const SUFFIX = /(-(?:cp|md))((?:-[bcdfghjklmnpqrstvwxz2456789]{5})+)\b/g;
const MAX_ITEMS = 3;
const MAX_STRING = 240;

/** An Event's name: its object's name and a hex timestamp (client-go's record package). */
const EVENT_NAME = /(\.)[0-9a-f]{16}\b/g;
/** The sandbox world's invented cloud ids (an AWS-style VPC id in a fault's message). */
const CLOUD_ID = /\b(vpc|subnet|sg|i)-[0-9a-f]{8,17}\b/g;

/** A klog line's header time (Lmmdd hh:mm:ss.uuuuuu). */
const KLOG_TIME = /^([IWEF])\d{4} \d\d:\d\d:\d\d\.\d{6}/;

function normaliseText(text: string): string {
  return text
    .replace(TIME, '<time>')
    .replace(KLOG_TIME, '$1<time>')
    .replace(EVENT_NAME, '$1<id>')
    .replace(CLOUD_ID, '$1-<id>')
    .replace(UUID, '<uid>')
    .replace(SUFFIX, (_, kind: string, suffixes: string) => `${kind}${suffixes.replace(/[bcdfghjklmnpqrstvwxz2456789]{5}/g, 'xxxxx')}`);
}

const VOLATILE: Record<string, string> = { resourceVersion: '<rv>', uid: '<uid>', taskId: '<task>', continue: '<token>' };

/** The value as it reads in the docs: normalised, long lists and strings cut with a visible note. */
export function forDocs(value: unknown, limits: { items?: number; chars?: number } = {}, key = ''): unknown {
  const { items = MAX_ITEMS, chars = MAX_STRING } = limits;
  if (key in VOLATILE && value !== undefined) return VOLATILE[key];
  if (typeof value === 'string') return cut(normaliseText(value), chars);
  if (Array.isArray(value)) {
    const shown = value.slice(0, items).map((v) => forDocs(v, limits));
    return value.length > items ? [...shown, `… (cut: ${value.length - items} more)`] : shown;
  }
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, forDocs(v, limits, k)]));
  return value;
}

function cut(text: string, chars: number): string {
  return text.length > chars ? `${text.slice(0, chars)}… (cut: ${text.length - chars} more characters)` : text;
}

/** A diagnosis in full: every chain object, messages whole (they are the answer). */
const DIAGNOSIS_LIMITS = { items: 40, chars: 2000 };

const json = (value: unknown): string => ['```json', JSON.stringify(value, null, 2), '```'].join('\n');

// ---- the run ----

async function call(harness: Harness, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return harness.call(name, args, { timeout: 120_000 });
}

function answer(result: CallToolResult): unknown {
  return result.structuredContent ?? result.content;
}

/**
 * The diagnosis once it has settled: a fault's firstBroken is the one it ends on (the healthy one is ready), and the
 * next diagnosis says the same (normalised).
 */
async function settledDiagnosis(harness: Harness, name: string, settlesOn: string | undefined): Promise<Record<string, unknown>> {
  const deadline = Date.now() + scaled(60_000);
  let previous = '';
  for (;;) {
    const result = await call(harness, 'k0.clusters.diagnose', { name, namespace: NS });
    const d = (result.structuredContent ?? {}) as Record<string, unknown>;
    const broken = d['firstBroken'] as { kind?: string; reason?: string } | undefined;
    const there = settlesOn === undefined ? d['ready'] === true : `${broken?.kind} ${broken?.reason}` === settlesOn;
    const text = JSON.stringify(forDocs(d, DIAGNOSIS_LIMITS));
    if (there && text === previous) return d;
    previous = there ? text : '';
    if (Date.now() > deadline) throw new Error(`the diagnosis of ${name} did not settle on ${settlesOn ?? 'Ready'}: ${JSON.stringify(d)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The generated sections of docs/tools.md: `tool-examples` and `tool-diagnose-faults`. */
export async function generateToolExamples(): Promise<Record<string, string>> {
  const t0 = Date.now();
  const mark = (what: string): void => {
    if (process.env['DOCS_EXAMPLES_DEBUG']) process.stderr.write(`${Date.now() - t0} ms ${what}\n`);
  };
  const sandbox = await startSandbox({ provisionSeconds: 1, deleteSeconds: 1 });
  // The bundled catalog index is stale after 180 days by default: pinned here, or the examples would change with the
  // calendar (its date itself is normalised).
  const harness = await startHarness(sandbox, {
    logLevel: 'error',
    catalog: { indexUrl: undefined, cacheDir: undefined, mirrors: [], maxAgeDays: 36_500 },
  });
  try {
    // Reads first, all at once (they change nothing), then the writes in order, then the fault deployments; shown
    // in the order of EXAMPLES. The seeded world is up (startSandbox waits for it); its last status writes settle here.
    await quietPoint(sandbox.store, { stillMs: 100 });
    const results = new Map<Example, CallToolResult>();
    const writes = EXAMPLES.filter((e) => WRITES.has(e.tool));
    const reads = [...EXAMPLES.filter((e) => !WRITES.has(e.tool)), ...MISTAKES];
    await Promise.all(reads.map(async (e) => results.set(e, await call(harness, e.tool, e.args))));
    mark('reads and mistakes');
    for (const e of writes) results.set(e, await call(harness, e.tool, e.args));
    mark('writes');

    const examples: string[] = [];
    for (const example of EXAMPLES) {
      const result = results.get(example)!;
      examples.push(
        `### \`${example.tool}\`${example.note ? ` — ${example.note}` : ''}${result.isError ? ' (an error)' : ''}`,
        '',
        json(example.args),
        '',
        json(forDocs(answer(result))),
        '',
      );
    }
    const shown = new Set(EXAMPLES.map((e) => e.tool));
    const missing = TOOLS.map((t) => t.name).filter((name) => !shown.has(name));
    if (missing.length > 0)
      examples.push(
        `No generated example yet (add one to test/helpers/docs-examples.ts): ${missing.map((n) => `\`${n}\``).join(', ')}.`,
        '',
      );
    examples.push('### Common mistakes', '');
    for (const mistake of MISTAKES) {
      const result = results.get(mistake)!;
      examples.push(`#### ${mistake.title}`, '', `\`${mistake.tool}\``, '', json(mistake.args), '', json(forDocs(answer(result))), '');
    }

    const faults: string[] = [];
    await Promise.all(
      FAULTS.map(async (c) => {
        const name = `demo-${c.name}`;
        await call(harness, 'k0.clusters.deploy', {
          name,
          namespace: NS,
          template: TEMPLATE,
          credential: CREDENTIAL,
          config: AZURE_BASELINE,
          ...(c.fault ? { labels: { [FAULT_LABEL]: c.fault } } : {}),
          ...('deleteFirst' in c || !c.fault ? { wait: true, provisionTimeout: '2m' } : {}),
        });
        if ('deleteFirst' in c) await call(harness, 'k0.clusters.delete', { name, namespace: NS });
      }),
    );
    mark('fault deployments');
    const diagnoses = await Promise.all(FAULTS.map((c) => settledDiagnosis(harness, `demo-${c.name}`, c.settlesOn)));
    mark('diagnoses');
    // What firstBroken.nextCall shows: the responsible controller's last lines.
    const nextCallLogs = await Promise.all(
      diagnoses.map(async (d) => {
        const next = (d['firstBroken'] as { nextCall?: { tool: string; arguments: Record<string, unknown> } } | undefined)?.nextCall;
        if (!next) return undefined;
        const result = await call(harness, next.tool, next.arguments);
        const logs = (result.structuredContent ?? {}) as { pod?: string; controller?: string; lines?: string[] };
        const lines = (logs.lines ?? []).slice(-3).map((line) => cut(normaliseText(line), 400));
        return [`\`${next.tool}\` → ${logs.pod} (${logs.controller ?? 'pod'}), last lines:`, '', '```', ...lines, '```'].join('\n');
      }),
    );
    mark('next calls');
    FAULTS.forEach((c, i) => {
      const d = diagnoses[i]!;
      const chain = ((d['chain'] ?? []) as { kind: string; name: string; status: string; state?: string }[]).map(
        (n) => `${n.kind} ${n.name}: ${n.status} — ${n.state ?? ''}`,
      );
      const compact = {
        phase: d['phase'],
        chain,
        ...(d['firstBroken'] !== undefined ? { firstBroken: d['firstBroken'] } : {}),
        ...(d['waitingOn'] !== undefined ? { waitingOn: d['waitingOn'] } : {}),
        requests: d['requests'],
        ...(Array.isArray(d['notes']) && d['notes'].length > 0 ? { notes: d['notes'] } : {}),
      };
      faults.push(`#### ${c.name}`, '', json(forDocs(compact, DIAGNOSIS_LIMITS)), '');
      const logs = nextCallLogs[i];
      if (logs) faults.push(logs, '');
    });
    return { 'tool-examples': examples.join('\n').trimEnd(), 'tool-diagnose-faults': faults.join('\n').trimEnd() };
  } finally {
    await harness.close();
    await sandbox.close();
  }
}

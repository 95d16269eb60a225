// node scripts/diagnose-faults.mjs [--json] — runs the product (`stdio --sandbox`, through the MCP SDK's own
// client) and shows what k0.clusters.diagnose says of a healthy deployment and of each fault of the sandbox
// world (label sandbox.k0rdent-mcp.io/fault), plus the log lines its nextCall returns. docs/tools.md
// "Diagnosing a deployment" is this script's output (npm run build first).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const NAMESPACE = 'team-alpha';
const CONFIG = {
  location: 'westus2',
  subscriptionID: '00000000-0000-0000-0000-000000000000',
  controlPlaneNumber: 1,
  workersNumber: 1,
  controlPlane: { vmSize: 'Standard_A4_v2' },
  worker: { vmSize: 'Standard_A4_v2' },
};
const CASES = [
  { name: 'healthy', fault: undefined },
  { name: 'helm-install-failure', fault: 'helm-install-failure' },
  { name: 'infra-error', fault: 'infra-error' },
  { name: 'machine-without-provider-id', fault: 'machine-without-provider-id' },
  { name: 'control-plane-not-initialized', fault: 'control-plane-not-initialized' },
  { name: 'deletion-blocked', fault: 'deletion-blocked', deleteFirst: true },
];
const json = process.argv.includes('--json');

const transport = new StdioClientTransport({
  command: process.execPath,
  args: ['dist/src/cli/main.js', 'stdio', '--sandbox'],
  stderr: process.env.DIAGNOSE_FAULTS_DEBUG ? 'inherit' : 'ignore',
});
const client = new Client({ name: 'diagnose-faults', version: '0.0.0' });
await client.connect(transport);

async function call(name, args) {
  const result = await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 });
  if (result.isError) throw new Error(`${name}: ${JSON.stringify(result.structuredContent)}`);
  return result.structuredContent;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Diagnoses until `done` says the answer has settled (the world moves in seconds), 90 s at most. */
async function settle(name, done) {
  const until = Date.now() + 90_000;
  let last;
  while (Date.now() < until) {
    last = await call('k0.clusters.diagnose', { name, namespace: NAMESPACE });
    if (done(last)) return last;
    await sleep(1000);
  }
  return last;
}

const out = [];
try {
  for (const c of CASES) {
    const name = `demo-${c.name}`;
    await call('k0.clusters.deploy', {
      name,
      namespace: NAMESPACE,
      template: 'azure-standalone-cp-1-0-15',
      credential: 'azure-cluster-credential',
      config: CONFIG,
      ...(c.fault ? { labels: { 'sandbox.k0rdent-mcp.io/fault': c.fault } } : {}),
      ...(c.deleteFirst || !c.fault ? { wait: true, provisionTimeout: '2m' } : {}),
    });
    if (c.deleteFirst) await call('k0.clusters.delete', { name, namespace: NAMESPACE });
    const diagnosis = await settle(name, (d) => (c.fault ? d.firstBroken !== undefined : d.ready === true));
    let logs;
    if (diagnosis.firstBroken?.nextCall) logs = await call(diagnosis.firstBroken.nextCall.tool, diagnosis.firstBroken.nextCall.arguments);
    out.push({ case: c.name, diagnosis, logs });
  }
} finally {
  await client.close();
}

if (json) {
  console.log(JSON.stringify(out, null, 2));
} else {
  for (const { case: name, diagnosis, logs } of out) {
    console.log(`#### ${name}\n`);
    console.log('```json');
    const compact = {
      phase: diagnosis.phase,
      chain: diagnosis.chain.map((n) => `${n.kind} ${n.name}: ${n.status} — ${n.state}`),
      ...(diagnosis.firstBroken ? { firstBroken: diagnosis.firstBroken } : {}),
      ...(diagnosis.waitingOn ? { waitingOn: diagnosis.waitingOn } : {}),
      requests: diagnosis.requests,
      ...(diagnosis.notes.length > 0 ? { notes: diagnosis.notes } : {}),
    };
    console.log(JSON.stringify(compact, null, 2));
    console.log('```\n');
    if (logs) {
      console.log(`${diagnosis.firstBroken.nextCall.tool} → ${logs.pod} (${logs.controller ?? 'pod'}), last lines:\n`);
      console.log('```');
      for (const line of logs.lines.slice(-3)) console.log(line.length > 400 ? `${line.slice(0, 400)}…` : line);
      console.log('```\n');
    }
  }
}

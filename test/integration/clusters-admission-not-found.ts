/**
 * kcm's webhook answers a reference it cannot find with 404 NotFound (kcm internal/webhook/
 * clusterdeployment_webhook.go:98-101 fetches the new template first on update, :113-115 → internal/util/
 * validation/cluster_template.go:36-40 reads the Credential; controller-runtime validator_custom.go:146-147
 * answers the wrapped NotFound as the status). The product checks references before it writes, but what it
 * checked can be gone by the time it writes: here the template or the credential is deleted while the user
 * confirms a template upgrade (MCP elicitation). The webhook's 404 must reach the caller as invalidParams
 * that says what is missing and which tool lists what exists — not as notFound ("the deployment does not
 * exist") — and nothing is written. Through a real MCP client, on both backends: this suite runs inside
 * kcm-fidelity-admission.test.ts, on the backend that file starts (one start per backend for both).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiException, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ElicitRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { pino } from 'pino';
import { createMcpServer } from '../../src/mcp/server.js';
import { createMetricsRegistry } from '../../src/observability/metrics.js';
import { createRuntime, createSession } from '../../src/runtime/runtime.js';
import type { Backend } from '../helpers/backend.js';
import { until } from '../helpers/until.js';
import { AZURE_BASELINE, sandboxKubeConfig, testSettings, errorOf } from '../helpers/clusters-harness.js';
import {
  CLUSTER_DEPLOYMENTS as CD,
  CLUSTER_TEMPLATES as CT,
  CLUSTER_TEMPLATE_CHAINS as CHAINS,
  CREDENTIALS as CREDS,
  K0RDENT_GROUP as GROUP,
  K0RDENT_VERSION as VERSION,
} from '../../src/sandbox/kcm/resources.js';

const NS = 'team-alpha';
const OLD = 'adm404-old-1-0-45';
const NEW = 'adm404-new-1-0-45';

type Rec = Record<string, unknown>;

const chartSpec = {
  chart: 'azure-standalone-cp',
  version: '1.0.45',
  interval: '10m0s',
  sourceRef: { kind: 'HelmRepository', name: 'kcm-templates' },
};
const clusterTemplate = (name: string): Rec => ({
  apiVersion: `${GROUP}/${VERSION}`,
  kind: 'ClusterTemplate',
  metadata: { name, namespace: NS },
  spec: { helm: { chartSpec } },
});

/** Registers the suite; `backendOf` gives the backend the enclosing suite started (in its own `before`). */
export function describeAdmissionNotFound(backendOf: () => Backend): void {
  describe('the product: an admission 404 (a reference gone before the write) is invalidParams, nothing written', () => {
    let backend: Backend;
    let custom: CustomObjectsApi;
    let client: Client;
    let closeClient: () => Promise<void>;
    /** What the user does while being asked to confirm (then accepts). */
    let whileAsked: () => Promise<void> = async () => undefined;

    /** The webhook's own answer to a dry-run create naming these: once it says 404 for `kind`, its cache has seen the deletion. */
    const webhookSeesMissing = (kind: string, spec: Rec): Promise<true> =>
      until(`kcm's webhook to see the ${kind} gone`, async () => {
        try {
          await custom.createNamespacedCustomObject({
            ...CD,
            namespace: NS,
            dryRun: 'All',
            body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'ClusterDeployment', metadata: { name: 'adm404-probe', namespace: NS }, spec },
          });
        } catch (err) {
          if (
            err instanceof ApiException &&
            err.code === 404 &&
            (JSON.parse(String(err.body)) as { details?: { kind?: string } }).details?.kind === kind
          )
            return true;
        }
        return undefined;
      });

    const deleteAndWait = async (resource: typeof CT, name: string): Promise<void> => {
      await custom.deleteNamespacedCustomObject({ ...resource, namespace: NS, name });
      await until(`${name} gone from the API`, async () => ((await backend.get(resource, NS, name)) === undefined ? true : undefined));
    };

    before(async () => {
      backend = backendOf();
      const kc = new KubeConfig();
      kc.loadFromString(backend.adminKubeconfig);
      custom = kc.makeApiClient(CustomObjectsApi);
      // Two templates, a chain offering OLD → NEW, and a credential of this test's own (so deleting them disturbs nothing else).
      for (const name of [OLD, NEW]) await custom.createNamespacedCustomObject({ ...CT, namespace: NS, body: clusterTemplate(name) });
      await custom.createNamespacedCustomObject({
        ...CHAINS,
        namespace: NS,
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: 'ClusterTemplateChain',
          metadata: { name: 'adm404-chain', namespace: NS },
          spec: { supportedTemplates: [{ name: OLD, availableUpgrades: [{ name: NEW, version: '1.0.45' }] }, { name: NEW }] },
        },
      });
      const azure = (await backend.get(CREDS, NS, 'azure-cluster-credential'))!;
      await custom.createNamespacedCustomObject({
        ...CREDS,
        namespace: NS,
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: 'Credential',
          metadata: { name: 'adm404-credential', namespace: NS },
          spec: azure['spec'],
        },
      });
      await until('the templates valid and the credential ready', async () => {
        for (const name of [OLD, NEW])
          if (((await backend.get(CT, NS, name))?.['status'] as Rec | undefined)?.['valid'] !== true) return undefined;
        return ((await backend.get(CREDS, NS, 'adm404-credential'))?.['status'] as Rec | undefined)?.['ready'] === true ? true : undefined;
      });

      const runtime = createRuntime(testSettings(), sandboxKubeConfig(backend), pino({ level: 'silent' }), createMetricsRegistry());
      const server = createMcpServer(runtime, createSession(runtime, { id: 'adm404' }));
      client = new Client({ name: 'adm404-test', version: '1' }, { capabilities: { elicitation: { form: {} } } });
      client.setRequestHandler(ElicitRequestSchema, async () => {
        await whileAsked();
        return { action: 'accept', content: { name: 'adm404-cluster' } };
      });
      const [a, b] = InMemoryTransport.createLinkedPair();
      await server.connect(b);
      await client.connect(a);
      closeClient = async () => {
        await client.close();
        await server.close();
      };
      const deployed = (await client.callTool({
        name: 'k0.clusters.deploy',
        arguments: { name: 'adm404-cluster', namespace: NS, template: OLD, credential: 'adm404-credential', config: AZURE_BASELINE },
      })) as CallToolResult;
      assert.ok(!deployed.isError, JSON.stringify(deployed.content));
      await until('the upgrade offered', async () => {
        const upgrades = ((await backend.get(CD, NS, 'adm404-cluster'))?.['status'] as Rec | undefined)?.['availableUpgrades'];
        return Array.isArray(upgrades) && upgrades.includes(NEW) ? true : undefined;
      });
    });
    after(async () => {
      await closeClient?.();
    });

    const upgrade = async (args: Rec): Promise<{ result: CallToolResult; unchanged: () => Promise<void> }> => {
      const stored = (await backend.get(CD, NS, 'adm404-cluster'))!;
      const result = (await client.callTool({
        name: 'k0.clusters.update',
        arguments: { name: 'adm404-cluster', namespace: NS, template: NEW, ...args },
      })) as CallToolResult;
      return {
        result,
        // kcm's controller may write the status meanwhile (the credential's readiness); the product wrote nothing.
        unchanged: async () => {
          const now = (await backend.get(CD, NS, 'adm404-cluster'))!;
          assert.equal(now.metadata.generation, stored.metadata.generation, 'no spec write');
          assert.deepEqual(now['spec'], stored['spec']);
          const mainResource = (o: typeof now): unknown[] =>
            ((o.metadata.managedFields ?? []) as Rec[]).filter((f) => f['subresource'] !== 'status');
          assert.deepEqual(mainResource(now), mainResource(stored), 'no write to the main resource by any field manager');
          assert.equal((now['spec'] as Rec)['template'], OLD);
        },
      };
    };

    it('the credential deleted while the user confirms: 404 Credential from the providers check → invalidParams naming k0.clusters.listCredentials', async () => {
      whileAsked = async () => {
        await deleteAndWait(CREDS, 'adm404-credential');
        await webhookSeesMissing('Credential', { template: OLD, credential: 'adm404-credential', config: AZURE_BASELINE });
      };
      const { result, unchanged } = await upgrade({});
      const error = errorOf(result);
      assert.equal(error.code, 'invalidParams', error.message);
      // kcm answers the deletion with a status write on the deployment (CredentialReady False). When that
      // lands before the update's apply, the apply (made with the resourceVersion it read, issue 18) gets 409,
      // and the re-read's own check finds the credential gone before the webhook can: invalidParams either way.
      if (/admission webhook/.test(error.message)) {
        assert.match(
          error.message,
          /admission webhook "validation\.clusterdeployment\.k0rdent\.mirantis\.com" denied the request: Credential\.k0rdent\.mirantis\.com "adm404-credential" not found/,
        );
        assert.match(
          error.message,
          /the Credential "adm404-credential" does not exist in namespace "team-alpha" .*list them with k0\.clusters\.listCredentials/,
        );
        assert.deepEqual(error.details?.['missing'], { kind: 'Credential', name: 'adm404-credential' });
        assert.equal(error.details?.['httpStatus'], 404);
      } else {
        assert.match(
          error.message,
          /^Credential "adm404-credential" does not exist in namespace "team-alpha" .*Usable credentials in team-alpha: /,
        );
      }
      await unchanged();
    });

    it('the new template deleted while the user confirms: 404 ClusterTemplate (fetched first on update) → invalidParams naming k0.clusters.listTemplates', async () => {
      whileAsked = async () => {
        await deleteAndWait(CT, NEW);
        await webhookSeesMissing('ClusterTemplate', { template: NEW, credential: 'azure-cluster-credential', config: AZURE_BASELINE });
      };
      // The deployment's own credential is gone (the row before): move it to one that exists as well.
      const { result, unchanged } = await upgrade({ credential: 'azure-cluster-credential' });
      const error = errorOf(result);
      assert.equal(error.code, 'invalidParams', error.message);
      assert.match(error.message, new RegExp(`denied the request: ClusterTemplate\\.k0rdent\\.mirantis\\.com "${NEW}" not found`));
      assert.match(error.message, /list them with k0\.clusters\.listTemplates/);
      assert.deepEqual(error.details?.['missing'], { kind: 'ClusterTemplate', name: NEW });
      await unchanged();
    });
  });
}

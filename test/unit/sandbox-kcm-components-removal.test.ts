/**
 * The simulated kcm's check that a Management or a Region keeps the providers its deployments need
 * (src/sandbox/kcm/components-removal.ts; kcm v1.11.4 management_webhook.go:102-160 over
 * validation/provider_template.go:45-107). The same check against real kcm: kcm-differential-child.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject, ResourceKey } from '../../src/sandbox/apiserver/types.js';
import type { KcmReader } from '../../src/sandbox/kcm/api.js';
import { componentsRemovalProblem } from '../../src/sandbox/kcm/components-removal.js';
import { PROVIDER_TEMPLATES, RELEASES } from '../../src/sandbox/kcm/provider-templates.js';
import { CLUSTER_DEPLOYMENTS, CLUSTER_TEMPLATES, MANAGEMENTS, REGIONS } from '../../src/sandbox/kcm/resources.js';
import { fixedReader } from '../helpers/kcm-reader.js';

const object = (kind: string, name: string, fields: Record<string, unknown>, namespace?: string): KubeObject => ({
  apiVersion: 'k0rdent.mirantis.com/v1beta1',
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}) },
  ...fields,
});

const release = object('Release', 'kcm-1-0-0', {
  spec: {
    providers: [
      { name: 'cluster-api-provider-azure', template: 'cluster-api-provider-azure-1-0-0' },
      { name: 'cluster-api-provider-aws', template: 'cluster-api-provider-aws-1-0-0' },
      { name: 'k0smotron', template: 'k0smotron-1-0-0' },
    ],
  },
});
const providerTemplate = (name: string, providers: string[]): KubeObject => object('ProviderTemplate', name, { status: { providers } });
const clusterTemplate = (name: string, providers: string[], namespace = 'team'): KubeObject =>
  object('ClusterTemplate', name, { status: { providers } }, namespace);
const deployment = (name: string, template: string, region?: string, namespace = 'team'): KubeObject =>
  object('ClusterDeployment', name, { spec: { template }, status: region ? { region } : {} }, namespace);
const withProviders = (kind: 'Management' | 'Region', name: string, providers: string[]): KubeObject =>
  object(kind, name, { spec: { providers: providers.map((p) => ({ name: p })) } });

function world(extra: { resource: ResourceKey; object: KubeObject }[] = []) {
  return fixedReader([
    { resource: RELEASES, object: release },
    { resource: PROVIDER_TEMPLATES, object: providerTemplate('cluster-api-provider-azure-1-0-0', ['infrastructure-azure']) },
    {
      resource: PROVIDER_TEMPLATES,
      object: providerTemplate('k0smotron-1-0-0', ['bootstrap-k0sproject-k0smotron', 'control-plane-k0sproject-k0smotron']),
    },
    {
      resource: CLUSTER_TEMPLATES,
      object: clusterTemplate('azure-1-0-0', [
        'infrastructure-azure',
        'bootstrap-k0sproject-k0smotron',
        'control-plane-k0sproject-k0smotron',
      ]),
    },
    ...extra,
  ]);
}

const ALL = ['cluster-api-provider-azure', 'cluster-api-provider-aws', 'k0smotron'];

/** The check for an UPDATE of `name` from every provider of the Release to `keep`. */
const removing = (reader: KcmReader, kind: 'Management' | 'Region', name: string, keep: string[]): string | undefined =>
  componentsRemovalProblem(reader, release, withProviders(kind, name, ALL), withProviders(kind, name, keep), kind);

describe('components removal (kcm checkComponentsRemoval)', () => {
  it('nothing removed, or a provider removed that no deployment needs: no objection', () => {
    const reader = world([{ resource: CLUSTER_DEPLOYMENTS, object: deployment('a', 'azure-1-0-0') }]);
    const old = withProviders('Management', 'kcm', ALL);
    assert.equal(componentsRemovalProblem(reader, release, old, withProviders('Management', 'kcm', ALL), 'Management'), undefined);
    // aws's ProviderTemplate does not exist here: "already removed", no objection (management_webhook.go:127-131).
    const noAws = withProviders('Management', 'kcm', ['cluster-api-provider-azure', 'k0smotron']);
    assert.equal(componentsRemovalProblem(reader, release, old, noAws, 'Management'), undefined);
    // azure removed while no deployment uses a template that needs it.
    const noAzure = withProviders('Management', 'kcm', ['cluster-api-provider-aws', 'k0smotron']);
    assert.equal(componentsRemovalProblem(world(), release, old, noAzure, 'Management'), undefined);
  });

  it('a provider a management deployment needs: refused with its provider name; several sorted', () => {
    const reader = world([{ resource: CLUSTER_DEPLOYMENTS, object: deployment('a', 'azure-1-0-0') }]);
    const old = withProviders('Management', 'kcm', ALL);
    assert.equal(
      componentsRemovalProblem(
        reader,
        release,
        old,
        withProviders('Management', 'kcm', ['cluster-api-provider-aws', 'k0smotron']),
        'Management',
      ),
      'provider infrastructure-azure is required by at least one ClusterDeployment and cannot be removed from the Management kcm',
    );
    assert.equal(
      componentsRemovalProblem(reader, release, old, withProviders('Management', 'kcm', ['cluster-api-provider-aws']), 'Management'),
      'providers bootstrap-k0sproject-k0smotron,control-plane-k0sproject-k0smotron,infrastructure-azure are required by at least one ClusterDeployment and cannot be removed from the Management kcm',
    );
  });

  it("the entry's own template wins over the Release's (management_webhook.go:117-120)", () => {
    const reader = world([
      { resource: CLUSTER_DEPLOYMENTS, object: deployment('a', 'azure-1-0-0') },
      { resource: PROVIDER_TEMPLATES, object: providerTemplate('custom-azure', ['infrastructure-nowhere']) },
    ]);
    const old = object('Management', 'kcm', {
      spec: { providers: [{ name: 'cluster-api-provider-azure', template: 'custom-azure' }, { name: 'k0smotron' }] },
    });
    assert.equal(
      componentsRemovalProblem(reader, release, old, withProviders('Management', 'kcm', ['k0smotron']), 'Management'),
      undefined,
    );
  });

  it('a deployment in a Region counts for that Region, not for the Management (provider_template.go:100-105)', () => {
    const reader = world([
      { resource: CLUSTER_DEPLOYMENTS, object: deployment('a', 'azure-1-0-0', 'west') },
      { resource: MANAGEMENTS, object: withProviders('Management', 'kcm', ALL) },
      { resource: REGIONS, object: withProviders('Region', 'west', ALL) },
    ]);
    const keep = ['cluster-api-provider-aws', 'k0smotron'];
    assert.equal(removing(reader, 'Management', 'kcm', keep), undefined);
    assert.equal(
      removing(reader, 'Region', 'west', keep),
      'provider infrastructure-azure is required by at least one ClusterDeployment and cannot be removed from the Region west',
    );
    assert.equal(removing(reader, 'Region', 'east', keep), undefined);
  });

  it('only one deployment of a template is looked at (a List with Limit(1): provider_template.go:60-66; the sandbox takes the first it holds)', () => {
    const reader = world([
      { resource: CLUSTER_DEPLOYMENTS, object: deployment('a', 'azure-1-0-0', 'west') },
      { resource: CLUSTER_DEPLOYMENTS, object: deployment('b', 'azure-1-0-0') },
    ]);
    const keep = ['cluster-api-provider-aws', 'k0smotron'];
    assert.equal(removing(reader, 'Management', 'kcm', keep), undefined);
  });
});

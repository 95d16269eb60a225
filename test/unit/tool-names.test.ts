/** Tool names: the catalog is the declarations' names, and a name renders in the style of the call that builds the message. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TOOLS } from '../../src/mcp/tools/index.js';
import { renderToolNames, TOOL, toolRef, withToolNameStyle } from '../../src/tool-names.js';

describe('tool names', () => {
  it('TOOL is exactly the declared tools', () => {
    assert.deepEqual(Object.values(TOOL).sort(), TOOLS.map((definition) => definition.name).sort());
  });

  it('toolRef names a tool in the style of the call it runs in, across awaits; dotted outside a call', async () => {
    assert.equal(toolRef(TOOL.clustersUpdate), 'k0.clusters.update');
    const inCall = await withToolNameStyle('snake', async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return `create it with ${toolRef(TOOL.clustersDeploy)}`;
    });
    assert.equal(inCall, 'create it with k0_clusters_deploy');
    assert.equal(await withToolNameStyle('dotted', async () => toolRef(TOOL.clustersServicesApply)), 'k0.clusters.services.apply');
    assert.equal(toolRef(TOOL.clustersList, 'snake'), 'k0_clusters_list', 'an explicit style wins');
  });

  it('renderToolNames renders whole names only, the longest first', () => {
    const text = 'see k0.clusters.listTemplates, then k0.clusters.list. Not k0.clusters.listing, xk0.clusters.list or k0.clusters.services';
    assert.equal(
      renderToolNames(text, 'snake'),
      'see k0_clusters_listTemplates, then k0_clusters_list. Not k0.clusters.listing, xk0.clusters.list or k0.clusters.services',
    );
    assert.equal(renderToolNames(text, 'dotted'), text);
    assert.equal(renderToolNames('k0.clusters.services.apply', 'snake'), 'k0_clusters_services_apply');
  });
});

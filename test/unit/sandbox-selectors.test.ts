import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  fieldSelectorAllowed,
  matchesFieldSelector,
  matchesLabelSelector,
  parseFieldSelector,
  parseLabelSelector,
} from '../../src/sandbox/apiserver/selectors.js';
import type { ApiError } from '../../src/sandbox/apiserver/errors.js';

describe('sandbox label selectors', () => {
  const labels = { env: 'dev', tier: 'web', 'k0rdent.mirantis.com/managed': 'true' };
  const cases: [string, boolean][] = [
    ['env=dev', true],
    ['env==dev', true],
    ['env!=dev', false],
    ['env!=prod', true],
    ['missing!=x', true],
    ['env in (prod, dev)', true],
    ['env in (prod)', false],
    ['env notin (prod)', true],
    ['missing notin (prod)', true],
    ['tier', true],
    ['missing', false],
    ['!missing', true],
    ['!tier', false],
    ['env=dev,tier=web', true],
    ['env=dev,tier=db', false],
    ['k0rdent.mirantis.com/managed=true', true],
    ['env in (dev,prod),!missing,tier', true],
  ];
  for (const [selector, expected] of cases) {
    it(`${selector} → ${expected}`, () => {
      assert.equal(matchesLabelSelector(parseLabelSelector(selector), labels), expected);
    });
  }
  it('an object without labels matches only negative requirements', () => {
    assert.equal(matchesLabelSelector(parseLabelSelector('!a,b!=c'), undefined), true);
    assert.equal(matchesLabelSelector(parseLabelSelector('a'), undefined), false);
  });
  it('rejects an invalid key with 400', () => {
    assert.throws(
      () => parseLabelSelector('bad key=x'),
      (e: ApiError) => e.code === 400,
    );
  });
});

describe('sandbox field selectors', () => {
  const event = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'e1', namespace: 'ns' },
    involvedObject: { kind: 'ClusterDeployment', name: 'foo' },
  };
  it('matches metadata.name and metadata.namespace everywhere', () => {
    const allow = fieldSelectorAllowed('clusterdeployments', 'k0rdent.mirantis.com');
    assert.equal(matchesFieldSelector(parseFieldSelector('metadata.name=e1', allow), event), true);
    assert.equal(matchesFieldSelector(parseFieldSelector('metadata.name!=e1', allow), event), false);
    assert.equal(matchesFieldSelector(parseFieldSelector('metadata.namespace==ns,metadata.name=e1', allow), event), true);
  });
  it('matches involvedObject.* on events only', () => {
    const allow = fieldSelectorAllowed('events', '');
    assert.equal(
      matchesFieldSelector(parseFieldSelector('involvedObject.name=foo,involvedObject.kind=ClusterDeployment', allow), event),
      true,
    );
    assert.equal(matchesFieldSelector(parseFieldSelector('involvedObject.name=bar', allow), event), false);
    assert.throws(
      () => parseFieldSelector('involvedObject.name=foo', fieldSelectorAllowed('configmaps', '')),
      (e: ApiError) => e.code === 400 && /field label not supported/.test(e.message),
    );
  });
});

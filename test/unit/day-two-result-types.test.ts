/**
 * Compile-time: the day-two managers return exactly what their tools' output schemas describe (issue 19 item 2).
 * Their result types are `z.infer` of the schemas in src/<family>/results.ts, and the tools' outputs are those
 * schemas, so `npm run typecheck` fails when a manager returns a value its output schema does not allow (e.g.
 * `countedBy: 'everywhere'` in src/namespaces/manager.ts: TS2322). This file fails the typecheck when the types
 * drift apart again (a hand-written interface coming back) or when the schemas stop refusing a wrong value.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { z } from 'zod';
import type { DeploymentDetails } from '../../src/clusters/get.js';
import type { EventPage } from '../../src/events/manager.js';
import type { NamespacePage } from '../../src/namespaces/manager.js';
import type { ProviderPage } from '../../src/providers/manager.js';
import type { TemplateDetails } from '../../src/templates/manager.js';
import type {
  getClusterOutput,
  getTemplateOutput,
  listEventsOutput,
  listNamespacesOutput,
  listProvidersOutput,
} from '../../src/mcp/tools/day-two-schemas.js';

/** true when A and B are the same type (not merely assignable one way). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

const same: [
  Same<DeploymentDetails, z.infer<typeof getClusterOutput>>,
  Same<EventPage, z.infer<typeof listEventsOutput>>,
  Same<TemplateDetails, z.infer<typeof getTemplateOutput>>,
  Same<NamespacePage, z.infer<typeof listNamespacesOutput>>,
  Same<ProviderPage, z.infer<typeof listProvidersOutput>>,
] = [true, true, true, true, true];

// Values the output schemas do not allow, refused by tsc (an unused @ts-expect-error fails the typecheck too).
// @ts-expect-error countedBy is 'cluster' or 'namespaces'
const countedBy: NamespacePage['countedBy'] = 'everywhere';
// @ts-expect-error source is the Events API that answered: events.k8s.io/v1 or v1
const source: EventPage['source'] = 'core/v1';
// @ts-expect-error stale is a boolean
const stale: DeploymentDetails['stale'] = 'no';

describe('day-two result types', () => {
  it('each manager result type is its tool output type (held by tsc; see the file comment)', () => {
    assert.deepEqual(same, [true, true, true, true, true]);
    assert.deepEqual([countedBy, source, stale], ['everywhere', 'core/v1', 'no']);
  });
});

/**
 * The platform tool shapes (k0.platform.status, k0.regions.list): zod input schemas and the success shapes of
 * their results, the one source of truth for their types.
 */
import { z } from 'zod';

export const platformStatusInput = z.object({});
export const listRegionsInput = z.object({});

const condition = z.object({ type: z.string(), status: z.string(), reason: z.string().optional(), message: z.string().optional() });
const component = z.object({
  name: z.string(),
  template: z.string().optional().describe('Its ProviderTemplate'),
  healthy: z.boolean().describe("kcm's status.components[].success"),
  error: z.string().optional().describe('Why its installation failed, as kcm wrote it'),
  exposedProviders: z.array(z.string()).optional(),
});

export const platformStatusOutput = z.object({
  healthy: z.boolean(),
  firstUnhealthy: z
    .object({
      kind: z.string(),
      name: z.string(),
      reason: z.string(),
      message: z.string(),
      next: z.string().describe('What to do or read next'),
    })
    .optional()
    .describe('The first thing to fix, in the order an operator fixes them; absent when everything is healthy'),
  management: z
    .object({
      release: z.string().optional().describe("The Management's spec.release"),
      ready: z.boolean(),
      conditions: z.array(condition).describe('Its conditions that are not True'),
      components: z.array(component),
      availableProviders: z.array(z.string()),
      capiContracts: z.record(z.string(), z.record(z.string(), z.string())).optional(),
    })
    .optional()
    .describe('Absent when there is no Management (see firstUnhealthy)'),
  releases: z.array(
    z.object({
      name: z.string(),
      version: z.string().optional(),
      ready: z.boolean(),
      current: z.boolean().describe("The Management's release"),
      upgradeTarget: z.boolean().describe('Ready and newer than the current one: the Management may be moved to it'),
    }),
  ),
  providerTemplates: z.object({
    total: z.number().int(),
    valid: z.number().int(),
    invalid: z.array(z.object({ name: z.string(), validationError: z.string().optional() })),
  }),
  regions: z.object({ total: z.number().int(), notReady: z.array(z.string()), paused: z.array(z.string()) }),
});

export const regionSummary = z.object({
  name: z.string(),
  ready: z.boolean(),
  paused: z.boolean().describe('kcm skips the ClusterDeployments of a paused Region (annotation k0rdent.mirantis.com/region-pause)'),
  source: z.string().optional().describe('The kubeconfig Secret, or the ClusterDeployment onboarded as this region'),
  availableProviders: z.array(z.string()),
  components: z.array(component),
  conditions: z.array(condition).describe('Its conditions that are not True'),
  createdAt: z.string().optional(),
});

export const listRegionsOutput = z.object({ items: z.array(regionSummary) });

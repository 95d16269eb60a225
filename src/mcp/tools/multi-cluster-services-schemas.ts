/**
 * The k0.multiClusterServices.apply / .delete tool shapes: zod inputs, outputs from src/services/results.ts. Lean on
 * purpose (each tools/list entry stays under 2.5 KB; the tool descriptions say what the members mean): names and
 * labels are checked by the manager (DNS-1123, sizes).
 */
import { z } from 'zod';
import { applyMultiClusterServiceResult, deleteMultiClusterServiceResult } from '../../services/results.js';

const clusterSelector = z.object({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z
    .array(
      z.object({ key: z.string(), operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']), values: z.array(z.string()).optional() }),
    )
    .optional(),
});

const service = z.object({
  template: z.string(),
  name: z.string().optional(),
  namespace: z.string().optional(),
  values: z.string().optional().describe('Helm values, YAML'),
  dependsOn: z.array(z.string()).optional().describe('"namespace/name" of services here'),
});

export const applyMultiClusterServiceInput = z.object({
  name: z.string(),
  clusterSelector: clusterSelector.optional(),
  services: z.array(service).min(1),
  dependsOn: z.array(z.string()).optional().describe('MultiClusterServices deployed first'),
  dryRun: z.boolean().optional(),
});

export const deleteMultiClusterServiceInput = z.object({ name: z.string(), dryRun: z.boolean().optional() });

export const applyMultiClusterServiceOutput = applyMultiClusterServiceResult;
export const deleteMultiClusterServiceOutput = deleteMultiClusterServiceResult;

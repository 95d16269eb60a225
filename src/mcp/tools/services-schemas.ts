/**
 * The k0.services.* / k0.clusters.services.* / k0.multiClusterServices.* tool shapes: zod inputs, and outputs built
 * from what the service manager returns (src/services/results.ts); the types follow from them.
 */
import { TOOL } from '../../tool-names.js';
import { z } from 'zod';
import {
  applyServiceResult,
  multiClusterServicePage,
  removeServiceResult,
  serviceTemplatePage,
  serviceWaitOutcome,
  servicesStatusResult,
} from '../../services/results.js';
import { continueToken, limit, namespace } from './clusters-schemas.js';

const dnsLabel = z.string().min(1).max(63);
const serviceNamespace = dnsLabel.describe('Namespace of the Helm release on the child cluster (default "default", as kcm)');

// ---- inputs ----

export const listServiceTemplatesInput = z.object({
  namespace: namespace.optional().describe("Only this namespace (a service uses templates of its ClusterDeployment's namespace)"),
  limit: limit.optional(),
  continue: continueToken.optional(),
});

export const applyServiceInput = z.object({
  cluster: z.string().min(1).max(253).describe('ClusterDeployment name'),
  namespace: namespace.optional().describe(`Namespace of the ClusterDeployment; resolved like ${TOOL.clustersDeploy} when absent`),
  template: z.string().min(1).max(253).describe(`ServiceTemplate in the deployment's namespace (see ${TOOL.servicesListTemplates})`),
  name: dnsLabel.optional().describe("Service (Helm release) name; default: the template's chart name"),
  serviceNamespace: serviceNamespace.optional(),
  values: z
    .union([z.string().max(1_000_000), z.record(z.string(), z.unknown())])
    .optional()
    .describe(
      'Helm values: YAML text (kept as given; Go templating allowed, then not schema-checked) or an object (written as YAML); checked against the chart schema when the template has one. The entry is applied whole: leaving values out drops values this server set before',
    ),
  dependsOn: z
    .array(z.object({ name: dnsLabel, namespace: dnsLabel.optional().describe('default "default"') }))
    .max(50)
    .optional()
    .describe('Other services of the same deployment this one waits for'),
  dryRun: z.boolean().optional().describe('Server-side dry run: nothing is stored; returns the entry'),
  wait: z.boolean().optional().describe('Follow the service until kcm reports it Deployed or Failed, or timeout passes'),
  timeout: z.string().optional().describe('How long wait=true follows the service (default "10m")'),
  pollInterval: z.string().optional().describe('Re-check period if the watch breaks (default "30s")'),
});

export const removeServiceInput = z.object({
  cluster: z.string().min(1).max(253).describe('ClusterDeployment name'),
  namespace: namespace.optional().describe(`Namespace of the ClusterDeployment; resolved like ${TOOL.clustersDeploy} when absent`),
  name: dnsLabel.describe('Service (Helm release) name'),
  serviceNamespace: serviceNamespace.optional(),
  dryRun: z.boolean().optional().describe('Server-side dry run: nothing is stored'),
});

export const servicesStatusInput = z.object({
  cluster: z.string().min(1).max(253).describe('ClusterDeployment name'),
  namespace: namespace.optional().describe('Its namespace (found among the readable ones when absent)'),
  name: dnsLabel.optional().describe('Only this service'),
});

export const listMultiClusterServicesInput = z.object({ limit: limit.optional(), continue: continueToken.optional() });

// ---- outputs: the success shapes (the registry lists them with every member optional, plus `error`) ----

export const listServiceTemplatesOutput = serviceTemplatePage;
/** apply with wait=true: the wait's members next to the write's. */
export const applyServiceOutput = applyServiceResult.omit({ wait: true }).extend(serviceWaitOutcome.partial().shape);
export const removeServiceOutput = removeServiceResult;
export const listMultiClusterServicesOutput = multiClusterServicePage;
export const servicesStatusOutput = servicesStatusResult;

/** k0.multiClusterServices.apply / .delete: thin handlers over the service manager's MultiClusterService writer. */
import { TOOL } from '../../tool-names.js';
import { SERVICE_ACCESS } from '../../services/access.js';
import { defineTool } from './registry.js';
import { serviceManager } from './services.js';
import {
  applyMultiClusterServiceInput,
  applyMultiClusterServiceOutput,
  deleteMultiClusterServiceInput,
  deleteMultiClusterServiceOutput,
} from './multi-cluster-services-schemas.js';

const APPLY_ANNOTATIONS = { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;
const DELETE_ANNOTATIONS = { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false } as const;

export const multiClusterServiceTools = [
  defineTool({
    name: TOOL.multiClusterServicesApply,
    operation: 'applyMultiClusterService',
    access: SERVICE_ACCESS.applyMultiClusterService,
    title: 'Create or change a MultiClusterService',
    description: (settings) =>
      `Create or change one MultiClusterService: kcm installs its services (global-namespace templates) on every ClusterDeployment clusterSelector matches. Answers matchingClusters (namespace/name) and changes; dryRun previews, sends nothing. Values are checked against the chart; every match must be in a writable namespace; taking services off clusters asks for confirmation. Server-side apply as "${settings.servicesFieldOwner}", resourceVersion-guarded.`,
    input: applyMultiClusterServiceInput,
    output: applyMultiClusterServiceOutput,
    annotations: APPLY_ANNOTATIONS,
    run: async (args, { context, hooks }) => serviceManager(context).multiClusterServices().apply(args, hooks),
  }),
  defineTool({
    name: TOOL.multiClusterServicesDelete,
    operation: 'deleteMultiClusterService',
    access: SERVICE_ACCESS.deleteMultiClusterService,
    title: 'Delete a MultiClusterService',
    description:
      'Delete one MultiClusterService: kcm uninstalls its services (namespace/name) from matchingClusters (dryRun only lists them). Asks for confirmation; uid- and resourceVersion-guarded. "not_found" is a success.',
    input: deleteMultiClusterServiceInput,
    output: deleteMultiClusterServiceOutput,
    annotations: DELETE_ANNOTATIONS,
    run: async (args, { context, hooks }) => serviceManager(context).multiClusterServices().delete(args, hooks),
  }),
];

/**
 * The simulated kcm: admission webhooks plus the controller. One kcm, two ways to attach: to the
 * embedded sandbox store (`startKcm`: store admission hooks + the controller over the store), or to a
 * real API server (`startKcmController` over ../kube/cache.ts, with ./webhook-server.ts serving the same
 * admission checks as HTTPS webhooks).
 */
import type { Store } from '../apiserver/types.js';
import { mutateClusterDeployment, validateClusterDeployment } from './admission.js';
import { mutateAccessManagement, validateAccessManagement } from './access-management-webhook.js';
import { validateManagement } from './management-webhook.js';
import { validateRegion } from './region-webhook.js';
import { storeApi, type KcmApi } from './api.js';
import { KcmController, type KcmControllerOptions } from './controller.js';
import { startManagementFaults } from './management-faults.js';
import { createWorld } from '../world/index.js';
import { startServiceTemplateController } from './service-templates.js';
import { startProviderTemplateOwnership } from './provider-templates.js';
import { ACCESS_MANAGEMENTS, CLUSTER_DEPLOYMENTS, CLUSTER_TEMPLATES, MANAGEMENTS, REGIONS, SERVICE_TEMPLATES } from './resources.js';
import { defaultTemplate, validateClusterTemplate, validateProviderTemplate, validateServiceTemplate } from './template-admission.js';

const PROVIDER_TEMPLATES = { group: CLUSTER_TEMPLATES.group, plural: 'providertemplates' };

export interface KcmHandle {
  /** Resolves once the deployments found Ready at start have their world below kcm (HelmRelease, CAPI Cluster). */
  readonly adopted: Promise<void>;
  /** Stops the controller and clears every timer. */
  close(): void;
}

/** The controller, and the world below kcm (../world) unless `options.world` is false. */
export function startKcmController(api: KcmApi, options: KcmControllerOptions = {}): KcmHandle {
  const controller = new KcmController(api, options);
  controller.start();
  const stopManagementFaults = startManagementFaults(api, options.log);
  const stopServiceTemplates = startServiceTemplateController(api);
  const stopProviderTemplates = startProviderTemplateOwnership(api);
  const world =
    options.world === false
      ? undefined
      : createWorld(api, {
          ...(options.provisionSeconds !== undefined ? { provisionSeconds: options.provisionSeconds } : {}),
          ...(options.deleteSeconds !== undefined ? { deleteSeconds: options.deleteSeconds } : {}),
          ...(options.logSink ? { logSink: options.logSink } : {}),
          ...(options.log ? { log: options.log } : {}),
        });
  const adopted = world ? world.ready.then(() => controller.adopted()) : Promise.resolve();
  adopted.catch(() => undefined);
  return {
    adopted,
    close: () => {
      stopManagementFaults();
      stopServiceTemplates();
      stopProviderTemplates();
      controller.close();
      void world?.close();
    },
  };
}

export function startKcm(store: Store, options: KcmControllerOptions = {}): KcmHandle {
  // The same webhooks as on kube (./webhook-server.ts): mutation before schema/CEL validation, validation
  // after it, as kube-apiserver orders them.
  store.registerMutatingAdmission(CLUSTER_DEPLOYMENTS, mutateClusterDeployment);
  store.registerValidatingAdmission(CLUSTER_DEPLOYMENTS, validateClusterDeployment);
  store.registerMutatingAdmission(CLUSTER_TEMPLATES, defaultTemplate);
  store.registerValidatingAdmission(CLUSTER_TEMPLATES, validateClusterTemplate);
  store.registerMutatingAdmission(SERVICE_TEMPLATES, defaultTemplate);
  store.registerValidatingAdmission(SERVICE_TEMPLATES, validateServiceTemplate);
  store.registerMutatingAdmission(PROVIDER_TEMPLATES, defaultTemplate);
  store.registerValidatingAdmission(PROVIDER_TEMPLATES, validateProviderTemplate);
  store.registerMutatingAdmission(ACCESS_MANAGEMENTS, mutateAccessManagement);
  store.registerValidatingAdmission(ACCESS_MANAGEMENTS, validateAccessManagement);
  store.registerValidatingAdmission(MANAGEMENTS, validateManagement);
  store.registerValidatingAdmission(REGIONS, validateRegion);
  return startKcmController(storeApi(store), options);
}

export type { KcmControllerOptions } from './controller.js';
export type { KcmApi, KcmReader } from './api.js';

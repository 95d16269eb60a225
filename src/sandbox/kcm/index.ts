/** The simulated kcm: admission webhooks plus the controller, attached to a sandbox store. */
import type { Store } from '../apiserver/types.js';
import { clusterDeploymentAdmission, clusterTemplateAdmission } from './admission.js';
import { KcmController, type KcmControllerOptions } from './controller.js';
import { CLUSTER_DEPLOYMENTS, CLUSTER_TEMPLATES } from './resources.js';

export interface KcmHandle {
  /** Stops the controller and clears every timer. */
  close(): void;
}

export function startKcm(store: Store, options: KcmControllerOptions = {}): KcmHandle {
  store.registerAdmission(CLUSTER_DEPLOYMENTS, clusterDeploymentAdmission);
  store.registerAdmission(CLUSTER_TEMPLATES, clusterTemplateAdmission);
  const controller = new KcmController(store, options);
  controller.start();
  return { close: () => controller.close() };
}

export type { KcmControllerOptions } from './controller.js';

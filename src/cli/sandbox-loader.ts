/** The only place product wiring reaches into the sandbox (STYLE: CLI wiring and tests only). */
import type { SandboxOptions, StartKubeSandbox, StartSandbox } from '../sandbox/index.js';

/** What the `sandbox` command needs of either kind of sandbox. */
export type StartAnySandbox = (options?: SandboxOptions) => Promise<{ url: string; kubeconfig: string; close(): Promise<void> }>;

/** Loaded lazily so commands without --sandbox never load the sandbox modules. */
export async function loadStartSandbox(): Promise<StartSandbox> {
  const { startSandbox } = await import('../sandbox/sandbox.js');
  return startSandbox;
}

/** `--api kube`: the sandbox on the test control plane (built by npm run kube:build). */
export async function loadStartKubeSandbox(): Promise<{ start: StartKubeSandbox; built: () => boolean; binary: () => string }> {
  const [{ startKubeSandbox }, { controlPlaneBuilt, controlPlaneBinary }] = await Promise.all([
    import('../sandbox/kube/sandbox.js'),
    import('../sandbox/kube/control-plane.js'),
  ]);
  return { start: startKubeSandbox, built: controlPlaneBuilt, binary: controlPlaneBinary };
}

/** `--api kcm`: the real kcm (built by npm run kcm:build) on the test control plane. */
export async function loadStartRealKcmSandbox(): Promise<{ start: StartAnySandbox; built: () => boolean; binary: () => string }> {
  const [{ startRealKcmSandbox }, { kcmBuilt, kcmManagerBinary }] = await Promise.all([
    import('../sandbox/real-kcm/sandbox.js'),
    import('../sandbox/real-kcm/assets.js'),
  ]);
  return { start: startRealKcmSandbox, built: kcmBuilt, binary: kcmManagerBinary };
}

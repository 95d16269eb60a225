/**
 * @kubernetes/client-node, loaded once and only when a Kubernetes call needs it. It is the heaviest
 * dependency (about 300 ms and 60 MiB to load), and neither `initialize` nor `tools/list` needs it, so
 * nothing on the startup path imports it statically: modules here import its types only and get its
 * values from `loadClientNode()`.
 */
import type * as ClientNodeModule from '@kubernetes/client-node';

export type ClientNode = typeof ClientNodeModule;

let loading: Promise<ClientNode> | undefined;

/** The client-node module; the first call starts the import, later calls share it. */
export function loadClientNode(): Promise<ClientNode> {
  loading ??= import('@kubernetes/client-node');
  return loading;
}

/**
 * Faults a controller only logs. Cluster API and the providers often write "Reconciler error" lines while the
 * object's conditions still read as progress (a control plane that never initialises shows "Waiting for the
 * control plane to be initialized" for as long as it lasts). When nothing in the chain says it is broken, the
 * diagnosis reads the recent log of the controllers of the objects still on their way (at most a few, two
 * requests each, within the budget) and calls an object broken when an error line of its controller names it.
 */
import { controllerForKind, type ControllerInfo } from '../logs/controllers.js';
import type { ChainNode } from './types.js';

/** Controllers whose logs one diagnosis reads at most. */
export const MAX_CONTROLLER_LOGS = 3;
/** Lines read from each. */
export const LOG_TAIL = 1000;

/** klog's error lines (`E1207 …`) and zap JSON lines with `"level":"error"`. */
export function isErrorLine(line: string): boolean {
  return /^E\d{4} /.test(line) || /"level"\s*:\s*"error"/.test(line);
}

/** The error of a line: klog's `err="…"`, zap's `error`, else the line itself; one line, bounded. */
export function errorOf(line: string): string {
  let text: string | undefined;
  const klog = /\berr="((?:[^"\\]|\\.)*)"/.exec(line);
  if (klog) {
    try {
      text = JSON.parse(`"${klog[1] as string}"`) as string;
    } catch {
      text = klog[1];
    }
  } else if (line.trimStart().startsWith('{')) {
    try {
      const parsed = JSON.parse(line) as { error?: unknown; msg?: unknown };
      text = typeof parsed.error === 'string' ? parsed.error : typeof parsed.msg === 'string' ? parsed.msg : undefined;
    } catch {
      // not JSON after all
    }
  }
  const one = (text ?? line).replace(/\s*\n\s*/g, ' ').trim();
  return one.length > 400 ? `${one.slice(0, 399)}…` : one;
}

/** The last error line of `lines` about `node` (naming both its kind and its name). */
export function errorAbout(lines: readonly string[], node: Pick<ChainNode, 'kind' | 'name'>): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] as string;
    if (isErrorLine(line) && line.includes(node.name) && line.includes(node.kind)) return line;
  }
  return undefined;
}

/** Nodes still on their way whose controller is known, grouped by controller, in walk order. */
export function waitingByController(nodes: readonly ChainNode[]): { controller: ControllerInfo; nodes: ChainNode[] }[] {
  const groups = new Map<string, { controller: ControllerInfo; nodes: ChainNode[] }>();
  for (const node of nodes) {
    if (node.role === 'deployment' || (node.status !== 'progressing' && node.status !== 'deleting')) continue;
    const controller = controllerForKind(node.apiVersion, node.kind);
    if (controller === undefined) continue;
    const key = controller.selector;
    const group = groups.get(key) ?? { controller, nodes: [] };
    group.nodes.push(node);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/**
 * Marks the waiting nodes whose controller logged an error about them as broken (reason ReconcilerError);
 * `read` gives a controller's recent lines (undefined when they cannot be read). Returns what it read.
 */
export async function markLoggedErrors(
  nodes: ChainNode[],
  read: (controller: ControllerInfo) => Promise<string[] | undefined>,
): Promise<string[]> {
  const readFrom: string[] = [];
  for (const group of waitingByController(nodes).slice(0, MAX_CONTROLLER_LOGS)) {
    const lines = await read(group.controller);
    if (lines === undefined) continue;
    readFrom.push(group.controller.label);
    for (const node of group.nodes) {
      const line = errorAbout(lines, node);
      if (line === undefined) continue;
      node.status = 'broken';
      node.problem = { reason: 'ReconcilerError', message: `${group.controller.label} logs: ${errorOf(line)}` };
    }
  }
  return readFrom;
}

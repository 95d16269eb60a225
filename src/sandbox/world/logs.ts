/**
 * Log lines as each controller writes them. Cluster API and its providers log through klog's text format
 * (controller-runtime with textlogger: `I1207 06:20:11.123456       1 file.go:123] "msg" key="value" …`);
 * Flux's controllers and kcm log zap JSON (`{"level":"info","ts":…,"msg":…,"controller":…}`). Every
 * reconcile line carries controller-runtime's keys: controller, controllerGroup, controllerKind, the
 * object under its Kind, namespace, name, reconcileID.
 */
import { randomUUID } from 'node:crypto';
import type { ControllerName, LogSink, LogSubject } from './types.js';

/** Where every controller's pod runs in a k0rdent management cluster. */
export const CONTROLLER_NAMESPACE = 'kcm-system';

export type Level = 'info' | 'error';

export interface ControllerLog {
  info(subject: LogSubject & { group: string }, message: string, values?: Record<string, string | number | boolean>): void;
  error(subject: LogSubject & { group: string }, message: string, err: string, values?: Record<string, string | number | boolean>): void;
}

const JSON_CONTROLLERS = new Set<ControllerName>(['source-controller', 'helm-controller', 'kcm-controller-manager']);

/** The Go source file a controller's reconcile lines come from (what klog prints before `]`). */
const SOURCE_FILE: Partial<Record<ControllerName, string>> = {
  'capi-controller-manager': 'cluster_controller.go:241',
  'capa-controller-manager': 'awscluster_controller.go:198',
  'capz-controller-manager': 'azurecluster_controller.go:144',
  'capg-controller-manager': 'gcpcluster_controller.go:127',
  'capo-controller-manager': 'openstackcluster_controller.go:121',
  'capv-controller-manager': 'vspherecluster_controller.go:131',
  'capd-controller-manager': 'devcluster_controller.go:98',
  k0smotron: 'k0s_controlplane_controller.go:112',
};

function klogTime(date: Date): string {
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${pad(date.getUTCMilliseconds(), 3)}000`;
}

const quote = (value: string | number | boolean): string => (typeof value === 'string' ? JSON.stringify(value) : String(value));

/** lowercase Kind: controller-runtime names a controller after the kind it reconciles. */
const controllerOf = (kind: string): string => kind.toLowerCase();

export function controllerLog(controller: ControllerName, sink: LogSink | undefined): ControllerLog {
  const write = (
    level: Level,
    subject: LogSubject & { group: string },
    message: string,
    err: string | undefined,
    values: Record<string, string | number | boolean>,
  ): void => {
    if (!sink) return;
    const now = new Date();
    const objectRef = subject.namespace ? `${subject.namespace}/${subject.name}` : subject.name;
    const reconcileID = randomUUID();
    let line: string;
    if (JSON_CONTROLLERS.has(controller)) {
      line = JSON.stringify({
        level: level,
        ts: now.toISOString(),
        msg: message,
        controller: controllerOf(subject.kind),
        controllerGroup: subject.group,
        controllerKind: subject.kind,
        [subject.kind]: { name: subject.name, ...(subject.namespace ? { namespace: subject.namespace } : {}) },
        ...(subject.namespace ? { namespace: subject.namespace } : {}),
        name: subject.name,
        reconcileID,
        ...values,
        ...(err !== undefined ? { error: err } : {}),
      });
    } else {
      const head = `${level === 'error' ? 'E' : 'I'}${klogTime(now)}       1 ${SOURCE_FILE[controller] ?? 'controller.go:100'}]`;
      const pairs: [string, string | number | boolean][] = [
        ...(err !== undefined ? ([['err', err]] as [string, string][]) : []),
        ['controller', controllerOf(subject.kind)],
        ['controllerGroup', subject.group],
        ['controllerKind', subject.kind],
        [subject.kind, objectRef],
        ...(subject.namespace ? ([['namespace', subject.namespace]] as [string, string][]) : []),
        ['name', subject.name],
        ['reconcileID', reconcileID],
        ...Object.entries(values),
      ];
      line = `${head} ${quote(message)} ${pairs.map(([k, v]) => `${k}=${quote(v)}`).join(' ')}`;
    }
    sink(controller, CONTROLLER_NAMESPACE, line, {
      kind: subject.kind,
      name: subject.name,
      ...(subject.namespace ? { namespace: subject.namespace } : {}),
    });
  };
  return {
    info: (subject, message, values = {}) => write('info', subject, message, undefined, values),
    error: (subject, message, err, values = {}) => write('error', subject, message, err, values),
  };
}

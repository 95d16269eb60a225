/**
 * What `npm run kcm:build` (scripts/kcm-build.mjs) put into `.kcm/`: kcm's manager, the CRD sets, kcm's own
 * objects (Release, templates, ProviderInterfaces, webhooks.yaml, dev credentials) and the chart folders, all
 * from Go module files at the version built. K0RDENT_KCM_DIR points at another `.kcm`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { packageRoot } from '../apiserver/resources.js';
import type { KubeObject } from '../apiserver/types.js';
import { catalogChartsDir } from '../world/charts.js';

export function kcmDir(): string {
  return process.env['K0RDENT_KCM_DIR'] || join(packageRoot(), '.kcm');
}

export function kcmManagerBinary(): string {
  return join(kcmDir(), 'bin', 'manager');
}

/** The manager and the assembled files are there (the build writes manifest.json last). */
export function kcmBuilt(): boolean {
  return existsSync(kcmManagerBinary()) && existsSync(join(kcmDir(), 'manifest.json'));
}

export interface KcmManifest {
  kcmVersion: string;
  release: string;
  modules: { path: string; version: string; sum: string; dir: string }[];
  crdSets: Record<string, number>;
  stubs: { group: string; kind: string; version: string; namedBy: string }[];
}

export function readManifest(): KcmManifest {
  return JSON.parse(readFileSync(join(kcmDir(), 'manifest.json'), 'utf8')) as KcmManifest;
}

/** Every CRD set folder (kcm, capi, flux, providers, ...), for the control plane's repeatable --crds. */
export function crdDirs(): string[] {
  const root = join(kcmDir(), 'crds');
  return readdirSync(root)
    .sort()
    .map((set) => join(root, set));
}

/** The chart folders (cluster charts, provider charts) the simulated source-controller serves. */
export function chartDirs(): string[] {
  return [join(kcmDir(), 'charts', 'cluster'), join(kcmDir(), 'charts', 'provider'), catalogChartsDir()];
}

export function kcmFile(...parts: string[]): string {
  return join(kcmDir(), 'kcm', ...parts);
}

/** The objects of a YAML file (multi-document; empty documents dropped). */
export function readObjects(file: string): KubeObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJSON() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null && typeof o === 'object' && typeof o.kind === 'string');
}

/** Every object of the `*.yaml` files in a folder of `.kcm/kcm`, file by file in name order. */
export function readFolder(folder: string): KubeObject[] {
  const dir = kcmFile(folder);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) => readObjects(join(dir, f)));
}

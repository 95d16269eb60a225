/**
 * The layout holds: every import between src/ folders points down the layers of docs/architecture.md
 * (`cli → http/mcp → runtime → tool families → shared → kube, k0rdent, policy → config, observability →
 * errors/paging`), or is one of the few sideways edges listed here; the sandbox is a world of its own
 * (only cli/ wires it in, it imports nothing of the product); no file takes part in an import cycle, type-only
 * imports included; and docs/architecture.md names every folder of src/.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SRC = join(REPO, 'src');

/** Top to bottom; a folder may import any folder of a later layer. `(root)` is src/errors.ts and src/paging.ts. */
export const LAYERS: readonly (readonly string[])[] = [
  ['cli'],
  ['http', 'mcp'],
  ['runtime'],
  ['clusters', 'services', 'tasks', 'templates', 'events', 'namespaces', 'providers', 'diagnose', 'logs', 'platform', 'catalog'],
  ['shared'],
  ['kube', 'k0rdent', 'policy'],
  ['config', 'observability'],
  ['(root)'],
];

/** Imports within one layer, each a reason: anything else sideways is "around" the layers. */
export const SIDEWAYS: ReadonlyMap<string, string> = new Map([
  ['http -> mcp', 'the /mcp endpoint builds the MCP server of a session'],
  ['services -> clusters', 'a service lives in a ClusterDeployment: its manager reuses the wait and the condition summaries'],
  ['tasks -> clusters', 'a task follows a cluster write with the cluster progress and summaries'],
  ['templates -> clusters', 'templates.get shares the template facts and schema cache of the cluster listing'],
  ['templates -> providers', 'templates.get names the credentials that fit, from the provider catalog'],
  ['clusters -> events', 'clusters.get shows the last warnings'],
  ['clusters -> providers', 'deploy checks that the credential fits the template'],
  ['diagnose -> clusters', 'diagnose finds a deployment by name as clusters.get does'],
  ['diagnose -> events', "diagnose shows each object's recent warnings"],
  ['diagnose -> logs', 'the next step names the controller whose log to read'],
  ['catalog -> clusters', 'catalog install waits for ServiceTemplates with the cluster wait and its hooks'],
  ['services -> catalog', "services.apply checks values against a catalog chart's nesting key (the bundled index)"],
  ['kube -> k0rdent', 'the request exit addresses the k0rdent group and version'],
  ['observability -> config', 'the logger level and the build info'],
]);

export const SANDBOX = 'sandbox';

export interface ImportEdge {
  from: string;
  to: string;
  typeOnly: boolean;
}

/** The folder of a file under src/: its first path segment, or `(root)`. */
export function folderOf(file: string): string {
  const parts = file.split('/');
  return parts.length === 1 ? '(root)' : parts[0]!;
}

/** Every relative import of a module (static, re-export, dynamic, `import('…')` types), as src/-relative .ts paths. */
export function importsOf(file: string, text: string): ImportEdge[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const edges: ImportEdge[] = [];
  const add = (specifier: string, typeOnly: boolean): void => {
    if (!specifier.startsWith('.')) return;
    const target = join(dirname(file), specifier.replace(/\.js$/, '.ts'));
    edges.push({ from: file, to: target, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const namedTypesOnly =
        clause !== undefined &&
        clause.name === undefined &&
        clause.namedBindings !== undefined &&
        ts.isNamedImports(clause.namedBindings) &&
        clause.namedBindings.elements.length > 0 &&
        clause.namedBindings.elements.every((element) => element.isTypeOnly);
      add(node.moduleSpecifier.text, clause?.isTypeOnly === true || namedTypesOnly);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier.text, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      if (argument !== undefined && ts.isStringLiteral(argument)) add(argument.text, false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node.argument.literal.text, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

/** Why an import between two folders is not allowed, or undefined when it is. */
export function folderViolation(from: string, to: string): string | undefined {
  if (from === to) return undefined;
  if (from === SANDBOX) return `the sandbox imports product code (${to}/): it is a separate world`;
  if (to === SANDBOX) return from === 'cli' ? undefined : `${from}/ imports the sandbox: only the CLI wiring may`;
  const rank = (folder: string): number => LAYERS.findIndex((layer) => layer.includes(folder));
  const [a, b] = [rank(from), rank(to)];
  if (a < 0) return `${from}/ is in no layer: add it to LAYERS and to docs/architecture.md`;
  if (b < 0) return `${to}/ is in no layer: add it to LAYERS and to docs/architecture.md`;
  if (b > a) return undefined;
  if (b === a && SIDEWAYS.has(`${from} -> ${to}`)) return undefined;
  return b === a ? `${from}/ → ${to}/ goes around the layers (same layer, not a listed sideways import)` : `${from}/ → ${to}/ points up`;
}

/** Every strongly connected set of more than one file (Tarjan), each sorted. */
export function cyclesOf(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const connect = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const target of next.get(node) ?? []) {
      if (!index.has(target)) {
        connect(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) low.set(node, Math.min(low.get(node)!, index.get(target)!));
    }
    if (low.get(node) === index.get(node)) {
      const members: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        members.push(member);
      } while (member !== node);
      if (members.length > 1 || (next.get(node) ?? []).includes(node)) cycles.push(members.sort());
    }
  };
  for (const node of [...next.keys()].sort()) if (!index.has(node)) connect(node);
  return cycles;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [relative(SRC, path)] : [];
  });
}

const files = sourceFiles(SRC);
const edges = files.flatMap((file) => importsOf(file, readFileSync(join(SRC, file), 'utf8')));

describe('import direction', () => {
  it('reads the imports it must judge (static, type-only, re-exports, dynamic)', () => {
    const edges = importsOf(
      'mcp/x.ts',
      [
        "import { a } from '../clusters/a.js';",
        "import type { B } from '../kube/b.js';",
        "import { type C } from '../policy/c.js';",
        "export { d } from './d.js';",
        "const e = await import('../config/e.js');",
        "type F = typeof import('../k0rdent/f.js');",
        "import { z } from 'zod';",
      ].join('\n'),
    );
    assert.deepEqual(
      edges.map((edge) => `${edge.to}${edge.typeOnly ? ' (type)' : ''}`),
      ['clusters/a.ts', 'kube/b.ts (type)', 'policy/c.ts (type)', 'mcp/d.ts', 'config/e.ts', 'k0rdent/f.ts (type)'],
    );
  });

  it('refuses an upward, a sideways and a sandbox import, and finds a cycle', () => {
    assert.match(folderViolation('kube', 'clusters') ?? '', /points up/);
    assert.match(folderViolation('config', 'runtime') ?? '', /points up/);
    assert.match(folderViolation('events', 'services') ?? '', /around the layers/);
    assert.match(folderViolation('mcp', 'http') ?? '', /around the layers/);
    assert.match(folderViolation('clusters', SANDBOX) ?? '', /only the CLI wiring/);
    assert.match(folderViolation(SANDBOX, 'kube') ?? '', /separate world/);
    assert.equal(folderViolation('cli', SANDBOX), undefined);
    assert.equal(folderViolation('mcp', 'kube'), undefined);
    assert.deepEqual(
      cyclesOf([
        { from: 'a.ts', to: 'b.ts', typeOnly: true },
        { from: 'b.ts', to: 'c.ts', typeOnly: false },
        { from: 'c.ts', to: 'a.ts', typeOnly: false },
        { from: 'c.ts', to: 'd.ts', typeOnly: false },
      ]),
      [['a.ts', 'b.ts', 'c.ts']],
    );
  });

  it('finds every folder of src/ in a layer, and the sideways list acyclic', () => {
    const folders = new Set(files.map(folderOf));
    const placed = new Set([...LAYERS.flat(), SANDBOX]);
    assert.deepEqual(
      [...folders].filter((folder) => !placed.has(folder)),
      [],
      'a new folder goes into LAYERS (and docs/architecture.md)',
    );
    const sideways = [...SIDEWAYS.keys()].map((key) => {
      const [from, to] = key.split(' -> ') as [string, string];
      return { from, to, typeOnly: false };
    });
    assert.deepEqual(cyclesOf(sideways), []);
  });

  it('every import between src/ folders points down, or is a listed sideways one', () => {
    const bad = edges
      .map((edge) => ({ edge, why: folderViolation(folderOf(edge.from), folderOf(edge.to)) }))
      .filter(({ why }) => why !== undefined)
      .map(({ edge, why }) => `src/${edge.from} imports src/${edge.to}: ${why}`);
    assert.deepEqual(bad, []);
  });

  it('no import cycle, type-only imports included', () => {
    assert.deepEqual(cyclesOf(edges), []);
  });

  it('docs/architecture.md shows every folder of src/', () => {
    const doc = readFileSync(join(REPO, 'docs', 'architecture.md'), 'utf8');
    const tree = doc.slice(doc.indexOf('```'), doc.indexOf('```', doc.indexOf('```') + 3));
    const folders = new Set(
      files
        .filter((file) => file.includes('/'))
        .flatMap((file) => {
          const parts = file.split('/').slice(0, -1);
          return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
        })
        .filter((folder) => !folder.startsWith(`${SANDBOX}/`) || folder.split('/').length === 2),
    );
    const missing = [...folders].filter((folder) => !new RegExp(`^\\s+${folder.split('/').at(-1)}/`, 'm').test(tree)).sort();
    assert.deepEqual(missing, [], 'folders of src/ missing from the tree in docs/architecture.md');
  });
});

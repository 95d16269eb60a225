// Bundles the start path of the `k0rdent-mcp` binary (dist/src/cli/commands.js with everything it imports
// statically, and the stdio front it imports for `stdio`) into dist/src/cli/start.bundle.js, so a start resolves
// and reads one file instead of ~190 (issue 24 item 4: spawn → tools/list ~40% faster under load, measured in
// bench/RESULTS.md). Every other dynamic import (./stdio.js and the server behind it, ./serve.js, ./client.js,
// ./sandbox.js) stays outside, loaded from dist/ as usual. start.bundle.json lists the dist/ files it was made from:
// src/cli/main.ts runs the modules themselves when one of them is newer. Part of `npm run build`; without esbuild
// (an install without dev dependencies) it does nothing and the binary runs unbundled.
import { writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'src', 'cli');
/** Dynamic imports that belong to the start path: bundled. Any other relative dynamic import stays external. */
const BUNDLED = new Set(['./stdio-front.js']);

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  process.stderr.write('bundle-start: esbuild is not installed; k0rdent-mcp runs unbundled\n');
  process.exit(0);
}

const outfile = join(cli, 'start.bundle.js');
const result = await esbuild.build({
  entryPoints: [join(cli, 'commands.js')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile,
  // CommonJS dependencies (commander) require node built-ins.
  banner: { js: "import { createRequire as __k0CreateRequire } from 'node:module'; const require = __k0CreateRequire(import.meta.url);" },
  metafile: true,
  logLevel: 'warning',
  plugins: [
    {
      name: 'start-path-only',
      setup(build) {
        build.onResolve({ filter: /^\./ }, (args) => {
          if (args.kind !== 'dynamic-import' || BUNDLED.has(args.path)) return undefined;
          // An external path is kept as written: it must mean the same from the bundle, which sits in dist/src/cli.
          if (dirname(args.importer) !== cli)
            throw new Error(`bundle-start: ${args.importer} imports ${args.path} dynamically; only dist/src/cli may`);
          return { path: args.path, external: true };
        });
      },
    },
  ],
});
const inputs = Object.keys(result.metafile.inputs)
  .map((input) => resolve(root, input))
  .filter((file) => file.startsWith(join(root, 'dist') + '/'))
  .map((file) => `./${relative(cli, file)}`.replace(/^\.\/\.\.\//, '../'));
writeFileSync(join(cli, 'start.bundle.json'), `${JSON.stringify({ inputs }, null, 2)}\n`);
process.stderr.write(`bundle-start: ${Object.keys(result.metafile.inputs).length} modules in ${relative(root, outfile)}\n`);

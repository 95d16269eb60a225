#!/usr/bin/env node
/**
 * Entry point of the `k0rdent-mcp` binary. It runs ./commands.ts from start.bundle.js, the build's esbuild bundle
 * of the start path (commands, the configuration check, the stdio front: ~190 modules in one file, scripts/
 * bundle-start.mjs), when the bundle is there and no file it was made from is newer (a plain `tsc -b` after
 * `npm run build`); otherwise from the modules themselves. Everything a command loads later (the server, the
 * tools, the SDK) is outside the bundle, imported as usual.
 */
import { readFileSync, statSync } from 'node:fs';

function freshBundle(): URL | undefined {
  try {
    const bundle = new URL('./start.bundle.js', import.meta.url);
    const made = statSync(bundle).mtimeMs;
    const { inputs } = JSON.parse(readFileSync(new URL('./start.bundle.json', import.meta.url), 'utf8')) as { inputs: string[] };
    return inputs.every((input) => statSync(new URL(input, bundle)).mtimeMs <= made) ? bundle : undefined;
  } catch {
    return undefined;
  }
}

await import(freshBundle()?.href ?? './commands.js');

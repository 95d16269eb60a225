// The real-kcm world one `npm test` run shares (issue 20 item 3): kube-apiserver + kcm v1.11.4 + the simulated
// world below it, brought up once by scripts/run-tests.mjs (in a process group of its own) instead of once per
// test file. Writes DIR/world.json (test/helpers/backend.ts serveSharedKcmWorld), prints `kcm world ready <file>`
// and runs until SIGTERM/SIGINT or until its stdin closes (the runner is gone), then stops the control plane and
// the manager (their own process groups) and exits.
//
//   node scripts/kcm-world.mjs DIR
import { serveSharedKcmWorld } from '../dist/test/helpers/backend.js';
import { kcmSkipReason } from '../dist/test/helpers/backend.js';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node scripts/kcm-world.mjs DIR');
  process.exit(2);
}
const skip = kcmSkipReason();
if (skip) {
  console.log(`kcm world not started: ${skip}`);
  process.exit(3);
}
const verbose = process.env.K0RDENT_KCM_WORLD_VERBOSE === '1';
let world;
let stopping;
const stop = (code) => {
  stopping ??= (async () => {
    try {
      await world?.close();
    } finally {
      process.exit(code);
    }
  })();
  return stopping;
};
process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => void stop(0));
process.stdin.on('end', () => void stop(0));
process.stdin.on('error', () => void stop(0));
process.stdin.resume();
try {
  world = await serveSharedKcmWorld(dir, verbose ? (line) => console.error(line) : undefined);
  console.log(`kcm world ready ${world.file}`);
} catch (err) {
  console.log(`kcm world failed: ${err instanceof Error ? err.stack : String(err)}`);
  await stop(1);
}

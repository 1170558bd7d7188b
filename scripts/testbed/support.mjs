// Loads the e2e testbed helpers (test/e2e/support/testbed.ts) into a plain Node script by bundling them
// with esbuild, for scripts/testbed/up.mjs and the benchmarks that start a testbed. The bundle is written under
// node_modules so that its imports of the project's dependencies resolve.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '../..');

/**
 * The exports of test/e2e/support/<name>.ts for each of `modules` (by default only `testbed`, which
 * gives `startTestbed`), e.g. `['testbed', 'kube', 'sidecars']` for the kube clients and sidecar pods.
 */
export async function loadTestbedSupport(modules = ['testbed']) {
  const out = join(root, 'node_modules/.cache/mesh-testbed-support');
  mkdirSync(out, { recursive: true });
  const outfile = join(out, `${modules.join('-')}.mjs`);
  await build({
    stdin: {
      contents: modules.map((m) => `export * from './test/e2e/support/${m}.ts';`).join('\n'),
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile,
    logLevel: 'warning',
  });
  return import(pathToFileURL(outfile).href);
}

/** A testbed that runs pods: controllers, scheduler and a kwok node (what `mesh install` waits for). */
export const WITH_NODES = { controllerManager: true, nodes: true };

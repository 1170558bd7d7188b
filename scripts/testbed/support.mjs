// Loads the e2e testbed helpers (test/e2e/support/testbed.ts) into a plain Node script by bundling them
// with esbuild, for scripts/testbed/up.mjs and bench/install.mjs. The bundle is written under
// node_modules so that its imports of the project's dependencies resolve.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '../..');

/** `{ startTestbed }` from test/e2e/support/testbed.ts. */
export async function loadTestbedSupport() {
  const out = join(root, 'node_modules/.cache/mesh-testbed-support');
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: [join(root, 'test/e2e/support/testbed.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile: join(out, 'testbed.mjs'),
    logLevel: 'warning',
  });
  return import(pathToFileURL(join(out, 'testbed.mjs')).href);
}

/** A testbed that runs pods: controllers, scheduler and a kwok node (what `mesh install` waits for). */
export const WITH_NODES = { controllerManager: true, nodes: true };

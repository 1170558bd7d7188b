// Loads the e2e testbed helpers (test/e2e/support/*.ts) into a plain Node script by bundling them with
// esbuild, for scripts/testbed/up.mjs and bench/install.mjs. The bundle is written under node_modules so
// that its imports of the project's dependencies resolve.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '../..');

/** `{ startTestbed, clientsFor, makeDeploymentReady }` from test/e2e/support. */
export async function loadTestbedSupport() {
  const out = join(root, 'node_modules/.cache/mesh-testbed-support');
  mkdirSync(out, { recursive: true });
  await build({
    stdin: {
      contents:
        "export { startTestbed } from './test/e2e/support/testbed.ts';\n" +
        "export { clientsFor } from './test/e2e/support/kube.ts';\n" +
        "export { makeDeploymentReady } from './test/e2e/support/workloads.ts';\n",
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile: join(out, 'testbed.mjs'),
    logLevel: 'warning',
  });
  return import(pathToFileURL(join(out, 'testbed.mjs')).href);
}

/**
 * Makes every Deployment that appears ready (owned ReplicaSet and Pods with status written, as the
 * controllers and a kubelet would), polling until `stop()`; only Deployments in `namespace` when given.
 */
export function readyDeployments(support, kubeconfig, namespace) {
  const c = support.clientsFor(kubeconfig);
  const done = new Set();
  let running = true;
  const loop = (async () => {
    while (running) {
      const list = await (
        namespace ? c.apps.listNamespacedDeployment({ namespace }) : c.apps.listDeploymentForAllNamespaces()
      ).catch(() => ({ items: [] }));
      for (const d of list.items) {
        const key = `${d.metadata.namespace}/${d.metadata.name}/${d.metadata.generation}`;
        if (done.has(key) || (d.status?.readyReplicas ?? 0) > 0) continue;
        done.add(key);
        await support
          .makeDeploymentReady(c, d.metadata.namespace, d.metadata.name)
          .catch((err) => console.error(`[testbed] could not make ${key} ready: ${err.message}`));
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

#!/usr/bin/env node
// Starts the e2e testbed (etcd + kube-apiserver on 127.0.0.1, see test/e2e/support/testbed.ts) for use
// by hand, e.g. to try `mesh install` as the README describes; prints the kubeconfig and runs until
// Ctrl-C, then stops the servers and removes their temp dir. There is no kubelet: every Deployment that
// appears is made ready the way the e2e suite does it (test/e2e/support/workloads.ts); --no-ready skips that.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '../..');
// Inside node_modules so that the bundle's imports of the project's dependencies resolve.
const out = join(root, 'node_modules/.cache/mesh-testbed-up');
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
const { startTestbed, clientsFor, makeDeploymentReady } = await import(
  pathToFileURL(join(out, 'testbed.mjs')).href
);

const tb = await startTestbed();
console.log(`export KUBECONFIG=${tb.kubeconfig}`);
console.error(`[testbed] kube-apiserver at ${tb.server}; Ctrl-C stops it`);
let running = true;
process.once('SIGINT', () => (running = false));
process.once('SIGTERM', () => (running = false));
const c = clientsFor(tb.kubeconfig);
const done = new Set();
while (running) {
  if (!process.argv.includes('--no-ready')) {
    const list = await c.apps.listDeploymentForAllNamespaces().catch(() => ({ items: [] }));
    for (const d of list.items) {
      const key = `${d.metadata.namespace}/${d.metadata.name}/${d.metadata.generation}`;
      if (done.has(key) || (d.status?.readyReplicas ?? 0) > 0) continue;
      done.add(key);
      await makeDeploymentReady(c, d.metadata.namespace, d.metadata.name).catch((err) =>
        console.error(`[testbed] could not make ${key} ready: ${err.message}`),
      );
    }
  }
  await new Promise((r) => setTimeout(r, 300));
}
await tb.stop();

#!/usr/bin/env node
// Starts the e2e testbed (etcd + kube-apiserver on 127.0.0.1, see test/e2e/support/testbed.ts) for use
// by hand, e.g. to try `mesh install` as the README describes; prints the kubeconfig and runs until
// Ctrl-C, then stops the servers and removes their temp dir. There is no kubelet: every Deployment that
// appears is made ready the way the e2e suite does it (test/e2e/support/workloads.ts); --no-ready skips that.
import { loadTestbedSupport, readyDeployments } from './support.mjs';

const support = await loadTestbedSupport();
const tb = await support.startTestbed();
console.log(`export KUBECONFIG=${tb.kubeconfig}`);
console.error(`[testbed] kube-apiserver at ${tb.server}; Ctrl-C stops it`);
const readier = process.argv.includes('--no-ready') ? undefined : readyDeployments(support, tb.kubeconfig);
await new Promise((resolve) => {
  process.once('SIGINT', resolve);
  process.once('SIGTERM', resolve);
});
await readier?.stop();
await tb.stop();

#!/usr/bin/env node
// Starts the e2e testbed for use by hand, e.g. to try `mesh install` as the README describes: etcd,
// kube-apiserver, kube-controller-manager, kube-scheduler and a kwok node (pods become Running and Ready),
// all on 127.0.0.1 (see test/e2e/support/testbed.ts). Prints the kubeconfig and runs until Ctrl-C, then
// stops the servers and removes their temp dir.
import { loadTestbedSupport, WITH_NODES } from './support.mjs';

const { startTestbed } = await loadTestbedSupport();
const tb = await startTestbed(WITH_NODES);
console.log(`export KUBECONFIG=${tb.kubeconfig}`);
console.error(`[testbed] kube-apiserver at ${tb.server}, node ${tb.node}; Ctrl-C stops it`);
await new Promise((resolve) => {
  process.once('SIGINT', resolve);
  process.once('SIGTERM', resolve);
});
await tb.stop();

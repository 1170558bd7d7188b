import type { Command } from 'commander';
import { setKubeClientTimeout } from '../kube/client-timeout.js';
import { impersonationFrom, setImpersonation } from '../kube/impersonation.js';
import { parseDuration } from '../util/duration.js';
import { collect } from '../util/flags.js';
import type { ClusterOptions } from '../kube/connect.js';

/** Cluster flags of the install family. */
export function addClusterOptions(cmd: Command): Command {
  return cmd
    .option('-c, --kubeconfig <file>', 'kubeconfig file')
    .option('--context <name>', 'kubeconfig context')
    .option('--timeout <duration>', 'timeout of each Kubernetes API call', '30s');
}

/** The values of addClusterOptions's flags. */
export function clusterOptions(opts: Record<string, any>): ClusterOptions {
  return { kubeconfig: opts.kubeconfig, context: opts.context, timeout: opts.timeout };
}

/**
 * Every command that reads the cluster (it has `--kubeconfig`) also takes kubectl's impersonation flags
 * and istioctl's `--kubeclient-timeout` (analyze declares its own); they are read once, before the
 * command's action.
 */
export function addClusterClientFlags(cmd: Command): void {
  if (!cmd.options.some((o) => o.long === '--kubeconfig')) return;
  const ownTimeout = cmd.options.some((o) => o.long === '--kubeclient-timeout');
  cmd
    .option('--as <user>', 'make the requests as this user (or system:serviceaccount:<ns>:<name>)')
    .option('--as-group <group>', 'make the requests as a member of this group (with --as)', collect)
    .option('--as-uid <uid>', 'make the requests as the user with this UID (with --as)');
  if (!ownTimeout)
    cmd.option(
      '--kubeclient-timeout <duration>',
      "timeout of each request to the Kubernetes API server (istioctl's; default: --timeout; 0: none)",
    );
  cmd.hook('preAction', (_self, action) => {
    // (reset first: a run that fails on a bad value keeps nothing of an earlier run in the same process)
    setImpersonation(undefined);
    setKubeClientTimeout(undefined);
    const opts = action.opts();
    setImpersonation(impersonationFrom(opts));
    if (!ownTimeout && opts.kubeclientTimeout !== undefined)
      setKubeClientTimeout(parseDuration(opts.kubeclientTimeout, '--kubeclient-timeout'));
  });
}

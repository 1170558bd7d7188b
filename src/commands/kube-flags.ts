import type { Command } from 'commander';
import { impersonationFrom, setImpersonation } from '../kube/impersonation.js';
import { collect } from '../util/flags.js';

/**
 * Every command that reads the cluster (it has `--kubeconfig`) also takes kubectl's impersonation flags;
 * they are read once, before the command's action.
 */
export function addImpersonationFlags(cmd: Command): void {
  if (!cmd.options.some((o) => o.long === '--kubeconfig')) return;
  cmd
    .option('--as <user>', 'make the requests as this user (or system:serviceaccount:<ns>:<name>)')
    .option('--as-group <group>', 'make the requests as a member of this group (with --as)', collect)
    .option('--as-uid <uid>', 'make the requests as the user with this UID (with --as)')
    .hook('preAction', (_self, action) => setImpersonation(impersonationFrom(action.opts())));
}

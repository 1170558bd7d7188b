/**
 * Flags shared by the commands that ask the control plane (proxy-status, version), with istioctl's names.
 * Declaring them loads nothing: gRPC and the Kubernetes client come with the code that connects. Values
 * no control plane can have (`-i Bad_NS`, `-r 'bad rev!'`, `--xds-label 'bad label!'`) are usage errors
 * (64) as they are parsed, before anything connects.
 */
import type { Command } from 'commander';
import { usageError } from '../util/errors.js';
import type { ControlPlaneOptions } from '../xds-client/control-plane.js';
import { checkIstioNamespace, checkLabelSelector, checkRevision } from '../xds-client/flag-checks.js';

type Opts = Record<string, any>;

/** A non-negative integer flag value (ports, counts); beyond 2^53 it is refused, as istioctl's int flags. */
export const intArg = (flag: string) => (v: string) => {
  if (!/^\d+$/.test(v)) throw usageError(`invalid ${flag} "${v}": expected a number`);
  // beyond 2^53 the number is no longer the one given
  if (!Number.isSafeInteger(Number(v))) throw usageError(`invalid ${flag} "${v}": value out of range`);
  return Number(v);
};

/** The flags every command that asks istiod shares (proxy-status, drift, version). */
export function withControlPlaneFlags(cmd: Command): Command {
  return withXdsFlags(cmd)
    .option(
      '-i, --istioNamespace <ns>',
      'namespace of the control plane',
      checkIstioNamespace,
      'istio-system',
    )
    .option(
      '-r, --revision <rev>',
      'control plane revision (istiod pods labelled istio.io/rev=<rev>)',
      checkRevision,
    )
    .option('-c, --kubeconfig <file>', 'kubeconfig file')
    .option('--context <name>', 'kubeconfig context')
    .option('--timeout <duration>', 'timeout for each request', '30s');
}

/** How to reach istiod's xDS debug endpoint (mesh check declares the cluster flags itself). */
export function withXdsFlags(cmd: Command): Command {
  return cmd
    .option('--xds-address <host:port>', 'xDS server to ask instead of the istiod pods (port-forward)')
    .option(
      '--plaintext',
      'plaintext gRPC (istiod port 15010, needs debug endpoint auth off); no token',
      false,
    )
    .option('--cert-dir <dir>', 'mTLS with root-cert.pem, cert-chain.pem and key.pem from this directory')
    .option('--insecure', "do not verify the server's certificate (with --cert-dir)", false)
    .option('--authority <name>', 'server name expected in the certificate (default istiod[-<rev>].<ns>.svc)')
    .option(
      '--xds-port <port>',
      'istiod xDS port to port-forward to (default 15012; 15010 with --plaintext)',
      intArg('--xds-port'),
    )
    .option('--xds-label <selector>', 'label selector of istiod pods', checkLabelSelector, 'app=istiod');
}

/** --xds-port, else $ISTIOCTL_XDS_PORT (as istioctl), else istiod's TLS or plaintext xDS port. */
function xdsPort(opts: Opts): number {
  if (opts.xdsPort !== undefined) return opts.xdsPort;
  const v = process.env.ISTIOCTL_XDS_PORT;
  if (v && /^\d+$/.test(v)) return Number(v);
  return opts.plaintext ? 15010 : 15012;
}

export function controlPlaneOptions(opts: Opts, timeoutMs: number): ControlPlaneOptions {
  return {
    xdsAddress: opts.xdsAddress,
    plaintext: Boolean(opts.plaintext),
    certDir: opts.certDir,
    insecure: Boolean(opts.insecure),
    authority: opts.authority,
    istioNamespace: opts.istioNamespace,
    revision: opts.revision,
    xdsPort: xdsPort(opts),
    xdsLabel: opts.xdsLabel,
    timeoutMs,
    kubeconfig: opts.kubeconfig,
    context: opts.context,
  };
}

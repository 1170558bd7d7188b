import type { Command } from 'commander';
import { usageError } from '../util/errors.js';
import { parseOutputFormat } from '../util/output.js';
import { parseDuration } from '../util/duration.js';
import { controlPlaneOptions, intArg, withControlPlaneFlags } from './control-plane-flags.js';
import { namespaceArg } from '../util/names.js';
import { collect } from '../util/flags.js';

type Opts = Record<string, any>;

export function register(program: Command): void {
  withControlPlaneFlags(
    program
      .command('drift')
      .description(
        'Replicas of a workload whose proxy config (or trusted roots) differs from their siblings; exit 79 on drift',
      )
      .option('-o, --output <format>', 'output format: text|json', 'text')
      .option(
        '-n, --namespace <ns>',
        'only proxies in this namespace (default: from the kubeconfig context)',
        namespaceArg,
      )
      .option('-A, --all-namespaces', 'proxies in every namespace', false)
      .option(
        '--csds <pod.ns=host:port>',
        "a proxyless gRPC client's CSDS endpoint (repeatable; no cluster needed)",
        collect,
      )
      .option(
        '-f, --file <pod.ns=dump.json>',
        "a proxy's saved Envoy config dump (repeatable; no cluster needed)",
        collect,
      )
      .option('--concurrency <n>', 'proxies read at once', intArg('--concurrency'), 8)
      .option(
        '--proxy-admin-port <port>',
        'Envoy admin port in the pods',
        intArg('--proxy-admin-port'),
        15000,
      )
      .option(
        '--control-plane',
        'instead: for each proxy istiod serves (every namespace unless -n), compare the config every istiod replica would send it',
        false,
      ),
  ).action(async (opts: Opts) => {
    const format = parseOutputFormat(opts.output, ['text', 'json'] as const, 'text');
    const timeoutMs = parseDuration(opts.timeout, '--timeout');
    if (opts.concurrency < 1) throw usageError('--concurrency must be at least 1');
    if (opts.allNamespaces && opts.namespace !== undefined)
      throw usageError('-n/--namespace and -A/--all-namespaces cannot be combined');
    const csds: string[] = opts.csds ?? [];
    const file: string[] = opts.file ?? [];
    if (opts.controlPlane && (csds.length > 0 || file.length > 0))
      throw usageError('--control-plane asks istiod: it cannot be used with --csds or -f');
    const { runDrift } = await import('../drift/run.js');
    process.exitCode = await runDrift({
      format,
      timeoutMs,
      concurrency: opts.concurrency,
      namespace: opts.namespace,
      allNamespaces: Boolean(opts.allNamespaces),
      csds,
      file,
      proxyAdminPort: opts.proxyAdminPort,
      kubeconfig: opts.kubeconfig,
      context: opts.context,
      controlPlane: opts.controlPlane ? controlPlaneOptions(opts, timeoutMs) : undefined,
    });
  });
}

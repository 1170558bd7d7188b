import { Command } from 'commander';
import { usageError } from '../util/errors.js';
import { parseOutputFormat } from '../util/output.js';
import { parseDuration, parseWindow } from '../util/duration.js';
import type { CertsRequest } from '../certs/run.js';
import { namespaceArg } from '../util/names.js';
import { collect } from '../util/flags.js';

const FORMATS = ['table', 'json', 'yaml'] as const;
export function register(program: Command): void {
  program
    .command('certs')
    .description('Report workload and root certificate expiry across proxies; flag differing roots')
    .option(
      '-n, --namespace <ns>',
      'namespace of the pods (repeatable; default: from the kubeconfig context)',
      (v: string, prev: string[]) => collect(namespaceArg(v), prev),
      [],
    )
    .option('-A, --all-namespaces', 'every namespace')
    .option('--admin-url <url>', 'an Envoy admin URL to read instead of pods (repeatable)', collect, [])
    .option(
      '-f, --file <dump>',
      'an Envoy config dump file to read instead of pods (repeatable)',
      collect,
      [],
    )
    .option('--warn <duration>', 'report certificates expiring within this window (exit 79)', '7d')
    .option('-o, --output <format>', `output format: ${FORMATS.join('|')}`, 'table')
    .option('-c, --kubeconfig <file>', 'kubeconfig file')
    .option('--context <name>', 'kubeconfig context')
    .option('--proxy-admin-port <port>', 'Envoy admin port in the pods', '15000')
    .option('--timeout <duration>', 'timeout per proxy and per Kubernetes API call (0: none)', '15s')
    .option('--concurrency <n>', 'proxies read at the same time', '16')
    .action(async (opts: Record<string, any>) => {
      const request = certsRequest(opts);
      const { runCerts } = await import('../certs/run.js');
      process.exitCode = await runCerts(request);
    });
}

/** The flags checked, as runCerts takes them. */
function certsRequest(opts: Record<string, any>): CertsRequest {
  const format = parseOutputFormat(opts.output, FORMATS, 'table');
  // a unit required: a bare number would be seconds (see parseWindow)
  const warnMs = parseWindow(opts.warn, '--warn');
  const timeoutMs = parseDuration(opts.timeout, '--timeout');
  const concurrency = Number(opts.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw usageError(`invalid --concurrency "${opts.concurrency}"`, 'use a positive integer');
  const adminPort = Number(opts.proxyAdminPort);
  if (!Number.isInteger(adminPort) || adminPort < 1 || adminPort > 65535)
    throw usageError(`port number ${opts.proxyAdminPort} must be in the range 1..65535`);
  if (opts.allNamespaces && opts.namespace.length > 0)
    throw usageError('-n/--namespace and -A/--all-namespaces cannot be combined');
  return {
    format,
    warnMs,
    warn: opts.warn,
    timeoutMs,
    concurrency,
    adminPort,
    adminUrls: opts.adminUrl,
    files: opts.file,
    namespaces: opts.namespace,
    allNamespaces: Boolean(opts.allNamespaces),
    kubeconfig: opts.kubeconfig,
    context: opts.context,
  };
}

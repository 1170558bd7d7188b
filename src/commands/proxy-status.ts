import type { Command } from 'commander';
import { ExitCode, usageError } from '../util/errors.js';
import { parseOutputFormat, warn, writeStdout } from '../util/output.js';
import { parseDuration } from '../util/duration.js';
import { controlPlaneOptions, intArg, withControlPlaneFlags } from './control-plane-flags.js';
import { namespaceArg } from '../util/names.js';

type Opts = Record<string, any>;

export function register(program: Command): void {
  withControlPlaneFlags(
    program
      .command('proxy-status [pod]')
      .alias('ps')
      .description(
        "Sync status of every proxy from istiod (istioctl's table), or with a pod: istiod's config for it against the proxy's",
      )
      .option('-o, --output <format>', 'output format: table|json|yaml', 'table')
      .option(
        '-n, --namespace <ns>',
        'only proxies in this namespace (pod namespace with a pod argument)',
        namespaceArg,
      )
      .option('-A, --all-namespaces', 'proxies in every namespace (the default without -n)', false)
      .option('-v, --verbosity <level>', '1: one column per xDS type (istioctl -v 1)', '0')
      .option(
        '--classic',
        'the per-type layout of istioctl 1.22-1.26 (NAME CLUSTER CDS LDS EDS RDS ECDS ISTIOD VERSION)',
        false,
      )
      .option(
        '--stale-after <duration>',
        'exit 79 when a proxy has not acknowledged a push for longer than this',
      )
      .option(
        '-f, --file <dump>',
        "the proxy's config dump (with a pod argument) instead of reading it from the proxy",
      )
      .option(
        '--csds-address <host:port>',
        "with a pod: read the proxy's config from its CSDS endpoint (proxyless gRPC)",
      )
      .option(
        '--proxy-admin-port <port>',
        'Envoy admin port in the pod',
        intArg('--proxy-admin-port'),
        15000,
      ),
  ).action(async (pod: string | undefined, opts: Opts) => {
    const timeoutMs = parseDuration(opts.timeout, '--timeout');
    // the flags that read the proxy's own config need a pod: runProxyDiff refuses them without one
    if (pod !== undefined || opts.file !== undefined || opts.csdsAddress !== undefined) {
      const { runProxyDiff } = await import('../proxy-status/diff-command.js');
      process.exitCode = await runProxyDiff({
        pod,
        output: opts.output,
        namespace: opts.namespace,
        file: opts.file,
        csdsAddress: opts.csdsAddress,
        proxyAdminPort: opts.proxyAdminPort,
        kubeconfig: opts.kubeconfig,
        context: opts.context,
        timeoutMs,
        controlPlane: controlPlaneOptions(opts, timeoutMs),
      });
      return;
    }
    process.exitCode = await runStatus(opts, timeoutMs);
  });
}

async function runStatus(opts: Opts, timeoutMs: number): Promise<number> {
  const format = parseOutputFormat(opts.output, ['table', 'json', 'yaml'] as const, 'table');
  if (opts.verbosity !== '0' && opts.verbosity !== '1')
    throw usageError(`invalid --verbosity "${opts.verbosity}": expected 0 or 1`);
  if (opts.classic && opts.verbosity === '1')
    throw usageError('--classic and -v 1 are different layouts: pick one');
  if (opts.allNamespaces && opts.namespace !== undefined)
    throw usageError('-n/--namespace and -A/--all-namespaces cannot be combined');
  const staleAfterMs =
    opts.staleAfter !== undefined ? parseDuration(opts.staleAfter, '--stale-after') : undefined;
  const namespace: string | undefined = opts.allNamespaces ? undefined : opts.namespace;

  const { askEveryReplica } = await import('../xds-client/replicas.js');
  const { SYNCZ_TYPE } = await import('../xds-client/client.js');
  const status = await import('../proxy-status/status.js');
  const answers = await askEveryReplica(controlPlaneOptions(opts, timeoutMs), SYNCZ_TYPE, [], timeoutMs);
  const failed = answers.filter((a) => a.error !== undefined);
  if (failed.length === answers.length) {
    // nothing to show: one line per replica, the first as the error
    for (const f of failed.slice(1)) warn(`error: ${f.error!.message}`);
    throw failed[0]!.error!;
  }
  const rows = status.rowsOf(answers, namespace);
  const now = Date.now();
  if (format === 'table') {
    const layout = opts.classic ? 'classic' : opts.verbosity === '1' ? 'verbose' : 'current';
    await writeStdout(status.renderStatusTable(rows, layout, now));
  } else {
    const { renderResponses } = await import('../proxy-status/output.js');
    await writeStdout(renderResponses(status.responsesForOutput(answers, namespace), format));
  }
  for (const line of status.nackLines(rows)) warn(`NACK: ${line}`);
  for (const line of status.sharedNodeLines(answers, namespace)) warn(`warning: ${line}`);
  for (const f of failed) warn(`error: ${f.error!.message} (its proxies are missing above)`);
  const foreign = status.foreignResources(answers);
  for (const line of foreign) warn(`error: ${line}`);
  let code: number = failed.length > 0 ? ExitCode.RUNTIME : ExitCode.OK;
  if (staleAfterMs !== undefined) {
    const stale = status.staleProxies(rows, staleAfterMs, now);
    for (const s of stale)
      warn(
        `stale: ${s.proxy}: ${s.type} ${s.status === 'ERROR' ? 'rejected' : 'not acknowledged'}` +
          (s.sinceMs ? ` since ${new Date(s.sinceMs).toISOString()}` : ''),
      );
    if (stale.length > 0 && code === ExitCode.OK) code = ExitCode.FINDINGS;
  }
  // an answer partly unusable: what it held besides ClientConfigs was left out (1 and 79 say more)
  if (foreign.length > 0 && code === ExitCode.OK) code = ExitCode.DATA;
  return code;
}

import { Command } from 'commander';
import { ExitCode, usageError } from '../util/errors.js';
import { parseOutputFormat, warn, writeStdout } from '../util/output.js';
import { parseDuration, parseWindow } from '../util/duration.js';
import type { CertSource } from '../certs/report.js';
import { namespaceArg } from '../util/names.js';
import { collect } from '../util/flags.js';

const FORMATS = ['table', 'json', 'yaml'] as const;
/** The secrets part of the config dump, as `proxy-config secret` asks for it. */
const SECRETS_MASK = 'dynamic_active_secrets,dynamic_warming_secrets';
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
      process.exitCode = await runCerts(opts);
    });
}

/** The running proxy pods to read, and the namespaces listed (undefined: all). */
async function podSources(
  opts: Record<string, any>,
  adminPort: number,
  timeoutMs: number,
): Promise<{ sources: CertSource[]; namespaces: Array<string | undefined> }> {
  const { loadKubeContext } = await import('../kube/config.js');
  const { KubeApi } = await import('../kube/api.js');
  const { isRunning, listProxyPods, podLabel } = await import('../kube/pods.js');
  const { whileWaiting } = await import('../util/spinner.js');
  const { openPodEndpoint } = await import('../kube/proxy-target.js');
  const { AdminClient } = await import('../envoy/admin.js');
  const kube = loadKubeContext({
    kubeconfig: opts.kubeconfig,
    context: opts.context,
    offline: '--admin-url or -f work without a cluster',
  });
  const api = new KubeApi(kube, timeoutMs);
  const namespaces: Array<string | undefined> = opts.allNamespaces
    ? [undefined]
    : opts.namespace.length > 0
      ? [...new Set<string>(opts.namespace)]
      : [kube.namespace];
  const pods = (
    await whileWaiting('Listing proxy pods', Promise.all(namespaces.map((ns) => listProxyPods(api, ns))))
  ).flat();
  const running = pods.filter(isRunning);
  if (running.length < pods.length)
    warn(`note: ${pods.length - running.length} pod(s) with istio-proxy are not running and were skipped`);
  running.sort((a, b) => (podLabel(a) < podLabel(b) ? -1 : podLabel(a) > podLabel(b) ? 1 : 0));
  const sources = running.map((pod) => ({
    label: podLabel(pod),
    fetch: async () => {
      const ep = await openPodEndpoint(api, pod, adminPort, timeoutMs);
      try {
        return await new AdminClient({ baseUrl: ep.baseUrl, timeoutMs, label: ep.label }).configDumpText({
          mask: SECRETS_MASK,
        });
      } finally {
        await ep.close();
      }
    },
  }));
  return { sources, namespaces };
}

/** `No proxies found in namespace shop.` (kubectl: `No resources found in shop namespace.`). */
function noProxies(namespaces: Array<string | undefined>): string {
  const named = namespaces.filter((ns): ns is string => ns !== undefined);
  if (named.length === 0) return 'No proxies found.';
  return `No proxies found in namespace${named.length > 1 ? 's' : ''} ${named.join(', ')}.`;
}

export async function runCerts(opts: Record<string, any>): Promise<number> {
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

  const { normalizeAdminUrl } = await import('../kube/proxy-target.js');
  const urls = (opts.adminUrl as string[]).map(normalizeAdminUrl);
  const sources: CertSource[] = [];
  if (urls.length > 0) {
    const { AdminClient } = await import('../envoy/admin.js');
    const { redactPassword } = await import('../util/url.js');
    // a proxy named twice is one proxy (its rows and its expired certificates counted once)
    for (const baseUrl of new Set(urls))
      sources.push({
        label: redactPassword(baseUrl),
        fetch: () => new AdminClient({ baseUrl, timeoutMs }).configDumpText({ mask: SECRETS_MASK }),
      });
  }
  if (opts.file.length > 0) {
    const { readUtf8Input } = await import('../util/input.js');
    const { realPathOf } = await import('../util/paths.js');
    const { UNMARSHAL } = await import('../envoy/dump.js');
    // a dump named twice (`-f a.json -f ./a.json`, `-f - -f -`) is read once, as analyze reads its paths
    const files = new Map<string, string>();
    for (const file of opts.file as string[]) {
      const id = file === '-' ? '-' : realPathOf(file);
      if (!files.has(id)) files.set(id, file);
    }
    for (const file of files.values())
      sources.push({ label: file, fetch: () => readUtf8Input(file, '', `${UNMARSHAL}: `) });
  }
  const useCluster = sources.length === 0 || opts.allNamespaces || opts.namespace.length > 0;
  let namespaces: Array<string | undefined> = [];
  if (useCluster) {
    const pods = await podSources(opts, adminPort, timeoutMs);
    // a loop, not push(...): a large cluster has more proxies than a call takes arguments (≈ 125,000)
    for (const source of pods.sources) sources.push(source);
    namespaces = pods.namespaces;
  }

  const { buildReport, readProxy, renderCertTables, rootWarnings } = await import('../certs/report.js');
  const { mapBounded } = await import('../util/bounded.js');
  const now = new Date();
  let done = 0;
  const { whileWaiting } = await import('../util/spinner.js');
  const proxies = await whileWaiting(
    () => `Reading certificates: ${done}/${sources.length} proxies`,
    mapBounded(
      sources,
      concurrency,
      (s) => readProxy(s, now, warnMs),
      (n) => (done = n),
    ),
  );
  const report = buildReport(proxies, now, warnMs);

  if (format === 'table') {
    if (proxies.length === 0) warn(noProxies(namespaces));
    else await writeStdout(renderCertTables(report));
    for (const line of rootWarnings(report)) warn(line);
    const s = report.summary;
    if (s.failed > 0) warn(`${s.failed} of ${s.proxies} proxies could not be read.`);
    if (s.exitCode === ExitCode.FINDINGS)
      warn(
        `Found ${s.expired} expired and ${s.expiring} expiring (within ${opts.warn}) certificate(s)` +
          `${s.notYetValid ? `, ${s.notYetValid} not yet valid` : ''}${s.invalid ? `, ${s.invalid} invalid` : ''}` +
          `${s.missing ? `, ${s.missing} missing` : ''}` +
          `${s.rootsDiffer ? `; roots differ across proxies (${report.roots.length} root sets)` : ''}.`,
      );
  } else {
    // in pieces: thousands of gateways holding thousands of certificates each make more text than a
    // JavaScript string holds; the YAML one proxy at a time (one may hold 20,000 certificates, another 2)
    const { jsonChunks, writeChunks } = await import('../render/chunks.js');
    const { yamlChunks } = await import('../render/findings.js');
    await writeChunks(
      format === 'json'
        ? jsonChunks(report)
        : await yamlChunks(report, 1, { lineWidth: 0, aliasDuplicateObjects: false }),
    );
  }
  return report.summary.exitCode;
}

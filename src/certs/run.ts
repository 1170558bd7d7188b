/**
 * `mesh certs` past its flags: builds the sources (--admin-url, -f, the cluster's proxy pods), reads them
 * (report.ts), writes the table, JSON or YAML and the summary lines, and gives the exit code.
 */
import { ExitCode } from '../util/errors.js';
import { warn, writeStdout } from '../util/output.js';
import type { CertSource } from './report.js';

/** What `mesh certs` was asked, its flags checked. */
export interface CertsRequest {
  format: 'table' | 'json' | 'yaml';
  /** --warn: certificates expiring within it are findings. */
  warnMs: number;
  /** --warn as given, for the summary line. */
  warn: string;
  timeoutMs: number;
  /** Proxies read at the same time. */
  concurrency: number;
  /** Envoy admin port in the pods. */
  adminPort: number;
  /** --admin-url values, as given (checked before anything is read). */
  adminUrls: string[];
  /** -f dumps, as given. */
  files: string[];
  /** -n values (none: the kubeconfig context's namespace, unless allNamespaces). */
  namespaces: string[];
  allNamespaces: boolean;
  kubeconfig: string | undefined;
  context: string | undefined;
}

/** The secrets part of the config dump, as `proxy-config secret` asks for it. */
const SECRETS_MASK = 'dynamic_active_secrets,dynamic_warming_secrets';

/** The running proxy pods to read, and the namespaces listed (undefined: all). */
async function podSources(
  req: CertsRequest,
): Promise<{ sources: CertSource[]; namespaces: Array<string | undefined> }> {
  const { adminPort, timeoutMs } = req;
  const { loadKubeContext } = await import('../kube/config.js');
  const { KubeApi } = await import('../kube/api.js');
  const { isRunning, listProxyPods, podLabel } = await import('../kube/pods.js');
  const { whileWaiting } = await import('../util/spinner.js');
  const { openPodEndpoint } = await import('../kube/proxy-target.js');
  const { AdminClient } = await import('../envoy/admin.js');
  const kube = loadKubeContext({
    kubeconfig: req.kubeconfig,
    context: req.context,
    offline: '--admin-url or -f work without a cluster',
  });
  const api = new KubeApi(kube, timeoutMs);
  const namespaces: Array<string | undefined> = req.allNamespaces
    ? [undefined]
    : req.namespaces.length > 0
      ? [...new Set<string>(req.namespaces)]
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

export async function runCerts(req: CertsRequest): Promise<number> {
  const { format, warnMs, timeoutMs, concurrency } = req;
  const { normalizeAdminUrl } = await import('../kube/proxy-target.js');
  const urls = req.adminUrls.map(normalizeAdminUrl);
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
  if (req.files.length > 0) {
    const { readUtf8Input } = await import('../util/input.js');
    const { realPathOf } = await import('../util/paths.js');
    const { UNMARSHAL } = await import('../envoy/dump.js');
    // a dump named twice (`-f a.json -f ./a.json`, `-f - -f -`) is read once, as analyze reads its paths
    const files = new Map<string, string>();
    for (const file of req.files) {
      const id = file === '-' ? '-' : realPathOf(file);
      if (!files.has(id)) files.set(id, file);
    }
    for (const file of files.values())
      sources.push({ label: file, fetch: () => readUtf8Input(file, '', `${UNMARSHAL}: `) });
  }
  const useCluster = sources.length === 0 || req.allNamespaces || req.namespaces.length > 0;
  let namespaces: Array<string | undefined> = [];
  if (useCluster) {
    const pods = await podSources(req);
    // a loop, not push(...): a large cluster has more proxies than a call takes arguments (≈ 125,000)
    for (const source of pods.sources) sources.push(source);
    namespaces = pods.namespaces;
  }

  const { buildReport, readProxy, renderCertTables, rootWarnings } = await import('./report.js');
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
        `Found ${s.expired} expired and ${s.expiring} expiring (within ${req.warn}) certificate(s)` +
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

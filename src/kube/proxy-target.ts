import http from 'node:http';
import { deadline } from '../util/duration.js';
import { MeshError, describeError, usageError } from '../util/errors.js';
import type { KubeApi } from './api.js';
import { redactPassword } from '../util/url.js';

export interface ProxyTargetOptions {
  /** `<pod>[.<namespace>]` or `<kind>/<name>[.<namespace>]` (e.g. `deployment/reviews.bookinfo`). */
  target?: string;
  namespace?: string;
  kubeconfig?: string;
  context?: string;
  adminPort: number;
  /** Per request; 0 = no timeout. */
  timeoutMs: number;
  /** Envoy admin base URL (e.g. http://127.0.0.1:15000): used as is, no cluster access. */
  adminUrl?: string;
  /** What works without a cluster, for the hint when there is no kubeconfig (see KubeConfigOptions). */
  offline?: string;
}

export interface ProxyEndpoint {
  /** Base URL of the Envoy admin API, without a trailing slash. */
  baseUrl: string;
  /** `pod.namespace`, or the admin URL. */
  label: string;
  close(): Promise<void>;
}

/** Validates and normalises an --admin-url value (http or https, no query). */
export function normalizeAdminUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usageError(
      `invalid --admin-url "${redactPassword(text)}"`,
      'use a URL such as http://127.0.0.1:15000',
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw usageError(`invalid --admin-url "${redactPassword(text)}": only http and https are supported`);
  if (url.search || url.hash)
    throw usageError(`invalid --admin-url "${redactPassword(text)}": no query or fragment allowed`);
  return url.href.replace(/\/+$/, '');
}

/** The probe had no HTTP answer in time (the tunnel may be up: the proxy may just be slow). */
class ProbeTimeout extends Error {}

/**
 * One plain GET through the tunnel: any HTTP answer proves the admin port is reachable, so the status line
 * is enough (the body, which a busy proxy may send slowly, is not waited for).
 */
function probe(baseUrl: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const cancel = deadline(timeoutMs, () =>
      req.destroy(new ProbeTimeout(`no answer within ${timeoutMs / 1000}s`)),
    );
    const req = http.get(`${baseUrl}/ready`, { agent: false }, (res) => {
      cancel();
      res.on('error', () => {});
      res.destroy();
      resolve();
    });
    req.on('error', (err) => {
      cancel();
      reject(err);
    });
  });
}

/**
 * Port-forwards to the admin port of a pod already fetched from the API server (checked to run an
 * istio-proxy) and checks the admin API answers. Shared by single-pod commands and `mesh certs`.
 */
export async function openPodEndpoint(
  api: KubeApi,
  pod: any,
  adminPort: number,
  timeoutMs: number,
): Promise<ProxyEndpoint> {
  const { assertProxyPod, podLabel } = await import('./pods.js');
  const { startPortForward } = await import('./port-forward.js');
  assertProxyPod(pod);
  const label = podLabel(pod);
  const forward = await startPortForward({
    api,
    namespace: pod.metadata.namespace,
    pod: pod.metadata.name,
    port: adminPort,
  });
  const baseUrl = `http://127.0.0.1:${forward.localPort}`;
  try {
    await probe(baseUrl, timeoutMs);
  } catch (err) {
    await forward.close();
    const portHint = '--proxy-admin-port must be the port Envoy admin listens on (15000 for Istio proxies)';
    // the tunnel reported no error: the connection was taken and not answered in time, a busy or stuck
    // proxy rather than nothing listening (the forward's error channel says that at once)
    if (err instanceof ProbeTimeout && forward.lastError === undefined)
      throw new MeshError(
        `the Envoy admin API of pod ${label} on port ${adminPort} gave no answer within ${timeoutMs / 1000}s; the port-forward reported no error, so the proxy may just be busy`,
        { hint: `a longer --timeout gives a busy proxy time to answer; else ${portHint}` },
      );
    throw new MeshError(
      `cannot reach the Envoy admin API of pod ${label} on port ${adminPort}: ${forward.lastError ?? describeError(err)}`,
      { hint: portHint },
    );
  }
  return { baseUrl, label, close: () => forward.close() };
}

/**
 * Opens a way to reach one proxy's Envoy admin API: the --admin-url as given, or a Kubernetes
 * port-forward to the admin port of the pod `target` names (closed by `close()`).
 */
export async function openProxyEndpoint(opts: ProxyTargetOptions): Promise<ProxyEndpoint> {
  if (!Number.isInteger(opts.adminPort) || opts.adminPort < 1 || opts.adminPort > 65535)
    throw usageError(`port number ${opts.adminPort} must be in the range 1..65535`);
  if (opts.adminUrl !== undefined) {
    const baseUrl = normalizeAdminUrl(opts.adminUrl);
    return { baseUrl, label: redactPassword(baseUrl), close: async () => {} };
  }
  if (!opts.target) throw usageError('a pod name or --admin-url is required');
  const { api, pod } = await resolveTargetPod(opts.target, opts);
  return openPodEndpoint(api, pod, opts.adminPort, opts.timeoutMs);
}

/**
 * The pod a `<pod>[.<namespace>]` or `<kind>/<name>[.<namespace>]` target names (a workload's first running
 * pod), read from the cluster of the kubeconfig and context given, with the API client that read it.
 */
export async function resolveTargetPod(
  target: string,
  opts: Pick<ProxyTargetOptions, 'kubeconfig' | 'context' | 'namespace' | 'timeoutMs' | 'offline'>,
) {
  const { parsePodRef, resolvePod } = await import('./pods.js');
  const ref = parsePodRef(target);
  const { loadKubeContext } = await import('./config.js');
  const { KubeApi } = await import('./api.js');
  const kube = loadKubeContext({
    kubeconfig: opts.kubeconfig,
    context: opts.context,
    namespace: opts.namespace,
    offline: opts.offline,
  });
  const api = new KubeApi(kube, opts.timeoutMs);
  return { api, pod: await resolvePod(api, ref, kube.namespace) };
}

export interface SelectedTargetOptions {
  /** Label selector (`-l`). */
  selector: string;
  namespace?: string;
  kubeconfig?: string;
  context?: string;
  adminPort: number;
  timeoutMs: number;
}

/** Every running proxy pod a label selector matches in the namespace, each behind its own port-forward. */
export async function openSelectedEndpoints(opts: SelectedTargetOptions): Promise<ProxyEndpoint[]> {
  const { loadKubeContext } = await import('./config.js');
  const { KubeApi } = await import('./api.js');
  const { selectRunningProxyPods } = await import('./pods.js');
  const kube = loadKubeContext({
    kubeconfig: opts.kubeconfig,
    context: opts.context,
    namespace: opts.namespace,
  });
  const api = new KubeApi(kube, opts.timeoutMs);
  const pods = await selectRunningProxyPods(api, kube.namespace, opts.selector);
  if (pods.length === 0)
    throw new MeshError(`no running proxy pods match "${opts.selector}" in namespace ${kube.namespace}`);
  const out: ProxyEndpoint[] = [];
  try {
    for (const p of pods) out.push(await openPodEndpoint(api, p, opts.adminPort, opts.timeoutMs));
  } catch (err) {
    for (const ep of out) await ep.close();
    throw err;
  }
  return out;
}

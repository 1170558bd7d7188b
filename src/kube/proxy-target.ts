import { MeshError, usageError } from '../util/errors.js';

export interface ProxyTargetOptions {
  /** `<pod>[.<namespace>]` or `<kind>/<name>[.<namespace>]` (e.g. `deployment/reviews.bookinfo`). */
  target?: string;
  namespace?: string;
  kubeconfig?: string;
  context?: string;
  adminPort: number;
  timeoutMs: number;
  /** Envoy admin base URL (e.g. http://127.0.0.1:15000): used as is, no cluster access. */
  adminUrl?: string;
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
    throw usageError(`invalid --admin-url "${text}"`, 'use a URL such as http://127.0.0.1:15000');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw usageError(`invalid --admin-url "${text}": only http and https are supported`);
  if (url.search || url.hash) throw usageError(`invalid --admin-url "${text}": no query or fragment allowed`);
  return url.href.replace(/\/+$/, '');
}

/**
 * Opens a way to reach one proxy's Envoy admin API: the --admin-url as given, or a Kubernetes
 * port-forward to the pod's admin port (closed by `close()`).
 */
export async function openProxyEndpoint(opts: ProxyTargetOptions): Promise<ProxyEndpoint> {
  if (!Number.isInteger(opts.adminPort) || opts.adminPort < 1 || opts.adminPort > 65535)
    throw usageError(`port number ${opts.adminPort} must be in the range 1..65535`);
  if (opts.adminUrl !== undefined) {
    const baseUrl = normalizeAdminUrl(opts.adminUrl);
    return { baseUrl, label: baseUrl, close: async () => {} };
  }
  if (!opts.target) throw usageError('a pod name or --admin-url is required');
  throw new MeshError('cluster access is not available yet in this build');
}

import type { KubeApi } from './api.js';

/**
 * The proxy log level the sidecar injector gives new proxies: `global.proxy.logLevel` of the `values`
 * (JSON) in the `istio-sidecar-injector` ConfigMap of the control-plane namespace; undefined when unset.
 * Fails as the API read fails, or when `values` is not JSON.
 */
export async function injectorProxyLogLevel(
  api: KubeApi,
  istioNamespace: string,
): Promise<string | undefined> {
  const cm = await api.getJson(
    `/api/v1/namespaces/${encodeURIComponent(istioNamespace)}/configmaps/istio-sidecar-injector`,
  );
  const level = JSON.parse(cm?.data?.values ?? '{}')?.global?.proxy?.logLevel;
  return typeof level === 'string' && level !== '' ? level : undefined;
}

import { ApiException, type V1ConfigMap } from '@kubernetes/client-node';
import { ExitCode, MeshError } from '../util/errors.js';
import type { KubeApi } from './api.js';

/**
 * A ConfigMap of the control-plane namespace. A missing one is one clear error naming it and the
 * namespace (exit 1); other failures are KubeApi's one-line errors (401/403 hints, unreachable, timeout).
 */
export async function readConfigMap(api: KubeApi, namespace: string, name: string): Promise<V1ConfigMap> {
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps/${encodeURIComponent(name)}`;
  const cm = await api.call(`GET ${path}`, (c, o) =>
    c.core.readNamespacedConfigMap({ name, namespace }, o).catch((err: unknown) => {
      if (err instanceof ApiException && err.code === 404) return undefined;
      throw err;
    }),
  );
  if (!cm)
    throw new MeshError(`ConfigMap "${name}" not found in namespace "${namespace}"`, {
      hint: 'check the name, -i/--istioNamespace and --revision (is the control plane installed?)',
    });
  return cm;
}

/** ConfigMap names as istioctl derives them: `<name>-<rev>` for a revision other than `default`. */
export function revisioned(name: string, revision: string | undefined): string {
  return revision && revision !== 'default' ? `${name}-${revision}` : name;
}

/**
 * `data[key]` of the ConfigMap `name` (`-<rev>` added for a revision) of the control-plane namespace, and
 * a name for it in messages. Without the key: exit 65.
 */
export async function configMapKey(
  api: () => Promise<KubeApi>,
  namespace: string,
  name: string,
  revision: string | undefined,
  key: string,
): Promise<[string, string]> {
  const full = revisioned(name, revision);
  const cm = await readConfigMap(await api(), namespace, full);
  const where = `ConfigMap ${namespace}/${full}`;
  const text = cm.data?.[key];
  if (typeof text !== 'string')
    throw new MeshError(`${where} has no \`${key}\` key`, { exitCode: ExitCode.DATA });
  return [text, where];
}

/**
 * The proxy log level the sidecar injector gives new proxies: `global.proxy.logLevel` of the `values`
 * (JSON) in the `istio-sidecar-injector` ConfigMap of the control-plane namespace; undefined when unset.
 * Fails as the API read fails, or when `values` is not JSON.
 */
export async function injectorProxyLogLevel(
  api: KubeApi,
  istioNamespace: string,
): Promise<string | undefined> {
  const cm = await readConfigMap(api, istioNamespace, 'istio-sidecar-injector');
  const level = JSON.parse(cm?.data?.values ?? '{}')?.global?.proxy?.logLevel;
  return typeof level === 'string' && level !== '' ? level : undefined;
}

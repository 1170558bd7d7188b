// Cluster objects as analysis inputs: the same Resource shape files give, with no file and no position.
import { CLUSTER_SCOPED } from '../manifests/kinds.js';
import { newResource, type Resource } from '../manifests/types.js';

/** Secret keys whose values are public certificates, kept so certificate checks still work. */
const CERTIFICATE_KEYS = new Set(['tls.crt', 'cert', 'ca.crt', 'cacert']);

/** What a redacted Secret value reads as (base64 of a marker, so "the key is present" still holds). */
export const REDACTED_VALUE = Buffer.from('(value not read by mesh)').toString('base64');

/**
 * Drops a Secret's values as soon as its page arrives: only the keys' presence (and public certificates)
 * stay in memory. Values are never printed anyway; this keeps private keys and tokens out of the run.
 */
export function redactSecret(item: any): void {
  for (const field of ['data', 'stringData']) {
    const map = item?.[field];
    if (!map || typeof map !== 'object') continue;
    for (const key of Object.keys(map)) if (!CERTIFICATE_KEYS.has(key)) map[key] = REDACTED_VALUE;
  }
  const annotations = item?.metadata?.annotations;
  // kubectl apply keeps the whole object, values included, in this annotation.
  if (annotations) delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
}

/** One listed object as an analysis input (list items carry no apiVersion/kind: they come from the list). */
export function clusterResource(
  item: any,
  apiVersion: string,
  kind: string,
  remoteCluster?: string,
): Resource {
  const metadata = item.metadata ?? {};
  delete metadata.managedFields;
  item.apiVersion = apiVersion;
  item.kind = kind;
  item.metadata = metadata;
  const namespace =
    typeof metadata.namespace === 'string' && metadata.namespace ? metadata.namespace : undefined;
  return newResource({
    apiVersion,
    kind,
    name: String(metadata.name ?? ''),
    namespace,
    metadata,
    spec: item.spec,
    body: item,
    origin: {
      file: '',
      docIndex: -1,
      line: 0,
      column: 0,
      cluster: true,
      ...(remoteCluster !== undefined ? { clusterName: remoteCluster } : {}),
    },
  });
}

/** The identity an overlay replaces by: kind, namespace, name. */
function identity(r: Resource, defaultNamespace: string | undefined): string {
  const ns = CLUSTER_SCOPED.has(r.key) ? '' : (r.namespace ?? defaultNamespace ?? '');
  return `${r.key}\u0000${ns}\u0000${r.name}`;
}

/**
 * Files over the cluster: a file's object replaces the cluster's object of the same kind, namespace and
 * name (what applying the files would leave); cluster objects the files do not name stay.
 * `defaultNamespace` is the namespace files' namespace-less objects get.
 */
export function overlay(
  cluster: readonly Resource[],
  files: readonly Resource[],
  defaultNamespace: string | undefined,
): Resource[] {
  const replaced = new Set(files.map((r) => identity(r, defaultNamespace)));
  return [...cluster.filter((r) => !replaced.has(identity(r, undefined))), ...files];
}

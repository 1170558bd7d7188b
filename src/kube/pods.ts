import { MeshError, usageError } from '../util/errors.js';
import { checkRefNamespace, isDnsSubdomain } from '../util/names.js';
import { text } from '../util/values.js';
import type { ConfigurationOptions } from '@kubernetes/client-node';
import type { KubeApi, KubeClients } from './api.js';
import type { KubeConfigOptions } from './config.js';

/** A reference to a pod as users type it: `<pod>[.<ns>]` or `<kind>/<name>[.<ns>]`. */
export interface PodRef {
  /** Canonical kind (`pod`, `deployment`, …). */
  kind: string;
  name: string;
  namespace?: string;
}

interface KindInfo {
  aliases: string[];
  /** API path of the object (names it in errors). */
  path: (ns: string, name: string) => string;
  /** Reads the object. */
  read: (c: KubeClients, ns: string, name: string, o: ConfigurationOptions) => Promise<any>;
  /** The label selector (LabelSelector or plain map) in the object, if any. */
  selector: (obj: any) => unknown;
}

const apps = (plural: string) => (ns: string, name: string) =>
  `/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/${plural}/${encodeURIComponent(name)}`;
const specSelector = (o: any) => o?.spec?.selector;

const KINDS: Record<string, KindInfo> = {
  deployment: {
    aliases: ['deployments', 'deploy'],
    path: apps('deployments'),
    read: (c, namespace, name, o) => c.apps.readNamespacedDeployment({ name, namespace }, o),
    selector: specSelector,
  },
  statefulset: {
    aliases: ['statefulsets', 'sts'],
    path: apps('statefulsets'),
    read: (c, namespace, name, o) => c.apps.readNamespacedStatefulSet({ name, namespace }, o),
    selector: specSelector,
  },
  daemonset: {
    aliases: ['daemonsets', 'ds'],
    path: apps('daemonsets'),
    read: (c, namespace, name, o) => c.apps.readNamespacedDaemonSet({ name, namespace }, o),
    selector: specSelector,
  },
  replicaset: {
    aliases: ['replicasets', 'rs'],
    path: apps('replicasets'),
    read: (c, namespace, name, o) => c.apps.readNamespacedReplicaSet({ name, namespace }, o),
    selector: specSelector,
  },
  service: {
    aliases: ['services', 'svc'],
    path: (ns, name) => `/api/v1/namespaces/${encodeURIComponent(ns)}/services/${encodeURIComponent(name)}`,
    read: (c, namespace, name, o) => c.core.readNamespacedService({ name, namespace }, o),
    selector: specSelector,
  },
};

function canonicalKind(text: string): string | undefined {
  const k = text.toLowerCase();
  if (k === 'pod' || k === 'pods' || k === 'po') return 'pod';
  for (const [kind, info] of Object.entries(KINDS)) if (kind === k || info.aliases.includes(k)) return kind;
  return undefined;
}

/**
 * Parses `<pod>[.<ns>]` or `<kind>/<name>[.<ns>]`: as in istioctl the namespace is the text after the
 * last dot (of the part after the slash for typed references).
 */
export function parsePodRef(text: string): PodRef {
  let kind = 'pod';
  let rest = text;
  const slash = text.indexOf('/');
  if (slash >= 0) {
    const k = canonicalKind(text.slice(0, slash));
    if (!k)
      throw usageError(
        `unsupported resource type in "${text}"`,
        'use <pod>[.<namespace>] or deployment|statefulset|daemonset|replicaset|service/<name>[.<namespace>]',
      );
    kind = k;
    rest = text.slice(slash + 1);
  }
  const dot = rest.lastIndexOf('.');
  const name = dot >= 0 ? rest.slice(0, dot) : rest;
  const namespace = dot >= 0 ? rest.slice(dot + 1) : undefined;
  if (!name || namespace === '') throw usageError(`invalid pod reference "${text}"`);
  if (!isDnsSubdomain(name))
    throw usageError(
      `invalid name "${name}" in "${text}"`,
      'a name is lower-case letters, digits, "-" and "."; <name>.<namespace> splits at the last dot',
    );
  if (namespace !== undefined) checkRefNamespace(namespace, text);
  return { kind, name, namespace };
}

/** Kubernetes label selector text (`a=b,c in (d,e),!f`) from a LabelSelector or a plain label map. */
export function selectorString(selector: unknown): string {
  if (!selector || typeof selector !== 'object') return '';
  const s = selector as Record<string, any>;
  const isLabelSelector = 'matchLabels' in s || 'matchExpressions' in s;
  const labels: Record<string, unknown> = isLabelSelector ? (s.matchLabels ?? {}) : s;
  const parts = Object.entries(labels).map(([k, v]) => `${k}=${text(v)}`);
  for (const e of isLabelSelector && Array.isArray(s.matchExpressions) ? s.matchExpressions : []) {
    const values = Array.isArray(e?.values) ? e.values.join(',') : '';
    if (e?.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e?.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e?.operator === 'Exists') parts.push(String(e.key));
    else if (e?.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

/** A pod in phase Running. */
export const isRunning = (pod: any): boolean => pod?.status?.phase === 'Running';

const isReady = (pod: any) =>
  (pod?.status?.conditions ?? []).some((c: any) => c?.type === 'Ready' && c?.status === 'True');

/**
 * Orders pods the way `kubectl logs deployment/x` picks one: running before others, ready before
 * unready, then the oldest, then by name.
 */
export function comparePodsForPick(a: any, b: any): number {
  const running = (p: any) => (isRunning(p) ? 0 : 1);
  const ready = (p: any) => (isReady(p) ? 0 : 1);
  // typed objects hold a Date, JSON an RFC 3339 string: both compare as ISO text
  const created = (p: any) => {
    const t = p?.metadata?.creationTimestamp;
    return t instanceof Date ? t.toISOString() : String(t ?? '');
  };
  return (
    running(a) - running(b) ||
    ready(a) - ready(b) ||
    created(a).localeCompare(created(b)) ||
    String(a?.metadata?.name).localeCompare(String(b?.metadata?.name))
  );
}

export const podLabel = (pod: any) => `${pod?.metadata?.name}.${pod?.metadata?.namespace}`;

export function podPath(ns: string, name: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(name)}`;
}

/** Fetches the pod a reference names (for typed references: the first running pod of the selector). */
export async function resolvePod(api: KubeApi, ref: PodRef, defaultNamespace: string): Promise<any> {
  const ns = ref.namespace ?? defaultNamespace;
  if (ref.kind === 'pod')
    return api.call(`GET ${podPath(ns, ref.name)}`, (c, o) =>
      c.core.readNamespacedPod({ name: ref.name, namespace: ns }, o),
    );
  const info = KINDS[ref.kind]!;
  const owner = await api.call(`GET ${info.path(ns, ref.name)}`, (c, o) => info.read(c, ns, ref.name, o));
  const selector = selectorString(info.selector(owner));
  if (!selector) throw new MeshError(`"${ref.kind}/${ref.name}" does not refer to a pod`);
  const pods = (await listPods(api, ns, selector)).sort(comparePodsForPick);
  const pod = pods[0];
  if (!pod || !isRunning(pod))
    throw new MeshError(`no running pod found for ${ref.kind}/${ref.name} in namespace ${ns}`, {
      hint: `selector: ${selector}`,
    });
  return pod;
}

/** The istio-proxy container: a regular container, or a native sidecar (init container). */
export function hasIstioProxy(pod: any): boolean {
  const named = (list: unknown) => Array.isArray(list) && list.some((c: any) => c?.name === 'istio-proxy');
  return named(pod?.spec?.containers) || named(pod?.spec?.initContainers);
}

/** Throws the clear error for a pod that cannot serve an Envoy admin API (not running, no proxy). */
export function assertProxyPod(pod: any): void {
  if (!hasIstioProxy(pod))
    throw new MeshError(`pod ${podLabel(pod)} has no istio-proxy container`, {
      hint: 'it is not part of the mesh (sidecar not injected); pick a pod with a sidecar or a gateway pod',
    });
  if (!isRunning(pod))
    throw new MeshError(`pod ${podLabel(pod)} is not running (phase ${pod?.status?.phase ?? 'unknown'})`);
}

/** The pods of a namespace (all namespaces when undefined), only those a label selector matches if given. */
export async function listPods(
  api: KubeApi,
  namespace: string | undefined,
  selector?: string,
): Promise<any[]> {
  const path =
    namespace === undefined ? '/api/v1/pods' : `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`;
  const labelSelector = selector || undefined;
  const list = await api.call(`GET ${path}`, (c, o) =>
    namespace === undefined
      ? c.core.listPodForAllNamespaces({ labelSelector }, o)
      : c.core.listNamespacedPod({ namespace, labelSelector }, o),
  );
  return [...list.items];
}

/** Pods with an istio-proxy container in one namespace, or in all (`namespace` undefined). */
export async function listProxyPods(api: KubeApi, namespace: string | undefined): Promise<any[]> {
  return (await listPods(api, namespace)).filter(hasIstioProxy);
}

/** Running pods with an istio-proxy container that a label selector matches in one namespace. */
export async function selectRunningProxyPods(
  api: KubeApi,
  namespace: string,
  selector: string,
): Promise<any[]> {
  return (await listPods(api, namespace, selector)).filter((p) => hasIstioProxy(p) && isRunning(p));
}

/**
 * The names of the pods with a proxy in the namespace of `opts` or of the kubeconfig context, for shell
 * completion: none on any failure.
 */
export async function proxyPodNames(opts: KubeConfigOptions, timeoutMs: number): Promise<string[]> {
  try {
    const { loadKubeContext } = await import('./config.js');
    const { KubeApi } = await import('./api.js');
    const kube = loadKubeContext(opts);
    const pods = await listProxyPods(new KubeApi(kube, timeoutMs), kube.namespace);
    return pods.map((p) => p.metadata?.name).filter((n): n is string => Boolean(n));
  } catch {
    // A completion that cannot reach the cluster offers no pod names; it never prints an error.
    return [];
  }
}

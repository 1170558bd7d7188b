// Pods shaped like sidecar-injected workloads (an `istio-proxy` container, Istio's labels and
// annotations), run by kwok on the testbed's node, whose proxy ports are forwarded by kwok to servers
// on 127.0.0.1 that the test chooses (a stand-in Envoy admin server for 15000, typically). Everything
// a command does to reach them goes through the real API server: list/get pods, then
// `pods/portforward`, which the API server relays to kwok's kubelet API.
import { CustomObjectsApi, type V1Pod } from '@kubernetes/client-node';
import type { Clients } from './kube.js';
import { eventually } from './kube.js';
import { KWOK_GROUP, KWOK_NODE } from './kwok.js';

const LOOPBACK = '127.0.0.1';
export const PROXY_IMAGE = 'docker.io/istio/proxyv2:1.31-dev';

export interface SidecarPodSpec {
  name: string;
  /** Pod port → port on 127.0.0.1 it forwards to (e.g. `{ 15000: admin.port }`). Unlisted ports refuse. */
  forwards: Record<number, number>;
  /** `app` label (default: the pod name without a trailing `-<n>`). */
  app?: string;
  labels?: Record<string, string>;
  /** Leave the pod unscheduled: a nodeSelector no node matches keeps it Pending. */
  pending?: boolean;
}

export interface SidecarPodsOptions {
  /** Create the namespace first (default true). */
  createNamespace?: boolean;
  timeoutMs?: number;
}

/** Port number of a stand-in server's URL (`http://127.0.0.1:<port>`). */
export const portOf = (url: string): number => Number(new URL(url).port);

function sidecarPod(namespace: string, spec: SidecarPodSpec): V1Pod {
  const app = spec.app ?? spec.name.replace(/-\d+$/, '');
  return {
    metadata: {
      name: spec.name,
      namespace,
      labels: {
        app,
        version: 'v1',
        'security.istio.io/tlsMode': 'istio',
        'service.istio.io/canonical-name': app,
        'service.istio.io/canonical-revision': 'v1',
        ...spec.labels,
      },
      annotations: {
        'istio.io/rev': 'default',
        'kubectl.kubernetes.io/default-container': app,
        'kubectl.kubernetes.io/default-logs-container': app,
        'prometheus.io/path': '/stats/prometheus',
        'prometheus.io/port': '15020',
        'prometheus.io/scrape': 'true',
        'sidecar.istio.io/status': JSON.stringify({
          initContainers: ['istio-init'],
          containers: ['istio-proxy'],
          volumes: ['workload-socket', 'credential-socket', 'istio-envoy', 'istio-data', 'istio-podinfo'],
          imagePullSecrets: null,
          revision: 'default',
        }),
      },
    },
    spec: {
      ...(spec.pending ? { nodeSelector: { 'mesh-e2e/no-such-node': 'true' } } : { nodeName: KWOK_NODE }),
      serviceAccountName: 'default',
      automountServiceAccountToken: false,
      initContainers: [
        {
          name: 'istio-init',
          image: PROXY_IMAGE,
          args: ['istio-iptables', '-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT'],
        },
      ],
      containers: [
        { name: app, image: `registry.invalid/${app}:1`, ports: [{ containerPort: 8080, name: 'http' }] },
        {
          name: 'istio-proxy',
          image: PROXY_IMAGE,
          args: ['proxy', 'sidecar', '--domain', `${namespace}.svc.cluster.local`],
          ports: [{ containerPort: 15090, name: 'http-envoy-prom', protocol: 'TCP' }],
          readinessProbe: { httpGet: { path: '/healthz/ready', port: 15021 }, periodSeconds: 15 },
        },
      ],
    },
  };
}

/** kwok's PortForward for a pod: same name and namespace as the pod, one forward per port. */
function portForward(namespace: string, spec: SidecarPodSpec, resourceVersion?: string): object {
  return {
    apiVersion: `${KWOK_GROUP}/v1alpha1`,
    kind: 'PortForward',
    metadata: { name: spec.name, namespace, resourceVersion },
    spec: {
      forwards: Object.entries(spec.forwards).map(([podPort, target]) => ({
        ports: [Number(podPort)],
        target: { address: LOOPBACK, port: target },
      })),
    },
  };
}

// The generic object client of client-node drops the fields of kinds it has no model for, so kwok's
// resources go through the custom-objects API.
const portForwards = (c: Clients, namespace: string) => {
  const api = c.kc.makeApiClient(CustomObjectsApi);
  const at = { group: KWOK_GROUP, version: 'v1alpha1', namespace, plural: 'portforwards' };
  return {
    create: (spec: SidecarPodSpec) =>
      api.createNamespacedCustomObject({ ...at, body: portForward(namespace, spec) }),
    replace: async (spec: SidecarPodSpec) => {
      const current: any = await api.getNamespacedCustomObject({ ...at, name: spec.name });
      const body = portForward(namespace, spec, current.metadata.resourceVersion);
      await api.replaceNamespacedCustomObject({ ...at, name: spec.name, body });
    },
  };
};

const isRunningReady = (pod: V1Pod): boolean =>
  pod.status?.phase === 'Running' &&
  (pod.status.conditions ?? []).some((x) => x.type === 'Ready' && x.status === 'True');

/**
 * Creates the pods (and their PortForwards, first) and waits until kwok runs every scheduled one;
 * `pending` pods are only created. Returns the pods as the API server then has them.
 */
export async function createSidecarPods(
  c: Clients,
  namespace: string,
  specs: SidecarPodSpec[],
  opts: SidecarPodsOptions = {},
): Promise<V1Pod[]> {
  if (opts.createNamespace ?? true) await c.core.createNamespace({ body: { metadata: { name: namespace } } });
  const forwards = portForwards(c, namespace);
  await inBatches(specs, forwards.create);
  await inBatches(specs, (s) => c.core.createNamespacedPod({ namespace, body: sidecarPod(namespace, s) }));
  const wanted = new Set(specs.filter((s) => !s.pending).map((s) => s.name));
  return eventually(
    `${wanted.size} pods Running in ${namespace}`,
    async () => {
      const pods = (await c.core.listNamespacedPod({ namespace })).items;
      const running = pods.filter((p) => wanted.has(p.metadata!.name!) && isRunningReady(p));
      return running.length === wanted.size ? pods : undefined;
    },
    opts.timeoutMs ?? 60_000,
  );
}

/** Points a pod's ports elsewhere (kwok reads PortForwards as they change). */
export function setForwards(c: Clients, namespace: string, spec: SidecarPodSpec): Promise<void> {
  return portForwards(c, namespace).replace(spec);
}

/** Runs `fn` over `items`, at most 20 requests in flight (500 pods would otherwise hit the server at once). */
async function inBatches<T>(items: T[], fn: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += 20) await Promise.all(items.slice(i, i + 20).map(fn));
}

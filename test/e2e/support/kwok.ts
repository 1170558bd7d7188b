// What kwok needs to stand in for kubelets: its configuration (options and the Stages that move nodes
// and pods through their lifecycle, written for this testbed), the CustomResourceDefinitions of its
// PortForward and ClusterPortForward resources (so tests can point a pod's port at a local server
// while kwok runs), a serving certificate the API server verifies, and the Node objects it manages.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { writeLoopbackServingCert } from '../../support/certs.js';
import {
  ApiextensionsV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import type { Clients } from './kube.js';
import { eventually } from './kube.js';

/** kwok manages the nodes with this annotation (`--manage-nodes-with-annotation-selector`). */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';
export const KWOK_NODE_ANNOTATION_VALUE = 'fake';
/** The node the testbed registers; pods bound to it are run by kwok. */
export const KWOK_NODE = 'kwok-node-0';
export const KWOK_GROUP = 'kwok.x-k8s.io';

/**
 * A self-signed serving certificate for 127.0.0.1 (EC P-256, one day): kwok serves the kubelet API
 * with it and the API server verifies it (`--kubelet-certificate-authority`), as with a real kubelet.
 */
export function writeKubeletServingCert(dir: string): { certFile: string; keyFile: string } {
  return writeLoopbackServingCert(dir, 'kwok-serving', 'kwok-kubelet');
}

const jq = (key: string, operator: 'Exists' | 'DoesNotExist' | 'In', values?: string[]) => ({
  jq: { key, operator, ...(values ? { values } : {}) },
});

// Node: once, as a kubelet does when it registers, report Ready, the kubelet endpoint kwok serves
// (InternalIP + port, what the API server dials for port-forward) and room for many pods.
const NODE_STATUS = `phase: Running
addresses:
- type: InternalIP
  address: {{ NodeIP | Quote }}
- type: Hostname
  address: {{ .metadata.name | Quote }}
daemonEndpoints:
  kubeletEndpoint:
    Port: {{ NodePort }}
capacity: {{ $room := dict "cpu" "64" "memory" "256Gi" "pods" "2000" }}{{ toJson $room }}
allocatable: {{ toJson $room }}
nodeInfo:
  architecture: amd64
  operatingSystem: linux
  kubeletVersion: kwok-{{ Version }}
  kubeProxyVersion: ""
  osImage: kwok
  kernelVersion: kwok
  containerRuntimeVersion: kwok
  machineID: ""
  systemUUID: ""
  bootID: ""
conditions:
{{- range $type, $status := dict "Ready" "True" "MemoryPressure" "False" "DiskPressure" "False" "PIDPressure" "False" }}
- type: {{ $type }}
  status: {{ $status | Quote }}
  reason: mesh-testbed
  lastHeartbeatTime: {{ Now | Quote }}
  lastTransitionTime: {{ Now | Quote }}
{{- end }}
`;

const containerStatus = (ready: string) => `
  - name: {{ .name | Quote }}
    image: {{ .image | Quote }}
    imageID: {{ printf "kwok://%s" .image | Quote }}
    containerID: {{ printf "kwok://%s" .name | Quote }}
    ready: ${ready}
    started: true
    restartCount: 0
    state:
      running:
        startedAt: {{ $now | Quote }}`;

// Pod, bound to a kwok node and not yet started: what a kubelet reports once every container runs
// (Running, Ready, a pod IP from kwok's range, the node's address as host IP). Init containers that
// are native sidecars (restartPolicy Always) run beside the others; other init containers completed.
const POD_STATUS = `{{- $now := Now }}
phase: Running
hostIP: {{ NodeIPWith .spec.nodeName | Quote }}
hostIPs:
- ip: {{ NodeIPWith .spec.nodeName | Quote }}
{{- $ip := PodIPWith .spec.nodeName (or .spec.hostNetwork false) .metadata.uid .metadata.name .metadata.namespace }}
podIP: {{ $ip | Quote }}
podIPs:
- ip: {{ $ip | Quote }}
startTime: {{ $now | Quote }}
conditions:
{{- range list "PodScheduled" "Initialized" "PodReadyToStartContainers" "ContainersReady" "Ready" }}
- type: {{ . }}
  status: "True"
  lastTransitionTime: {{ $now | Quote }}
{{- end }}
containerStatuses:
{{- range .spec.containers }}${containerStatus('true')}
{{- end }}
{{- with .spec.initContainers }}
initContainerStatuses:
{{- range . }}
{{- if eq (or .restartPolicy "") "Always" }}${containerStatus('true')}
{{- else }}
  - name: {{ .name | Quote }}
    image: {{ .image | Quote }}
    imageID: {{ printf "kwok://%s" .image | Quote }}
    containerID: {{ printf "kwok://%s" .name | Quote }}
    ready: true
    restartCount: 0
    state:
      terminated:
        exitCode: 0
        reason: Completed
        startedAt: {{ $now | Quote }}
        finishedAt: {{ $now | Quote }}
{{- end }}
{{- end }}
{{- end }}
`;

/** The Stages: each matches a state by jq selectors and moves the object on. */
function stages(): object[] {
  const stage = (name: string, kind: string, selector: object[], steps: object[]) => ({
    apiVersion: `${KWOK_GROUP}/v1alpha1`,
    kind: 'Stage',
    metadata: { name },
    spec: { resourceRef: { apiGroup: 'v1', kind }, selector: { matchExpressions: selector }, steps },
  });
  return [
    stage(
      'mesh-node-register',
      'Node',
      // kwok matches against the typed object, where a new node's nodeInfo fields are empty strings.
      [jq('.status.nodeInfo.kubeletVersion', 'In', [''])],
      [{ patch: { subresource: 'status', root: 'status', template: NODE_STATUS } }],
    ),
    stage(
      'mesh-pod-run',
      'Pod',
      [
        jq('.metadata.deletionTimestamp', 'DoesNotExist'),
        jq('.spec.nodeName', 'Exists'),
        jq('.status.podIP', 'DoesNotExist'),
      ],
      [{ patch: { subresource: 'status', root: 'status', template: POD_STATUS } }],
    ),
    // The API server only marks a bound pod for deletion; its kubelet confirms once the containers
    // stopped. Here they stop at once.
    stage(
      'mesh-pod-delete',
      'Pod',
      [jq('.metadata.deletionTimestamp', 'Exists')],
      [{ finalizers: { empty: true } }, { delete: true }],
    ),
  ];
}

/** kwok's `--config` file: options, the Stages, and PortForward resources read from the API server. */
export function writeKwokConfig(dir: string): string {
  const file = join(dir, 'kwok.yaml');
  const config = {
    apiVersion: `config.${KWOK_GROUP}/v1alpha1`,
    kind: 'KwokConfiguration',
    metadata: { name: 'mesh-testbed' },
    options: {
      // kwok's workers that apply Stages; with none, nothing ever moves.
      podPlayStageParallelism: 8,
      nodePlayStageParallelism: 2,
      enableCRDs: ['PortForward', 'ClusterPortForward'],
      // The kubelet API's port-forward (and exec, logs) handlers; off by default.
      enableDebuggingHandlers: true,
    },
  };
  // Literal block scalars and no folding: kwok reads the templates exactly as written here.
  const yaml = (d: object) => stringify(d, { blockQuote: 'literal', lineWidth: 0 });
  writeFileSync(file, [config, ...stages()].map(yaml).join('---\n'));
  return file;
}

function crd(kind: string, plural: string, scope: 'Namespaced' | 'Cluster'): V1CustomResourceDefinition {
  // client-node's model names (x_kubernetes_preserve_unknown_fields), which it serializes to the API's.
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${KWOK_GROUP}` },
    spec: {
      group: KWOK_GROUP,
      scope,
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: { type: 'object', x_kubernetes_preserve_unknown_fields: true },
                status: { type: 'object', x_kubernetes_preserve_unknown_fields: true },
              },
            },
          },
        },
      ],
    },
  };
}

/** The CRDs of the kwok resources the testbed uses (only the fields kwok reads; no validation). */
export const KWOK_CRDS: V1CustomResourceDefinition[] = [
  crd('PortForward', 'portforwards', 'Namespaced'),
  crd('ClusterPortForward', 'clusterportforwards', 'Cluster'),
];

/** Creates the CRDs and waits until the API server serves every one (Established). */
export async function establishCrds(c: Clients, crds: V1CustomResourceDefinition[]): Promise<void> {
  const api = c.kc.makeApiClient(ApiextensionsV1Api);
  for (const body of crds) await api.createCustomResourceDefinition({ body }).catch(ignoreConflict);
  await eventually('kwok CRDs established', async () => {
    for (const crd of crds) {
      const cur = await api.readCustomResourceDefinition({ name: crd.metadata!.name! });
      if (!cur.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True'))
        return undefined;
    }
    return true;
  });
}

function ignoreConflict(err: unknown): void {
  if ((err as { code?: number }).code !== 409) throw err;
}

/**
 * Registers a node for kwok and waits until kwok reports it Ready. The API server gives every new
 * node the `node.kubernetes.io/not-ready:NoSchedule` taint; the controller-manager's node-lifecycle
 * controller would lift it once the node is Ready, and this does the same (that controller is off in
 * the testbed), so the scheduler places pods on the node.
 */
export async function registerKwokNode(c: Clients, name: string, timeoutMs: number): Promise<void> {
  await c.core
    .createNode({
      body: {
        metadata: {
          name,
          annotations: { [KWOK_NODE_ANNOTATION]: KWOK_NODE_ANNOTATION_VALUE },
          labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', type: 'kwok' },
        },
      },
    })
    .catch(ignoreConflict);
  await eventually(
    `node ${name} Ready`,
    async () => {
      const node = await c.core.readNode({ name });
      return node.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') || undefined;
    },
    timeoutMs,
  );
  const node = await c.core.readNode({ name });
  const taints = (node.spec?.taints ?? []).filter((t) => t.key !== 'node.kubernetes.io/not-ready');
  if (taints.length !== (node.spec?.taints ?? []).length) {
    await c.core.patchNode(
      { name, body: [{ op: 'replace', path: '/spec/taints', value: taints }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
  }
}

// No kubelet (and by default no kube-controller-manager) runs in the testbed, so these helpers make a
// workload look ready the way envtest users do: create the ReplicaSet and Pods a controller would own,
// then write their status subresources. Pod and host IPs are loopback; nothing ever dials them.
import type { V1Deployment, V1Pod, V1ReplicaSet, V1DaemonSet } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import type { Clients } from './kube.js';

const LOOPBACK = '127.0.0.1';
/** Fake node the helper's pods claim to run on; only a name, no Node object is needed. */
export const FAKE_NODE = 'mesh-e2e-node';

function templateHash(deployment: V1Deployment): string {
  return createHash('sha256').update(JSON.stringify(deployment.spec?.template)).digest('hex').slice(0, 10);
}

function owner(kind: string, obj: { metadata?: { name?: string; uid?: string } }, apiVersion = 'apps/v1') {
  return { apiVersion, kind, name: obj.metadata!.name!, uid: obj.metadata!.uid!, controller: true };
}

export interface ReadyWorkload {
  deployment: V1Deployment;
  replicaSet: V1ReplicaSet;
  pods: V1Pod[];
}

/**
 * Creates the owned ReplicaSet and `spec.replicas` Pods of a Deployment, marks the Pods Running and
 * Ready on 127.0.0.1 and writes ReplicaSet and Deployment status as the controllers would.
 */
export async function makeDeploymentReady(
  c: Clients,
  namespace: string,
  name: string,
): Promise<ReadyWorkload> {
  const deployment = await c.apps.readNamespacedDeployment({ name, namespace });
  const replicas = deployment.spec?.replicas ?? 1;
  const hash = templateHash(deployment);
  const template = deployment.spec!.template;
  const labels = { ...template.metadata?.labels, 'pod-template-hash': hash };

  const replicaSet = await c.apps.createNamespacedReplicaSet({
    namespace,
    body: {
      metadata: {
        name: `${name}-${hash}`,
        labels,
        annotations: { 'deployment.kubernetes.io/revision': '1' },
        ownerReferences: [owner('Deployment', deployment)],
      },
      spec: {
        replicas,
        selector: {
          ...deployment.spec!.selector,
          matchLabels: { ...deployment.spec!.selector.matchLabels, 'pod-template-hash': hash },
        },
        template: { ...template, metadata: { ...template.metadata, labels } },
      },
    },
  });

  const pods: V1Pod[] = [];
  for (let i = 0; i < replicas; i++) {
    const pod = await c.core.createNamespacedPod({
      namespace,
      body: {
        metadata: {
          name: `${replicaSet.metadata!.name}-${i}`,
          labels,
          annotations: template.metadata?.annotations,
          ownerReferences: [owner('ReplicaSet', replicaSet)],
        },
        spec: { ...template.spec!, nodeName: FAKE_NODE },
      },
    });
    pods.push(await markPodReady(c, pod));
  }

  const rsStatus = await c.apps.readNamespacedReplicaSetStatus({
    name: replicaSet.metadata!.name!,
    namespace,
  });
  rsStatus.status = {
    replicas,
    fullyLabeledReplicas: replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
    observedGeneration: rsStatus.metadata!.generation,
  };
  const readyRs = await c.apps.replaceNamespacedReplicaSetStatus({
    name: replicaSet.metadata!.name!,
    namespace,
    body: rsStatus,
  });

  const now = new Date();
  const current = await c.apps.readNamespacedDeploymentStatus({ name, namespace });
  current.status = {
    observedGeneration: current.metadata!.generation,
    replicas,
    updatedReplicas: replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
    conditions: [
      condition('Available', 'MinimumReplicasAvailable', now),
      condition('Progressing', 'NewReplicaSetAvailable', now),
    ],
  };
  const readyDeployment = await c.apps.replaceNamespacedDeploymentStatus({ name, namespace, body: current });
  return { deployment: readyDeployment, replicaSet: readyRs, pods };
}

/** Writes DaemonSet status as if one fake node ran a ready pod. */
export async function makeDaemonSetReady(c: Clients, namespace: string, name: string): Promise<V1DaemonSet> {
  const ds = await c.apps.readNamespacedDaemonSetStatus({ name, namespace });
  ds.status = {
    observedGeneration: ds.metadata!.generation,
    desiredNumberScheduled: 1,
    currentNumberScheduled: 1,
    updatedNumberScheduled: 1,
    numberReady: 1,
    numberAvailable: 1,
    numberMisscheduled: 0,
  };
  return c.apps.replaceNamespacedDaemonSetStatus({ name, namespace, body: ds });
}

/** Marks a pod Running with every container ready, on 127.0.0.1. */
export async function markPodReady(c: Clients, pod: V1Pod): Promise<V1Pod> {
  const now = new Date();
  const { name, namespace } = pod.metadata as { name: string; namespace: string };
  const current = await c.core.readNamespacedPodStatus({ name, namespace });
  current.status = {
    phase: 'Running',
    hostIP: LOOPBACK,
    hostIPs: [{ ip: LOOPBACK }],
    podIP: LOOPBACK,
    podIPs: [{ ip: LOOPBACK }],
    startTime: now,
    conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({
      type,
      status: 'True',
      lastTransitionTime: now,
    })),
    containerStatuses: (pod.spec?.containers ?? []).map((container) => ({
      name: container.name,
      image: container.image ?? '',
      imageID: '',
      ready: true,
      started: true,
      restartCount: 0,
      state: { running: { startedAt: now } },
    })),
  };
  return c.core.replaceNamespacedPodStatus({ name, namespace, body: current });
}

function condition(type: string, reason: string, at: Date) {
  return { type, status: 'True', reason, lastTransitionTime: at, lastUpdateTime: at };
}

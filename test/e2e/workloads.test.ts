// The readiness helpers must produce what controllers and kubelets would: a Deployment whose status
// says Available, owned ReplicaSet and Pods, pods Ready on loopback, as the real API server stores them.
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { clientsFor, uniqueName } from './support/kube.js';
import { makeDaemonSetReady, makeDeploymentReady } from './support/workloads.js';

const testbed = inject('testbed');
const c = clientsFor(testbed.kubeconfig);
const namespace = uniqueName('workloads');
const labels = { app: 'echo' };
const podSpec = { containers: [{ name: 'echo', image: 'registry.invalid/echo:1' }] };

describe('readiness helpers', () => {
  beforeAll(async () => {
    await c.core.createNamespace({ body: { metadata: { name: namespace } } });
  });

  it('makes a Deployment Available with an owned ReplicaSet and Ready pods on 127.0.0.1', async () => {
    await c.apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'echo' },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: podSpec },
        },
      },
    });
    await makeDeploymentReady(c, namespace, 'echo');

    const deployment = await c.apps.readNamespacedDeployment({ name: 'echo', namespace });
    expect(deployment.status).toMatchObject({ readyReplicas: 2, availableReplicas: 2, updatedReplicas: 2 });
    expect(deployment.status?.observedGeneration).toBe(deployment.metadata?.generation);
    expect(deployment.status?.conditions?.find((cond) => cond.type === 'Available')?.status).toBe('True');

    const replicaSets = (await c.apps.listNamespacedReplicaSet({ namespace })).items;
    expect(replicaSets).toHaveLength(1);
    expect(replicaSets[0]!.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'Deployment',
      name: 'echo',
    });
    expect(replicaSets[0]!.status?.readyReplicas).toBe(2);

    const pods = (await c.core.listNamespacedPod({ namespace, labelSelector: 'app=echo' })).items;
    expect(pods).toHaveLength(2);
    for (const pod of pods) {
      expect(pod.status?.phase).toBe('Running');
      expect(pod.status?.podIP).toBe('127.0.0.1');
      expect(pod.status?.conditions?.find((cond) => cond.type === 'Ready')?.status).toBe('True');
      expect(pod.metadata?.ownerReferences?.[0]?.name).toBe(replicaSets[0]!.metadata?.name);
    }
  });

  it('makes a DaemonSet report one ready pod', async () => {
    await c.apps.createNamespacedDaemonSet({
      namespace,
      body: {
        metadata: { name: 'node-agent' },
        spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec } },
      },
    });
    await makeDaemonSetReady(c, namespace, 'node-agent');
    const ds = await c.apps.readNamespacedDaemonSet({ name: 'node-agent', namespace });
    expect(ds.status).toMatchObject({ desiredNumberScheduled: 1, numberReady: 1, numberAvailable: 1 });
  });
});

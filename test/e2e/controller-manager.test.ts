// With kube-controller-manager running beside the API server, controllers do the work the readiness
// helpers otherwise fake: ServiceAccounts, Deployment → ReplicaSet → Pod, garbage collection and
// namespace deletion; with kube-scheduler and kwok too, the pods are bound to a node and run, so a
// Deployment becomes Available as in a real cluster. This file starts its own testbed, since the
// shared one runs no controllers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientsFor, eventually, uniqueName, type Clients } from './support/kube.js';
import { listeningSockets } from './support/sockets.js';
import { startTestbed, type Testbed } from './support/testbed.js';

let testbed: Testbed;
let c: Clients;
const namespace = uniqueName('kcm');
const labels = { app: 'web' };

describe('kube-controller-manager', () => {
  beforeAll(async () => {
    testbed = await startTestbed({ controllerManager: true, nodes: true });
    c = clientsFor(testbed.kubeconfig);
    await c.core.createNamespace({ body: { metadata: { name: namespace } } });
  });
  afterAll(() => testbed?.stop());

  it('runs on loopback only', () => {
    const listeners = listeningSockets(Object.values(testbed.pids));
    expect(listeners.length).toBeGreaterThan(0);
    expect(listeners.filter((l) => l.address !== '127.0.0.1')).toEqual([]);
  });

  it('creates the default ServiceAccount in a new namespace', async () => {
    const sa = await eventually('the default ServiceAccount', () =>
      c.core.readNamespacedServiceAccount({ name: 'default', namespace }).catch(() => undefined),
    );
    expect(sa.metadata?.namespace).toBe(namespace);
  });

  it('rolls a Deployment out into a ReplicaSet and Pods, and collects them after the Deployment is deleted', async () => {
    await c.apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: 'web', image: 'registry.invalid/web:1' }] },
          },
        },
      },
    });
    const pods = await eventually('two pods from the deployment', async () => {
      const items = (await c.core.listNamespacedPod({ namespace, labelSelector: 'app=web' })).items;
      return items.length === 2 ? items : undefined;
    });
    const rsName = pods[0]!.metadata?.ownerReferences?.[0]?.name;
    expect(rsName).toMatch(/^web-/);
    const rs = await c.apps.readNamespacedReplicaSet({ name: rsName!, namespace });
    expect(rs.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', name: 'web' });

    await c.apps.deleteNamespacedDeployment({ name: 'web', namespace, propagationPolicy: 'Background' });
    await eventually('the garbage collector to delete the ReplicaSet', async () =>
      (await c.apps.listNamespacedReplicaSet({ namespace })).items.length === 0 ? true : undefined,
    );
  });

  it("schedules a Deployment's pods to the kwok node, runs them and reports the Deployment Available", async () => {
    const api = { app: 'api' };
    await c.apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'api' },
        spec: {
          replicas: 2,
          selector: { matchLabels: api },
          template: {
            metadata: { labels: api },
            spec: { containers: [{ name: 'api', image: 'registry.invalid/api:1' }] },
          },
        },
      },
    });
    const deployment = await eventually(
      'the Deployment to be Available with 2 ready replicas',
      async () => {
        const d = await c.apps.readNamespacedDeployment({ name: 'api', namespace });
        const available = d.status?.conditions?.some((x) => x.type === 'Available' && x.status === 'True');
        return available && d.status?.readyReplicas === 2 ? d : undefined;
      },
      60_000,
    );
    expect(deployment.status?.availableReplicas).toBe(2);
    const pods = (await c.core.listNamespacedPod({ namespace, labelSelector: 'app=api' })).items;
    expect(pods.map((p) => [p.spec?.nodeName, p.status?.phase, p.status?.hostIP])).toEqual([
      [testbed.node, 'Running', '127.0.0.1'],
      [testbed.node, 'Running', '127.0.0.1'],
    ]);
    // Bound by kube-scheduler (an event says so), not by this test.
    const events = (await c.core.listNamespacedEvent({ namespace })).items;
    expect(
      events.some((e) => e.reason === 'Scheduled' && e.involvedObject.name === pods[0]!.metadata?.name),
    ).toBe(true);
  });

  it('finishes deleting a namespace and its contents', async () => {
    await c.core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'settings' }, data: { a: 'b' } },
    });
    await c.core.deleteNamespace({ name: namespace });
    await eventually(
      'the namespace to disappear',
      async () =>
        (await c.core.listNamespace()).items.some((ns) => ns.metadata?.name === namespace) ? undefined : true,
      60_000,
    );
  });
});

// With kube-controller-manager running beside the API server, controllers do the work the readiness
// helpers otherwise fake: ServiceAccounts, Deployment → ReplicaSet → Pod, garbage collection and
// namespace deletion. This file starts its own testbed, since the shared one runs no controllers.
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
    testbed = await startTestbed({ controllerManager: true });
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

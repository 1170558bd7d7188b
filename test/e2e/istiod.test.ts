// The real control plane: istiod (pilot-discovery) against the testbed's API server, on loopback only.
// It is what proxy-status and install tests talk to; this file checks the pieces they rely on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientsFor, eventually, uniqueName, type Clients } from './support/kube.js';
import { listeningSockets } from './support/sockets.js';
import { ISTIO_NAMESPACE, startTestbed, type Testbed } from './support/testbed.js';

let testbed: Testbed;
let c: Clients;

describe('istiod', () => {
  beforeAll(async () => {
    testbed = await startTestbed({ istiod: true });
    c = clientsFor(testbed.kubeconfig);
  });
  afterAll(() => testbed?.stop());

  it('listens on loopback only', () => {
    const listeners = listeningSockets([testbed.pids.istiod!]);
    expect(listeners.map((l) => `${l.address}:${l.port}`)).toContain(testbed.istiod!.grpcAddress);
    expect(listeners.filter((l) => l.address !== '127.0.0.1')).toEqual([]);
  });

  it('reports its sync state on the debug endpoint proxy-status reads (no proxies connected)', async () => {
    const res = await fetch(`${testbed.istiod!.httpUrl}/debug/syncz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([]);
  });

  it('creates its self-signed CA and publishes the root certificate into namespaces', async () => {
    const ca = await c.core.readNamespacedSecret({ name: 'istio-ca-secret', namespace: ISTIO_NAMESPACE });
    expect(Object.keys(ca.data ?? {})).toEqual(expect.arrayContaining(['ca-cert.pem', 'ca-key.pem']));

    const namespace = uniqueName('app');
    await c.core.createNamespace({ body: { metadata: { name: namespace } } });
    const root = await eventually('istio-ca-root-cert in a new namespace', () =>
      c.core.readNamespacedConfigMap({ name: 'istio-ca-root-cert', namespace }).catch(() => undefined),
    );
    expect(root.data?.['root-cert.pem']).toContain('BEGIN CERTIFICATE');
  });
});

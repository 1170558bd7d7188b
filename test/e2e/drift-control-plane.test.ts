// mesh drift --control-plane against two real istiod replicas sharing the testbed's API server, as
// users run it: istiod pods found in istio-system, a port-forward through the real API server to each
// pod's 15012 (kwok relays it to that replica's TLS port), TLS plus a TokenRequest token, istiod's
// default authentication (istiod-b, whose API server connection the test cuts, checks no tokens: it
// could not review them). The proxy is a real xDS client (@grpc/grpc-js-xds) connected to both
// replicas under one node id, so each replica has config for it.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { clientsFor, eventually } from './support/kube.js';
import { createSidecarPods } from './support/sidecars.js';
import { startTestbed, type Testbed } from './support/testbed.js';
import { createCatalogService, startXdsProxy, type XdsProxy } from './support/xds-proxies.js';

let testbed: Testbed;
let dir: string;
const proxies: XdsProxy[] = [];
const port = (address: string) => Number(address.split(':')[1]);
const TARGET = 'xds:///catalog.shop.svc.cluster.local:8080';

describe('mesh drift --control-plane against two real istiod replicas', () => {
  beforeAll(async () => {
    testbed = await startTestbed({
      istiod: true,
      nodes: true,
      istiodReplicas: [
        {
          podName: 'istiod-b',
          env: { XDS_AUTH: 'false', ENABLE_DEBUG_ENDPOINT_AUTH: 'false' },
          apiServerRelay: true,
        },
      ],
    });
    const c = clientsFor(testbed.kubeconfig);
    await c.core
      .createNamespacedServiceAccount({ namespace: 'istio-system', body: { metadata: { name: 'default' } } })
      .catch(() => undefined); // present when a controller made it
    await c.core.createNamespace({ body: { metadata: { name: 'shop' } } });
    await createCatalogService(c);
    dir = mkdtempSync(join(tmpdir(), 'mesh-drift-cp-'));
    const replicas = [testbed.istiod!, testbed.istiodReplicas![0]!];
    // catalog-0 connected to both replicas (one bootstrap directory each); cart-0 to the first only
    for (const r of replicas) {
      const own = join(dir, r.podName);
      mkdirSync(own);
      proxies.push(
        await startXdsProxy({
          pod: 'catalog-0',
          namespace: 'shop',
          istiod: r.grpcAddress,
          target: TARGET,
          dir: own,
        }),
      );
    }
    proxies.push(
      await startXdsProxy({
        pod: 'cart-0',
        namespace: 'shop',
        istiod: replicas[0]!.grpcAddress,
        target: TARGET,
        dir,
      }),
    );
    await createSidecarPods(
      c,
      'istio-system',
      replicas.map((r) => ({
        name: r.podName,
        app: 'istiod',
        labels: { 'istio.io/rev': 'default' },
        forwards: { 15012: port(r.secureGrpcAddress) },
      })),
      { createNamespace: false },
    );
  });

  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await testbed?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('both replicas see the same API server: they would send catalog-0 the same config, exit 0', async () => {
    const args = ['drift', '--control-plane', '--kubeconfig', testbed.kubeconfig];
    const r = await eventually('both replicas serve catalog-0', async () => {
      const x = await runCli(args);
      return x.stdout.includes('catalog-0.shop: 2 control-plane replicas') ? x : undefined;
    });
    expect(r).toEqual({
      code: 0,
      stdout:
        'cart-0.shop: only istiod-e2e serves it, nothing to compare\n' +
        'catalog-0.shop: 2 control-plane replicas agree (istiod-b, istiod-e2e)\n',
      stderr: '',
    });
    const json = JSON.parse((await runCli([...args, '-o', 'json'])).stdout);
    expect(json.controlPlane.map((c: any) => [c.proxy, c.replicas, c.drifted])).toEqual([
      ['cart-0.shop', ['istiod-e2e'], []],
      ['catalog-0.shop', ['istiod-b', 'istiod-e2e'], []],
    ]);
    expect(json.errors).toEqual([]);
  });

  it('a replica cut off from the API server misses a Service change: the two replicas are named with the diff, exit 79', async () => {
    testbed.cutApiServer('istiod-b');
    // the Service is recreated with another cluster IP (named: a freed IP may be handed out again), which
    // is in the route's domains and the listener's address
    const c = clientsFor(testbed.kubeconfig);
    const before = await c.core.readNamespacedService({ name: 'catalog', namespace: 'shop' });
    await c.core.deleteNamespacedService({ name: 'catalog', namespace: 'shop' });
    await createCatalogService(c, before.spec!.clusterIP === '10.0.0.200' ? '10.0.0.201' : '10.0.0.200');
    const args = ['drift', '--control-plane', '--kubeconfig', testbed.kubeconfig];
    const r = await eventually(
      'istiod-e2e to build config with the new Service',
      async () => {
        const x = await runCli(args);
        return x.code === 79 ? x : undefined;
      },
      60_000,
    );
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('cart-0.shop: only istiod-e2e serves it, nothing to compare');
    // two replicas, two configs: the first replica by name is the reference
    expect(lines[1]).toBe('catalog-0.shop: istiod-e2e would send other config than istiod-b');
    expect(lines.slice(2, 4)).toEqual(['  --- istiod-b', '  +++ istiod-e2e']);
    expect(r.stdout).toMatch(/~ listener catalog\.shop\.svc\.cluster\.local:8080: \d+ fields? differs?/);
    const json = JSON.parse((await runCli([...args, '-o', 'json'])).stdout);
    const catalog = json.controlPlane.find((x: any) => x.proxy === 'catalog-0.shop');
    expect(catalog.drifted.map((d: any) => [d.replica, d.comparedWith])).toEqual([
      ['istiod-e2e', 'istiod-b'],
    ]);
    expect(catalog.drifted[0].configDiff.differences.map((d: any) => d.kind)).toContain('listener');
  });
});

// mesh proxy-status the way users run it: no address, istiod pods found in istio-system (app=istiod),
// a port-forward through the real API server to each pod's 15012 (kwok relays it to the real istiod's
// TLS port on loopback), TLS plus a TokenRequest token, istiod with its default authentication.
// istioctl, run the same way on the same testbed, is the oracle.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { clientsFor, eventually, type Clients } from './support/kube.js';
import { createSidecarPods } from './support/sidecars.js';
import { startTestbed, type Testbed } from './support/testbed.js';
import { createCatalogService, startXdsProxy, type XdsProxy } from './support/xds-proxies.js';

const run = promisify(execFile);
let testbed: Testbed;
let c: Clients;
let dir: string;
const proxies: XdsProxy[] = [];
const port = (address: string) => Number(address.split(':')[1]);

describe('mesh proxy-status through port-forwards to the istiod pods', () => {
  beforeAll(async () => {
    testbed = await startTestbed({ istiod: true, nodes: true });
    c = clientsFor(testbed.kubeconfig);
    await c.core
      .createNamespacedServiceAccount({ namespace: 'istio-system', body: { metadata: { name: 'default' } } })
      .catch(() => undefined); // present when a controller made it
    await c.core.createNamespace({ body: { metadata: { name: 'shop' } } });
    await createCatalogService(c);
    dir = mkdtempSync(join(tmpdir(), 'mesh-xds-pf-'));
    for (const pod of ['catalog-0', 'catalog-1'])
      proxies.push(
        await startXdsProxy({
          pod,
          namespace: 'shop',
          istiod: testbed.istiod!.grpcAddress,
          target: 'xds:///catalog.shop.svc.cluster.local:8080',
          dir,
        }),
      );
    // the istiod pod: its 15012 is the real istiod's TLS xDS port
    await createSidecarPods(
      c,
      'istio-system',
      [
        {
          name: 'istiod-5f7c9d-x2k4p',
          app: 'istiod',
          labels: { 'istio.io/rev': 'default' },
          forwards: { 15012: port(testbed.istiod!.secureGrpcAddress) },
        },
      ],
      { createNamespace: false },
    );
    await eventually('both proxies synced', async () => {
      const r = await runCli([
        'proxy-status',
        '--xds-address',
        testbed.istiod!.secureGrpcAddress,
        '--kubeconfig',
        testbed.kubeconfig,
      ]);
      return (r.stdout.match(/4 \(CDS,LDS,EDS,RDS\)/g) ?? []).length === 2 ? r : undefined;
    });
  });

  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await testbed?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('finds the istiod pod, port-forwards, authenticates with a token, and prints what istioctl prints', async () => {
    const mesh = await runCli(['proxy-status', '--kubeconfig', testbed.kubeconfig]);
    expect(mesh.stderr).toBe('');
    expect(mesh.code).toBe(0);
    expect(mesh.stdout).toMatch(
      /^catalog-0\.shop\s+Kubernetes\s+istiod-e2e\s+1\.31\.0\s+4 \(CDS,LDS,EDS,RDS\)$/m,
    );
    const oracle = await run(
      join(testbed.binDir, 'istioctl'),
      ['proxy-status', '--kubeconfig', testbed.kubeconfig],
      {
        timeout: 60_000,
      },
    );
    expect(mesh.stdout).toBe(oracle.stdout);
  });

  it('a second replica whose port refuses: the first one still answers, the failed one is named, exit 1', async () => {
    await createSidecarPods(
      c,
      'istio-system',
      [{ name: 'istiod-5f7c9d-zz9qq', app: 'istiod', labels: { 'istio.io/rev': 'default' }, forwards: {} }],
      {
        createNamespace: false,
      },
    );
    const r = await runCli(['proxy-status', '--kubeconfig', testbed.kubeconfig, '--timeout', '10s']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^catalog-1\.shop\s+/m);
    expect(r.stderr).toMatch(
      /^error: istiod-5f7c9d-zz9qq \(127\.0\.0\.1:\d+\): .*\(its proxies are missing above\)$/m,
    );
  });
});

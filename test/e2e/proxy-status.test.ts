// mesh proxy-status against the testbed's real istiod, with real xDS clients (@grpc/grpc-js-xds, as
// Istio's proxyless gRPC workloads) as the proxies, and istioctl as the differential oracle.
// Two istiod replicas share the API server: `istiod-e2e` with debug-endpoint and xDS auth off (the
// plaintext path), `istiod-auth` with istiod's defaults (debug types need a token, over TLS).
import { execFile } from 'node:child_process';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { clientsFor, eventually } from './support/kube.js';
import { startTestbed, type IstiodInfo, type Testbed } from './support/testbed.js';
import { createCatalogService, startXdsProxy, type XdsProxy } from './support/xds-proxies.js';

const run = promisify(execFile);
let testbed: Testbed;
let open: IstiodInfo;
let auth: IstiodInfo;
let dir: string;
const proxies: XdsProxy[] = [];

async function istioctl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(join(testbed.binDir, 'istioctl'), [...args, '--kubeconfig', testbed.kubeconfig], {
      timeout: 60_000,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err: any) {
    return { code: err.code ?? 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

const TARGET = 'xds:///catalog.shop.svc.cluster.local:8080';

describe('mesh proxy-status against the real istiod', () => {
  beforeAll(async () => {
    testbed = await startTestbed({
      istiod: true,
      istiodEnv: { ENABLE_DEBUG_ENDPOINT_AUTH: 'false', XDS_AUTH: 'false' },
      istiodReplicas: [{ podName: 'istiod-auth' }],
    });
    open = testbed.istiod!;
    auth = testbed.istiodReplicas![0]!;
    const c = clientsFor(testbed.kubeconfig);
    // what kube-controller-manager would have made (the testbed runs without it): the token's account
    await c.core.createNamespacedServiceAccount({
      namespace: 'istio-system',
      body: { metadata: { name: 'default' } },
    });
    await c.core.createNamespace({ body: { metadata: { name: 'shop' } } });
    await createCatalogService(c);
    dir = mkdtempSync(join(tmpdir(), 'mesh-xds-e2e-'));
    for (const [pod, istiod] of [
      ['catalog-0', open.grpcAddress],
      ['catalog-1', open.grpcAddress],
      ['cart-0', auth.grpcAddress],
    ] as const)
      proxies.push(await startXdsProxy({ pod, namespace: 'shop', istiod, target: TARGET, dir }));
    // every proxy subscribed to the four types
    await eventually('both proxies synced on istiod-e2e', async () => {
      const r = await runCli(['proxy-status', '--xds-address', open.grpcAddress, '--plaintext']);
      return (r.stdout.match(/4 \(CDS,LDS,EDS,RDS\)/g) ?? []).length === 2 ? r : undefined;
    });
  });

  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await testbed?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists the connected proxies exactly as istioctl does (plaintext, debug auth off)', async () => {
    const mesh = await runCli(['proxy-status', '--xds-address', open.grpcAddress, '--plaintext']);
    const oracle = await istioctl(['proxy-status', '--xds-address', open.grpcAddress, '--plaintext']);
    expect(oracle.code).toBe(0);
    expect(mesh.code).toBe(0);
    expect(mesh.stderr).toBe('');
    expect(mesh.stdout).toBe(oracle.stdout);
    expect(mesh.stdout).toMatch(
      /^catalog-0\.shop\s+Kubernetes\s+istiod-e2e\s+1\.31\.0\s+4 \(CDS,LDS,EDS,RDS\)$/m,
    );
    expect(mesh.stdout).toMatch(/^catalog-1\.shop\s+/m);
    expect(mesh.stdout).not.toContain('cart-0');
  });

  it('-v 1 and -n agree with istioctl (ages aside); the classic layout has the 1.26 columns', async () => {
    const ages = (s: string) => s.replace(/ \(\d+[smhdy][0-9smhdy]*\)/g, '').replace(/ +/g, ' ');
    const args = ['proxy-status', '--xds-address', open.grpcAddress, '--plaintext', '-v', '1'];
    const mesh = await runCli(args);
    const oracle = await istioctl(args);
    expect(ages(mesh.stdout)).toBe(ages(oracle.stdout));
    expect(mesh.stdout).toMatch(/^catalog-0\.shop\s+Kubernetes\s+SYNCED \(\d+s\)\s+IGNORED\s+SYNCED/m);

    const ns = ['proxy-status', '--xds-address', open.grpcAddress, '--plaintext', '-n', 'other'];
    expect((await runCli(ns)).stdout).toBe((await istioctl(ns)).stdout);

    const classic = await runCli([
      'proxy-status',
      '--xds-address',
      open.grpcAddress,
      '--plaintext',
      '--classic',
    ]);
    expect(classic.stdout.split('\n')[0]!.split(/\s{2,}/)).toEqual([
      'NAME',
      'CLUSTER',
      'CDS',
      'LDS',
      'EDS',
      'RDS',
      'ECDS',
      'ISTIOD',
      'VERSION',
    ]);
  });

  it('-o json prints the same proxies as istioctl -o json', async () => {
    const args = ['proxy-status', '--xds-address', open.grpcAddress, '--plaintext', '-o', 'json'];
    const mesh = JSON.parse((await runCli(args)).stdout);
    const oracle = JSON.parse((await istioctl(args)).stdout);
    const ids = (d: any) => d.resources.map((r: any) => r.node.id).sort();
    expect(ids(mesh)).toEqual(ids(oracle));
    expect(JSON.parse(mesh.controlPlane.identifier).ID).toBe('istiod-e2e');
    expect(mesh.resources[0].genericXdsConfigs.map((g: any) => g.typeUrl)).toEqual(
      oracle.resources[0].genericXdsConfigs.map((g: any) => g.typeUrl),
    );
  });

  it('over TLS with a TokenRequest token, as istioctl does by default (istiod with auth on)', async () => {
    const args = [
      'proxy-status',
      '--xds-address',
      auth.secureGrpcAddress,
      '--kubeconfig',
      testbed.kubeconfig,
    ];
    const mesh = await runCli(args);
    expect(mesh.stderr).toBe('');
    expect(mesh.code).toBe(0);
    expect(mesh.stdout).toMatch(
      /^cart-0\.shop\s+Kubernetes\s+istiod-auth\s+1\.31\.0\s+4 \(CDS,LDS,EDS,RDS\)$/m,
    );
    const oracle = await istioctl(['proxy-status', '--xds-address', auth.secureGrpcAddress]);
    expect(mesh.stdout).toBe(oracle.stdout);
  });

  it('faults against the real istiod: debug types refused without a token, token not obtainable, TLS to plaintext port', async () => {
    const refused = await runCli(['proxy-status', '--xds-address', auth.grpcAddress, '--plaintext']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(new RegExp(`^Error: ${auth.grpcAddress}: authentication rejected: `));

    const noToken = await runCli([
      'proxy-status',
      '--xds-address',
      auth.secureGrpcAddress,
      '--kubeconfig',
      testbed.restrictedKubeconfig,
    ]);
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toContain(
      'cannot get a token for service account istio-system/default (audience istio-ca)',
    );

    const mismatch = await runCli([
      'proxy-status',
      '--xds-address',
      open.grpcAddress,
      '--kubeconfig',
      testbed.kubeconfig,
      '--timeout',
      '5s',
    ]);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toMatch(new RegExp(`^Error: ${open.grpcAddress}: unreachable: `));
  });

  it("proxy-status <pod> compares istiod's config for a proxyless client with what its CSDS reports", async () => {
    const p = proxies[0]!;
    const r = await runCli([
      'proxy-status',
      p.id,
      '--xds-address',
      open.grpcAddress,
      '--plaintext',
      '--csds-address',
      p.csds,
    ]);
    expect(r).toEqual({
      code: 0,
      stdout: 'Clusters Match (1)\nListeners Match (1)\nRoutes Match (1)\n',
      stderr: '',
    });
  });

  it('mesh version: the istiod replica and the proxies it serves', async () => {
    const r = await runCli(['version', '--xds-address', open.grpcAddress, '--plaintext']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^control plane version: 1\.31-dev \(1 replica\)$/m);
    expect(r.stdout).toMatch(/^data plane version: 1\.31\.0 \(2 proxies\)$/m);
  });

  it("mesh check: the proxies' sync state and the CA that the real istiod made, with nothing installed by mesh", async () => {
    const r = await runCli([
      'check',
      '--kubeconfig',
      testbed.kubeconfig,
      '--xds-address',
      open.grpcAddress,
      '--plaintext',
      '-o',
      'json',
    ]);
    // istiod here was not installed by mesh: that is the one failure (exit 79); the other groups still report
    expect(r.code).toBe(79);
    const results: Array<{ group: string; status: string; message: string }> = JSON.parse(r.stdout).results;
    const group = (g: string) => results.filter((x) => x.group === g).map((x) => [x.status, x.message]);
    expect(group('Control plane')).toEqual([['fail', 'no control plane installed by mesh in this cluster']]);
    expect(group('Proxy sync')).toEqual([
      ['ok', `all 2 proxies connected to ${open.grpcAddress} are in sync`],
    ]);
    expect(group('Certificates')).toEqual([
      ['ok', expect.stringMatching(/^root certificate O=cluster\.local valid until \S+Z \(\d+d\)$/)],
      [
        'ok',
        expect.stringMatching(
          /^signing CA O=cluster\.local \(Secret istio-system\/istio-ca-secret\) valid until \S+Z \(\d+d\)$/,
        ),
      ],
      [
        'ok',
        expect.stringMatching(
          /^(all \d+ other namespace\(s\) with istio-ca-root-cert trust the same root as istio-system|no namespace but istio-system has istio-ca-root-cert yet: no copy of the root to compare)$/,
        ),
      ],
    ]);
    expect(r.stdout).not.toContain('PRIVATE KEY');
  });

  it('drift: a client cut off from istiod keeps the old config after the Service changes; mesh drift names it', async () => {
    // catalog-2 reaches istiod through a relay that is then cut: it keeps what it had
    const relay = await startRelay(open.grpcAddress);
    const pinned = await startXdsProxy({
      pod: 'catalog-2',
      namespace: 'shop',
      istiod: relay.address,
      target: TARGET,
      dir,
    });
    proxies.push(pinned);
    const csds = () =>
      proxies.filter((p) => p.id.startsWith('catalog-')).flatMap((p) => ['--csds', `${p.id}=${p.csds}`]);
    await eventually('catalog-2 synced', async () => {
      const r = await runCli(['drift', ...csds()]);
      return r.code === 0 && r.stdout === 'shop/catalog: 3 replicas, no drift\n' ? r : undefined;
    });
    relay.cut();
    // the Service is recreated: a new cluster IP, in the listener address and the route domains
    const c = clientsFor(testbed.kubeconfig);
    await c.core.deleteNamespacedService({ name: 'catalog', namespace: 'shop' });
    await createCatalogService(c);
    const r = await eventually(
      'the connected replicas to get the new Service',
      async () => {
        const x = await runCli(['drift', ...csds()]);
        // the two connected replicas may take turns getting the push first
        return x.code === 79 && x.stdout.includes('+++ catalog-2.shop') ? x : undefined;
      },
      60_000,
    );
    expect(r.stdout.split('\n')[0]).toBe('shop/catalog: 1 of 3 replicas drifted');
    expect(r.stdout).toMatch(/~ listener catalog\.shop\.svc\.cluster\.local:8080: \d+ fields? differs?/);
    const json = JSON.parse((await runCli(['drift', ...csds(), '-o', 'json'])).stdout);
    expect(json.workloads[0].drifted.map((d: any) => d.id)).toEqual(['catalog-2.shop']);
  });
});

/** A TCP relay to `target` that can be cut (every connection closed, no new ones accepted). */
async function startRelay(target: string): Promise<{ address: string; cut(): void }> {
  const [host, port] = target.split(':') as [string, string];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => s.destroy());
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    address: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    cut: () => {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

/**
 * `mesh drift --control-plane`: every istiod replica (Running pods labelled app=istiod, reached through
 * port-forwards by the API stand-in speaking the real WebSocket protocol) is asked which proxies it
 * serves (istio.io/debug/syncz) and then for each proxy's config (istio.io/debug/config_dump); stand-in
 * xDS servers on the real protos answer. Replicas that would send the same proxy different config are
 * named with the semantic diff.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { fakePod, startFakeKube } from '../../support/port-forward-server.js';
import { startXdsServer, type Answer } from '../../support/xds-server.js';

const CC = 'type.googleapis.com/envoy.service.status.v3.ClientConfig';
const CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const CLUSTERS = 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump';
const CATALOG = 'outbound|8080||catalog.shop.svc.cluster.local';

/** What an istiod replica knows: the proxies connected to it and the cluster timeout it would send. */
interface Replica {
  pod: string;
  proxies: string[];
  connectTimeout?: number;
  down?: boolean;
  /** Answers config_dump with a bare Cluster instead of the dump's sections. */
  bare?: boolean;
}

function answer(r: Replica, req: Record<string, any>): Answer {
  const identifier = JSON.stringify({ Component: 'istiod', ID: r.pod, Info: { version: '1.31.0' } });
  if (req.type_url === 'istio.io/debug/syncz')
    return {
      kind: 'respond',
      response: {
        type_url: req.type_url,
        control_plane: { identifier },
        resources: r.proxies.map((p) => ({
          '@type': CC,
          node: { id: p, metadata: { NAMESPACE: p.split('.')[1], CLUSTER_ID: 'Kubernetes' } },
          generic_xds_configs: [{ type_url: CDS, config_status: 'SYNCED' }],
        })),
      },
    };
  // istio.io/debug/config_dump: the dump's sections for a connected proxy, nothing for another
  const connected = r.proxies.includes(req.resource_names[0]);
  if (connected && r.bare)
    return {
      kind: 'respond',
      response: { type_url: req.type_url, resources: [{ '@type': CDS, name: CATALOG, type: 'EDS' }] },
    };
  return {
    kind: 'respond',
    response: {
      type_url: req.type_url,
      version_info: `${r.pod}/42`,
      control_plane: { identifier },
      resources: connected
        ? [
            {
              '@type': CLUSTERS,
              dynamic_active_clusters: [
                {
                  version_info: `${r.pod}-v7`,
                  cluster: {
                    '@type': CDS,
                    name: CATALOG,
                    type: 'EDS',
                    connect_timeout: { seconds: String(r.connectTimeout ?? 10) },
                  },
                },
              ],
            },
          ]
        : [],
    },
  };
}

const closers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c.close()));
});

async function cluster(replicas: Replica[]) {
  const ports = new Map<string, number>();
  const servers = new Map<string, Array<Record<string, any>>>();
  for (const r of replicas) {
    if (r.down) {
      ports.set(r.pod, 1); // nothing listens there
      continue;
    }
    const s = await startXdsServer((req) => answer(r, req));
    closers.push(s);
    servers.set(r.pod, s.requests);
    ports.set(r.pod, Number(s.address.split(':')[1]));
  }
  const kube = await startFakeKube({
    objects: replicas.map((r) => fakePod(r.pod, 'istio-system', { labels: { app: 'istiod' }, proxy: false })),
    forward: (_ns, pod) => ports.get(pod)!,
  });
  closers.push(kube);
  const drift = (...extra: string[]) =>
    runCli(['drift', '--control-plane', '--plaintext', '--kubeconfig', kube.kubeconfig(), ...extra]);
  return { drift, requests: servers };
}

describe('mesh drift --control-plane', () => {
  it('two replicas that would send the same proxy different config: both named, the diff shown, exit 79', async () => {
    const { drift, requests } = await cluster([
      { pod: 'istiod-a', proxies: ['catalog-0.shop', 'cart-0.shop'] },
      { pod: 'istiod-b', proxies: ['catalog-0.shop'], connectTimeout: 99 },
    ]);
    const r = await drift();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(79);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('cart-0.shop: only istiod-a serves it, nothing to compare');
    expect(lines[1]).toBe('catalog-0.shop: istiod-b would send other config than istiod-a');
    expect(r.stdout).toContain('--- istiod-a\n');
    expect(r.stdout).toContain('+++ istiod-b\n');
    expect(r.stdout).toContain(
      '  ~ cluster outbound|8080||catalog.shop.svc.cluster.local: 1 field differs\n' +
        '      connectTimeout: "10s" -> "99s"\n',
    );
    expect(r.stdout).toContain('cart-0.shop: only istiod-a serves it, nothing to compare\n');
    // each replica was asked for each proxy's config by its id
    const asked = (pod: string) =>
      requests
        .get(pod)!
        .filter((q) => q.type_url === 'istio.io/debug/config_dump')
        .map((q) => q.resource_names[0])
        .sort();
    expect(asked('istiod-a')).toEqual(['cart-0.shop', 'catalog-0.shop']);
    expect(asked('istiod-b')).toEqual(['cart-0.shop', 'catalog-0.shop']);

    const json = JSON.parse((await drift('-o', 'json')).stdout);
    expect(json.workloads).toEqual([]);
    expect(
      json.controlPlane.map((c: any) => [c.proxy, c.replicas, c.drifted.map((d: any) => d.replica)]),
    ).toEqual([
      ['cart-0.shop', ['istiod-a'], []],
      ['catalog-0.shop', ['istiod-a', 'istiod-b'], ['istiod-b']],
    ]);
    const diff = json.controlPlane[1].drifted[0];
    expect(diff.comparedWith).toBe('istiod-a');
    expect(diff.configDiff.differences.map((d: any) => [d.kind, d.name])).toEqual([['cluster', CATALOG]]);
  });

  it('replicas that agree (versions aside): no drift, exit 0; -n narrows the proxies', async () => {
    const { drift } = await cluster([
      { pod: 'istiod-a', proxies: ['catalog-0.shop', 'web-0.front'] },
      { pod: 'istiod-b', proxies: ['catalog-0.shop', 'web-0.front'] },
    ]);
    const r = await drift();
    expect(r).toEqual({
      code: 0,
      stdout:
        'catalog-0.shop: 2 control-plane replicas agree (istiod-a, istiod-b)\n' +
        'web-0.front: 2 control-plane replicas agree (istiod-a, istiod-b)\n',
      stderr: '',
    });
    const ns = await drift('-n', 'front');
    expect(ns.stdout).toBe('web-0.front: 2 control-plane replicas agree (istiod-a, istiod-b)\n');
    expect(await drift('-n', 'elsewhere')).toEqual({
      code: 0,
      stdout: 'no proxy is connected to the control plane\n',
      stderr: '',
    });
  });

  it('a replica that cannot be reached is named; the others are still compared; exit 1, or 79 when they differ', async () => {
    const partial = await cluster([
      { pod: 'istiod-a', proxies: ['catalog-0.shop'] },
      { pod: 'istiod-b', proxies: ['catalog-0.shop'] },
      { pod: 'istiod-c', proxies: [], down: true },
    ]);
    const r = await partial.drift('--timeout', '5s');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('catalog-0.shop: 2 control-plane replicas agree (istiod-a, istiod-b)\n');
    expect(r.stderr).toMatch(
      /^error: istiod-c: port-forward to pod istiod-c\.istio-system port 15010 failed: /m,
    );
    await Promise.all(closers.splice(0).map((c) => c.close()));

    const both = await cluster([
      { pod: 'istiod-a', proxies: ['catalog-0.shop'] },
      { pod: 'istiod-b', proxies: ['catalog-0.shop'], connectTimeout: 1 },
      { pod: 'istiod-c', proxies: [], down: true },
    ]);
    const d = await both.drift('--timeout', '5s', '-o', 'json');
    expect(d.code).toBe(79);
    const json = JSON.parse(d.stdout);
    expect(json.errors.map((e: any) => e.id)).toEqual(['istiod-c']);
    expect(json.controlPlane[0].drifted[0].replica).toBe('istiod-b');
  });

  it('a replica whose answer is not a config dump is named (exit 65), not compared as one without clusters', async () => {
    const { drift } = await cluster([
      { pod: 'istiod-a', proxies: ['catalog-0.shop'] },
      { pod: 'istiod-b', proxies: ['catalog-0.shop'], bare: true },
    ]);
    expect(await drift()).toEqual({
      code: 65,
      stdout: 'catalog-0.shop: only istiod-a serves it, nothing to compare\n',
      stderr:
        'error: istiod-b: config_dump for catalog-0.shop: not a config dump: it has no ClustersConfigDump, ' +
        'ListenersConfigDump, RoutesConfigDump section (it holds envoy.config.cluster.v3.Cluster)\n',
    });
  });

  it('--control-plane with --csds or -f is a usage error', async () => {
    const r = await runCli(['drift', '--control-plane', '-f', 'a.shop=a.json']);
    expect(r).toMatchObject({ code: 64, stdout: '' });
    expect(r.stderr).toContain('--control-plane asks istiod');
  });
});

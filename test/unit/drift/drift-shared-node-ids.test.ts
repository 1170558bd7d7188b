/**
 * `mesh drift` when several ClientConfigs share a node id: with `--control-plane`, a replica serving
 * several proxies of one id answers config_dump for one of them (whichever istiod finds first), so its
 * answer is named and not compared rather than reported as drift; with `--csds`, the pod's xDS clients are
 * compared together (with a warning), and clients holding different versions of one resource are an
 * error, never one of them picked. Stand-in istiod replicas behind the port-forward stand-in, stand-in
 * CSDS endpoints.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { startCsdsServer } from '../../support/csds-server.js';
import { fakePod, startFakeKube } from '../../support/port-forward-server.js';
import { startXdsServer } from '../../support/xds-server.js';

const CC = 'type.googleapis.com/envoy.service.status.v3.ClientConfig';
const CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const CLUSTERS = 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump';
const CATALOG = 'outbound|8080||catalog.shop.svc.cluster.local';

const closers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c.close()));
});

/** An istiod replica: its connections (node ids, repeated for a shared one) and the timeout it would send. */
async function replica(pod: string, connections: string[], connectTimeout: number) {
  const s = await startXdsServer((req) => {
    if (req.type_url === 'istio.io/debug/syncz')
      return {
        kind: 'respond',
        response: {
          type_url: req.type_url,
          resources: connections.map((id) => ({
            '@type': CC,
            node: { id, metadata: { NAMESPACE: 'shop' } },
          })),
        },
      };
    const cluster = { '@type': CDS, name: CATALOG, connect_timeout: { seconds: String(connectTimeout) } };
    return {
      kind: 'respond',
      response: {
        type_url: req.type_url,
        resources: connections.includes(req.resource_names[0])
          ? [{ '@type': CLUSTERS, dynamic_active_clusters: [{ cluster }] }]
          : [],
      },
    };
  });
  closers.push(s);
  return { pod, port: Number(s.address.split(':')[1]) };
}

describe('mesh drift --control-plane: a replica serving several proxies of one node id', () => {
  it('its answer is named and not compared (was reported as drift): exit 1', async () => {
    // istiod-a has catalog-0.shop twice (two clusters' pods of one name): its config is one of theirs
    const replicas = [
      await replica('istiod-a', ['catalog-0.shop', 'catalog-0.shop'], 99),
      await replica('istiod-b', ['catalog-0.shop'], 10),
    ];
    const kube = await startFakeKube({
      objects: replicas.map((r) =>
        fakePod(r.pod, 'istio-system', { labels: { app: 'istiod' }, proxy: false }),
      ),
      forward: (_ns, pod) => replicas.find((r) => r.pod === pod)!.port,
    });
    closers.push(kube);
    const args = ['drift', '--control-plane', '--plaintext', '--kubeconfig', kube.kubeconfig()];
    expect(await runCli(args)).toEqual({
      code: 1,
      stdout:
        'catalog-0.shop: istiod-a serves several proxies with this node id, istiod-b one: nothing to compare\n',
      stderr:
        'error: istiod-a: 2 connected proxies share node id catalog-0.shop: its config for it is one of theirs, not compared\n',
    });
    const json = JSON.parse((await runCli([...args, '-o', 'json'])).stdout);
    expect(json.controlPlane).toEqual([
      { proxy: 'catalog-0.shop', replicas: ['istiod-b'], drifted: [], ambiguous: ['istiod-a'] },
    ]);
  });
});

describe('mesh drift --csds: several xDS clients of the pod', () => {
  const client = (scope: string, timeout: string) => ({
    '@type': CC,
    node: { id: 'web-0.shop' },
    client_scope: scope,
    generic_xds_configs: [
      {
        type_url: CDS,
        name: CATALOG,
        xds_config: { '@type': CDS, name: CATALOG, connect_timeout: { seconds: timeout } },
      },
    ],
  });

  it('compared together with a warning; different versions of one cluster are an error naming it', async () => {
    const agree = await startCsdsServer([client('xds:///a', '10'), client('xds:///b', '10')]);
    const disagree = await startCsdsServer([client('xds:///a', '10'), client('xds:///b', '99')]);
    const sibling = await startCsdsServer([{ ...client('', '10'), node: { id: 'web-1.shop' } }]);
    closers.push(agree, disagree, sibling);
    const run = (csds: string) =>
      runCli(['drift', '--csds', `web-0.shop=${csds}`, '--csds', `web-1.shop=${sibling.address}`]);
    expect(await run(agree.address)).toEqual({
      code: 0,
      stdout: 'shop/web: 2 replicas, no drift\n',
      stderr:
        `warning: web-0.shop: CSDS ${agree.address} reported 2 xDS clients of web-0.shop ` +
        '(scopes "xds:///a", "xds:///b"): comparing what they hold together\n',
    });
    expect(await run(disagree.address)).toEqual({
      code: 1,
      stdout: 'shop/web: 1 replica, no drift\n',
      stderr:
        `error: web-0.shop: CSDS ${disagree.address}: the xDS clients of web-0.shop hold different versions ` +
        `of cluster "${CATALOG}" (scopes "xds:///a", "xds:///b"): which one is the proxy's config cannot be told\n`,
    });
  });
});

/**
 * Several ClientConfigs with one node id, in istiod's syncz answer (proxies connected more than once under
 * one id) or at a CSDS endpoint (one process's xDS clients, gRPC's one per data-plane target): never merged
 * in silence. `mesh proxy-status` keeps a row each and says so; `mesh proxy-status <pod>` says when
 * istiod's answer for the pod may be another proxy's (exit 1), combines the pod's own xDS clients with a
 * warning, and refuses clients that hold different versions of one resource. Stand-in xDS and CSDS servers
 * on the real protos.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { startCsdsServer } from '../../support/csds-server.js';
import { startXdsServer, type XdsStandIn } from '../../support/xds-server.js';

const T = 'type.googleapis.com/';
const CC = `${T}envoy.service.status.v3.ClientConfig`;
const CDS = `${T}envoy.config.cluster.v3.Cluster`;
const CLUSTERS = `${T}envoy.admin.v3.ClustersConfigDump`;
const ID = 'catalog-0.shop';
const NAME = 'outbound|8080||catalog.shop.svc.cluster.local';

const closers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c.close()));
});

const connected = (id: string, cluster: string) => ({
  '@type': CC,
  node: { id, metadata: { CLUSTER_ID: cluster, NAMESPACE: id.split('.')[1], ISTIO_VERSION: '1.31.0' } },
  generic_xds_configs: [{ type_url: CDS, config_status: 'SYNCED' }],
});

/** An istiod stand-in: `proxies` in its syncz answer, one cluster in its config_dump answer for ID. */
async function istiod(proxies: unknown[]): Promise<XdsStandIn> {
  const identifier = JSON.stringify({ Component: 'istiod', ID: 'istiod-a', Info: { version: '1.31.0' } });
  const s = await startXdsServer((req) => ({
    kind: 'respond',
    response:
      req.type_url === 'istio.io/debug/syncz'
        ? { type_url: req.type_url, control_plane: { identifier }, resources: proxies }
        : {
            type_url: req.type_url,
            resources:
              req.resource_names?.[0] === ID
                ? [{ '@type': CLUSTERS, dynamic_active_clusters: [{ cluster: cluster() }] }]
                : [],
          },
  }));
  closers.push(s);
  return s;
}

const cluster = (extra: Record<string, unknown> = {}) => ({
  '@type': CDS,
  name: NAME,
  type: 'EDS',
  ...extra,
});

/** A CSDS ClientConfig of node `id` in `scope` holding `clusters`. */
const client = (id: string, scope: string, ...clusters: Array<Record<string, unknown>>) => ({
  '@type': CC,
  node: { id },
  client_scope: scope,
  generic_xds_configs: clusters.map((c) => ({ type_url: CDS, name: c.name, xds_config: c })),
});

async function csds(...configs: Array<Record<string, unknown>>) {
  const s = await startCsdsServer(configs);
  closers.push(s);
  return s;
}

describe('mesh proxy-status: proxies that share a node id', () => {
  it('keeps a row for each and names the shared id with its replica on stderr (exit 0)', async () => {
    const s = await istiod([connected(ID, 'east'), connected('cart-0.shop', 'east'), connected(ID, 'west')]);
    const r = await runCli(['proxy-status', '--xds-address', s.address, '--plaintext']);
    expect(r).toEqual({
      code: 0,
      stdout: [
        'NAME               CLUSTER     ISTIOD       VERSION     SUBSCRIBED TYPES',
        'cart-0.shop        east        istiod-a     1.31.0      1 (CDS)',
        'catalog-0.shop     east        istiod-a     1.31.0      1 (CDS)',
        'catalog-0.shop     west        istiod-a     1.31.0      1 (CDS)',
        '',
      ].join('\n'),
      stderr: `warning: ${s.address}: 2 connected proxies share node id ${ID} (a row each)\n`,
    });
    // -o json keeps both too
    const json = await runCli(['proxy-status', '--xds-address', s.address, '--plaintext', '-o', 'json']);
    expect(JSON.parse(json.stdout).resources.map((cc: any) => cc.node.metadata.CLUSTER_ID)).toEqual([
      'east',
      'east',
      'west',
    ]);
    expect(json.stderr).toBe(r.stderr);
  });
});

/** `mesh proxy-status <ID>` against the istiod stand-in, the pod's config from the CSDS stand-in. */
const psPod = (istiodAddress: string, csdsAddress: string) =>
  runCli(['proxy-status', ID, '--xds-address', istiodAddress, '--plaintext', '--csds-address', csdsAddress]);

describe('mesh proxy-status <pod>: several ClientConfigs of the pod', () => {
  it("istiod's answer for a node id two proxies share may be the other's: compared, named, exit 1", async () => {
    const s = await istiod([connected(ID, 'east'), connected(ID, 'west')]);
    const c = await csds(client(ID, 'xds:///catalog', cluster()));
    const r = await psPod(s.address, c.address);
    expect(r).toEqual({
      code: 1,
      stdout: 'Clusters Match (1)\nListeners Match (0)\nRoutes Match (0)\n',
      stderr:
        `error: istiod ${s.address}: 2 connected proxies share node id ${ID}: ` +
        "its config above is one of theirs, not necessarily this pod's\n",
    });
  });

  it("the pod's xDS clients are compared together, and said to be (exit 0)", async () => {
    const s = await istiod([connected(ID, 'east')]);
    // one cluster both clients hold alike is taken once
    const c = await csds(client(ID, 'xds:///catalog', cluster()), client(ID, 'xds:///catalog-v2', cluster()));
    const r = await psPod(s.address, c.address);
    expect(r).toEqual({
      code: 0,
      stdout: 'Clusters Match (1)\nListeners Match (0)\nRoutes Match (0)\n',
      stderr:
        `warning: CSDS ${c.address} reported 2 xDS clients of ${ID} (scopes "xds:///catalog", "xds:///catalog-v2"): ` +
        'comparing what they hold together\n',
    });
  });

  it('two of its xDS clients holding different versions of one cluster: an error naming it, not one picked', async () => {
    const s = await istiod([connected(ID, 'east')]);
    const c = await csds(
      client(ID, 'xds:///catalog', cluster()),
      client(ID, 'xds:///catalog-admin', cluster({ connect_timeout: { seconds: '99' } })),
    );
    const r = await psPod(s.address, c.address);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `Error: CSDS ${c.address}: the xDS clients of ${ID} hold different versions of cluster "${NAME}" ` +
        `(scopes "xds:///catalog", "xds:///catalog-admin"): which one is the proxy's config cannot be told\n`,
    });
  });
});
